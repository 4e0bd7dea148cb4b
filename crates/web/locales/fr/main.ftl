# Diwan — French messages. Keep the ids in step with ar/main.ftl (the
# primary language) and en/main.ftl; a unit test compares them. French
# punctuation uses a no-break space before « : ».

## Application and navigation

app-name = Diwan
app-tagline = Courrier et suivi des dossiers entre le ministère et les municipalités
skip-to-content = Aller au contenu principal
nav-label = Navigation principale
nav-home = Accueil
nav-queue = Dossiers
nav-new-request = Nouvelle demande
nav-new-memo = Nouvelle note
nav-search = Recherche
nav-notifications = Notifications
nav-dashboard = Tableau de bord
nav-audit = Journal d’audit
nav-admin = Administration
nav-tokens = Jetons d’accès
nav-api = API
sign-in = Se connecter
sign-out = Se déconnecter
language = Langue
lang-ar = العربية
lang-en = English
lang-fr = Français
lang-switch = Changer
signed-in-as = Connecté·e en tant que { $name }
acting-for = Pour le compte de { $org }
footer-note = Les dates et heures sont affichées dans le fuseau horaire de votre organisme.
footer-license = Logiciel libre, distribué sous licence publique générale GNU Affero, version 3 ou ultérieure.
home-title = Accueil
welcome = Bienvenue, { $name }

## Common words

back = Retour
cancel = Annuler
confirm = Confirmer
close = Fermer
yes = Oui
no = Non
required = obligatoire
optional = facultatif
saved = Les modifications ont été enregistrées.
form-errors = Le formulaire n’a pas pu être enregistré. Veuillez corriger les champs signalés ci-dessous.

## Sign-in page

sign-in-title = Connexion à Diwan
username = Identifiant
password = Mot de passe
sign-in-submit = Se connecter
signed-out = Vous avez été déconnecté·e.

## Errors, one per stable error code

error-page-title = L’opération n’a pas pu aboutir
error-back = Retour à l’accueil
error-not-found = La page ou le dossier demandé n’existe pas.
error-unauthenticated = Veuillez vous connecter pour continuer.
error-forbidden = Vous n’êtes pas autorisé·e à effectuer cette action.
error-invalid-input = Certaines informations saisies ne sont pas valides. Veuillez vérifier les champs signalés.
error-invalid-transition = Cette action n’est pas possible dans l’état actuel du dossier.
error-conflict = Ce dossier a été modifié entre-temps par une autre personne. Veuillez recharger la page et réessayer.
error-invalid-credentials = Identifiant ou mot de passe incorrect.
error-too-many-attempts = Trop de tentatives de connexion infructueuses depuis votre adresse. Veuillez patienter quelques minutes avant de réessayer.
error-csrf-failed = Le formulaire a expiré ou n’a pas pu être vérifié. Veuillez recharger la page et réessayer.
error-payload-too-large = Les données envoyées dépassent la taille autorisée.
error-unsupported-media-type = Le type de contenu envoyé n’est pas pris en charge.
error-internal = Une erreur interne s’est produite. Veuillez réessayer plus tard ; si le problème persiste, contactez le support technique.

## Reasons shown next to a form field

field-required = Ce champ est obligatoire.
field-too-long = Cette valeur est trop longue.
field-too-short = Cette valeur est trop courte.
field-invalid = Cette valeur n’est pas valide.
date-invalid = Cette date n’est pas valide.
tracking-number-invalid = Ce numéro de référence n’est pas valide.
password-too-short = Le mot de passe est trop court : au moins 12 caractères.
password-too-common = Ce mot de passe est trop courant ou trop facile à deviner. Choisissez une phrase plus longue que d’autres ne devineraient pas.
password-current-wrong = Le mot de passe actuel est incorrect.
password-same = Le nouveau mot de passe doit être différent de l’actuel.
department-required = Veuillez choisir une direction.
assignee-required = Veuillez choisir l’agent chargé du dossier.
message-required = Veuillez saisir un message.
case-type-unknown = Type de dossier inconnu.
amount-invalid = Ce montant n’est pas valide. Saisissez un nombre positif sans plus de décimales que la devise n’en admet.
field-unknown = Ce champ n’appartient pas à ce type de dossier.
department-unknown = La direction choisie n’existe pas.
assignee-unknown = L’agent choisi n’existe pas ou n’appartient pas à cette direction.
file-too-large = Le fichier dépasse la taille autorisée.
file-type-not-allowed = Ce type de fichier n’est pas autorisé.
file-empty = Le fichier joint est vide.
role-unknown = Rôle inconnu.
username-taken = Cet identifiant est déjà utilisé.
move-not-available = Cette action n’est pas possible sur le dossier dans son état actuel.
body-malformed = Les données envoyées n’ont pas pu être lues.
query-malformed = Les paramètres de la requête n’ont pas pu être lus.

