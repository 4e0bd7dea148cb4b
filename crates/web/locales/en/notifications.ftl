# Diwan — Notifications: the notification centre.
# Keep the ids in step with the same file of the other languages; a unit test compares them.

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
unread = Unread
mark-read = Mark as read
