"""French of publishing: what the connectors (hub/publishing/connectors/) and the scheduler
(hub/publishing/service.py) say when a post could not go out. These texts are stored in English in
`Publication.error` and an account's `status_detail`, and translated when shown
(`hub.i18n.translate_message`). `{detail}` is the network's own words, left as they are."""

MESSAGES: dict[str, str] = {
    # ------------------------------------------------------------ the scheduler (hub/publishing/service.py)
    "Gave up after {attempt} attempts: {error}": "Abandon après {attempt} tentatives : {error}",
    "The worker stopped while publishing; checking the account.": "Le worker s'est arrêté pendant la publication ; vérification du compte en cours.",

    # ------------------------------------------------------------ every network (base.py, http.py)
    "{network} accounts cannot be connected through OAuth.": "Les comptes {network} ne peuvent pas être connectés par OAuth.",
    "{network} could not be reached ({detail}); nothing was sent.": "{network} est injoignable ({detail}) ; rien n'a été envoyé.",
    "{network} did not answer ({detail}) after the post was sent; checking the account.": "{network} n'a pas répondu ({detail}) après l'envoi de la publication ; vérification du compte en cours.",
    "{network} did not answer ({detail}); trying again later.": "{network} n'a pas répondu ({detail}) ; nouvel essai plus tard.",

    # ------------------------------------------------------------ Facebook and Instagram (Graph API errors)
    "{network}: this app made too many calls ({detail}).": "{network} : cette application a fait trop d'appels ({detail}).",
    "{network}: too many calls for this account ({detail}).": "{network} : trop d'appels pour ce compte ({detail}).",
    "{network} access was withdrawn (the app was removed or the password changed): reconnect the account.": "L'accès à {network} a été retiré (application supprimée ou mot de passe changé) : reconnectez le compte.",
    "{network} access has expired or is no longer valid: reconnect the account.": "L'accès à {network} a expiré ou n'est plus valide : reconnectez le compte.",
    "{network} refused for lack of a permission ({detail}): reconnect the account and grant every permission asked.": "{network} a refusé faute d'autorisation ({detail}) : reconnectez le compte en accordant toutes les autorisations demandées.",
    "{network} failed with HTTP {status} after the post was sent; checking the account.": "{network} a échoué (HTTP {status}) après l'envoi de la publication ; vérification du compte en cours.",
    "{network} failed with HTTP {status}; retrying later.": "{network} a échoué (HTTP {status}) ; nouvel essai plus tard.",
    "{network} had a temporary problem ({detail}); retrying later.": "{network} a un problème passager ({detail}) ; nouvel essai plus tard.",
    "{network} refused: {detail}. Fix what it says, then reschedule.": "{network} a refusé : {detail}. Corrigez ce qui est indiqué, puis reprogrammez.",

    # ------------------------------------------------------------ Facebook
    "Facebook answered without a post id; checking the Page.": "Facebook a répondu sans identifiant de publication ; vérification de la Page en cours.",
    "Facebook refused a duplicate of a recent post on this Page: change the text, then reschedule.": "Facebook refuse le doublon d'une publication récente de cette Page : modifiez le texte, puis reprogrammez.",
    "Facebook has temporarily blocked this Page from posting (policy): check the Page's quality in Meta Business Suite, then reschedule.": "Facebook empêche temporairement cette Page de publier (règles) : vérifiez la qualité de la Page dans Meta Business Suite, puis reprogrammez.",
    "Facebook could not read the link in the text: check that it opens, then reschedule.": "Facebook n'a pas pu lire le lien du texte : vérifiez qu'il s'ouvre, puis reprogrammez.",
    "Facebook did not accept the connection ({detail}): connect the account again.": "Facebook n'a pas accepté la connexion ({detail}) : connectez de nouveau le compte.",
    "Facebook did not extend the connection ({detail}): connect the account again.": "Facebook n'a pas prolongé la connexion ({detail}) : connectez de nouveau le compte.",

    # ------------------------------------------------------------ Instagram
    "Instagram needs an image: add one to the post.": "Instagram exige une image : ajoutez-en une à la publication.",
    "Instagram could not prepare the image ({detail}); retrying with a new upload.": "Instagram n'a pas pu préparer l'image ({detail}) ; nouvel essai avec un nouvel envoi.",
    "Instagram could not prepare the image; retrying with a new upload.": "Instagram n'a pas pu préparer l'image ; nouvel essai avec un nouvel envoi.",
    "Instagram says this post's container is already published; checking the account.": "Instagram indique que le conteneur de cette publication est déjà publié ; vérification du compte en cours.",
    "Instagram is still preparing the image; the next attempt resumes it.": "Instagram prépare encore l'image ; la prochaine tentative reprendra là.",
    "Instagram answered without a media id; checking the account.": "Instagram a répondu sans identifiant de média ; vérification du compte en cours.",
    "Instagram allows a limited number of posts per account a day; waiting for a slot.": "Instagram limite le nombre de publications par compte et par jour ; attente d'un créneau.",
    "Instagram's upload expired before publishing; retrying with a new upload.": "L'envoi à Instagram a expiré avant la publication ; nouvel essai avec un nouvel envoi.",
    "Instagram blocked this action as suspected spam: open the Instagram app, check the account's status, then reschedule.": "Instagram a bloqué cette action comme spam présumé : ouvrez l'application Instagram, vérifiez l'état du compte, puis reprogrammez.",
    "Instagram published this post but does not list it yet; checking again later.": "Instagram a publié cette publication mais ne la liste pas encore ; nouvelle vérification plus tard.",
    "Instagram failed with HTTP {status} while renewing the access; trying again later.": "Instagram a échoué (HTTP {status}) en renouvelant l'accès ; nouvel essai plus tard.",
    "Instagram did not renew the account's access: reconnect the account.": "Instagram n'a pas renouvelé l'accès au compte : reconnectez le compte.",
    "Instagram did not accept the connection ({detail}): connect the account again.": "Instagram n'a pas accepté la connexion ({detail}) : connectez de nouveau le compte.",
    "Instagram did not extend the connection ({detail}): connect the account again.": "Instagram n'a pas prolongé la connexion ({detail}) : connectez de nouveau le compte.",

    # ------------------------------------------------------------ LinkedIn
    "LinkedIn throttled the request: {detail}. Pieuvre tries again after the wait.": "LinkedIn a limité la requête : {detail}. Pieuvre réessaiera après le délai.",
    "LinkedIn access was revoked by the member: reconnect the LinkedIn page.": "Le membre a révoqué l'accès à LinkedIn : reconnectez la page LinkedIn.",
    "The LinkedIn token has expired or is invalid: reconnect the LinkedIn page.": "Le jeton LinkedIn a expiré ou n'est pas valide : reconnectez la page LinkedIn.",
    "LinkedIn refused for lack of permission ({detail}): reconnect with an administrator or content admin of the page, granting every requested permission.": "LinkedIn a refusé faute d'autorisation ({detail}) : reconnectez-vous avec un administrateur ou un administrateur de contenu de la page, en accordant toutes les autorisations demandées.",
    "LinkedIn no longer serves API version {version} ({detail}): set PIEUVRE_LINKEDIN_VERSION to a current YYYYMM version.": "LinkedIn ne sert plus la version d'API {version} ({detail}) : réglez PIEUVRE_LINKEDIN_VERSION sur une version YYYYMM actuelle.",
    "LinkedIn answered HTTP {status} while the post was being sent; checking the page before resending.": "LinkedIn a répondu HTTP {status} pendant l'envoi de la publication ; vérification de la page avant tout renvoi.",
    "LinkedIn answered HTTP {status}; nothing was created, trying again later.": "LinkedIn a répondu HTTP {status} ; rien n'a été créé, nouvel essai plus tard.",
    "LinkedIn refused the image: {detail} (HTTP {status}). Use another image, then publish again.": "LinkedIn a refusé l'image : {detail} (HTTP {status}). Utilisez une autre image, puis publiez de nouveau.",
    "LinkedIn refused to read the page: {detail} (HTTP {status}). Check that the page still exists, or reconnect it.": "LinkedIn a refusé la lecture de la page : {detail} (HTTP {status}). Vérifiez que la page existe encore, ou reconnectez-la.",
    "LinkedIn refused to list your organizations: {detail} (HTTP {status}). Start connecting again.": "LinkedIn a refusé de lister vos organisations : {detail} (HTTP {status}). Recommencez la connexion.",
    "LinkedIn refused the post: {detail} (HTTP {status}). Fix the post or the page's settings, then publish again.": "LinkedIn a refusé la publication : {detail} (HTTP {status}). Corrigez la publication ou les réglages de la page, puis publiez de nouveau.",
    "LinkedIn refuses a post identical to one already on this page: change the text.": "LinkedIn refuse une publication identique à une autre déjà sur cette page : modifiez le texte.",
    "LinkedIn accepted the post without saying its id; checking the page.": "LinkedIn a accepté la publication sans donner son identifiant ; vérification de la page en cours.",
    "LinkedIn no longer has the image; it will be uploaded again on the next attempt.": "LinkedIn n'a plus l'image ; elle sera renvoyée à la prochaine tentative.",
    "LinkedIn could not process the image ({detail}); it will be uploaded again on the next attempt.": "LinkedIn n'a pas pu traiter l'image ({detail}) ; elle sera renvoyée à la prochaine tentative.",
    "LinkedIn is still processing the image; trying again shortly.": "LinkedIn traite encore l'image ; nouvel essai dans un instant.",
    "LinkedIn's image upload answer lacked the upload URL or the image id.": "La réponse de LinkedIn à l'envoi de l'image ne contenait pas l'URL d'envoi ou l'identifiant de l'image.",
    "LinkedIn's token service answered HTTP {status}; trying again later.": "Le service de jetons de LinkedIn a répondu HTTP {status} ; nouvel essai plus tard.",
    "LinkedIn throttled the token request.": "LinkedIn a limité la demande de jeton.",
    "LinkedIn refused to renew the access ({detail}): reconnect the LinkedIn page (LinkedIn asks the member to consent again every year).": "LinkedIn a refusé de renouveler l'accès ({detail}) : reconnectez la page LinkedIn (LinkedIn demande au membre de consentir de nouveau chaque année).",
    "LinkedIn refused the connection ({detail}): start connecting again.": "LinkedIn a refusé la connexion ({detail}) : recommencez la connexion.",

    # ------------------------------------------------------------ X
    "X rate limit reached; Pieuvre tries again when it resets.": "Limite d'appels X atteinte ; Pieuvre réessaiera à sa réinitialisation.",
    "The X token has expired or was revoked: reconnect the X account.": "Le jeton X a expiré ou a été révoqué : reconnectez le compte X.",
    "X counts this text as longer than 280 characters (links count 23, emoji and CJK characters 2): shorten it.": "Pour X, ce texte dépasse 280 caractères (un lien compte pour 23, un emoji ou un caractère CJK pour 2) : raccourcissez-le.",
    "X refused for lack of permission ({detail}): reconnect the X account and grant every requested permission.": "X a refusé faute d'autorisation ({detail}) : reconnectez le compte X en accordant toutes les autorisations demandées.",
    "X answered HTTP {status} while the post was being sent; checking the account before resending.": "X a répondu HTTP {status} pendant l'envoi de la publication ; vérification du compte avant tout renvoi.",
    "X answered HTTP {status}; nothing was created, trying again later.": "X a répondu HTTP {status} ; rien n'a été créé, nouvel essai plus tard.",
    "X refused the image: {detail} (HTTP {status}). Use another image, then publish again.": "X a refusé l'image : {detail} (HTTP {status}). Utilisez une autre image, puis publiez de nouveau.",
    "X refused to read the account: {detail} (HTTP {status}). Reconnect the X account if this lasts.": "X a refusé la lecture du compte : {detail} (HTTP {status}). Reconnectez le compte X si cela persiste.",
    "X refused to show your account: {detail} (HTTP {status}). Start connecting again.": "X a refusé d'afficher votre compte : {detail} (HTTP {status}). Recommencez la connexion.",
    "X refused the post: {detail} (HTTP {status}). Fix the post or the account, then publish again.": "X a refusé la publication : {detail} (HTTP {status}). Corrigez la publication ou le compte, puis publiez de nouveau.",
    "X refuses a post identical to a recent one on this account: change the text.": "X refuse une publication identique à une publication récente de ce compte : modifiez le texte.",
    "X accepted the post without saying its id; checking the account.": "X a accepté la publication sans donner son identifiant ; vérification du compte en cours.",
    "X takes images up to 5 MB; this one is {size} MB: use a smaller image.": "X accepte les images jusqu'à 5 Mo ; celle-ci fait {size} Mo : utilisez une image plus légère.",
    "X's media upload answer lacked the media id.": "La réponse de X à l'envoi du média ne contenait pas l'identifiant du média.",
    "X's token service answered HTTP {status}; trying again later.": "Le service de jetons de X a répondu HTTP {status} ; nouvel essai plus tard.",
    "X throttled the token request.": "X a limité la demande de jeton.",
    "X refused to renew the access ({detail}): reconnect the X account.": "X a refusé de renouveler l'accès ({detail}) : reconnectez le compte X.",
    "X refused the connection ({detail}): start connecting again.": "X a refusé la connexion ({detail}) : recommencez la connexion.",
    "This X account has no refresh token (offline.access was not granted): reconnect it.": "Ce compte X n'a pas de jeton de renouvellement (offline.access n'a pas été accordé) : reconnectez-le.",
    "X requires PKCE: connecting needs a code challenge.": "X exige PKCE : la connexion demande un code challenge.",

    # ------------------------------------------------------------ Google (Business Profile and YouTube)
    "Google refused the sign-in ({code}: {detail}): connect the {network} account again.": "Google a refusé la connexion ({code} : {detail}) : connectez de nouveau le compte {network}.",
    "This {network} account has no refresh token, so its access ends within the hour: reconnect it (Pieuvre asks Google for offline access).": "Ce compte {network} n'a pas de jeton de renouvellement, son accès prend donc fin dans l'heure : reconnectez-le (Pieuvre demande à Google un accès hors ligne).",
    "Google no longer accepts this {network} account's access ({code}): reconnect it. (Access given to an app still in \"Testing\" on Google Cloud ends after 7 days.)": "Google n'accepte plus l'accès à ce compte {network} ({code}) : reconnectez-le. (L'accès donné à une application encore en « Testing » sur Google Cloud prend fin après 7 jours.)",
    "Google refused to renew the {network} account's access ({detail}); trying again later.": "Google a refusé de renouveler l'accès au compte {network} ({detail}) ; nouvel essai plus tard.",
    "Google's token endpoint is throttling this app.": "Le service de jetons de Google limite cette application.",
    "Google's token endpoint failed (HTTP {status}); trying again later.": "Le service de jetons de Google a échoué (HTTP {status}) ; nouvel essai plus tard.",
    "Google answered the token request with HTTP {status}: connect the {network} account again.": "Google a répondu HTTP {status} à la demande de jeton : connectez de nouveau le compte {network}.",
    "Google refused the {network} account's token: reconnect the account.": "Google a refusé le jeton du compte {network} : reconnectez le compte.",
    "The {network} account lacks a permission ({detail}): reconnect it and grant every permission Pieuvre asks for.": "Il manque une autorisation au compte {network} ({detail}) : reconnectez-le en accordant toutes les autorisations demandées par Pieuvre.",
    "Google's {network} quota is used up ({detail}); Pieuvre tries again later.": "Le quota Google de {network} est épuisé ({detail}) ; Pieuvre réessaiera plus tard.",
    "Google failed (HTTP {status}) while the post was being sent: it may have been created; checking the account.": "Google a échoué (HTTP {status}) pendant l'envoi de la publication : elle a pu être créée ; vérification du compte en cours.",
    "Google failed (HTTP {status}); trying again later.": "Google a échoué (HTTP {status}) ; nouvel essai plus tard.",
    "{network} refused the video: {detail}. Fix the video or the text, then publish again.": "{network} a refusé la vidéo : {detail}. Corrigez la vidéo ou le texte, puis publiez de nouveau.",
    "{network} refused the thumbnail: {detail}.": "{network} a refusé la miniature : {detail}.",
    "{network} refused to read the account: {detail}. Reconnect the account if this lasts.": "{network} a refusé la lecture du compte : {detail}. Reconnectez le compte si cela persiste.",
    "{network} refused to list what this account manages: {detail}. Start connecting again.": "{network} a refusé de lister ce que gère ce compte : {detail}. Recommencez la connexion.",
    "Google refused the post: {detail}. Fix the post, then publish again.": "Google a refusé la publication : {detail}. Corrigez la publication, puis publiez de nouveau.",

    # ------------------------------------------------------------ Google Business Profile
    "Google Business Profile has no post type '{topic}': use one of {choices}.": "Google Business Profile n'a pas de type de publication « {topic} » : utilisez l'un de {choices}.",
    "Google rejected the post under its content policies: change the text or the image (no phone numbers in the text, no misleading offers), then reschedule.": "Google a rejeté la publication selon ses règles de contenu : modifiez le texte ou l'image (pas de numéro de téléphone dans le texte, pas d'offre trompeuse), puis reprogrammez.",
    "Google has not approved this Pieuvre installation's Google Cloud project for the Business Profile APIs (its quota is 0): apply for Basic API Access in Google's form, then reschedule.": "Google n'a pas approuvé le projet Google Cloud de cette installation de Pieuvre pour les API Business Profile (son quota est de 0) : demandez le Basic API Access via le formulaire de Google, puis reprogrammez.",
    "A Google Business Profile {topic} post needs an event with a title, a start date and an end date: add one to the post's Google options, e.g. {example}.": "Une publication Google Business Profile {topic} exige un événement avec un titre, une date de début et une date de fin : ajoutez-le aux options Google de la publication, par exemple {example}.",
    "Google Business Profile has no button '{button}': use one of {choices}.": "Google Business Profile n'a pas de bouton « {button} » : utilisez l'un de {choices}.",
    "The Google Business Profile button {button} needs a link: add its url.": "Le bouton Google Business Profile {button} exige un lien : ajoutez son url.",

    # ------------------------------------------------------------ YouTube
    "YouTube needs a title: write a text whose first line names the video.": "YouTube exige un titre : écrivez un texte dont la première ligne nomme la vidéo.",
    "YouTube publishes videos only: attach a video to the post, or leave YouTube out of its networks.": "YouTube ne publie que des vidéos : joignez une vidéo à la publication, ou retirez YouTube de ses réseaux.",
    "YouTube opened no upload session (no Location header); retrying later.": "YouTube n'a ouvert aucune session d'envoi (pas d'en-tête Location) ; nouvel essai plus tard.",
    "YouTube received only part of the video; the upload resumes on the next try.": "YouTube n'a reçu qu'une partie de la vidéo ; l'envoi reprendra à la prochaine tentative.",
    "YouTube answered the upload without a video id; checking the upload session.": "YouTube a répondu à l'envoi sans identifiant de vidéo ; vérification de la session d'envoi en cours.",
    "YouTube's upload session answered without the video; checking again later.": "La session d'envoi YouTube a répondu sans la vidéo ; nouvelle vérification plus tard.",
    "This app's YouTube quota for today is used up; it resets at midnight Pacific time.": "Le quota YouTube de cette application est épuisé pour aujourd'hui ; il se renouvelle à minuit, heure du Pacifique.",
    "This channel reached YouTube's upload limit for 24 hours.": "Cette chaîne a atteint la limite d'envoi de YouTube sur 24 heures.",
    "YouTube asks to slow down.": "YouTube demande de ralentir.",
}
