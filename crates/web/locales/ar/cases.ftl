# Diwan — Cases: states, actions and kinds of the workflows, the case page, filing, queues, search and the dashboard.
# Keep the ids in step with the same file of the other languages; a unit test compares them.
# Plurals: select on PLURAL($count), not on $count (see shared.ftl).

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
quick-filters = عروض سريعة
order = اتجاه الترتيب
date-hint = يُكتب التاريخ بصيغة سنة-شهر-يوم، مثل 2026-03-09، ويُقبل بالأرقام العربية أو الهندية.
total = الإجمالي
by-department = حسب الإدارة
assigned-to-officer = أُسندت إلى موظف مختص
