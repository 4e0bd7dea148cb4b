# Diwan — English messages. Keep the ids in step with ar/main.ftl (the
# primary language) and fr/main.ftl; a unit test compares them.

## Application and navigation

app-name = Diwan
app-tagline = Correspondence and case management between the ministry and the municipalities
skip-to-content = Skip to main content
nav-label = Main navigation
nav-home = Home
nav-queue = Cases
nav-new-request = New request
nav-new-memo = New memo
nav-search = Search
nav-notifications = Notifications
nav-dashboard = Dashboard
nav-audit = Audit log
nav-admin = Administration
nav-tokens = Access tokens
nav-api = API
sign-in = Sign in
sign-out = Sign out
language = Language
lang-ar = العربية
lang-en = English
lang-fr = Français
lang-switch = Change
signed-in-as = Signed in as { $name }
acting-for = Acting for { $org }
footer-note = Dates and times are shown in your organization’s time zone.
footer-license = Free software, licensed under the GNU Affero General Public License, version 3 or later.
home-title = Home
welcome = Welcome, { $name }

## Common words

back = Back
cancel = Cancel
confirm = Confirm
close = Close
yes = Yes
no = No
required = required
optional = optional
saved = Your changes have been saved.
form-errors = The form could not be saved. Please correct the fields marked below.

## Sign-in page

sign-in-title = Sign in to Diwan
username = Username
password = Password
sign-in-submit = Sign in
signed-out = You have been signed out.

## Errors, one per stable error code

error-page-title = The operation could not be completed
error-back = Back to the home page
error-not-found = The page or case you asked for does not exist.
error-unauthenticated = Please sign in to continue.
error-forbidden = You are not allowed to do this.
error-invalid-input = Some of the information entered is not valid. Please check the fields marked.
error-invalid-transition = This action is not possible in the case’s current state.
error-conflict = Someone else changed this case in the meantime. Please reload the page and try again.
error-invalid-credentials = The username or password is incorrect.
error-too-many-attempts = Too many failed sign-in attempts came from your address. Please wait a few minutes and try again.
error-csrf-failed = The form has expired or could not be verified. Please reload the page and try again.
error-payload-too-large = The data sent is larger than allowed.
error-unsupported-media-type = The type of content sent is not supported.
error-internal = An internal error occurred. Please try again later; if the problem persists, contact technical support.

## Reasons shown next to a form field

field-required = This field is required.
field-too-long = This value is too long.
field-too-short = This value is too short.
field-invalid = This value is not valid.
date-invalid = This date is not valid.
tracking-number-invalid = This tracking number is not valid.
password-too-short = The password is too short: use at least 12 characters.
password-too-common = This password is too common or too easy to guess. Choose a longer phrase that others would not guess.
password-current-wrong = The current password is not right.
password-same = The new password must differ from the current one.
department-required = Please choose a department.
assignee-required = Please choose an officer to assign.
message-required = Please write a message.
case-type-unknown = Unknown case type.
amount-invalid = This amount is not valid. Enter a positive number with no more decimal places than the currency allows.
field-unknown = This field does not belong to this case type.
department-unknown = The selected department does not exist.
assignee-unknown = The selected officer does not exist or does not belong to this department.
file-too-large = The file is larger than allowed.
file-type-not-allowed = This type of file is not allowed.
file-empty = The attached file is empty.
role-unknown = Unknown role.
username-taken = This username is already in use.
move-not-available = This action cannot be taken on the case as it stands.
body-malformed = The data sent could not be read.
query-malformed = The parameters of the request could not be read.

## Case states

state-draft = Draft
state-submitted = Submitted
state-routed = Routed
state-assigned = Assigned
state-info-requested = Information requested
state-answered = Answered
state-rejected = Rejected
state-withdrawn = Withdrawn
state-closed = Closed

## Actions (button labels)

action-submit = Submit
action-send = Send
action-route = Route to a department
action-assign = Assign to an officer
action-request-info = Request information
action-reply = Reply
action-forward = Forward
action-answer = Issue the answer
action-reject = Reject
action-withdraw = Withdraw
action-acknowledge = Acknowledge receipt

## Case kinds

kind = Kind
kind-request = Request
kind-memo = Memo

## Case page and forms

tracking-number = Tracking number
subject = Subject
body = Text
case-type = Case type
filed-by = Filed by
held-by = Held by
held-since = Held since
assignee = Assigned officer
unassigned = Unassigned
due-date = Due date
overdue = Overdue
due-soon = Due soon
state = Status
history = History
no-history = No events recorded.
messages = Correspondence
internal-notes = Internal notes
internal-notes-hint = Internal notes are not visible to the municipality.
internal-note = Internal note
add-message = Add a message
add-note = Add a note
message = Message
attachments = Attachments
attach-file = Attach a file
attachment-limits = Files may be up to { $size } MB each.
download = Download
no-attachments = No attachments.
no-messages = No messages.
department = Department
addressed-to = Addressed to
choose = — Choose —
save-draft = Save as draft
submit-now = Submit now
new-request-title = New request
new-memo-title = New memo
continue = Continue
change-type = Change the case type
case-fields = Particulars
date-format-hint = Format: YYYY-MM-DD, for example 2026-11-21.
amount-hint = For example: { $example }
request-filed = Your request has been filed. Its tracking number is { $number }.
answer-title = Official answer
the-answer = Text of the answer
reason = Reason
available-actions = Available actions
no-actions = There is nothing you can do on this case at the moment.
case-paused = The deadline clock is paused while waiting for the municipality.
created-at = Created
updated-at = Last updated
sha256 = SHA-256 fingerprint
size = Size

