"""French of social accounts: connecting them (hub/publishing/accounts.py, hub/web/accounts.py,
templates/accounts/), the e-mail sent when one breaks, and the octopus map."""

MESSAGES: dict[str, str] = {
    # ------------------------------------------------------------ connecting (hub/publishing/accounts.py)
    "This connection link is unknown or was already used: start again from the location's accounts page.": "Ce lien de connexion est inconnu ou a déjà servi : recommencez depuis la page des comptes du point de vente.",
    "This connection took more than 10 minutes: start again from the location's accounts page.": "Cette connexion a pris plus de 10 minutes : recommencez depuis la page des comptes du point de vente.",
    "This connection was started by another user: start your own from the location's accounts page.": "Cette connexion a été commencée par un autre utilisateur : lancez la vôtre depuis la page des comptes du point de vente.",
    "{network} access was not granted, so nothing was connected. To connect, click Connect again and accept every permission asked.": "L'accès à {network} n'a pas été accordé : rien n'a été connecté. Pour connecter le compte, cliquez de nouveau sur Connecter et acceptez toutes les autorisations demandées.",
    "{network} refused the connection: {reason}": "{network} a refusé la connexion : {reason}",
    "{network} gave access to nothing Pieuvre can publish to. Check that you manage at least one {target} and that you granted every permission asked ({scopes}), then connect again.": "{network} n'a donné accès à rien sur quoi Pieuvre puisse publier. Vérifiez que vous gérez au moins un(e) {target} et que vous avez accordé toutes les autorisations demandées ({scopes}), puis connectez-vous de nouveau.",
    "Only HQ or this location's local manager can connect or disconnect its accounts.": "Seuls le siège et le responsable local de ce point de vente peuvent connecter ou déconnecter ses comptes.",
    "{network} accounts cannot be connected through OAuth yet: attach them with tokens through the API (POST /api/v1/locations/<id>/accounts).": "Les comptes {network} ne peuvent pas encore être connectés par OAuth : rattachez-les avec leurs jetons par l'API (POST /api/v1/locations/<id>/accounts).",
    "The admin must set {variables} (the app credentials from {network}'s developer portal) before accounts can be connected.": "L'administrateur doit renseigner {variables} (les identifiants de l'application, sur le portail développeurs de {network}) avant de pouvoir connecter des comptes.",
    "A {network} account needs the access_token the network gave for it (or connect it through the location's accounts page).": "Un compte {network} a besoin du jeton d'accès (access_token) donné par le réseau (ou connectez-le depuis la page des comptes du point de vente).",
    "Pick one of the listed pages.": "Choisissez l'une des pages proposées.",
    "No account with id {id} on this location.": "Aucun compte d'identifiant {id} sur ce point de vente.",
    "Only HQ (hq_admin or hq_editor) sees the octopus map.": "Seul le siège (hq_admin ou hq_editor) voit la carte de la pieuvre.",

    # ------------------------------------------------------------ e-mail when an account breaks
    "Pieuvre: the {network} account of {location} must be reconnected": "Pieuvre : le compte {network} de {location} doit être reconnecté",
    "The {network} account “{account}” of {location} ({code}) stopped working: nothing will be published on it until it is reconnected.": "Le compte {network} « {account} » de {location} ({code}) ne fonctionne plus : rien n'y sera publié tant qu'il n'est pas reconnecté.",
    "What the network said": "Ce qu'a répondu le réseau",
    "Reconnect it here: {link}": "Reconnectez-le ici : {link}",
    "Reconnect the account": "Reconnecter le compte",

    # ------------------------------------------------------------ health (templates/accounts/_health.html)
    "Active": "Actif",
    "Expiring soon": "Expire bientôt",
    "Token expired": "Jeton expiré",
    "Access withdrawn": "Accès retiré",
    "Missing permission": "Autorisation manquante",
    "Disconnected": "Déconnecté",

    # ------------------------------------------------------------ a location's accounts (templates/accounts/connect.html)
    "Social accounts": "Comptes sociaux",
    "Octopus map": "Carte de la pieuvre",
    "The accounts this location publishes to. Connect each network once; Pieuvre keeps the tokens fresh and tells you when one needs reconnecting.": "Les comptes sur lesquels ce point de vente publie. Connectez chaque réseau une fois ; Pieuvre renouvelle les jetons et vous prévient quand un compte doit être reconnecté.",
    "Connected: {name} on {network}.": "Connecté : {name} sur {network}.",
    "Connected accounts": "Comptes connectés",
    "Account": "Compte",
    "Health": "État",
    "Token expires (UTC)": "Expiration du jeton (UTC)",
    "Actions": "Actions",
    "Does not expire": "N'expire pas",
    "Reconnect": "Reconnecter",
    "Disconnect": "Déconnecter",
    "No account connected yet.": "Aucun compte connecté pour l'instant.",
    "Connect a network on the right: nothing is published for this location until then.": "Connectez un réseau à droite : rien n'est publié pour ce point de vente d'ici là.",
    "Connect a network": "Connecter un réseau",
    "Connect {network}": "Connecter {network}",
    "The admin must set {variables} before {network} accounts can be connected here; meanwhile they can be attached with tokens through the API.": "L'administrateur doit renseigner {variables} pour que les comptes {network} puissent être connectés ici ; en attendant, ils peuvent être rattachés avec leurs jetons par l'API.",
    "{network} accounts are attached with tokens through the API for now.": "Les comptes {network} se rattachent pour l'instant avec leurs jetons par l'API.",
    "Only HQ or this location's local manager can connect its accounts.": "Seuls le siège et le responsable local de ce point de vente peuvent connecter ses comptes.",

    # ------------------------------------------------------------ choosing a page (templates/accounts/choose.html, failed.html)
    "Which one to connect?": "Lequel connecter ?",
    "{network} gave access to several. Pick the one of {location}: it will publish there.": "{network} a donné accès à plusieurs. Choisissez celui de {location} : c'est là qu'il publiera.",
    "Pages, organizations or channels": "Pages, organisations ou chaînes",
    "Connect this one": "Connecter celui-ci",
    "Cancel": "Annuler",
    "The account was not connected": "Le compte n'a pas été connecté",
    "Back to the location's accounts": "Retour aux comptes du point de vente",

    # ------------------------------------------------------------ octopus map (templates/accounts/octopus.html)
    "Every arm of the network at a glance: each location's accounts, their health, and its last publication.": "Chaque bras du réseau d'un coup d'œil : les comptes de chaque point de vente, leur état et sa dernière publication.",
    "Summary": "Résumé",
    "Locations with every account healthy": "Points de vente dont tous les comptes vont bien",
    "Accounts to reconnect": "Comptes à reconnecter",
    "Silent locations (nothing published in 30 days)": "Points de vente silencieux (rien publié depuis 30 jours)",
    "Accounts": "Comptes",
    "Last publication": "Dernière publication",
    "Accounts of {location}": "Comptes de {location}",
    "No account: connect one": "Aucun compte : en connecter un",
    "Nothing published yet": "Rien de publié pour l'instant",
    "No location matches these filters.": "Aucun point de vente ne correspond à ces filtres.",

    # ------------------------------------------------------------ the webhook event's label (templates/webhooks/list.html)
    "A location's social account stopped working": "Le compte social d'un point de vente ne fonctionne plus",
}
