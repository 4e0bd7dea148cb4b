# Messagerie : la file d'envoi, les SMS groupés, la remise.
nav-messages = Messages
messages-title = Messages
messages-no-gateway = Aucune passerelle SMS n'est encore configurée : les messages attendent dans la file jusqu'à ce qu'elle le soit.
messages-compose = Nouveau message groupé
messages-counts = Messages par état
messages-count = Nombre
messages-batches = Envois récents
messages-recipients =
    { $count ->
        [one] un destinataire
       *[other] { $count } destinataires
    }
messages-outbox = File d'envoi
messages-any-state = Tous les états
messages-filter = Afficher
messages-none = Aucun message.
messages-more = Messages plus anciens
message-title = Message
message-channel = Canal
message-state = État
message-recipient = Destinataire
message-kind = Type
message-parts = Parties
message-created = Créé
message-error = Motif
message-subject = Objet
message-text = Texte
message-encoding = Codage
message-characters =
    { $count ->
        [one] un caractère
       *[other] { $count } caractères
    }
message-parts-count =
    { $count ->
        [one] une partie
       *[other] { $count } parties
    }
message-attempts = Tentatives
message-next-attempt = Prochaine tentative
message-sent = Envoyé
message-delivered = Remis
message-expires = Expire
message-batch = Envoi
channel-sms = SMS
channel-email = Courriel
message-kind-transactional = Transactionnel
message-kind-bulk = Groupé
message-state-queued = En attente
message-state-sending = En cours d'envoi
message-state-sent = Envoyé
message-state-delivered = Remis
message-state-failed = Échoué
message-state-expired = Expiré
encoding-gsm7 = GSM-7 (alphabet latin)
encoding-ucs2 = UCS-2 (arabe et autres écritures)
batch-title = Envoi de messages
batch-recipients = Destinataires
batch-progress = Avancement
batch-done = { $done } sur { $total } traités
batch-refreshing = Cette page se met à jour toutes les cinq secondes tant que des messages sont en route.
compose-text-hint = L'arabe est envoyé en UCS-2 : 70 caractères pour un message seul, 67 par partie d'un message long. Dix parties au plus.
compose-audience = Destinataires
compose-audience-hint = Les habitants des municipalités choisies qui ont un numéro de mobile et n'ont pas refusé les messages groupés ; toutes les personnes inscrites si aucune n'est choisie.
compose-own-residents = Le message va aux habitants de votre municipalité qui ont un numéro de mobile et n'ont pas refusé les messages groupés.
compose-preview = Avant l'envoi
compose-characters = Caractères
compose-units =
    { $count ->
        [one] une unité
       *[other] { $count } unités
    }
compose-parts = Parties par message
compose-total-parts = Total des parties
compose-cost = Coût
compose-price = prix de la partie
currency-lyd = LYD
compose-do-preview = Calculer avant l'envoi
compose-do-send = Envoyer
channel-unknown = Le canal n'est pas connu.
kind-unknown = Le type de message n'est pas connu.
kind-not-allowed = Seuls les administrateurs et le système envoient des messages transactionnels.
mobile-not-libyan = Les messages ne partent que vers des numéros mobiles libyens.
audience-not-own = Vous ne pouvez écrire qu'aux habitants de votre municipalité.
template-placeholder-invalid = Un champ variable est un nom en lettres latines minuscules, chiffres et _ entre accolades, comme {"{"}code{"}"} ; écrivez {"{{"} pour une accolade.
template-placeholders-differ = Chaque langue doit utiliser les mêmes champs variables que le texte arabe.
template-placeholder-unknown = Le modèle n'a pas ce champ variable.
template-name-taken = Un autre modèle porte ce nom.
template-unknown = Ce modèle n'existe pas.
templates-title = Modèles de messages
templates-intro = Un modèle s'écrit une fois par langue ; chaque personne reçoit le texte de sa langue préférée, l'arabe si la sienne n'est pas écrite.
templates-none = Aucun modèle pour l'instant.
template-new = Nouveau modèle
template-edit = Modifier le modèle
template-name = Nom
template-languages = Langues
template-placeholders = Champs variables
template-placeholders-hint = Écrivez un champ variable comme un nom entre accolades, par exemple {"{"}code{"}"} ; chaque langue utilise les mêmes.
template-text-ar = Texte arabe
template-text-en = Texte anglais (facultatif)
template-text-fr = Texte français (facultatif)
template-samples = Valeurs d'exemple
template-samples-hint = Une par ligne, sous la forme nom = valeur ; l'aperçu les utilise.
template-characters = { $count } caractères
template-parts = { $count ->
    [one] une partie
   *[other] { $count } parties
}
template-do-save = Enregistrer le modèle
template-saved = Le modèle a été enregistré.
compose-template = Modèle
compose-no-template = Aucun : le texte ci-dessous
compose-values = Valeurs des champs variables
compose-values-hint = Une par ligne, sous la forme nom = valeur.
compose-by-language = Destinataires par langue
