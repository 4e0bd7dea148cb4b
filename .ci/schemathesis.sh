#!/usr/bin/env bash
# Schemathesis against Diwan's OpenAPI document (/api/openapi.json), with
# every check, once as an administrator and once as a municipal clerk.
#
# Each caller gets a demo server of its own, on a free loopback port with a
# fresh data directory, so that neither run sees what the other changed
# (an administrator may reset the clerk's password, retire case types or
# lock accounts with failed sign-ins). Before its run starts, each caller
# signs in once and makes a pool of personal API tokens for the sign-out
# operation; `.ci/schemathesis_hooks.py` explains how those credentials are
# used so that the run's own session survives operations that end
# credentials. `.ci/schemathesis.toml` holds the settings.
#
# The run is bounded: a fixed number of examples per operation, a time
# limit per caller, and a timeout per request. Every server is stopped
# whatever happens. The last line is "schemathesis: N failures"; the exit
# status is non-zero when N is not 0.
#
# Environment: DIWAN_BIN (the binary; built with cargo when unset),
# DIWAN_ST_EXAMPLES (examples per operation, default 25), DIWAN_ST_SEED
# (the random seed, default a fixed one), DIWAN_ST_TIME_LIMIT (seconds per
# caller, default 110).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

st_version=4.32.5
examples=${DIWAN_ST_EXAMPLES:-25}
seed=${DIWAN_ST_SEED:-20260309}
time_limit=${DIWAN_ST_TIME_LIMIT:-110}
password=diwan-demo-2026
sign_out_pool=60

if command -v st >/dev/null 2>&1; then
  st=(st)
else
  python3 -m pip install --quiet "schemathesis==$st_version"
  st=(python3 -m schemathesis.cli)
fi

if [[ -n "${DIWAN_BIN:-}" ]]; then
  bin=$DIWAN_BIN
else
  cargo build --quiet -p diwan
  bin=$root/target/debug/diwan
fi

work=$(mktemp -d)
server_pid=""
stop_server() {
  if [[ -n "$server_pid" ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}
trap 'stop_server; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Starts a demo server for one caller and waits until it is ready.
start_server() {
  local name=$1 port
  port=$(free_port)
  base="http://127.0.0.1:$port"
  "$bin" --data-dir "$work/$name/data" serve --demo --listen "127.0.0.1:$port" \
    >"$work/$name/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 120); do
    if python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + "/readyz", timeout=2)' "$base" 2>/dev/null; then
      return 0
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
      break
    fi
    sleep 0.5
  done
  echo "the server for $name did not start:" >&2
  cat "$work/$name/server.log" >&2
  return 1
}

# Signs `user` in and makes the pool of tokens for sign-out; prints the
# environment of the hooks.
credentials() {
  python3 - "$base" "$1" "$password" "$sign_out_pool" <<'EOF'
import json
import sys
import urllib.request

base, user, password, pool = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])


def post(path, body, token=None):
    request = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST")
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


session = post("/api/v1/auth/sign-in", {"username": user, "password": password})
token = session["token"]
spare = [
    post("/api/v1/tokens", {"name": f"sign-out {i}", "scopes": ["read", "write"]}, token)["token"]
    for i in range(pool)
]
print(f"export DIWAN_ST_TOKEN={token}")
print(f"export DIWAN_ST_USER_ID={session['user']['id']}")
print(f"export DIWAN_ST_SIGN_OUT_TOKENS='{' '.join(spare)}'")
EOF
}

total=0
summaries=""
run_as() {
  local name=$1 user=$2 status=0 failures errors
  mkdir -p "$work/$name"
  printf '\n=== schemathesis as %s (%s) ===\n' "$name" "$user"
  local creds
  if ! start_server "$name" || ! creds=$(credentials "$user"); then
    stop_server
    total=$((total + 1))
    summaries+="$name ($user): 1 failure — the server or the credentials could not be set up"$'\n'
    return 0
  fi
  eval "$creds"
  # Reports and caches go to the work directory, not the source tree.
  (
    cd "$work/$name"
    SCHEMATHESIS_HOOKS="$root/.ci/schemathesis_hooks.py" timeout --kill-after=10 "$time_limit" \
      "${st[@]}" --config-file "$root/.ci/schemathesis.toml" run "$base/api/openapi.json" \
      --checks all \
      --max-examples "$examples" \
      --seed "$seed" \
      --request-timeout 20 \
      --generation-database none \
      --no-color
  ) 2>&1 | tee "$work/$name/st.log" || status=${PIPESTATUS[0]}
  # The run's session must have survived every operation it called.
  local survived=1
  python3 - "$base" "$DIWAN_ST_TOKEN" <<'EOF' || survived=0
import sys
import urllib.request

request = urllib.request.Request(sys.argv[1] + "/api/v1/me")
request.add_header("Authorization", "Bearer " + sys.argv[2])
urllib.request.urlopen(request, timeout=10)
EOF
  stop_server
  local last
  last=$(grep -E '^=+ .* in [0-9.]+s =+$' "$work/$name/st.log" | tail -n 1 || true)
  failures=$(grep -oE '[0-9]+ failures?' <<<"$last" | grep -oE '^[0-9]+' || echo 0)
  errors=$(grep -oE '[0-9]+ errors?' <<<"$last" | grep -oE '^[0-9]+' || echo 0)
  local count=$((failures + errors))
  if [[ "$status" != 0 && "$count" == 0 ]]; then
    # No summary to count from: the run broke off (a timeout is 124).
    count=1
    last="schemathesis stopped with status $status before its summary"
  fi
  if [[ "$survived" == 0 ]]; then
    echo "the session of $user was ended during the run" >&2
    count=$((count + 1))
  fi
  total=$((total + count))
  summaries+="$name ($user): $count failures — ${last:-no summary}"$'\n'
}

run_as administrator admin
run_as municipal-clerk clerk.tripoli

printf '\n=== schemathesis summary ===\n%s' "$summaries"
echo "schemathesis: $total failures"
[[ "$total" == 0 ]]
