# Diwan — Shared: the application, navigation, common words, and the closed sets every capability uses (error codes, reasons a field is refused).
# Diwan — Arabic messages (the primary language and the fallback for all
# lookups). Formal Modern Standard Arabic as used in Libyan administrative
# correspondence. Keep the ids of each file in step with the same file of
# the other languages; a unit test compares them.
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
error-busy = الخادم مشغول الآن بعمل كثير. يُرجى المحاولة بعد لحظات.
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

## API page
api-title = الواجهة البرمجية
api-intro = تتيح الواجهة البرمجية للأنظمة المعتمدة الاطلاع على المعاملات وتقديمها آليًا، باستخدام رمز وصول يُنشأ من صفحة رموز الوصول.
api-openapi-link = وصف الواجهة بصيغة OpenAPI
api-method = الطريقة
api-path = المسار
api-summary = الوصف
api-version = الإصدار
api-operations = العمليات المتاحة
api-no-operations = لا توجد عمليات موثّقة حاليًا.
pagination = التنقل بين الصفحات
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
