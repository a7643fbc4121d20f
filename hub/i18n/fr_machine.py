"""French of machine translation (hub/translations/machine.py): why it cannot be done, and the note
beside a machine draft."""

MESSAGES: dict[str, str] = {
    # ------------------------------------------------------------ language tags
    "'{locale}' is not a language tag: write a language code, optionally with a region, such as fr, fr-BE or pt-BR.": "« {locale} » n'est pas un code de langue : écrivez le code d'une langue, éventuellement suivi d'une région, comme fr, fr-BE ou pt-BR.",

    # ------------------------------------------------------------ off, or a draft
    "Machine translation is off: an administrator can turn it on with PIEUVRE_MACHINE_TRANSLATOR (deepl, libretranslate or apertium).": "La traduction automatique est désactivée : un administrateur peut l'activer avec PIEUVRE_MACHINE_TRANSLATOR (deepl, libretranslate ou apertium).",
    "Machine translation by {service} gives a draft: read it and correct it before approving.": "La traduction automatique par {service} donne un brouillon : relisez-le et corrigez-le avant de le valider.",

    # ------------------------------------------------------------ every service
    "{service} cannot translate from {source} to {target}. It translates: {pairs}.": "{service} ne sait pas traduire de {source} vers {target}. Il traduit : {pairs}.",
    "{service} refused the request: {detail} (HTTP {status}).": "{service} a refusé la demande : {detail} (HTTP {status}).",
    "{service} received too many requests; try again in a few minutes.": "{service} a reçu trop de demandes ; réessayez dans quelques minutes.",
    "{service} is not available right now (HTTP {status}); try again later.": "{service} n'est pas disponible pour le moment (HTTP {status}) ; réessayez plus tard.",
    "{service} could not be reached or did not answer in time; try again later.": "{service} est injoignable ou n'a pas répondu à temps ; réessayez plus tard.",
    "The text is too long for {service}: shorten it.": "Le texte est trop long pour {service} : raccourcissez-le.",

    # ------------------------------------------------------------ DeepL
    "DeepL needs an API key: set PIEUVRE_DEEPL_API_KEY.": "DeepL a besoin d'une clé d'API : renseignez PIEUVRE_DEEPL_API_KEY.",
    "DeepL refused the API key: check PIEUVRE_DEEPL_API_KEY, and that PIEUVRE_DEEPL_API_URL is https://api-free.deepl.com for a Free key (ending in :fx) or https://api.deepl.com for a Pro key.": "DeepL a refusé la clé d'API : vérifiez PIEUVRE_DEEPL_API_KEY, et que PIEUVRE_DEEPL_API_URL vaut https://api-free.deepl.com pour une clé Free (qui finit par :fx) ou https://api.deepl.com pour une clé Pro.",
    "The DeepL quota is used up (the characters of this period, or the cost limit): raise it in the DeepL account, or wait for the next period.": "Le quota DeepL est épuisé (les caractères de la période, ou la limite de coût) : augmentez-le dans le compte DeepL, ou attendez la période suivante.",

    # ------------------------------------------------------------ LibreTranslate
    "LibreTranslate needs the address of a server: set PIEUVRE_LIBRETRANSLATE_URL.": "LibreTranslate a besoin de l'adresse d'un serveur : renseignez PIEUVRE_LIBRETRANSLATE_URL.",
    "LibreTranslate refused access ({detail}): check PIEUVRE_LIBRETRANSLATE_API_KEY.": "LibreTranslate a refusé l'accès ({detail}) : vérifiez PIEUVRE_LIBRETRANSLATE_API_KEY.",
    "LibreTranslate asks for an API key ({detail}): set PIEUVRE_LIBRETRANSLATE_API_KEY.": "LibreTranslate demande une clé d'API ({detail}) : renseignez PIEUVRE_LIBRETRANSLATE_API_KEY.",

    # ------------------------------------------------------------ Apertium
    "Apertium is not installed on this server: install it with a language pair (Debian: apt-get install apertium apertium-spa-cat apertium-lex-tools cg3), or set PIEUVRE_APERTIUM_COMMAND.": "Apertium n'est pas installé sur ce serveur : installez-le avec une paire de langues (Debian : apt-get install apertium apertium-spa-cat apertium-lex-tools cg3), ou renseignez PIEUVRE_APERTIUM_COMMAND.",
    "Apertium failed ({detail}): check that the language pair and its tools are fully installed.": "Apertium a échoué ({detail}) : vérifiez que la paire de langues et ses outils sont entièrement installés.",
    "Apertium took longer than {seconds} s and was stopped: try a shorter text, or raise PIEUVRE_APERTIUM_TIMEOUT_SECONDS.": "Apertium a pris plus de {seconds} s et a été arrêté : essayez un texte plus court, ou augmentez PIEUVRE_APERTIUM_TIMEOUT_SECONDS.",
}
