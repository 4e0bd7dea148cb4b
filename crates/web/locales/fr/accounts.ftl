# Diwan — Accounts: sign-in, API tokens, administration of accounts, roles.
# Keep the ids in step with the same file of the other languages; a unit test compares them.

## Sign-in page
sign-in-title = Connexion à Diwan
username = Identifiant
password = Mot de passe
sign-in-submit = Se connecter
signed-out = Vous avez été déconnecté·e.

## API tokens
tokens-title = Jetons d’accès à l’API
token-name = Nom du jeton
token-scopes = Autorisations
scope-read = Lecture
scope-write = Écriture
create-token = Créer un jeton
token-created = Le jeton a été créé. Copiez-le maintenant : il ne sera plus affiché.
revoke = Révoquer
revoked = Révoqué

## Administration
admin-title = Administration
users = Utilisateurs
new-user = Nouvel utilisateur
display-name = Nom complet
role = Rôle
organization = Organisme
reset-password = Réinitialiser le mot de passe
new-password = Nouveau mot de passe
create = Créer
password-reset-done = Le mot de passe a été réinitialisé.

## Roles
role-admin = Administrateur du système
role-registry-clerk = Agent du bureau d’ordre
role-department-head = Directeur
role-officer = Agent chargé des dossiers
role-municipal-clerk = Agent municipal
role-municipal-head = Maire
role-auditor = Auditeur
role-inquiry-manager = Responsable d’enquêtes
role-call-centre-agent = Agent du centre d’appels 1415
your-tokens = Vos jetons
no-tokens = Vous n’avez aucun jeton d’accès.
token-value = Votre nouveau jeton
token-expires = Expiration
token-expires-days = Durée de validité (jours)
never = Jamais
user-created = Le compte a été créé.
inactive = Désactivé
