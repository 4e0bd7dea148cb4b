"""Credentials of the schemathesis run of `.ci/schemathesis.sh`.

The run acts as one person (an administrator or a municipal clerk) through
a session token opened before it starts. A few operations are designed to
end the credentials they are called with, or all of a person's
credentials; called with the run's own session they would leave every
later request unauthenticated. They get a separate treatment here, so
that every operation is still tested and the run's session survives:

- `POST /api/v1/auth/sign-out` ends the session or revokes the personal
  token it is called with. Each call gets a token of its own from a pool
  of personal API tokens (scopes read and write) made before the run;
  when the pool is spent, calls reuse the last token, which the server
  then refuses (401, documented).
- `POST /api/v1/users/{id}/password`, an administrator setting a
  password, ends every session and token of that account. When the
  generated identifier is the run's own account, it is replaced by an
  unknown one (the server then answers 404, documented).

Changing one's own password (`POST /api/v1/me/password`) keeps the session
it is called with, and revoking a personal token (`DELETE
/api/v1/tokens/{id}`) cannot end a session, so both run as they are.

The environment gives the run's session token (`DIWAN_ST_TOKEN`), its
account's id (`DIWAN_ST_USER_ID`) and the pool (`DIWAN_ST_SIGN_OUT_TOKENS`,
separated by spaces).
"""

import os
import threading
import uuid

import schemathesis

SESSION = os.environ["DIWAN_ST_TOKEN"]
OWN_ID = uuid.UUID(os.environ["DIWAN_ST_USER_ID"])
SIGN_OUT = "/api/v1/auth/sign-out"
RESET_PASSWORD = "/api/v1/users/{id}/password"

_pool = os.environ.get("DIWAN_ST_SIGN_OUT_TOKENS", "").split()
_pool_lock = threading.Lock()
# A token no session or personal token has, for when the pool is empty.
_spent = ["dwt_spent"]


def _next_sign_out_token() -> str:
    with _pool_lock:
        if _pool:
            _spent[0] = _pool.pop()
        return _spent[0]


@schemathesis.auth(refresh_interval=None, retry_on=[])
class DiwanAuth:
    """The run's session for every operation; a token of its own for each
    sign-out."""

    def get(self, case, context):
        if context.operation.path == SIGN_OUT:
            return _next_sign_out_token()
        return SESSION

    def set(self, case, data, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


def _names_own_account(value) -> bool:
    try:
        return uuid.UUID(str(value).strip()) == OWN_ID
    except ValueError:
        return False


@schemathesis.hook
def before_call(context, case, kwargs):
    """Keeps an administrator's password reset off the run's own account."""
    if (
        case.operation.method.upper() == "POST"
        and case.operation.path == RESET_PASSWORD
        and _names_own_account((case.path_parameters or {}).get("id"))
    ):
        case.path_parameters["id"] = str(uuid.uuid4())
