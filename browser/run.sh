#!/usr/bin/env bash
# Browser tests of Diwan: starts a demo server on a free loopback port with a
# fresh data directory, runs browser/journey.test.mjs in headless Chromium
# against it and stops the server, whatever happens.
#
# From the repository root, after `npm ci --prefix browser` and
# `cargo build -p diwan`:
#
#     bash browser/run.sh
#
# Environment:
#   DIWAN_BIN        the diwan binary (default: target/debug/diwan, relative
#                    to the repository root); this script builds nothing.
#   CHROMIUM_PATH    the browser (default: /usr/bin/chromium, Debian's).
#   READY_TIMEOUT    seconds to wait for /readyz (default: 120).
# Screenshots and the server's log go to browser/test-results/.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"

bin="${DIWAN_BIN:-target/debug/diwan}"
case "$bin" in
  /*) ;;
  *) bin="$root/$bin" ;;
esac
if [[ ! -x "$bin" ]]; then
  echo "run.sh: no diwan binary at $bin (build it with: cargo build -p diwan, or set DIWAN_BIN)" >&2
  exit 2
fi
if [[ ! -d "$here/node_modules/playwright-core" || ! -d "$here/node_modules/axe-core" ]]; then
  echo "run.sh: browser/node_modules is missing (run: npm ci --prefix browser)" >&2
  exit 2
fi
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [[ ! -x "$chromium" ]]; then
  echo "run.sh: no Chromium at $chromium (apt-get install -y chromium, or set CHROMIUM_PATH)" >&2
  exit 2
fi
export CHROMIUM_PATH="$chromium"

results="$here/test-results"
mkdir -p "$results"
rm -f "$results"/*.png
log="$results/server.log"
: >"$log"
data="$(mktemp -d "${TMPDIR:-/tmp}/diwan-browser.XXXXXX")"
server_pid=""

cleanup() {
  local status=$?
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    # Give it a few seconds to finish in-flight requests, then insist.
    for _ in $(seq 1 50); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$data"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A free port on the loopback interface: the kernel picks one, we release it
# and hand it to diwan at once.
port="$(node -e '
  const s = require("node:net").createServer();
  s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });
')"
url="http://127.0.0.1:$port"

# The server must use its own SQLite database and files in $data, whatever
# the environment of the caller says (CI may point DIWAN_DATABASE_URL at
# PostgreSQL for other tests).
env -u DIWAN_DATABASE_URL -u DIWAN_FILES -u DIWAN_DATA_DIR -u DIWAN_LISTEN \
  "$bin" serve --demo --listen "127.0.0.1:$port" --data-dir "$data" \
    --inquiry-approval-threshold 0 >"$log" 2>&1 &
server_pid=$!

timeout="${READY_TIMEOUT:-120}"
deadline=$((SECONDS + timeout))
until [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url/readyz" || true)" == "200" ]]; do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "run.sh: diwan exited before it was ready; its log:" >&2
    cat "$log" >&2
    exit 1
  fi
  if ((SECONDS >= deadline)); then
    echo "run.sh: diwan did not answer 200 on $url/readyz within ${timeout}s; its log:" >&2
    tail -n 50 "$log" >&2
    exit 1
  fi
  sleep 0.5
done
echo "run.sh: diwan is ready on $url (data in $data, log in $log)"

set +e
DIWAN_URL="$url" node --test --test-reporter=spec "$here/journey.test.mjs"
status=$?
set -e
if [[ $status -ne 0 ]]; then
  echo "run.sh: the browser tests failed (exit $status); the last lines of the server log:" >&2
  tail -n 30 "$log" >&2
fi
exit "$status"
