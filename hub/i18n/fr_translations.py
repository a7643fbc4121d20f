"""French of translations: the API's errors, the fan-out's findings about languages, the post's
translations page and the translation workspace (templates/translations/), the proposal page's
language line and the campaign page's translations section."""

MESSAGES: dict[str, str] = {
    # ------------------------------------------------------------ errors (hub/translations/service.py, routes.py)
    "{locale} is not a BCP 47 locale: write it like fr-BE, de, zh-Hant-TW.": "{locale} n'est pas une locale BCP 47 : écrivez-la comme fr-BE, de, zh-Hant-TW.",
    "{locale} is the language this post is written in: change the post itself instead.": "{locale} est la langue dans laquelle ce post est écrit : modifiez plutôt le post lui-même.",
    "No location of the brand reads {locale}: translate into one of {locales}.": "Aucun point de vente de la marque ne lit {locale} : traduisez vers l'une de ces langues : {locales}.",
    "The translation does not fit the post: fix each field listed.": "La traduction ne correspond pas au post : corrigez chaque champ indiqué.",
    "The translation breaks {n} rule(s): fix the findings and save again.": "La traduction enfreint {n} règle(s) : corrigez les remarques et enregistrez de nouveau.",
    "The {locale} translation is approved and serves locations: save your changes as approved.": "La traduction {locale} est approuvée et sert des points de vente : enregistrez vos modifications comme approuvées.",
    "Unknown status '{status}': use one of {statuses}.": "Statut « {status} » inconnu : utilisez l'un de ceux-ci : {statuses}.",
    "Viewers cannot write translations.": "Les lecteurs ne peuvent pas écrire de traductions.",
    "You translate into {locales} only: {locale} is served by another distributor or by HQ.": "Vous traduisez uniquement vers {locales} : {locale} est assurée par un autre distributeur ou par le siège.",
    "Write the translated text: texts.body is required for a new translation.": "Écrivez le texte traduit : texts.body est obligatoire pour une nouvelle traduction.",

    # ------------------------------------------------------------ findings on proposals (hub/proposals/service.py)
    "This post has no approved {locale} translation yet: it comes to you once it is translated.": "Ce post n'a pas encore de traduction {locale} approuvée : il vous parviendra une fois traduit.",
    "Written in {used}: there is no {locale} translation of this post yet.": "Rédigé en {used} : ce post n'a pas encore de traduction {locale}.",
    "HQ changed the post after its {locale} translation was made: the translation is being updated.": "Le siège a modifié le post après sa traduction {locale} : la traduction est en cours de mise à jour.",

    # ------------------------------------------------------------ the proposal page and the campaign page
    "Waiting for a {locale} translation: nothing goes out in another language.": "En attente d'une traduction {locale} : rien ne part dans une autre langue.",
    "Open the translation workspace": "Ouvrir l'espace de traduction",
    "Written in {used} (no {locale} translation)": "Rédigé en {used} (pas de traduction {locale})",
    "Written in {used}": "Rédigé en {used}",
    "Languages tried, in order: {chain}": "Langues essayées, dans l'ordre : {chain}",
    "Translations": "Traductions",
    "See the translations of this post": "Voir les traductions de ce post",

    # ------------------------------------------------------------ the post's translations (templates/translations/list.html)
    "Translations of the post": "Traductions du post",
    "Written in {locale}, revision {n}": "Rédigé en {locale}, version {n}",
    "Source text": "Texte source",
    "Missing": "Manquante",
    "Stale: the source changed": "À revoir : la source a changé",
    "no location reads it now": "aucun point de vente ne la lit actuellement",
    "Open the workspace for {locale}": "Ouvrir l'espace de traduction {locale}",
    "See the {locale} translation": "Voir la traduction {locale}",
    "Every location this post reaches reads its source language: no translation needed.": "Tous les points de vente qui reçoivent ce post lisent sa langue source : aucune traduction nécessaire.",

    # ------------------------------------------------------------ the workspace (templates/translations/workspace.html)
    "Translation into {locale}": "Traduction en {locale}",
    "Not translated yet": "Pas encore traduit",
    "Draft: it does not go out until it is approved": "Brouillon : rien ne part tant qu'elle n'est pas approuvée",
    "Approved, but HQ changed the source since: it still goes out as it is until you approve it again": "Approuvée, mais le siège a modifié la source depuis : elle part telle quelle jusqu'à ce que vous l'approuviez de nouveau",
    "Approved: it goes out to the locations reading {locale}": "Approuvée : elle part vers les points de vente qui lisent {locale}",
    "Source: {locale}, revision {n}": "Source : {locale}, version {n}",
    "Made from revision {n}": "Faite à partir de la version {n}",
    "Translation approved: the locations reading {locale} get it.": "Traduction approuvée : les points de vente qui lisent {locale} la reçoivent.",
    "Draft saved.": "Brouillon enregistré.",
    "HQ changed the source": "Le siège a modifié la source",
    "Here is what changed in the source since this translation was made: update the translation, then approve it again.": "Voici ce qui a changé dans la source depuis cette traduction : mettez la traduction à jour, puis approuvez-la de nouveau.",
    "Source ({locale})": "Source ({locale})",
    "Translation ({locale})": "Traduction ({locale})",
    "Keep the variables such as {city} or {phone} as they are: each location fills them in.": "Gardez les variables comme {city} ou {phone} telles quelles : chaque point de vente les remplit.",
    "Checks on the translation": "Vérifications de la traduction",
    "Write the translation: each network's text and the brand's findings appear here.": "Écrivez la traduction : le texte de chaque réseau et les remarques de la marque apparaissent ici.",
    "Save as draft": "Enregistrer comme brouillon",
    "Approve the translation": "Approuver la traduction",
    "An approved translation serves locations: changes are approved directly.": "Une traduction approuvée sert des points de vente : les modifications sont approuvées directement.",
    "Only HQ and the distributor serving {locale} can change this translation.": "Seuls le siège et le distributeur qui assure {locale} peuvent modifier cette traduction.",
}
