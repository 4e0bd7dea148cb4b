# Diwan — Cases: states, actions and kinds of the workflows, the case page, filing, queues, search and the dashboard.
# Keep the ids in step with the same file of the other languages; a unit test compares them.

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
quick-filters = Quick views
order = Order
date-hint = Write dates as year-month-day, for example 2026-03-09.
total = Total
by-department = By department
assigned-to-officer = Assigned to an officer
