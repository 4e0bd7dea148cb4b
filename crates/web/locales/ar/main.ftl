# Diwan — Arabic messages (the primary language and the fallback for all
# lookups). Formal Modern Standard Arabic as used in Libyan administrative
# correspondence. Keep the ids in step with en/main.ftl and fr/main.ftl;
# a unit test compares them.
#
# Plurals: select on PLURAL($count), not on $count itself. PLURAL is
# registered by i18n.rs and applies the CLDR rule (n % 100) correctly,
# which the bundled plural-rules library does not for numbers above 100.

## Application and navigation

app-name = ديوان
app-tagline = منظومة المراسلات والمعاملات بين الوزارة والبلديات
skip-to-content = الانتقال إلى المحتوى الرئيسي
nav-label = القائمة الرئيسية
nav-home = الرئيسية
nav-queue = المعاملات
nav-new-request = طلب جديد
nav-new-memo = مذكرة جديدة
nav-search = البحث
nav-notifications = الإشعارات
nav-dashboard = لوحة المتابعة
nav-audit = سجل التدقيق
nav-admin = إدارة المنظومة
nav-tokens = رموز الوصول
nav-api = الواجهة البرمجية
sign-in = تسجيل الدخول
sign-out = تسجيل الخروج
language = اللغة
lang-ar = العربية
lang-en = English
lang-fr = Français
lang-switch = تغيير
signed-in-as = المستخدم: { $name }
acting-for = الجهة: { $org }
footer-note = تُعرض التواريخ والأوقات بتوقيت الجهة.
footer-license = برمجية حرة مرخّصة بموجب رخصة GNU Affero العمومية، الإصدار الثالث أو ما بعده.
home-title = الصفحة الرئيسية
welcome = مرحبًا، { $name }

## Common words

back = رجوع
cancel = إلغاء
confirm = تأكيد
close = إغلاق
yes = نعم
no = لا
required = مطلوب
optional = اختياري
saved = تم حفظ التغييرات.
form-errors = تعذّر حفظ النموذج. يُرجى تصحيح الحقول المشار إليها أدناه.

## Sign-in page

sign-in-title = تسجيل الدخول إلى ديوان
username = اسم المستخدم
password = كلمة المرور
sign-in-submit = دخول
signed-out = تم تسجيل خروجك بنجاح.

## Errors, one per stable error code

error-page-title = تعذّر إتمام العملية
error-back = العودة إلى الصفحة الرئيسية
error-not-found = الصفحة أو المعاملة المطلوبة غير موجودة.
error-unauthenticated = يجب تسجيل الدخول للمتابعة.
error-forbidden = ليست لديك صلاحية القيام بهذا الإجراء.
error-invalid-input = البيانات المدخلة غير صحيحة. يُرجى مراجعة الحقول المشار إليها.
error-invalid-transition = لا يمكن تنفيذ هذا الإجراء في الحالة الراهنة للمعاملة.
error-conflict = عُدّلت هذه المعاملة من قِبل مستخدم آخر في الأثناء. يُرجى إعادة تحميل الصفحة ثم المحاولة مجددًا.
error-invalid-credentials = اسم المستخدم أو كلمة المرور غير صحيحة.
error-too-many-attempts = وصلت من عنوانك محاولات دخول فاشلة كثيرة. يُرجى الانتظار بضع دقائق ثم المحاولة من جديد.
error-csrf-failed = انتهت صلاحية النموذج أو تعذّر التحقق منه. يُرجى إعادة تحميل الصفحة ثم المحاولة مجددًا.
error-payload-too-large = حجم البيانات المرسلة يتجاوز الحد المسموح به.
error-unsupported-media-type = نوع المحتوى المرسل غير مدعوم.
error-internal = حدث خطأ داخلي في المنظومة. يُرجى المحاولة لاحقًا، وفي حال تكرار الخطأ يُرجى التواصل مع الدعم الفني.

## Reasons shown next to a form field

