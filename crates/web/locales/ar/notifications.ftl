# Diwan — Notifications: the notification centre.
# Keep the ids in step with the same file of the other languages; a unit test compares them.
# Plurals: select on PLURAL($count), not on $count (see shared.ftl).

## Notifications
notifications-title = الإشعارات
no-notifications = لا توجد إشعارات.
mark-all-read = تحديد الكل كمقروء
unread-count =
    { PLURAL($count) ->
        [zero] لا توجد إشعارات غير مقروءة
        [one] إشعار واحد غير مقروء
        [two] إشعاران غير مقروءين
        [few] { $count } إشعارات غير مقروءة
        [many] { $count } إشعارًا غير مقروء
       *[other] { $count } إشعار غير مقروء
    }
notification-assigned = أُسندت إليك المعاملة رقم { $number }.
notification-routed = أُحيلت المعاملة رقم { $number } إلى إدارتكم.
notification-reply-received = ورد رد البلدية على المعاملة رقم { $number }.
notification-message-received = وردت رسالة جديدة على المعاملة رقم { $number }.
notification-overdue = تجاوزت المعاملة رقم { $number } موعدها النهائي.
notification-info-requested = طلبت الوزارة استيفاء بيانات في المعاملة رقم { $number }.
notification-answered = صدر الرد الرسمي على المعاملة رقم { $number }.
notification-rejected = رُفضت المعاملة رقم { $number }.
unread = غير مقروء
mark-read = تحديد كمقروء