## Case states

state-draft = Brouillon
state-submitted = Déposé
state-routed = Orienté
state-assigned = Attribué
state-info-requested = Complément demandé
state-answered = Réponse donnée
state-rejected = Rejeté
state-withdrawn = Retiré
state-closed = Clos

## Actions (button labels)

action-submit = Déposer
action-send = Envoyer
action-route = Orienter vers une direction
action-assign = Attribuer à un agent
action-request-info = Demander un complément
action-reply = Répondre
action-forward = Transmettre
action-answer = Émettre la réponse
action-reject = Rejeter
action-withdraw = Retirer
action-acknowledge = Accuser réception

## Case kinds

kind = Nature
kind-request = Demande
kind-memo = Note

## Case page and forms

tracking-number = Numéro de référence
subject = Objet
body = Texte
case-type = Type de dossier
filed-by = Déposé par
held-by = Détenu par
held-since = Détenu depuis
assignee = Agent chargé
unassigned = Non attribué
due-date = Échéance
overdue = En retard
due-soon = Échéance proche
state = État
history = Historique
no-history = Aucun événement enregistré.
messages = Correspondance
internal-notes = Notes internes
internal-notes-hint = Les notes internes ne sont pas visibles par la municipalité.
internal-note = Note interne
add-message = Ajouter un message
add-note = Ajouter une note
message = Message
attachments = Pièces jointes
attach-file = Joindre un fichier
attachment-limits = Chaque fichier peut atteindre { $size } Mo.
download = Télécharger
no-attachments = Aucune pièce jointe.
no-messages = Aucun message.
department = Direction
addressed-to = Destinataire
choose = — Choisir —
save-draft = Enregistrer comme brouillon
submit-now = Déposer maintenant
new-request-title = Nouvelle demande
new-memo-title = Nouvelle note
continue = Continuer
change-type = Changer de type de dossier
case-fields = Données
date-format-hint = Format : AAAA-MM-JJ, par exemple 2026-11-21.
amount-hint = Par exemple : { $example }
request-filed = Votre demande a été déposée sous le numéro de référence { $number }.
answer-title = Réponse officielle
the-answer = Texte de la réponse
reason = Motif
available-actions = Actions possibles
no-actions = Aucune action ne vous est possible sur ce dossier pour le moment.
case-paused = Le délai est suspendu dans l’attente de la municipalité.
created-at = Créé le
updated-at = Dernière mise à jour
sha256 = Empreinte SHA-256
size = Taille

## Queue and search

queue-title = Dossiers
my-queue = Qui me sont attribués
department-queue = Ma direction
all-cases = Tous les dossiers
filter = Filtrer
apply-filter = Appliquer
reset-filter = Effacer les filtres
any = Tous
municipality = Municipalité
date-from = Du
date-to = Au
sort = Trier par
sort-updated = Dernière mise à jour
sort-created = Date de création
sort-due = Échéance
order-desc = Plus récents d’abord
order-asc = Plus anciens d’abord
next-page = Page suivante
prev-page = Page précédente
no-cases = Aucun dossier ne correspond.
search-title = Rechercher des dossiers
search-placeholder = Numéro de référence ou mots de l’objet
search-submit = Rechercher
cases-count =
    { $count ->
        [0] Aucun dossier
        [one] { $count } dossier
       *[other] { $count } dossiers
    }
cases-count-more = Plus de { $count } dossiers
overdue-only = En retard uniquement
due-soon-only = Échéance proche uniquement

## Dashboard

dashboard-title = Tableau de bord
open-cases = Dossiers ouverts
overdue-cases = Dossiers en retard
due-soon-cases = Dossiers à échéance proche
paused-cases = Dossiers en attente de la municipalité

## Notifications

notifications-title = Notifications
no-notifications = Aucune notification.
mark-all-read = Tout marquer comme lu
unread-count =
    { $count ->
        [0] Aucune notification non lue
        [one] { $count } notification non lue
       *[other] { $count } notifications non lues
    }
