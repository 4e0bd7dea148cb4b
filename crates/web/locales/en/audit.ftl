# Diwan — Audit: the audit trail.
# Keep the ids in step with the same file of the other languages; a unit test compares them.

## Audit log
audit-title = Audit log
audit-when = When
audit-who = Who
audit-org = Organization
audit-action = Action
audit-object = Object
audit-from-where = From (IP address)
audit-search = Search the log
audit-action-prefix = Action starts with
audit-object-id = Object identifier
audit-details = Details
user-unknown = There is no user with this username.
