# Messaging: the outbox, bulk SMS, delivery.
nav-messages = Messages
messages-title = Messages
messages-no-gateway = No SMS gateway is configured yet: messages wait in the queue until one is.
messages-compose = New bulk message
messages-counts = Messages by state
messages-count = Count
messages-batches = Recent batches
messages-recipients =
    { $count ->
        [one] one recipient
       *[other] { $count } recipients
    }
messages-outbox = Outbox
messages-any-state = Any state
messages-filter = Show
messages-none = No messages.
messages-more = Older messages
message-title = Message
message-channel = Channel
message-state = State
message-recipient = Recipient
message-kind = Kind
message-parts = Parts
message-created = Created
message-error = Reason
message-subject = Subject
message-text = Text
message-encoding = Encoding
message-characters =
    { $count ->
        [one] one character
       *[other] { $count } characters
    }
message-parts-count =
    { $count ->
        [one] one part
       *[other] { $count } parts
    }
message-attempts = Attempts
message-next-attempt = Next attempt
message-sent = Sent
message-delivered = Delivered
message-expires = Expires
message-batch = Batch
channel-sms = SMS
channel-email = E-mail
message-kind-transactional = Transactional
message-kind-bulk = Bulk
message-state-queued = Queued
message-state-sending = Being sent
message-state-sent = Sent
message-state-delivered = Delivered
message-state-failed = Failed
message-state-expired = Expired
encoding-gsm7 = GSM-7 (Latin alphabet)
encoding-ucs2 = UCS-2 (Arabic and other scripts)
batch-title = Message batch
batch-recipients = Recipients
batch-progress = Progress
batch-done = { $done } of { $total } handled
batch-refreshing = This page updates itself every five seconds while messages are on their way.
compose-text-hint = Arabic is sent as UCS-2: 70 characters in a single message, 67 in each part of a long one. At most ten parts.
compose-audience = Recipients
compose-audience-hint = Residents of the chosen municipalities with a mobile number who have not opted out of bulk messages; everyone registered when none is chosen.
compose-own-residents = The message goes to your municipality's residents with a mobile number who have not opted out of bulk messages.
compose-preview = Before sending
compose-characters = Characters
compose-units =
    { $count ->
        [one] one unit
       *[other] { $count } units
    }
compose-parts = Parts per message
compose-total-parts = Total parts
compose-cost = Cost
compose-price = price per part
currency-lyd = LYD
compose-do-preview = Work out before sending
compose-do-send = Send
channel-unknown = The channel is not known.
kind-unknown = The kind of message is not known.
kind-not-allowed = Only administrators and the system send transactional messages.
mobile-not-libyan = Messages go to Libyan mobile numbers only.
audience-not-own = You can write to your own municipality's residents only.
template-placeholder-invalid = A placeholder is a name of small Latin letters, digits and _ between braces, such as {"{"}code{"}"}; write {"{{"} for a brace.
template-placeholders-differ = Each language must use the same placeholders as the Arabic text.
template-placeholder-unknown = The template has no such placeholder.
template-name-taken = Another template has this name.
template-unknown = There is no such template.
templates-title = Message templates
templates-intro = A template is written once per language; each person gets the text of their preferred language, the Arabic when theirs is not written.
templates-none = No template yet.
template-new = New template
template-edit = Edit template
template-name = Name
template-languages = Languages
template-placeholders = Placeholders
template-placeholders-hint = Write a placeholder as a name in braces, such as {"{"}code{"}"}; every language uses the same ones.
template-text-ar = Arabic text
template-text-en = English text (optional)
template-text-fr = French text (optional)
template-samples = Sample values
template-samples-hint = One per line, as name = value; the preview uses them.
template-characters = { $count } characters
template-parts = { $count ->
    [one] one part
   *[other] { $count } parts
}
template-do-save = Save the template
template-saved = The template was saved.
compose-template = Template
compose-no-template = None: the text below
compose-values = Values of the placeholders
compose-values-hint = One per line, as name = value.
compose-by-language = Recipients by language
