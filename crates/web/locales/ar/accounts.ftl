# Diwan — Accounts: sign-in, API tokens, administration of accounts, roles.
# Keep the ids in step with the same file of the other languages; a unit test compares them.
# Plurals: select on PLURAL($count), not on $count (see shared.ftl).

## Sign-in page
sign-in-title = تسجيل الدخول إلى ديوان
username = اسم المستخدم
password = كلمة المرور
sign-in-submit = دخول
signed-out = تم تسجيل خروجك بنجاح.

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
role-inquiry-manager = مدير الاستعلامات
role-call-centre-agent = موظف مركز الاتصال 1415
your-tokens = رموز الوصول الخاصة بك
no-tokens = لا توجد رموز وصول.
token-value = رمز الوصول الجديد
token-expires = تاريخ الانتهاء
token-expires-days = مدة الصلاحية بالأيام
never = دون تاريخ انتهاء
user-created = تم إنشاء الحساب بنجاح.
inactive = موقوف
