# Diwan — Shared: the application, navigation, common words, and the closed sets every capability uses (error codes, reasons a field is refused).
# Diwan — English messages. Keep the ids in step with the same file in ar/ (the
# primary language) and the other languages; a unit test compares them.

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
error-busy = The server is busy with more work than it takes at once. Please try again in a moment.
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

## API page
api-title = API
api-intro = The API lets approved systems read and file cases automatically, using an access token created on the access tokens page.
api-openapi-link = OpenAPI description of the API
api-method = Method
api-path = Path
api-summary = Summary
api-version = version
api-operations = Operations
api-no-operations = No operations are documented yet.
pagination = Pages
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
