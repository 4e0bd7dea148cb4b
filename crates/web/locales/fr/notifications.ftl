# Diwan — Notifications: the notification centre.
# Keep the ids in step with the same file of the other languages; a unit test compares them.

## Notifications
notifications-title = Notifications
no-notifications = Aucune notification.
mark-all-read = Tout marquer comme lu
unread-count =
    { $count ->
        [0] Aucune notification non lue
        [one] { $count } notification non lue
       *[other] { $count } notifications non lues
    }
notification-assigned = Le dossier { $number } vous a été attribué.
notification-routed = Le dossier { $number } a été orienté vers votre direction.
notification-reply-received = La municipalité a répondu dans le dossier { $number }.
notification-message-received = Nouveau message dans le dossier { $number }.
notification-overdue = Le dossier { $number } a dépassé son échéance.
notification-info-requested = Le ministère demande un complément d’information dans le dossier { $number }.
notification-answered = La réponse officielle au dossier { $number } a été émise.
notification-rejected = Le dossier { $number } a été rejeté.
unread = Non lue
mark-read = Marquer comme lue