field-required = هذا الحقل مطلوب.
field-too-long = القيمة المدخلة أطول من الحد المسموح به.
field-too-short = القيمة المدخلة أقصر من الحد الأدنى المطلوب.
field-invalid = القيمة المدخلة غير صالحة.
date-invalid = التاريخ المدخل غير صالح.
tracking-number-invalid = الرقم الإشاري غير صالح.
password-too-short = كلمة المرور قصيرة: استعمل ١٢ حرفًا على الأقل.
password-too-common = كلمة المرور هذه شائعة أو سهلة التخمين. اختر عبارة أطول لا يخمّنها غيرك.
password-current-wrong = كلمة المرور الحالية غير صحيحة.
password-same = يجب أن تختلف كلمة المرور الجديدة عن الحالية.
department-required = يُرجى اختيار الإدارة المختصة.
assignee-required = يُرجى اختيار الموظف المكلّف.
message-required = يُرجى كتابة نص الرسالة.
case-type-unknown = نوع المعاملة غير معروف.
amount-invalid = المبلغ المدخل غير صالح. يُرجى إدخال رقم موجب لا تتجاوز منازله العشرية الحد المسموح به.
field-unknown = هذا الحقل غير معرَّف لهذا النوع من المعاملات.
department-unknown = الإدارة المحددة غير موجودة.
assignee-unknown = الموظف المحدد غير موجود أو لا يتبع هذه الإدارة.
file-too-large = حجم الملف يتجاوز الحد المسموح به.
file-type-not-allowed = نوع الملف غير مسموح به.
file-empty = الملف المرفق فارغ.
role-unknown = الدور المحدد غير معروف.
username-taken = اسم المستخدم محجوز لحساب آخر.
move-not-available = لا يمكن اتخاذ هذا الإجراء على المعاملة في حالتها الحالية.
body-malformed = تعذّرت قراءة البيانات المرسلة.
query-malformed = تعذّرت قراءة معايير الطلب.

## Case states

state-draft = مسودة
state-submitted = مقدَّمة
state-routed = محالة
state-assigned = مسندة
state-info-requested = بانتظار استيفاء البيانات
state-answered = تم الرد
state-rejected = مرفوضة
state-withdrawn = مسحوبة
state-closed = مغلقة

## Actions (button labels)

action-submit = تقديم
action-send = إرسال
action-route = إحالة إلى إدارة
action-assign = إسناد إلى موظف
action-request-info = طلب استيفاء بيانات
action-reply = الرد على الاستيفاء
action-forward = تحويل
action-answer = إصدار الرد
action-reject = رفض
action-withdraw = سحب
action-acknowledge = تأكيد الاستلام

## Case kinds

kind = النوع
kind-request = طلب
kind-memo = مذكرة

## Case page and forms

tracking-number = الرقم الإشاري
subject = الموضوع
body = النص
case-type = نوع المعاملة
filed-by = مقدَّمة من
held-by = لدى
held-since = لديها منذ
assignee = الموظف المكلّف
unassigned = غير مسندة
due-date = الموعد النهائي
overdue = متأخرة
due-soon = يحين موعدها قريبًا
state = الحالة
history = سجل المعاملة
no-history = لا توجد أحداث مسجلة.
messages = المراسلات
internal-notes = الملاحظات الداخلية
internal-notes-hint = لا تظهر الملاحظات الداخلية للبلدية.
internal-note = ملاحظة داخلية
add-message = إضافة رسالة
add-note = إضافة ملاحظة
message = الرسالة
attachments = المرفقات
attach-file = إرفاق ملف
attachment-limits = يجب ألّا يتجاوز حجم الملف { $size } ميغابايت.
download = تنزيل
no-attachments = لا توجد مرفقات.
no-messages = لا توجد رسائل.
department = الإدارة
addressed-to = الجهة المرسل إليها
choose = — اختر —
save-draft = حفظ كمسودة
submit-now = تقديم الآن
new-request-title = طلب جديد
new-memo-title = مذكرة جديدة
continue = متابعة
change-type = تغيير نوع المعاملة
case-fields = البيانات
date-format-hint = يُكتب التاريخ بالصيغة YYYY-MM-DD.
amount-hint = مثال: { $example }
request-filed = تم تقديم الطلب بنجاح، ورقمه الإشاري { $number }.
answer-title = الرد الرسمي
the-answer = نص الرد
reason = السبب
available-actions = الإجراءات المتاحة
no-actions = لا توجد إجراءات متاحة لك على هذه المعاملة.
case-paused = احتساب المدة متوقف مؤقتًا إلى حين ورود رد البلدية.
created-at = تاريخ الإنشاء
updated-at = آخر تحديث
sha256 = بصمة SHA-256
size = الحجم

