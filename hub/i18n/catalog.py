"""The gettext catalogues of the UI: extraction with Babel and the French `.po`.

Layout: `hub/i18n/locales/messages.pot` (every msgid found in `hub/` and `templates/`) and
`hub/i18n/locales/<language>/LC_MESSAGES/messages.po` (its translations). The runtime reads the `.po`
directly with Babel at start-up, so there is no compiled `.mo` that could go stale.

`pieuvre i18n extract` rewrites the `.pot` from the sources and merges it into each `.po` (translations
kept, new msgids added empty, unused ones dropped); `pieuvre i18n check` lists what has no translation.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

I18N = Path(__file__).resolve().parent
ROOT = I18N.parent.parent
LOCALES = I18N / "locales"
TEMPLATE_CATALOG = LOCALES / "messages.pot"
DOMAIN = "messages"
TRANSLATED = ("fr",)  # English is the msgids themselves
PROJECT = "Pieuvre"
# A fixed creation date: the .pot changes only when its messages do, not each time it is extracted.
CREATED = datetime(2026, 1, 1, tzinfo=UTC)

ERROR_CLASSES = ("HubError", "NotFound", "Invalid", "Conflict", "Forbidden", "Unauthorized",
                 "UnsupportedMedia", "TooLarge")
# Publishing errors (hub/publishing/connectors/base.py) take a msgid like HubError; their English text is
# stored in Publication.error and an account's status_detail, and translated when shown.
PUBLISHING_ERRORS = ("PublishRefused", "AccountBroken", "TransientBeforeSend", "RateLimited", "OutcomeUnknown")

# Which argument of which call holds a msgid (Babel's keyword specs: 1-based positions).
KEYWORDS: dict[str, Any] = {
    "_": None,
    "N_": None,  # a msgid marked where it is written and translated later, from a variable
    "translate": None,
    **{name: None for name in ERROR_CLASSES + PUBLISHING_ERRORS},
    # finding(rule, severity, network, locale, start, end, message, ...): the message is the 7th.
    "finding": (7,),
}

# babel.cfg, as code: the first pattern a file matches decides how it is read.
METHOD_MAP = [
    ("hub/i18n/catalog.py", "ignore"),
    ("hub/migrations/**.py", "ignore"),
    ("hub/publishing/service.py", "hub.i18n.catalog:extract_hub_python"),
    ("hub/**.py", "hub.i18n.catalog:extract_hub_python"),
    ("templates/**.html", "hub.i18n.catalog:extract_template"),
    ("templates/**.txt", "hub.i18n.catalog:extract_template"),
]
OPTIONS_MAP = {"hub/publishing/service.py": {"publication_errors": True}}
SEARCHED = ("hub", "templates")


def po_path(language: str) -> Path:
    """Where the catalogue of `language` lives."""
    return LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po"


# ------------------------------------------------------------------ extractors


def extract_template(fileobj, keywords, comment_tags, options):
    """Jinja2's own Babel extractor, with our environment's whitespace settings.

    Our templates call `_("… {name} …", name=value)`: Jinja reports the keyword arguments as extra
    `None` messages, which the spec (1,) ignores, so the msgid is the first argument."""
    from jinja2.ext import babel_extract

    options = {"trim_blocks": "true", "lstrip_blocks": "true", **(options or {})}
    yield from babel_extract(fileobj, keywords, comment_tags, options)


def _constant(node: ast.AST) -> str | None:
    """The string of a constant, or of a constant's `.format(...)` (a msgid filled in place)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        node = node.func.value
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _called(node: ast.Call) -> str:
    """The name a call is made by: `Invalid(…)`, `errors.Invalid(…)` → "Invalid"."""
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return ""


