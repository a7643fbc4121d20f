"""French for every English msgid used in code and templates."""

FRENCH: dict[str, str] = {
    # ------------------------------------------------------------ layout
    "Skip to the content": "Aller au contenu",
    "Main menu": "Menu principal",
    "Campaigns": "Campagnes",
    "Locations": "Points de vente",
    "Inbox": "Boîte de réception",
    "Language": "Langue",
    "Log out": "Se déconnecter",
    "Pieuvre — HQ writes once, every location publishes.": "Pieuvre — le siège écrit une fois, chaque point de vente publie.",
    "Breadcrumb": "Fil d'Ariane",

    # ------------------------------------------------------------ errors
    "Something went wrong": "Un problème est survenu",
    "Not found": "Introuvable",
    "Not allowed": "Accès refusé",
    "Something needs fixing": "Quelque chose est à corriger",
    "The service is unavailable": "Le service est indisponible",
    "Back to the start page": "Retour à l'accueil",

    # ------------------------------------------------------------ statuses
    "Pending": "En attente",
    "Approved": "Approuvée",
    "Customized": "Personnalisée",
    "Rejected": "Refusée",
    "Expired": "Expirée",
    "Auto-approved": "Approuvée automatiquement",
    "Withdrawn": "Retirée",
    "Scheduled": "Programmée",
    "Publishing": "Publication",
    "Published": "Publiée",
    "Failed": "Échec",
    "Being checked": "En vérification",
    "Cancelled": "Annulée",
    "Draft": "Brouillon",
    "Sent": "Envoyé",
    "Queued": "En file d'attente",
    "Running": "En cours",
    "Done": "Terminé",

    # ------------------------------------------------------------ campaign vocabulary
    "Visibility": "Visibilité",
    "Recruitment": "Recrutement",
    "Promotion": "Promotion",
    "Community": "Communauté",
    "Customer care": "Service client",
    "Approval required": "Validation obligatoire",
    "Opt-out": "Validation tacite",
    "Auto-publish": "Publication automatique",
    "Nothing goes out without the location's approval; at the deadline, the proposal expires.":
        "Rien ne part sans la validation du point de vente ; à l'échéance, la proposition expire.",
    "Approved automatically at the deadline, unless the location rejects it.":
        "Approuvée automatiquement à l'échéance, sauf si le point de vente la refuse.",
    "Approved on arrival; the location may still cancel until the publish time.":
        "Approuvée dès réception ; le point de vente peut encore l'annuler jusqu'à l'heure de publication.",
    "Off-brand": "Pas dans l'esprit de la marque",
    "Not relevant for my location": "Pas pertinent pour mon point de vente",
    "Wrong timing": "Mauvais moment",
    "Legal or compliance issue": "Problème juridique ou de conformité",
    "Other reason": "Autre raison",
    "HQ admin": "Administrateur siège",
    "HQ editor": "Éditeur siège",
    "Regional manager": "Responsable régional",
    "Local manager": "Responsable local",
    "Viewer": "Lecteur",
    "Blocking": "Bloquant",
    "Warning": "Avertissement",
    "Networks": "Réseaux",

    # ------------------------------------------------------------ network previews
    "Preview on {network}": "Aperçu sur {network}",
    "Like": "J'aime",
    "Comment": "Commenter",
    "Share": "Partager",
    "Repost": "Republier",
    "Send": "Envoyer",
    "Learn more": "En savoir plus",

    # ------------------------------------------------------------ login
    "Log in": "Se connecter",
    "One post from HQ, a local voice in every location.": "Un post du siège, une voix locale dans chaque point de vente.",
    "HQ writes the campaign, each location approves or adapts it, Pieuvre publishes it everywhere and brings the results back.":
        "Le siège écrit la campagne, chaque point de vente l'approuve ou l'adapte, Pieuvre la publie partout et vous rapporte les résultats.",
    "E-mail": "E-mail",
    "Password": "Mot de passe",

    # ------------------------------------------------------------ campaigns
    "Each campaign groups the posts you send to the whole network, with one objective, one approval policy and one deadline.":
        "Une campagne regroupe les posts que vous envoyez à tout le réseau, avec un objectif, une règle de validation et une échéance.",
    "All campaigns": "Toutes les campagnes",
    "Decision by {date} UTC": "Décision avant le {date} UTC",
    "Created on {date} UTC": "Créée le {date} UTC",
    "No campaign yet.": "Aucune campagne pour l'instant.",
    "Start one with the form: give it a name, pick an objective, and you can write its first post right after.":
        "Lancez-en une avec le formulaire : donnez-lui un nom, choisissez un objectif, et vous pourrez écrire son premier post juste après.",
    "New campaign": "Nouvelle campagne",
    "Name": "Nom",
    "e.g. Spring open days": "ex. Portes ouvertes de printemps",
    "Objective": "Objectif",
    "Approval policy": "Règle de validation",
    "Decision deadline (UTC, optional)": "Date limite de décision (UTC, facultative)",
    "Locations decide before this time; the approval policy says what happens after it.":
        "Les points de vente décident avant cette date ; la règle de validation dit ce qui se passe ensuite.",
    "Create the campaign": "Créer la campagne",
    "No decision deadline": "Pas de date limite de décision",
    "Campaign": "Campagne",
    "Posts": "Posts",
    "Goes out at {date} UTC": "Publication le {date} UTC",
    "Goes out at {time} on each location's clock": "Publication à {time}, heure locale de chaque point de vente",
    "Goes out as soon as it is approved": "Publication dès l'approbation",
    "Revision {n}": "Version {n}",
    "Text locked": "Texte verrouillé",
    "Locations may adapt the text": "Les points de vente peuvent adapter le texte",
    "Limit to some locations (optional)": "Limiter à certains points de vente (facultatif)",
    "Tags, comma-separated": "Étiquettes, séparées par des virgules",
    "e.g. mall, city": "ex. centre-commercial, centre-ville",
    "Regions, comma-separated": "Régions, séparées par des virgules",
    "e.g. north": "ex. nord",
    "Leave both empty to send to the campaign's target (every location by default).":
        "Laissez les deux vides pour envoyer à la cible de la campagne (tous les points de vente par défaut).",
    "Send to the network": "Envoyer au réseau",
    "Preparing each location's proposal…": "Préparation de la proposition de chaque point de vente…",
    "Every targeted location has its proposal.": "Chaque point de vente ciblé a reçu sa proposition.",
    "Proposals prepared": "Propositions préparées",
    "{n} location(s) no longer exist and were skipped.": "{n} point(s) de vente n'existe(nt) plus et ont été ignoré(s).",
    "No post yet.": "Aucun post pour l'instant.",
    "Write the first one with the form: it is checked against each network's rules before you can send it.":
        "Écrivez le premier avec le formulaire : il est vérifié selon les règles de chaque réseau avant que vous puissiez l'envoyer.",
    "New post": "Nouveau post",
    "Text": "Texte",
    "Variables filled in for each location:": "Variables remplies pour chaque point de vente :",
    "Publish at (UTC, optional)": "Publier le (UTC, facultatif)",
    "Empty: it goes out as soon as each location approves it.": "Vide : le post part dès que chaque point de vente l'approuve.",
    "Locations may adapt the wording": "Les points de vente peuvent adapter la formulation",
    "Add the post": "Ajouter le post",
    "Across the network": "Sur l'ensemble du réseau",
    "Refresh": "Actualiser",
    "Adoption funnel": "Entonnoir d'adoption",
    "Step": "Étape",
    "Chart": "Graphique",
    "% of sent": "% des envoyées",
    "Sent to locations": "Envoyées aux points de vente",
    "Opened by the location": "Ouvertes par le point de vente",
    "Waiting for a decision": "En attente de décision",
    "Approved as is": "Approuvées telles quelles",
    "Approved with local wording": "Approuvées avec une formulation locale",
    "Rejected by the location": "Refusées par le point de vente",
    "Expired without a decision": "Expirées sans décision",
    "Approved automatically": "Approuvées automatiquement",
    "Published on their networks": "Publiées sur leurs réseaux",
    "Publishing failed": "Échec de publication",
    "characters": "caractères",
    "weighted characters": "caractères pondérés",
    "bytes": "octets",
    "Proposals": "Propositions",
    "Reasons for rejecting:": "Motifs de refus :",
    "Impressions": "Impressions",
    "Reach": "Portée",
    "Engagements": "Interactions",
    "Engagement rate": "Taux d'engagement",
    "engagements ÷ reach": "interactions ÷ portée",
    "These numbers come from the sandbox: they are simulated.": "Ces chiffres viennent du bac à sable : ils sont simulés.",
    "Proposals by status": "Propositions par statut",
    "Location": "Point de vente",
    "Status": "Statut",
    "Decided at (UTC)": "Décidée le (UTC)",
    "No proposal yet: send a post to the network and each location gets its own.":
        "Aucune proposition pour l'instant : envoyez un post au réseau et chaque point de vente recevra la sienne.",

    # ------------------------------------------------------------ form messages
    "Some fields need your attention: see the messages below.": "Certains champs sont à revoir : voyez les messages ci-dessous.",
    "Write the deadline as a date and a time, e.g. 2026-12-01 18:00.":
        "Indiquez la date limite avec une date et une heure, par exemple 2026-12-01 18:00.",
    "Give the campaign a name.": "Donnez un nom à la campagne.",
    "Give the campaign a name of at most 200 characters.": "Donnez à la campagne un nom de 200 caractères au plus.",
    "Pick one of the objectives in the list.": "Choisissez l'un des objectifs de la liste.",
    "Pick one of the approval policies in the list.": "Choisissez l'une des règles de validation de la liste.",
    "Write the text of the post.": "Écrivez le texte du post.",
    "Tick at least one network.": "Cochez au moins un réseau.",
    "Write the publish time as a date and a time, e.g. 2026-12-01 10:00.":
        "Indiquez l'heure de publication avec une date et une heure, par exemple 2026-12-01 10:00.",
    "Write the text of the post (at most 70,000 characters).": "Écrivez le texte du post (70 000 caractères au plus).",
    "Tick networks from the list only.": "Cochez uniquement des réseaux de la liste.",
    "Pick whether locations may customize the text.": "Indiquez si les points de vente peuvent personnaliser le texte.",
    "Only HQ sees campaigns and the list of locations: your proposals are in your inbox.":
        "Seul le siège voit les campagnes et la liste des points de vente : vos propositions sont dans votre boîte de réception.",

    # ------------------------------------------------------------ inbox
    "The posts HQ prepared for you, soonest deadline first. Approve them as they are, adapt the wording, or say why not.":
        "Les posts que le siège a préparés pour vous, échéance la plus proche en premier. Approuvez-les tels quels, adaptez la formulation, ou dites pourquoi vous les refusez.",
    "Show": "Afficher",
    "All proposals": "Toutes les propositions",
    "Filter": "Filtrer",
    "Keyboard: press j and k to move through the list, Enter to open.":
        "Clavier : appuyez sur j et k pour parcourir la liste, sur Entrée pour ouvrir.",
    "Decide by {date}": "À décider avant le {date}",
    "No deadline": "Pas d'échéance",
    "Nothing with this status.": "Rien avec ce statut.",
    "Your inbox is empty.": "Votre boîte de réception est vide.",
    "When HQ sends a post to the network, your version of it lands here.":
        "Quand le siège envoie un post au réseau, votre version arrive ici.",

    # ------------------------------------------------------------ proposal
    "Proposal": "Proposition",
    "Proposal for {name}": "Proposition pour {name}",
    "Goes out at {date}": "Publication le {date}",
    "Times on the location's clock ({tz})": "Heures locales du point de vente ({tz})",
    "Preview": "Aperçu",
    "Just now": "À l'instant",
    "HQ text": "Texte du siège",
    "Local text": "Texte local",
    "Findings": "Points relevés",
    "Decision": "Décision",
    "This text has blocking findings: adapt it below to fix them, then it can go out.":
        "Ce texte comporte des points bloquants : adaptez-le ci-dessous pour les corriger, il pourra ensuite partir.",
    "Approve": "Approuver",
    "It goes out as you see it, at its publish time.": "Il part tel que vous le voyez, à son heure de publication.",
    "HQ locked this text: approve or reject it as it is.": "Le siège a verrouillé ce texte : approuvez-le ou refusez-le tel quel.",
    "Adapt the wording": "Adapter la formulation",
    "You may use the variables of your location too, such as {city} or {phone}.":
        "Vous pouvez aussi utiliser les variables de votre point de vente, comme {city} ou {phone}.",
    "Approve with my wording": "Approuver avec ma formulation",
    "Approved automatically by the campaign's policy.": "Approuvée automatiquement selon la règle de la campagne.",
    "Approved with local wording on {date}.": "Approuvée avec une formulation locale le {date}.",
    "Approved on {date}.": "Approuvée le {date}.",
    "Rejected on {date}.": "Refusée le {date}.",
    "The deadline passed without a decision: this post will not go out here.":
        "L'échéance est passée sans décision : ce post ne sera pas publié ici.",
    "HQ withdrew this post.": "Le siège a retiré ce post.",
    "Reject": "Refuser",
    "Changed your mind? Cancel before it goes out": "Vous avez changé d'avis ? Annulez avant la publication",
    "Reason": "Motif",
    "Comment for HQ (optional)": "Commentaire pour le siège (facultatif)",
    "Cancel this post": "Annuler ce post",
    "planned for {date}": "prévue le {date}",
    "See the post": "Voir le post",
    "Nothing scheduled yet: once approved, the post is scheduled on each connected account.":
        "Rien de programmé pour l'instant : une fois approuvé, le post est programmé sur chaque compte connecté.",
    "Open the sandbox feed of this location": "Ouvrir le fil bac à sable de ce point de vente",
    "Approved: it will go out at its publish time.": "Approuvée : elle partira à son heure de publication.",
    "Saved with your wording: it will go out at its publish time.":
        "Enregistrée avec votre formulation : elle partira à son heure de publication.",
    "Rejected: HQ will see your reason.": "Refusée : le siège verra votre motif.",

    # ------------------------------------------------------------ sandbox and locations
    "Sandbox — not a real network": "Bac à sable — pas un vrai réseau",
    "Sandbox feed of {name}": "Fil bac à sable de {name}",
    "What Pieuvre published for this location on its sandbox accounts, newest first. Nobody outside Pieuvre sees these posts.":
        "Ce que Pieuvre a publié pour ce point de vente sur ses comptes bac à sable, du plus récent au plus ancien. Personne en dehors de Pieuvre ne voit ces posts.",
    "Sandbox": "Bac à sable",
    "Sandbox feed": "Fil bac à sable",
    "Nothing published here yet.": "Rien n'a encore été publié ici.",
    "Approved proposals appear here at their publish time.": "Les propositions approuvées apparaissent ici à leur heure de publication.",
    "Every arm of the network: franchises, agencies, stores and distributors.":
        "Chaque bras du réseau : franchises, agences, magasins et distributeurs.",
    "Search by code or name": "Rechercher par code ou par nom",
    "Search": "Rechercher",
    "Code": "Code",
    "Region": "Région",
    "Country": "Pays",
    "Tags": "Étiquettes",
    "{n} location(s)": "{n} point(s) de vente",
    "No location matches your search.": "Aucun point de vente ne correspond à votre recherche.",
    "No location yet: add them through the API or a CSV import.":
        "Aucun point de vente pour l'instant : ajoutez-les par l'API ou un import CSV.",

    # ------------------------------------------------------------ messages from the services and the app
    "The request is not valid: {n} problem(s). Fix each field listed in 'errors'.":
        "La requête n'est pas valide : {n} problème(s). Corrigez chaque champ listé dans « errors ».",
    "The database is not answering right now. Try again in a minute.":
        "La base de données ne répond pas pour le moment. Réessayez dans une minute.",
    "'{email}' is not an e-mail address.": "« {email} » n'est pas une adresse e-mail.",
    "A local manager needs at least one location: give location_ids.":
        "Un responsable local a besoin d'au moins un point de vente : indiquez location_ids.",
    "A location with the code {code} already exists: pick another code or import to update it.":
        "Un point de vente avec le code {code} existe déjà : choisissez un autre code ou importez pour le mettre à jour.",
    "A regional manager needs at least one region: give regions.":
        "Un responsable régional a besoin d'au moins une région : indiquez regions.",
    "A user with the e-mail {email} already exists.": "Un utilisateur avec l'e-mail {email} existe déjà.",
    "Give the brand a name.": "Donnez un nom à la marque.",
    "The password must have at least {n} characters.": "Le mot de passe doit comporter au moins {n} caractères.",
    "HQ locked this post: approve or reject it as it is.": "Le siège a verrouillé ce post : approuvez-le ou refusez-le tel quel.",
    "No campaign with id {id}.": "Aucune campagne avec l'identifiant {id}.",
    "No connector named '{name}' yet: available are {names}.":
        "Aucun connecteur nommé « {name} » pour l'instant : disponibles : {names}.",
    "No connector named '{name}': available are {names}.": "Aucun connecteur nommé « {name} » : disponibles : {names}.",
    "No distribution with id {id}.": "Aucune diffusion avec l'identifiant {id}.",
    "No location matches this target: check the tags, regions or ids.":
        "Aucun point de vente ne correspond à cette cible : vérifiez les étiquettes, les régions ou les identifiants.",
    "No location with id {id}.": "Aucun point de vente avec l'identifiant {id}.",
    "No post with id {id}.": "Aucun post avec l'identifiant {id}.",
    "No proposal with id {id}.": "Aucune proposition avec l'identifiant {id}.",
    "Only HQ (hq_admin or hq_editor) can do this.": "Seul le siège (hq_admin ou hq_editor) peut faire cela.",
    "Only a deployment admin can create brands (see PIEUVRE_BOOTSTRAP_ADMIN_EMAIL).":
        "Seul un administrateur de l'installation peut créer des marques (voir PIEUVRE_BOOTSTRAP_ADMIN_EMAIL).",
    "Only an hq_admin can add users.": "Seul un hq_admin peut ajouter des utilisateurs.",
    "Send an 'Authorization: Bearer <token>' header; get a token from POST /api/v1/auth/token.":
        "Envoyez un en-tête « Authorization: Bearer <jeton> » ; obtenez un jeton avec POST /api/v1/auth/token.",
    "Send at least one network's text to customize.": "Envoyez le texte d'au moins un réseau pour personnaliser.",
    "Send the file with 'Content-Type: text/csv'.": "Envoyez le fichier avec « Content-Type: text/csv ».",
    "The CSV has {n} error(s); nothing was imported. Fix each line listed and send it again.":
        "Le CSV contient {n} erreur(s) ; rien n'a été importé. Corrigez chaque ligne indiquée et renvoyez-le.",
    "The comment is longer than 2000 characters: shorten it.": "Le commentaire dépasse 2000 caractères : raccourcissez-le.",
    "The post breaks network rules: fix the findings before sending it.":
        "Le post enfreint des règles des réseaux : corrigez les points relevés avant de l'envoyer.",
    "The post breaks {n} network rule(s): fix the findings and save again.":
        "Le post enfreint {n} règle(s) des réseaux : corrigez les points relevés et enregistrez à nouveau.",
    "This form has expired or did not come from Pieuvre: reload the page and try again.":
        "Ce formulaire a expiré ou ne vient pas de Pieuvre : rechargez la page et réessayez.",
    "This location already has the {network} account {external_id}.":
        "Ce point de vente a déjà le compte {network} {external_id}.",
    "This post was withdrawn: create a new post to send it again.":
        "Ce post a été retiré : créez un nouveau post pour l'envoyer à nouveau.",
    "This proposal has blocking findings: customize the text to fix them before approving.":
        "Cette proposition comporte des points bloquants : personnalisez le texte pour les corriger avant d'approuver.",
    "This proposal is already being published or was published: it can no longer be cancelled.":
        "Cette proposition est en cours de publication ou déjà publiée : elle ne peut plus être annulée.",
    "This proposal is already {status}: reload it to see its current state.":
        "Cette proposition est déjà à l'état {status} : rechargez-la pour voir où elle en est.",
    "This proposal is not for {networks}: customize only {allowed}.":
        "Cette proposition n'est pas prévue pour {networks} : personnalisez seulement {allowed}.",
    "This token is unknown or expired: get a new one from POST /api/v1/auth/token.":
        "Ce jeton est inconnu ou expiré : obtenez-en un nouveau avec POST /api/v1/auth/token.",
    "Unknown location id(s): {ids}. Check them with GET /api/v1/locations.":
        "Identifiant(s) de point de vente inconnu(s) : {ids}. Vérifiez-les avec GET /api/v1/locations.",
    "Unknown network '{network}': use one of {networks}.": "Réseau « {network} » inconnu : utilisez l'un de ceux-ci : {networks}.",
    "Unknown reason '{reason}': use one of {reasons}.": "Motif « {reason} » inconnu : utilisez l'un de ceux-ci : {reasons}.",
    "Unknown role '{role}': use one of {roles}.": "Rôle « {role} » inconnu : utilisez l'un de ceux-ci : {roles}.",
    "Viewers cannot decide on proposals.": "Les lecteurs ne peuvent pas décider des propositions.",
    "Wrong e-mail or password: check both and try again.":
        "E-mail ou mot de passe incorrect : vérifiez les deux et réessayez.",
    "Your account belongs to no brand: ask the deployment admin to add you to one.":
        "Votre compte n'appartient à aucune marque : demandez à l'administrateur de l'installation de vous y ajouter.",
    "Your text breaks {n} rule(s): fix the findings and save again.":
        "Votre texte enfreint {n} règle(s) : corrigez les points relevés et enregistrez à nouveau.",
    # Linter findings (hub/linting, hub/proposals).
    "The text for {network} is empty: write something or drop this network.":
        "Le texte pour {network} est vide : écrivez quelque chose ou retirez ce réseau.",
    "{network} accepts {limit} {counting}; this text has {length}: shorten it by {over}.":
        "{network} accepte {limit} {counting} ; ce texte en compte {length} : raccourcissez-le de {over}.",
    "This location has no value for {{{variable}}}: add it to the location, or customize the text.":
        "Ce point de vente n'a pas de valeur pour {{{variable}}} : ajoutez-la au point de vente, ou personnalisez le texte.",
    "{time} does not exist on this location's clock (it moves forward); the post goes out at {moment}.":
        "{time} n'existe pas à l'heure locale de ce point de vente (passage à l'heure d'été) ; le post part à {moment}.",
    "{time} occurs twice on this location's clock; the post goes out at the first one.":
        "{time} a lieu deux fois à l'heure locale de ce point de vente ; le post part à la première.",
}
