"""French of the brand glossary (brand kit editor, linter findings) and of the translation workspace's suggestions."""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    # linter findings (hub/linting/glossary.py)
    "The brand writes “{kept}” exactly like this, never “{term}”: write “{kept}”.":
        "La marque écrit « {kept} » exactement ainsi, jamais « {term} » : écrivez « {kept} ».",
    "“{term}” is in the source {count} time(s) and here {found} time(s): keep it as it is, untranslated.":
        "« {term} » figure {count} fois dans la source et {found} fois ici : gardez-le tel quel, sans le traduire.",
    "In this language the brand translates “{term}” as “{translation}”: write “{translation}”.":
        "Dans cette langue, la marque traduit « {term} » par « {translation} » : écrivez « {translation} ».",
    "“{term}” is in the source {count} time(s) and its translation “{translation}” here {found} time(s): write “{translation}”.":
        "« {term} » figure {count} fois dans la source et sa traduction « {translation} » {found} fois ici : écrivez « {translation} ».",
    # brand kit form (hub/web/studio.py)
    "Write the brand term (at most 100 characters, with at least one letter or digit).":
        "Écrivez le terme de la marque (100 caractères au plus, avec au moins une lettre ou un chiffre).",
    "Write a locale such as fr or fr-BE, or leave it empty for every other locale.":
        "Écrivez une langue comme fr ou fr-BE, ou laissez vide pour toutes les autres.",
    "Pick “Keep as is” or “Translate as”.": "Choisissez « Garder tel quel » ou « Traduire par ».",
    "Write the translation (at most 100 characters), or pick “Keep as is”.":
        "Écrivez la traduction (100 caractères au plus), ou choisissez « Garder tel quel ».",
    "A kept term is written as it is: empty the translation, or pick “Translate as”.":
        "Un terme gardé s'écrit tel quel : videz la traduction, ou choisissez « Traduire par ».",
    "The glossary holds at most 500 terms.": "Le glossaire contient au plus 500 termes.",
    "“{term}” already has a rule for this locale: keep one row per locale.":
        "« {term} » a déjà une règle pour cette langue : gardez une ligne par langue.",
    # brand kit page (templates/brandkit/edit.html)
    "Brand term": "Terme de la marque",
    "e.g. VéloLumière": "ex. VéloLumière",
    "Locale": "Langue",
    "Rule": "Règle",
    "Keep as is": "Garder tel quel",
    "Translate as": "Traduire par",
    "Forced translation": "Traduction imposée",
    "only to translate": "seulement pour traduire",
    "Glossary": "Glossaire",
    "Brand terms in each locale: kept as they are (a name, a product) or always translated the same way. Checked on every translation and every text, whole words, whatever the case and accents; a kept term must keep its exact spelling.":
        "Les termes de la marque dans chaque langue : gardés tels quels (un nom, un produit) ou toujours traduits de la même façon. Vérifiés sur chaque traduction et chaque texte, en mots entiers, quels que soient la casse et les accents ; un terme gardé doit garder son orthographe exacte.",
    "Terms": "Termes",
    "One row per term and locale: the term, keep it or translate it, the forced translation, the locale. Locale: a language (fr) or a BCP 47 tag (fr-BE); fr-BE uses its own row, else the fr row, else the row with no locale. A term the source uses and the translation leaves out is a warning.":
        "Une ligne par terme et par langue : le terme, le garder ou le traduire, la traduction imposée, la langue. Langue : un code de langue (fr) ou une étiquette BCP 47 (fr-BE) ; fr-BE suit sa propre ligne, sinon la ligne fr, sinon la ligne sans langue. Un terme présent dans la source et absent de la traduction donne un avertissement.",
    "+ Add a glossary term": "+ Ajouter un terme au glossaire",
    # translation workspace (templates/translations/_suggestions.html)
    "Help for this translation": "Aide pour cette traduction",
    "Insert “{text}”": "Insérer « {text} »",
    "No glossary term in this source text.": "Aucun terme du glossaire dans ce texte source.",
    "Translation memory": "Mémoire de traduction",
    "Exact match": "Correspondance exacte",
    "{percent}% similar": "Similaire à {percent} %",
    "Approved for {locale}": "Validée pour {locale}",
    "Use this translation": "Utiliser cette traduction",
    "No earlier translation of a text like this one.": "Aucune traduction antérieure d'un texte semblable.",
}