## Queue and search

queue-title = المعاملات
my-queue = المسندة إليّ
department-queue = معاملات الإدارة
all-cases = جميع المعاملات
filter = تصفية
apply-filter = تطبيق
reset-filter = إلغاء التصفية
any = الكل
municipality = البلدية
date-from = من تاريخ
date-to = إلى تاريخ
sort = الترتيب حسب
sort-updated = آخر تحديث
sort-created = تاريخ الإنشاء
sort-due = الموعد النهائي
order-desc = تنازليًا
order-asc = تصاعديًا
next-page = الصفحة التالية
prev-page = الصفحة السابقة
no-cases = لا توجد معاملات مطابقة.
search-title = البحث في المعاملات
search-placeholder = الرقم الإشاري أو كلمات من الموضوع
search-submit = بحث
cases-count =
    { PLURAL($count) ->
        [zero] لا توجد معاملات
        [one] معاملة واحدة
        [two] معاملتان
        [few] { $count } معاملات
        [many] { $count } معاملةً
       *[other] { $count } معاملة
    }
cases-count-more = أكثر من { $count } معاملة
overdue-only = المتأخرة فقط
due-soon-only = التي يحين موعدها قريبًا فقط

## Dashboard

dashboard-title = لوحة المتابعة
open-cases = المعاملات المفتوحة
overdue-cases = المعاملات المتأخرة
due-soon-cases = معاملات يحين موعدها قريبًا
paused-cases = معاملات بانتظار رد البلدية

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

## Audit log

audit-title = سجل التدقيق
audit-when = الوقت
audit-who = المستخدم
audit-org = الجهة
audit-action = الإجراء
audit-object = العنصر المعني
audit-from-where = المصدر (عنوان IP)
audit-search = البحث في السجل
audit-action-prefix = بداية اسم الإجراء
audit-object-id = معرّف العنصر

## API tokens

tokens-title = رموز الوصول إلى الواجهة البرمجية
token-name = اسم الرمز
token-scopes = الصلاحيات
scope-read = قراءة
scope-write = كتابة
create-token = إنشاء رمز
token-created = تم إنشاء الرمز. يُرجى نسخه الآن، إذ لن يُعرض مرة أخرى.
revoke = إبطال
revoked = مُبطَل

## Administration

admin-title = إدارة المنظومة
users = المستخدمون
new-user = مستخدم جديد
display-name = الاسم الكامل
role = الدور
organization = الجهة
reset-password = إعادة تعيين كلمة المرور
new-password = كلمة المرور الجديدة
create = إنشاء
password-reset-done = تمت إعادة تعيين كلمة المرور.

## Roles

role-admin = مدير المنظومة
role-registry-clerk = موظف الصادر والوارد
role-department-head = مدير إدارة
role-officer = موظف مختص
role-municipal-clerk = موظف البلدية
role-municipal-head = عميد البلدية
role-auditor = مدقق

## API page

api-title = الواجهة البرمجية
api-intro = تتيح الواجهة البرمجية للأنظمة المعتمدة الاطلاع على المعاملات وتقديمها آليًا، باستخدام رمز وصول يُنشأ من صفحة رموز الوصول.
api-openapi-link = وصف الواجهة بصيغة OpenAPI

## Pages: lists, forms and error titles

