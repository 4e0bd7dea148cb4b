# Diwan — Audit: the audit trail.
# Keep the ids in step with the same file of the other languages; a unit test compares them.

## Audit log
audit-title = Journal d’audit
audit-when = Date
audit-who = Auteur
audit-org = Organisme
audit-action = Action
audit-object = Objet concerné
audit-from-where = Provenance (adresse IP)
audit-search = Rechercher dans le journal
audit-action-prefix = Action commençant par
audit-object-id = Identifiant de l’objet
audit-details = Détails
user-unknown = Aucun utilisateur ne porte cet identifiant.
