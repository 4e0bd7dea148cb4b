# Diwan — Cases: states, actions and kinds of the workflows, the case page, filing, queues, search and the dashboard.
# Keep the ids in step with the same file of the other languages; a unit test compares them.

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
quick-filters = Vues rapides
order = Ordre
date-hint = Saisissez les dates sous la forme année-mois-jour, par exemple 2026-03-09.
total = Total
by-department = Par direction
assigned-to-officer = Confié à un agent
