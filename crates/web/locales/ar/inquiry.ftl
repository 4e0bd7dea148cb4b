## الاستعلام الوطني.

inquiry-options-count = لسؤال الاختيار الواحد من خيارين إلى تسعة خيارات؛ ولا خيارات لغيره من الأسئلة.
inquiry-second-person = يعتمد الاستعلامَ شخصٌ غير كاتبه.
inquiry-codes-taken = كل الرموز القصيرة مستعملة في استعلامات مفتوحة؛ أغلق أحدها أولًا.
inquiry-answer-unread = لا تصلح هذه الإجابة لهذا السؤال.

nav-inquiries = الاستعلامات
inquiries-title = الاستعلامات الوطنية
inquiries-none = لا توجد استعلامات بعد.
inquiry-new = استعلام جديد
inquiry-title = العنوان
inquiry-code = الرمز القصير
inquiry-state = الحالة
inquiry-recipients = المستلمون
inquiry-respondents = المجيبون
inquiry-queued = الأسئلة المرسلة إلى الطابور
inquiry-quiet = ساعات الهدوء
inquiry-question-n = السؤال { $n }
inquiry-kind = نوع الإجابة
inquiry-kind-single-choice = أحد خيارات مرقّمة
inquiry-kind-yes-no = نعم أو لا
inquiry-kind-scale = مقياس من 1 إلى 5
inquiry-kind-free-text = نص حر
inquiry-options = الخيارات
inquiry-options-hint = خيار في كل سطر، لسؤال الخيارات المرقّمة؛ ويُجاب برقم الخيار.
inquiry-sample = عيّنة عشوائية
inquiry-sample-hint = اتركه فارغًا للإرسال إلى الجمهور كله، أو اكتب عدد من يُختارون عشوائيًا.
inquiry-quiet-start = لا رسائل من الساعة (HH:MM)
inquiry-quiet-end = حتى الساعة (HH:MM)
inquiry-quiet-hint = بتوقيت الجهة؛ ويؤجَّل الإرسال حتى تنتهي ساعات الهدوء.
inquiry-web-link = إضافة رابط شخصي إلى نموذج ويب من صفحة واحدة
inquiry-public-results = نشر النتائج بعد إغلاق الاستعلام
inquiry-do-save = حفظ المسودة
inquiry-state-draft = مسودة
inquiry-state-awaiting-approval = بانتظار الاعتماد
inquiry-state-approved = معتمد
inquiry-state-sending = قيد الإرسال
inquiry-state-paused = موقوف مؤقتًا
inquiry-state-open = مفتوح للإجابات
inquiry-state-closed = مغلق
inquiry-do-submit = تقديم
inquiry-do-approve = اعتماد
inquiry-do-reject = إعادة إلى كاتبه
inquiry-do-pause = إيقاف الإرسال مؤقتًا
inquiry-do-resume = استئناف الإرسال
inquiry-do-close = إغلاق
inquiry-done-submit = قُدّم الاستعلام.
inquiry-done-approve = اعتُمد: يُرسل من وقت بدئه خارج ساعات الهدوء.
inquiry-done-reject = أعيد إلى كاتبه.
inquiry-done-pause = أوقف الإرسال مؤقتًا؛ وما زالت الإجابات تصل.
inquiry-done-resume = استؤنف الإرسال.
inquiry-done-close = أغلق: لا تُقبل إجابات أخرى.
inquiry-auto = تتحدّث هذه الصفحة كل 5 ثوانٍ.
inquiry-results = النتائج
inquiry-export = تنزيل الإجابات (CSV)
inquiry-public-page = صفحة النتائج العامة
inquiry-public-intro = نتائج هذا الاستعلام كما نشرتها الوزارة.
inquiry-answers-count =
    { PLURAL($count) ->
        [zero] لا إجابات
        [one] إجابة واحدة
        [two] إجابتان
        [few] { $count } إجابات
        [many] { $count } إجابةً
       *[other] { $count } إجابة
    }
inquiry-answer = الإجابة
inquiry-total = المجموع
inquiry-by-municipality = حسب البلدية
inquiry-answer-yes = نعم
inquiry-answer-no = لا
inquiry-answer-text = إجابات مكتوبة
inquiry-channel-sms = رسالة قصيرة
inquiry-channel-web = الويب
inquiry-channel-phone = الهاتف (1415)
inquiry-link-title = الاستعلام الوطني
inquiry-link-once = يُرسل هذا النموذج مرة واحدة؛ ويمكنك تغيير إجابتك برسالة قصيرة.
inquiry-do-answer = إرسال إجاباتي
inquiry-link-thanks = شكرًا لك: وصلت إجاباتك.
inquiry-link-gone = هذا الاستعلام مغلق، أو الرابط غير صالح.
call-centre-title = مركز الاتصال 1415
call-centre-find = رقم هاتف المتصل أو رقمه الوطني
call-centre-find-hint = كما يقوله المتصل: 091 234 5678، أو الأرقام الاثنا عشر للرقم الوطني.
call-centre-no-person = لا يوجد في السجل شخص بهذا الرقم.
call-centre-none-open = لا يوجد استعلام مفتوح لهذا الشخص.
call-centre-so-far = حتى الآن
call-centre-do-save = تسجيل الإجابات
call-centre-saved = سُجّلت الإجابات.
