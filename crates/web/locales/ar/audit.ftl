# Diwan — Audit: the audit trail.
# Keep the ids in step with the same file of the other languages; a unit test compares them.
# Plurals: select on PLURAL($count), not on $count (see shared.ftl).

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
audit-details = التفاصيل
user-unknown = لا يوجد مستخدم بهذا الاسم.