api-method = الطريقة
api-path = المسار
api-summary = الوصف
api-version = الإصدار
api-operations = العمليات المتاحة
api-no-operations = لا توجد عمليات موثّقة حاليًا.
case-details = بيانات المعاملة
edit-draft = تعديل المسودة
save = حفظ
draft-saved = حُفظت المسودة، ورقمها الإشاري { $number }.
file-name = اسم الملف
attachment-type = نوع الملف
internal-attachment = مرفق داخلي (لا يظهر للبلدية)
system-actor = المنظومة (إجراء آلي)
size-kb = { $size } كيلوبايت
size-mb = { $size } ميغابايت
results = النتائج
no-results = لا توجد نتائج.
search-query = عبارة البحث
first-page = العودة إلى الصفحة الأولى
pagination = التنقل بين الصفحات
quick-filters = عروض سريعة
order = اتجاه الترتيب
date-hint = يُكتب التاريخ بصيغة سنة-شهر-يوم، مثل 2026-03-09، ويُقبل بالأرقام العربية أو الهندية.
total = الإجمالي
by-department = حسب الإدارة
unread = غير مقروء
mark-read = تحديد كمقروء
audit-details = التفاصيل
user-unknown = لا يوجد مستخدم بهذا الاسم.
your-tokens = رموز الوصول الخاصة بك
no-tokens = لا توجد رموز وصول.
token-value = رمز الوصول الجديد
token-expires = تاريخ الانتهاء
token-expires-days = مدة الصلاحية بالأيام
never = دون تاريخ انتهاء
user-created = تم إنشاء الحساب بنجاح.
inactive = موقوف
error-title-not-found = الصفحة غير موجودة
error-title-unauthenticated = يلزم تسجيل الدخول
error-title-forbidden = الإجراء غير مسموح به
error-title-invalid-input = بيانات غير صحيحة
error-title-invalid-transition = الإجراء غير متاح
error-title-conflict = تعارض في التعديل
error-title-invalid-credentials = تعذّر تسجيل الدخول
error-title-too-many-attempts = محاولات كثيرة
error-title-csrf-failed = انتهت صلاحية النموذج
error-title-payload-too-large = حجم البيانات يتجاوز الحد المسموح به
error-title-unsupported-media-type = نوع المحتوى غير مدعوم
error-title-internal = خطأ داخلي
assigned-to-officer = أُسندت إلى موظف مختص

## Reasons reported by the catalogue and organization checks.
prefix-invalid = البادئة يجب أن تتكون من حرفين إلى ستة أحرف لاتينية كبيرة.
time-zone-unknown = المنطقة الزمنية غير معروفة. استخدم اسمًا مثل Africa/Tripoli.
org-kind-unknown = نوع الجهة غير معروف.
clock-unknown = حالة مؤقت الأجل غير معروفة.
workflow-auto-route-invalid = الانتقال الذي يجريه النظام تلقائياً يحتاج إلى الإدارة المحال إليها فقط دون غيرها.
workflow-code-invalid = رموز مسارات العمل والحالات والإجراءات تُكتب بحروف لاتينية صغيرة وأرقام وشرطات سفلية.
workflow-duplicate = يوجد مسار عمل بهذا الرمز من قبل.
workflow-duplicate-state = مسار العمل يحتوي على حالة مكررة.
workflow-initial-state-started = لا يجوز أن يبدأ احتساب الأجل في الحالة الأولى لمسار العمل.
workflow-no-filing-move = يحتاج مسار العمل إلى انتقال يقدّم به مقدّم الطلب المسودة ويبدأ به احتساب الأجل.
workflow-terminated-state-open = لا يجوز أن يستمر احتساب الأجل في حالة تنتهي فيها المعاملة.
workflow-transition-incomplete = كل انتقال في مسار العمل يحتاج إلى حالة مصدر ودور واحد على الأقل.
workflow-transition-to-initial = لا يجوز الرجوع إلى الحالة الأولى لمسار العمل.
workflow-unknown-state = مسار العمل يشير إلى حالة غير معرّفة.

nav-password = كلمة المرور
password-title = تغيير كلمة المرور
current-password = كلمة المرور الحالية
confirm-password = كلمة المرور الجديدة مرة أخرى
change-password = تغيير كلمة المرور
password-rules = ١٢ حرفًا على الأقل. العبارة المكوّنة من عدة كلمات سهلة التذكّر وصعبة التخمين، وتُرفض كلمات المرور الشائعة.
password-changed = تم تغيير كلمة المرور، وأُنهيت جلساتك الأخرى.
password-mismatch = كلمتا المرور الجديدتان غير متطابقتين.
