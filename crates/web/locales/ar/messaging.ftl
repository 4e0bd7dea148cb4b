# Messaging: the outbox, bulk SMS, delivery.
nav-messages = الرسائل
messages-title = الرسائل
messages-no-gateway = لم تُضبط بوابة الرسائل القصيرة بعد: تبقى الرسائل في الانتظار حتى تُضبط.
messages-compose = رسالة جماعية جديدة
messages-counts = الرسائل حسب الحالة
messages-count = العدد
messages-batches = الدفعات الأخيرة
messages-recipients =
    { PLURAL($count) ->
        [zero] بلا مستلمين
        [one] مستلم واحد
        [two] مستلمان
        [few] { $count } مستلمين
        [many] { $count } مستلمًا
       *[other] { $count } مستلم
    }
messages-outbox = صندوق الصادر
messages-any-state = كل الحالات
messages-filter = عرض
messages-none = لا توجد رسائل.
messages-more = رسائل أقدم
message-title = رسالة
message-channel = القناة
message-state = الحالة
message-recipient = المستلم
message-kind = النوع
message-parts = الأجزاء
message-created = أُنشئت
message-error = السبب
message-subject = الموضوع
message-text = النص
message-encoding = الترميز
message-characters =
    { PLURAL($count) ->
        [zero] لا أحرف
        [one] حرف واحد
        [two] حرفان
        [few] { $count } أحرف
        [many] { $count } حرفًا
       *[other] { $count } حرف
    }
message-parts-count =
    { PLURAL($count) ->
        [zero] لا أجزاء
        [one] جزء واحد
        [two] جزءان
        [few] { $count } أجزاء
        [many] { $count } جزءًا
       *[other] { $count } جزء
    }
message-attempts = المحاولات
message-next-attempt = المحاولة التالية
message-sent = أُرسلت
message-delivered = وصلت
message-expires = تنتهي صلاحيتها
message-batch = الدفعة
channel-sms = رسالة قصيرة
channel-email = بريد إلكتروني
message-kind-transactional = خدمية
message-kind-bulk = جماعية
message-state-queued = في الانتظار
message-state-sending = قيد الإرسال
message-state-sent = أُرسلت
message-state-delivered = وصلت
message-state-failed = فشلت
message-state-expired = انتهت صلاحيتها
encoding-gsm7 = GSM-7 (الأبجدية اللاتينية)
encoding-ucs2 = UCS-2 (العربية وسائر الحروف)
batch-title = دفعة رسائل
batch-recipients = المستلمون
batch-progress = التقدم
batch-done = عولجت { $done } من { $total }
batch-refreshing = تتحدث هذه الصفحة كل خمس ثوانٍ ما دامت الرسائل في طريقها.
compose-text-hint = تُرسل العربية بترميز UCS-2: سبعون حرفًا في الرسالة الواحدة، وسبعة وستون في كل جزء من الرسالة الطويلة. عشرة أجزاء على الأكثر.
compose-audience = المستلمون
compose-audience-hint = سكان البلديات المختارة ممن لديهم رقم هاتف محمول ولم يطلبوا إيقاف الرسائل العامة؛ كل المسجلين إن لم تُختر بلدية.
compose-own-residents = تُرسل الرسالة إلى سكان بلديتك ممن لديهم رقم هاتف محمول ولم يطلبوا إيقاف الرسائل العامة.
compose-preview = قبل الإرسال
compose-characters = عدد الأحرف
compose-units =
    { PLURAL($count) ->
        [zero] بلا وحدات
        [one] وحدة واحدة
        [two] وحدتان
        [few] { $count } وحدات
        [many] { $count } وحدةً
       *[other] { $count } وحدة
    }
compose-parts = الأجزاء في كل رسالة
compose-total-parts = مجموع الأجزاء
compose-cost = التكلفة
compose-price = سعر الجزء
currency-lyd = د.ل
compose-do-preview = احسب قبل الإرسال
compose-do-send = أرسل
channel-unknown = القناة غير معروفة.
kind-unknown = نوع الرسالة غير معروف.
kind-not-allowed = الرسائل الخدمية للمدير وللمنظومة وحدهما.
mobile-not-libyan = لا تُرسل إلا إلى أرقام الهواتف الليبية.
audience-not-own = لا تُرسل إلا إلى سكان بلديتك.
template-placeholder-invalid = الحقل المتغيّر اسم من حروف لاتينية صغيرة وأرقام و _ بين قوسين معقوفين، مثل {"{"}code{"}"}؛ اكتب {"{{"} لقوس واحد.
template-placeholders-differ = يجب أن تستعمل كل لغة الحقول المتغيّرة نفسها التي في النص العربي.
template-placeholder-unknown = لا يوجد في القالب حقل متغيّر بهذا الاسم.
template-name-taken = يوجد قالب آخر بهذا الاسم.
template-unknown = لا يوجد هذا القالب.
templates-title = قوالب الرسائل
templates-intro = يُكتب القالب مرة لكل لغة؛ ويصل كل شخص نص لغته المفضلة، والنص العربي إن لم تُكتب لغته.
templates-none = لا توجد قوالب بعد.
template-new = قالب جديد
template-edit = تعديل القالب
template-name = الاسم
template-languages = اللغات
template-placeholders = الحقول المتغيّرة
template-placeholders-hint = اكتب الحقل المتغيّر اسمًا بين قوسين معقوفين، مثل {"{"}code{"}"}؛ وتستعمل كل لغة الحقول نفسها.
template-text-ar = النص العربي
template-text-en = النص الإنجليزي (اختياري)
template-text-fr = النص الفرنسي (اختياري)
template-samples = قيم للمعاينة
template-samples-hint = قيمة في كل سطر، بالشكل: الاسم = القيمة؛ وتُستعمل في المعاينة.
template-characters =
    { PLURAL($count) ->
        [zero] بلا أحرف
        [one] حرف واحد
        [two] حرفان
        [few] { $count } أحرف
        [many] { $count } حرفًا
       *[other] { $count } حرف
    }
template-parts =
    { PLURAL($count) ->
        [zero] بلا أجزاء
        [one] جزء واحد
        [two] جزآن
        [few] { $count } أجزاء
        [many] { $count } جزءًا
       *[other] { $count } جزء
    }
template-do-save = حفظ القالب
template-saved = حُفظ القالب.
compose-template = القالب
compose-no-template = بلا قالب: النص أدناه
compose-values = قيم الحقول المتغيّرة
compose-values-hint = قيمة في كل سطر، بالشكل: الاسم = القيمة.
compose-by-language = المستلمون حسب اللغة
