# Diwan — Shared: the application, navigation, common words, and the closed sets every capability uses (error codes, reasons a field is refused).
# Diwan — French messages. Keep the ids in step with ar/shared.ftl (the
# primary language) and en/shared.ftl; a unit test compares them. French
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
error-busy = Le serveur est occupé par plus de travail qu’il n’en accepte à la fois. Veuillez réessayer dans un instant.
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

## API page
api-title = API
api-intro = L’API permet aux systèmes autorisés de consulter et de déposer des dossiers automatiquement, au moyen d’un jeton d’accès créé sur la page des jetons d’accès.
api-openapi-link = Description OpenAPI de l’API
api-method = Méthode
api-path = Chemin
api-summary = Résumé
api-version = version
api-operations = Opérations
api-no-operations = Aucune opération n’est encore documentée.
pagination = Pagination
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