## Queue and search

queue-title = Cases
my-queue = Assigned to me
department-queue = My department
all-cases = All cases
filter = Filter
apply-filter = Apply
reset-filter = Clear filters
any = Any
municipality = Municipality
date-from = From
date-to = To
sort = Sort by
sort-updated = Last updated
sort-created = Date created
sort-due = Due date
order-desc = Newest first
order-asc = Oldest first
next-page = Next page
prev-page = Previous page
no-cases = No matching cases.
search-title = Search cases
search-placeholder = Tracking number or words from the subject
search-submit = Search
cases-count =
    { $count ->
        [0] No cases
        [one] { $count } case
       *[other] { $count } cases
    }
cases-count-more = More than { $count } cases
overdue-only = Overdue only
due-soon-only = Due soon only

## Dashboard

dashboard-title = Dashboard
open-cases = Open cases
overdue-cases = Overdue cases
due-soon-cases = Cases due soon
paused-cases = Cases waiting for the municipality

## Notifications

notifications-title = Notifications
no-notifications = No notifications.
mark-all-read = Mark all as read
unread-count =
    { $count ->
        [0] No unread notifications
        [one] { $count } unread notification
       *[other] { $count } unread notifications
    }
notification-assigned = Case { $number } has been assigned to you.
notification-routed = Case { $number } has been routed to your department.
notification-reply-received = The municipality has replied on case { $number }.
notification-message-received = New message on case { $number }.
notification-overdue = Case { $number } is past its due date.
notification-info-requested = The ministry has requested information on case { $number }.
notification-answered = The official answer on case { $number } has been issued.
notification-rejected = Case { $number } has been rejected.

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

## API page

api-title = API
api-intro = The API lets approved systems read and file cases automatically, using an access token created on the access tokens page.
api-openapi-link = OpenAPI description of the API

## Pages: lists, forms and error titles

api-method = Method
api-path = Path
api-summary = Summary
api-version = version
api-operations = Operations
api-no-operations = No operations are documented yet.
case-details = Details
edit-draft = Edit the draft
save = Save
draft-saved = The draft has been saved. Its tracking number is { $number }.
file-name = File name
attachment-type = File type
internal-attachment = Internal attachment (not visible to the municipality)
system-actor = System (automatic)
size-kb = { $size } KB
size-mb = { $size } MB
results = Results
no-results = No results.
search-query = Search for
first-page = Back to the first page
pagination = Pages
quick-filters = Quick views
order = Order
date-hint = Write dates as year-month-day, for example 2026-03-09.
total = Total
by-department = By department
unread = Unread
mark-read = Mark as read
audit-details = Details
user-unknown = There is no user with this username.
your-tokens = Your tokens
no-tokens = You have no access tokens.
token-value = Your new token
token-expires = Expires
token-expires-days = Valid for (days)
never = Never
user-created = The account has been created.
inactive = Inactive
error-title-not-found = Not found
error-title-unauthenticated = Sign-in required
error-title-forbidden = Not allowed
error-title-invalid-input = Invalid information
error-title-invalid-transition = Action not available
error-title-conflict = Conflicting change
error-title-invalid-credentials = Sign-in failed
error-title-too-many-attempts = Too many attempts
error-title-csrf-failed = Form expired
error-title-payload-too-large = Too large
error-title-unsupported-media-type = Unsupported content
error-title-internal = Internal error
assigned-to-officer = Assigned to an officer

## Reasons reported by the catalogue and organization checks.
prefix-invalid = The prefix must be two to six capital Latin letters.
time-zone-unknown = Unknown time zone. Use a name such as Africa/Tripoli.
org-kind-unknown = Unknown kind of organization.
clock-unknown = Unknown deadline clock state.
workflow-auto-route-invalid = A move the system makes by itself needs a department to route to, and nothing else.
workflow-code-invalid = Codes of workflows, states and actions use lower-case Latin letters, digits and underscores.
workflow-duplicate = A workflow with this code exists already.
workflow-duplicate-state = The workflow has a duplicate state.
workflow-initial-state-started = The deadline clock may not run in the workflow's first state.
workflow-no-filing-move = The workflow needs a move by which the filer files a draft and starts the deadline.
workflow-terminated-state-open = A state where a case ends may not keep the deadline clock running.
workflow-transition-incomplete = Every transition of the workflow needs a source state and at least one role.
workflow-transition-to-initial = No transition may lead back to the workflow's first state.
workflow-unknown-state = The workflow refers to a state it does not define.

nav-password = Password
password-title = Change your password
current-password = Current password
confirm-password = New password again
change-password = Change password
password-rules = At least 12 characters. A phrase of several words is easy to remember and hard to guess; common passwords are refused.
password-changed = Your password has been changed. Your other sessions have been signed out.
password-mismatch = The two new passwords are not the same.