notification-assigned = Le dossier { $number } vous a été attribué.
notification-routed = Le dossier { $number } a été orienté vers votre direction.
notification-reply-received = La municipalité a répondu dans le dossier { $number }.
notification-message-received = Nouveau message dans le dossier { $number }.
notification-overdue = Le dossier { $number } a dépassé son échéance.
notification-info-requested = Le ministère demande un complément d’information dans le dossier { $number }.
notification-answered = La réponse officielle au dossier { $number } a été émise.
notification-rejected = Le dossier { $number } a été rejeté.

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

## API page

api-title = API
api-intro = L’API permet aux systèmes autorisés de consulter et de déposer des dossiers automatiquement, au moyen d’un jeton d’accès créé sur la page des jetons d’accès.
api-openapi-link = Description OpenAPI de l’API

## Pages : listes, formulaires et titres d’erreur

api-method = Méthode
api-path = Chemin
api-summary = Résumé
api-version = version
api-operations = Opérations
api-no-operations = Aucune opération n’est encore documentée.
case-details = Détails
edit-draft = Modifier le brouillon
save = Enregistrer
draft-saved = Le brouillon a été enregistré. Son numéro de suivi est { $number }.
file-name = Nom du fichier
attachment-type = Type de fichier
internal-attachment = Pièce jointe interne (invisible pour la municipalité)
system-actor = Système (automatique)
size-kb = { $size } Ko
size-mb = { $size } Mo
results = Résultats
no-results = Aucun résultat.
search-query = Rechercher
first-page = Retour à la première page
pagination = Pagination
quick-filters = Vues rapides
order = Ordre
date-hint = Saisissez les dates sous la forme année-mois-jour, par exemple 2026-03-09.
total = Total
by-department = Par direction
unread = Non lue
mark-read = Marquer comme lue
audit-details = Détails
user-unknown = Aucun utilisateur ne porte cet identifiant.
your-tokens = Vos jetons
no-tokens = Vous n’avez aucun jeton d’accès.
token-value = Votre nouveau jeton
token-expires = Expiration
token-expires-days = Durée de validité (jours)
never = Jamais
user-created = Le compte a été créé.
inactive = Désactivé
error-title-not-found = Page introuvable
error-title-unauthenticated = Connexion requise
error-title-forbidden = Action non autorisée
error-title-invalid-input = Données non valides
error-title-invalid-transition = Action indisponible
error-title-conflict = Modification concurrente
error-title-invalid-credentials = Échec de la connexion
error-title-too-many-attempts = Trop de tentatives
error-title-csrf-failed = Formulaire expiré
error-title-payload-too-large = Données trop volumineuses
error-title-unsupported-media-type = Contenu non pris en charge
error-title-internal = Erreur interne
assigned-to-officer = Confié à un agent

## Reasons reported by the catalogue and organization checks.
prefix-invalid = Le préfixe doit compter de deux à six lettres latines majuscules.
time-zone-unknown = Fuseau horaire inconnu. Utilisez un nom comme Africa/Tripoli.
org-kind-unknown = Type d’organisation inconnu.
clock-unknown = État du délai inconnu.
workflow-auto-route-invalid = Une transition faite automatiquement exige une direction destinataire, et rien d’autre.
workflow-code-invalid = Les codes des circuits, des états et des actions s’écrivent en lettres latines minuscules, chiffres et tirets bas.
workflow-duplicate = Un circuit portant ce code existe déjà.
workflow-duplicate-state = Le circuit contient un état en double.
workflow-initial-state-started = Le délai ne peut pas courir dans le premier état du circuit.
workflow-no-filing-move = Le circuit doit permettre au déposant de déposer un brouillon et de faire courir le délai.
workflow-terminated-state-open = Un état où le dossier prend fin ne peut pas laisser courir le délai.
workflow-transition-incomplete = Chaque transition du circuit exige un état de départ et au moins un rôle.
workflow-transition-to-initial = Aucune transition ne peut ramener au premier état du circuit.
workflow-unknown-state = Le circuit fait référence à un état qu’il ne définit pas.

nav-password = Mot de passe
password-title = Changer votre mot de passe
current-password = Mot de passe actuel
confirm-password = Nouveau mot de passe, à nouveau
change-password = Changer le mot de passe
password-rules = Au moins 12 caractères. Une phrase de plusieurs mots se retient facilement et se devine mal ; les mots de passe courants sont refusés.
password-changed = Votre mot de passe a été changé. Vos autres sessions ont été fermées.
password-mismatch = Les deux nouveaux mots de passe ne sont pas identiques.