def keyword_calls(tree: ast.AST, keywords: dict[str, Any]) -> Iterator[tuple[int, str, str]]:
    """(line, function, msgid) of every call to a keyword function whose msgid argument is a constant.

    Read from the syntax tree rather than tokens, so `_("…")` inside an f-string is seen too."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _called(node)
        if name not in keywords:
            continue
        position = (keywords[name] or (1,))[0] - 1
        if len(node.args) > position and (text := _constant_only(node.args[position])) is not None:
            yield node.lineno, name, text


def _constant_only(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def publication_errors(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """The messages the publishing service writes into Publication.error itself
    (`error=…`, `.error = …`, `{"error": …}`), which no call to a keyword function shows."""
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "error":
            values = [node.value]
        elif isinstance(node, ast.Dict):
            values = [value for key, value in zip(node.keys, node.values)
                      if isinstance(key, ast.Constant) and key.value == "error"]
        elif isinstance(node, ast.Assign):
            values = []
            for target in node.targets:
                if isinstance(target, ast.Attribute) and target.attr == "error":
                    values.append(node.value)
                elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                    values += [value for name, value in zip(target.elts, node.value.elts)
                               if isinstance(name, ast.Attribute) and name.attr == "error"]
        else:
            continue
        for value in values:
            if (text := _constant(value)) is not None:
                yield value.lineno, text


def extract_hub_python(fileobj, keywords, comment_tags, options):
    """Babel extractor for our Python: the msgid argument of each keyword call (`finding`'s is its 7th),
    and with the option `publication_errors` the texts the publishing service stores on a Publication."""
    tree = ast.parse(fileobj.read())
    specs = {name: KEYWORDS.get(name) for name in keywords}  # a derived error class: its first argument
    for lineno, _name, text in keyword_calls(tree, specs):
        yield lineno, None, text, []  # None: Babel takes the message as it is
    if (options or {}).get("publication_errors"):
        for lineno, text in publication_errors(tree):
            yield lineno, None, text, []


# ------------------------------------------------------------------ extraction


def error_classes(root: Path = ROOT) -> set[str]:
    """The error classes whose first argument is a msgid: ours, and every class deriving from one of them
    anywhere in hub/ (e.g. `class MachineTranslationUnavailable(HubError)`), found by reading the code."""
    known = set(ERROR_CLASSES + PUBLISHING_ERRORS)
    bases: dict[str, set[str]] = {}
    for path in (root / "hub").rglob("*.py"):
        if "migrations" in path.parts:
            continue
        try:
            tree = ast.parse(path.read_bytes())
        except SyntaxError:
            continue  # a file being written; its strings are extracted once it parses
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases.setdefault(node.name, set()).update(
                    base.id if isinstance(base, ast.Name) else base.attr
                    for base in node.bases if isinstance(base, (ast.Name, ast.Attribute)))
    grew = True
    while grew:
        found = {name for name, parents in bases.items() if parents & known} - known
        known |= found
        grew = bool(found)
    return known


def extract(root: Path = ROOT) -> Catalog:
    """Every msgid in the code and templates under `root`, with where each is used."""
    catalog = Catalog(project=PROJECT, domain=DOMAIN, creation_date=CREATED, revision_date=CREATED,
                      fuzzy=False, charset="utf-8")
    searched = tuple(str(root / name) for name in SEARCHED)
    keywords = {**KEYWORDS, **{name: None for name in error_classes(root) if name not in KEYWORDS}}

    def searched_only(path: str) -> bool:
        return path.startswith(searched) and "__pycache__" not in path

    for filename, lineno, message, comments, context in extract_from_dir(
        root, METHOD_MAP, OPTIONS_MAP, keywords, directory_filter=searched_only,
    ):
        if not message:
            continue
        catalog.add(message, locations=[(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def read_catalog(path: Path, language: str | None = None) -> Catalog:
    """A `.po` or `.pot` file as a Babel catalogue."""
    with path.open("rb") as file:
        return read_po(file, locale=language, domain=DOMAIN)


def write_catalog(catalog: Catalog, path: Path) -> None:
    """Write a catalogue sorted by msgid, file names without line numbers (so moving code leaves it alone)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = BytesIO()
    write_po(buffer, catalog, width=0, sort_output=True, include_lineno=False, ignore_obsolete=True)
    path.write_bytes(buffer.getvalue())


def translations(language: str, locales: Path = LOCALES) -> dict[str, str]:
    """msgid → translation of every message translated for good (not empty, not fuzzy) in `language`."""
    path = locales / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.exists():
        return {}
    return {message.id: message.string for message in read_catalog(path, language)
            if message.id and isinstance(message.id, str) and message.string and not message.fuzzy}


def merge(template: Catalog, catalog: Catalog) -> Catalog:
    """`catalog` brought up to `template`: translations kept, new msgids empty, unused ones dropped."""
    catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
    catalog.obsolete.clear()
    return catalog


def update(root: Path = ROOT, locales: Path = LOCALES, languages: Iterable[str] = TRANSLATED) -> dict[str, int]:
    """`pieuvre i18n extract`: write the .pot from the sources, merge it into each language's .po.
    Returns how many msgids there are, and how many each language gained and lost."""
    template = extract(root)
    write_catalog(template, locales / f"{DOMAIN}.pot")
    counts = {"messages": len(template)}
    for language in languages:
        path = locales / language / "LC_MESSAGES" / f"{DOMAIN}.po"
        if path.exists():
            catalog = read_catalog(path, language)
        else:
            catalog = Catalog(locale=language, project=PROJECT, domain=DOMAIN, creation_date=CREATED,
                              fuzzy=False, charset="utf-8")
        before = {message.id for message in catalog if message.id}
        merge(template, catalog)
        after = {message.id for message in catalog if message.id}
        write_catalog(catalog, path)
        counts[f"{language} added"] = len(after - before)
        counts[f"{language} dropped"] = len(before - after)
    return counts


# ------------------------------------------------------------------ checks


@dataclass
class Check:
    """What `pieuvre i18n check` finds for one language."""

    language: str
    missing: list[str] = field(default_factory=list)  # used, without a translation
    unused: list[str] = field(default_factory=list)  # in the catalogue, used nowhere
    placeholders: list[str] = field(default_factory=list)  # translated with other {placeholders}

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unused or self.placeholders)


def placeholders_of(text: str) -> set[str]:
    import re

    return set(re.findall(r"\{(\w+)\}", text))


def check(language: str = "fr", root: Path = ROOT, locales: Path = LOCALES) -> Check:
    """Compare what the sources use with the `.po` of `language`."""
    used = {message.id for message in extract(root) if message.id}
    path = locales / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    catalog = read_catalog(path, language) if path.exists() else Catalog(locale=language)
    known = {message.id for message in catalog if message.id}
    translated = translations(language, locales)
    result = Check(language)
    result.missing = sorted(used - set(translated))
    result.unused = sorted(known - used)
    result.placeholders = sorted(english for english, text in translated.items()
                                 if placeholders_of(english) != placeholders_of(text))
    return result
