# Diwan — Accounts: sign-in, API tokens, administration of accounts, roles.
# Keep the ids in step with the same file of the other languages; a unit test compares them.

## Sign-in page
sign-in-title = Sign in to Diwan
username = Username
password = Password
sign-in-submit = Sign in
signed-out = You have been signed out.

## API tokens
tokens-title = API access tokens
token-name = Token name
token-scopes = Permissions
scope-read = Read
scope-write = Write
create-token = Create token
token-created = The token has been created. Copy it now: it will not be shown again.
revoke = Revoke
revoked = Revoked

## Administration
admin-title = Administration
users = Users
new-user = New user
display-name = Full name
role = Role
organization = Organization
reset-password = Reset password
new-password = New password
create = Create
password-reset-done = The password has been reset.

## Roles
role-admin = System administrator
role-registry-clerk = Registry clerk
role-department-head = Head of department
role-officer = Officer
role-municipal-clerk = Municipal clerk
role-municipal-head = Mayor
role-auditor = Auditor
role-inquiry-manager = Inquiry manager
role-call-centre-agent = 1415 call-centre agent
your-tokens = Your tokens
no-tokens = You have no access tokens.
token-value = Your new token
token-expires = Expires
token-expires-days = Valid for (days)
never = Never
user-created = The account has been created.
inactive = Inactive
