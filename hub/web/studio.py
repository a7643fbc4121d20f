"""The brand studio's pages: the brand kit, the media library, and the live previews of HQ's post
editor and of a location's customization (counters, findings highlighted in the text, rendered images).

pages.py includes this router at its end; the page helpers this module shares with it (FormErrors,
render helpers) are reached through `web`, imported at the bottom of this file, so either module may
be imported first.
"""

from __future__ import annotations

import itertools
import re
from types import SimpleNamespace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup, escape
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.actor import Actor
from hub.brandkit import service as brandkit
from hub.brandkit.schemas import EVERY_LOCALE, IMAGE_ZONES, REGISTERS, BrandKitData, glossary_locale
from hub.campaigns import service as campaigns
from hub.campaigns.models import Campaign
from hub.campaigns.schemas import IMAGE_TEXT_ZONES
from hub.deps import FormActor, PageActor, SessionDep, require_brand, require_hq
from hub.errors import Forbidden, HubError
from hub.i18n import N_, translate
from hub.linting.networks import NETWORK_RULES, measured_length
from hub.linting.read import COUNTING_WORDS, finding_message
from hub.linting.service import lint_text
from hub.linting.tone import with_signature
from hub.locations import service as locations
from hub.locations.models import Location
from hub.media import service as media
from hub.media.models import Media
from hub.media.storage import get_storage
from hub.proposals import service as proposals
from hub.proposals.localize import VARIABLE, fill_variables, location_values
from hub.proposals.models import Proposal
from hub.templating import render

router = APIRouter()

PALETTE_KEYS = ("primary", "secondary", "accent", "text", "background")
LIMIT_KEYS = ("max_hashtags", "max_emoji", "max_exclamation_marks", "max_caps_words")
BLANK_ROWS = 2
LIBRARY_IN_EDITOR = 24
_ROW_FIELD = re.compile(r"^(banned|mention|glossary)-(\d{1,4})-")
GLOSSARY_MODES = ("keep", "translate")
_LANGUAGE = re.compile(r"^[a-z]{2}$")


# ---------------------------------------------------------------- highlighting and counters


def overflow_start(network: str, text: str) -> int:
    """Where `text` goes past the network's limit, as the network counts it (X shows that part in red)."""
    limit = NETWORK_RULES[network].max_length
    if measured_length(network, text) <= limit:
        return len(text)
    # measured(text[:low]) <= limit < measured(text[:high]): the lengths of prefixes only grow.
    low, high = 0, len(text)
    while high - low > 1:
        middle = (low + high) // 2
        if measured_length(network, text[:middle]) <= limit:
            low = middle
        else:
            high = middle
    return low


def highlight(text: str, findings: list[dict[str, Any]], language: str,
              values: dict[str, str] | None = None) -> Markup:
    """`text` escaped, each finding's span wrapped in <mark class="finding finding--…" title="message">.

    With `values`, each known `{variable}` shows its value (marked as a variable); findings' spans
    are on the text as written and stay on it. A too-long text marks only what goes past the limit.
    Overlapping spans are cut at their edges, so the marks never cross.
    """
    length = len(text)
    tokens = [(match.start(), match.end(), match.group(1)) for match in VARIABLE.finditer(text)
              if values and match.group(1) in values]
    spans: list[tuple[int, int, str, str]] = []
    for item in findings:
        start = max(0, min(int(item.get("start") or 0), length))
        end = max(0, min(int(item.get("end") or 0), length))
        if item.get("rule") == "network.too_long" and item.get("network") in NETWORK_RULES:
            start = max(start, overflow_start(item["network"], text))
        for token_start, token_end, _name in tokens:  # a span never cuts a variable in two
            if token_start < start < token_end:
                start = token_start
            if token_start < end < token_end:
                end = token_end
        if end > start:
            spans.append((start, end, item.get("severity", "warning"), finding_message(item, language)))
    cuts = sorted({0, length, *(edge for span in spans for edge in span[:2]),
                   *(edge for token in tokens for edge in token[:2])})
    token_at = {token[0]: token for token in tokens}
    pieces: list[tuple[tuple[int, ...], str]] = []
    for start, end in itertools.pairwise(cuts):
        cover = tuple(index for index, span in enumerate(spans) if span[0] <= start and end <= span[1])
        token = token_at.get(start)
        if token is not None and token[1] == end and values is not None:
            piece = f'<mark class="var" title="{{{token[2]}}}">{escape(values[token[2]])}</mark>'
        else:
            piece = str(escape(text[start:end]))
        pieces.append((cover, piece))
    html: list[str] = []
    for cover, group in itertools.groupby(pieces, key=lambda piece: piece[0]):
        inner = "".join(piece for _cover, piece in group)
        if not cover:
            html.append(inner)
            continue
        severity = "error" if any(spans[index][2] == "error" for index in cover) else "warning"
        title = " · ".join(dict.fromkeys(spans[index][3] for index in cover))
        html.append(f'<mark class="finding finding--{severity}" title="{escape(title)}">{inner}</mark>')
    return Markup("".join(html))


def usage(network: str, text: str) -> dict[str, Any]:
    """How much of the network's limit the text uses, as that network counts it."""
    rules = NETWORK_RULES[network]
    used = measured_length(network, text)
    ratio = used / rules.max_length if rules.max_length else 0
    steps = 0 if not used else max(1, min(20, round(ratio * 20)))
    return {"used": used, "limit": rules.max_length, "counting": COUNTING_WORDS[rules.counting],
            "over": used > rules.max_length, "near": not used > rules.max_length and ratio >= 0.9,
            "width": f"w-{steps * 5}"}


def _severity_counts(findings: list[dict[str, Any]]) -> tuple[int, int]:
    errors = sum(1 for item in findings if item.get("severity") == "error")
    return errors, len(findings) - errors


# ---------------------------------------------------------------- HQ post editor: live preview


def editor_values(form: Any) -> dict[str, Any]:
    """What the new-post form holds (for the preview, and to show the form again)."""
    return {
        "body": str(form.get("body") or ""),
        "networks": [str(name) for name in form.getlist("networks")],
        "publish_at": str(form.get("publish_at") or "").strip(),
        "editable": str(form.get("editable") or "").strip() or "free",
        "media_id": str(form.get("media_id") or "").strip(),
        "image_texts": {zone: str(form.get(f"image_{zone}") or "") for zone in IMAGE_TEXT_ZONES},
    }


def image_spec(values: dict[str, Any]) -> dict[str, Any]:
    """The post's image spec (photo and texts), empty when the post has no image."""
    texts = {zone: text for zone, text in (values.get("image_texts") or {}).items() if text.strip()}
    if not values.get("media_id") and not texts:
        return {}
    return {"media_id": values.get("media_id") or None, "texts": texts}


async def sample_location(session: AsyncSession, actor: Actor) -> Location | None:
    """The location HQ's previews are shown for: the brand's first by code."""
    found = await locations.list_locations(session, actor, limit=1)
    return found[0] if found else None


async def editor_library(session: AsyncSession, brand_id: str, selected: str = "") -> list[Media]:
    """The photos the editor offers: the newest of the library, and the chosen one if it is older."""
    rows = list(await session.scalars(select(Media).where(Media.brand_id == brand_id, Media.content_type.like("image/%"))
                                      .order_by(Media.created_at.desc(), Media.id).limit(LIBRARY_IN_EDITOR)))
    if selected and all(row.id != selected for row in rows):
        chosen = await session.scalar(select(Media).where(Media.brand_id == brand_id, Media.id == selected))
        if chosen is not None:
            rows.insert(0, chosen)
    return rows


async def _render_images(session: AsyncSession, settings: Any, brand_id: str, spec: dict[str, Any],
                         location: Location | None, networks: list[str]) -> dict[str, tuple[str, list[dict[str, Any]]]]:
    """Each network's image (key and findings): at most one render per network, none when already stored.

    media.preview_image for every network, with the post's shared parts (photo, logo, fonts) loaded once.
    """
    storage = get_storage(settings)
    context = await media.image_context(session, storage, brand_id, spec)
    if context is None:
        return {}
    images = {}
    for network in networks:
        job = context.job(location, network)
        _data, findings = await media.ensure_render(storage, job)
        images[network] = (job.key, findings)
    return images


async def post_preview(session: AsyncSession, settings: Any, actor: Actor, campaign: Campaign,
                       values: dict[str, Any], language: str) -> dict[str, Any] | None:
    """Each ticked network's post as it will look: counter, findings highlighted, rendered image."""
    networks = [name for name in dict.fromkeys(values.get("networks") or []) if name in NETWORK_RULES]
    spec = image_spec(values)
    if not values.get("body", "").strip() and not spec:
        return None
    rules = await brandkit.lint_rules(session, campaign.brand_id)
    locale = await campaigns.source_locale(session, campaign.brand_id)
    sample = await sample_location(session, actor)
    sample_values = location_values(sample) if sample is not None else {}
    images: dict[str, tuple[str, list[dict[str, Any]]]] = {}
    image_error = ""
    if spec and networks:
        try:
            images = await _render_images(session, settings, campaign.brand_id, spec, sample, networks)
        except HubError as error:  # the photo left the library since the page was opened
            image_error = translate(error.message, language, **error.values)
    cards = []
    for network in networks:
        text = with_signature(values.get("body", ""), network, rules.tone)
        draft = SimpleNamespace(networks=[network], variants={}, slots={}, body=values.get("body", ""))
        findings = campaigns.lint_post(draft, rules, locale)
        key, image_findings = images.get(network, ("", []))
        findings += [{**item, "network": network, "locale": locale, "start": 0, "end": 0} for item in image_findings]
        errors, warnings = _severity_counts(findings)
        cards.append({
            "network": network,
            "html": highlight(text, findings, language, sample_values),
            "usage": usage(network, text),
            "findings": findings,
            "errors": errors,
            "warnings": warnings,
            "image": f"/renders/{key}.jpg" if key else "",
        })
    return {"cards": cards, "sample": sample, "has_image": bool(spec), "image_error": image_error,
            "placeholder": sample or SimpleNamespace(name=campaign.name, code=campaign.name)}


@router.post("/campaigns/{campaign_id}/posts/preview")
async def post_preview_route(request: Request, campaign_id: str, actor: FormActor, session: SessionDep) -> HTMLResponse:
    """The editor's live preview (HTMX, while HQ types): one card per ticked network."""
    campaign = await campaigns.get_campaign(session, actor, campaign_id)
    require_hq(actor)
    values = editor_values(await request.form())
    language = web._ensure_language(request)
    preview = await post_preview(session, request.app.state.settings, actor, campaign, values, language)
    return render(request, "campaigns/detail.html", {"campaign": campaign, "preview": preview, "values": values},
                  block="post_preview")


# ---------------------------------------------------------------- local customization: live lint


async def proposal_live(session: AsyncSession, proposal: Proposal, location: Location, drafts: dict[str, str],
                        language: str) -> dict[str, dict[str, Any]]:
    """Each network's text as it would go out (typed text, signature, variables filled), linted as customize() does."""
    rules = await brandkit.lint_rules(session, proposal.brand_id)
    values = location_values(location)
    live: dict[str, dict[str, Any]] = {}
    for network, current in proposal.texts.items():
        typed = drafts.get(network)
        source = with_signature(current if typed is None else typed, network, rules.tone)
        text, findings = fill_variables(source, values, network, location.locale)
        findings = findings + lint_text(text, network, location.locale, rules)
        errors, warnings = _severity_counts(findings)
        live[network] = {"text": text, "html": highlight(text, findings, language), "usage": usage(network, text),
                         "findings": findings, "errors": errors, "warnings": warnings}
    return live


@router.post("/proposals/{proposal_id}/preview")
async def proposal_preview_route(request: Request, proposal_id: str, actor: FormActor,
                                 session: SessionDep) -> HTMLResponse:
    """The customization's live check (HTMX, while the location types): previews, counters and findings."""
    proposal = await proposals.get_proposal(session, actor, proposal_id)
    form = await request.form()
    drafts = {network: str(form.get(f"text_{network}")) for network in proposal.texts
              if form.get(f"text_{network}") is not None}
    location = await locations.get_location(session, actor, proposal.location_id)
    revision = await proposals.revision_of(session, proposal)
    context = {"proposal": proposal, "location": location, "has_image": bool(revision is not None and revision.image),
               "live": await proposal_live(session, proposal, location, drafts, web._ensure_language(request)),
               "live_oob": True}
    # The previews in place, each text area's counter and findings out of band.
    parts = [render(request, "proposals/detail.html", context, block=block).body.decode()
             for block in ("previews", "live_boxes")]
    return HTMLResponse("".join(parts), headers={"Vary": "HX-Request"})


# ---------------------------------------------------------------- brand kit


def _require_admin(actor: Actor) -> None:
    require_hq(actor)
    if actor.role != "hq_admin":
        raise Forbidden("Only an hq_admin can change the brand kit.")


def kit_values(kit: BrandKitData) -> dict[str, Any]:
    """The brand kit as its form shows it."""
    tone = kit.tone
    return {
        "palette": kit.palette.model_dump(),
        "banned": [{"index": index, "term": row.term, "replacement": row.replacement,
                    "languages": ", ".join(row.languages)} for index, row in enumerate(tone.banned_terms)],
        "mentions": [{"index": index, "text": row.text, "networks": list(row.networks)}
                     for index, row in enumerate(tone.required_mentions)],
        "limits": {key: "" if getattr(tone, key) is None else str(getattr(tone, key)) for key in LIMIT_KEYS},
        "formality": dict(tone.formality),
        "signature": {"text": tone.signature.text, "networks": list(tone.signature.networks)},
        "instagram_hashtag_cap": str(kit.networks.instagram_hashtag_cap),
        "editable_zones": list(getattr(kit, "editable_zones", [])),
        "glossary": glossary_values(kit),
    }


def glossary_values(kit: BrandKitData) -> list[dict[str, Any]]:
    """The glossary as its form shows it: one row per term and locale ("" for every other locale)."""
    rows = [{"term": entry.term, "locale": "" if locale == EVERY_LOCALE else locale, "mode": rule.mode,
             "translation": rule.translation}
            for entry in kit.glossary for locale, rule in entry.locale_rules.items()]
    return [{"index": index, **row} for index, row in enumerate(rows)]


def _with_blank_rows(values: dict[str, Any]) -> dict[str, Any]:
    """The form's rows plus a few empty ones to add terms and mentions without JavaScript."""
    glossary = values.get("glossary", [])
    start = max([row["index"] for row in values["banned"] + values["mentions"] + glossary] + [-1]) + 1
    blanks = range(start, start + BLANK_ROWS)
    return {**values,
            "banned": values["banned"] + [{"index": index, "term": "", "replacement": "", "languages": ""}
                                          for index in blanks],
            "mentions": values["mentions"] + [{"index": index, "text": "", "networks": []} for index in blanks],
            "glossary": glossary + [{"index": index, "term": "", "locale": "", "mode": "keep", "translation": ""}
                                    for index in blanks],
            "next_index": start + BLANK_ROWS}


def _kit_messages(_: Any) -> dict[str, str]:
    """Our sentence for each kind of field of the brand-kit form."""
    return {
        "palette": _("Write colours as #RRGGBB, e.g. #4F46E5."),
        "term": _("Write the term (at most 100 characters)."),
        "replacement": _("Write the replacement in at most 100 characters."),
        "text": _("Write the mention or hashtag (at most 100 characters)."),
        "networks": _("Tick networks from the list only."),
        "limit": _("Write a whole number from 0 to 100, or leave it empty for no limit."),
        "formality": _("Pick a register from the list."),
        "signature": _("Write the signature in at most 300 characters."),
        "instagram_hashtag_cap": _("Write a whole number from 0 to 30."),
        "rows": _("The brand kit holds at most 500 banned terms and 50 required mentions."),
        "zones": _("Tick zones from the list only."),
        "glossary_term": _("Write the brand term (at most 100 characters, with at least one letter or digit)."),
        "glossary_locale": _("Write a locale such as fr or fr-BE, or leave it empty for every other locale."),
        "glossary_mode": _("Pick “Keep as is” or “Translate as”."),
        "glossary_translation": _("Write the translation (at most 100 characters), or pick “Keep as is”."),
        "glossary_kept": _("A kept term is written as it is: empty the translation, or pick “Translate as”."),
        "glossary_rows": _("The glossary holds at most 500 terms."),
    }


def parse_kit_form(form: Any, current: BrandKitData, errors: Any, _: Any) -> tuple[dict[str, Any], BrandKitData | None]:
    """The submitted brand kit: what to show again, and the checked kit (None when a field is wrong)."""
    messages = _kit_messages(_)
    indices: dict[str, list[int]] = {"banned": [], "mention": [], "glossary": []}
    for key in form:
        match = _ROW_FIELD.match(key)
        if match and int(match.group(2)) not in indices[match.group(1)]:
            indices[match.group(1)].append(int(match.group(2)))

    def text(name: str) -> str:
        return str(form.get(name) or "").strip()

    values: dict[str, Any] = {
        "palette": {key: text(f"palette-{key}") for key in PALETTE_KEYS},
        "banned": [], "mentions": [],
        "limits": {key: text(key) for key in LIMIT_KEYS},
        "formality": {language: text(f"formality-{language}") for language in REGISTERS},
        "signature": {"text": text("signature-text"), "networks": [str(n) for n in form.getlist("signature-networks")]},
        "instagram_hashtag_cap": text("instagram_hashtag_cap"),
        "editable_zones": [str(zone) for zone in form.getlist("editable_zones")],
        "glossary": [],
    }
    banned_rows: list[int] = []  # form index of each banned term kept, to put pydantic's errors back on its row
    banned: list[dict[str, Any]] = []
    for index in sorted(indices["banned"]):
        row = {"index": index, "term": text(f"banned-{index}-term"), "replacement": text(f"banned-{index}-replacement"),
               "languages": text(f"banned-{index}-languages")}
        if form.get(f"banned-{index}-remove") or not (row["term"] or row["replacement"] or row["languages"]):
            continue
        values["banned"].append(row)
        codes = [code.lower() for code in re.split(r"[\s,;]+", row["languages"]) if code]
        if any(not _LANGUAGE.match(code) for code in codes):
            errors.add(f"banned-{index}-languages", _("Use two-letter codes such as fr, de."))
        banned_rows.append(index)
        banned.append({"term": row["term"], "replacement": row["replacement"], "languages": list(dict.fromkeys(codes))})
    mention_rows: list[int] = []
    mentions: list[dict[str, Any]] = []
    for index in sorted(indices["mention"]):
        row = {"index": index, "text": text(f"mention-{index}-text"),
               "networks": [str(name) for name in form.getlist(f"mention-{index}-networks")]}
        if form.get(f"mention-{index}-remove") or not (row["text"] or row["networks"]):
            continue
        values["mentions"].append(row)
        mention_rows.append(index)
        mentions.append({"text": row["text"], "networks": row["networks"]})
    glossary, glossary_rows = _parse_glossary_rows(form, sorted(indices["glossary"]), values, errors, _)
    limits: dict[str, int | None] = {}
    for key in (*LIMIT_KEYS, "instagram_hashtag_cap"):
        raw = values["limits"][key] if key in LIMIT_KEYS else values["instagram_hashtag_cap"]
        if not raw:
            limits[key] = None
            continue
        try:
            limits[key] = int(raw)
        except ValueError:
            errors.add(key, messages["limit" if key in LIMIT_KEYS else key])
    if not values["instagram_hashtag_cap"]:
        errors.add("instagram_hashtag_cap", messages["instagram_hashtag_cap"])
    signature_networks = values["signature"]["networks"]
    if any(name not in NETWORK_RULES for name in signature_networks):
        errors.add("signature-networks", messages["networks"])
    # Start from the saved kit, so what this form does not show (logo, image template…) is kept.
    data = current.model_dump(mode="json")
    data["palette"] = values["palette"]
    data["tone"] = {
        **data["tone"],
        "banned_terms": banned, "required_mentions": mentions,
        **{key: limits.get(key) for key in LIMIT_KEYS},
        "formality": {language: register for language, register in values["formality"].items() if register},
        "signature": {"text": values["signature"]["text"], "networks": signature_networks},
    }
    # A field already refused above gets a valid stand-in, so it is not reported twice.
    data["networks"] = {**data["networks"], "instagram_hashtag_cap": current.networks.instagram_hashtag_cap
                        if "instagram_hashtag_cap" in errors.fields else limits.get("instagram_hashtag_cap")}
    if "editable_zones" in data:
        data["editable_zones"] = values["editable_zones"]
    data["glossary"] = glossary
    try:
        kit = BrandKitData.model_validate(data)
    except ValidationError as error:
        for item in error.errors():
            errors.add(*_kit_error_field(item["loc"], banned_rows, mention_rows, messages, glossary_rows))
        kit = None
    if errors:
        errors.summary = _("Some fields need your attention: see the messages below.")
        return values, None
    return values, kit


def _parse_glossary_rows(form: Any, indices: list[int], values: dict[str, Any], errors: Any,
                         _: Any) -> tuple[list[dict[str, Any]], list[dict[str, int]]]:
    """The glossary's form rows (one per term and locale) as glossary entries (one per term, whatever
    its case and accents), and for each entry the form row of each of its locales."""
    from hub.linting.tone import fold

    messages = _kit_messages(_)
    entries: dict[str, dict[str, Any]] = {}
    rows_of: dict[str, dict[str, int]] = {}
    for index in indices:
        def text(name: str) -> str:
            return str(form.get(f"glossary-{index}-{name}") or "").strip()

        row = {"index": index, "term": text("term"), "locale": text("locale"), "mode": text("mode") or "keep",
               "translation": text("translation")}
        # The mode always has a value (a select): a row is blank when nothing was typed in it.
        if form.get(f"glossary-{index}-remove") or not (row["term"] or row["locale"] or row["translation"]):
            continue
        values["glossary"].append(row)
        prefix = f"glossary-{index}"
        if not row["term"]:
            errors.add(f"{prefix}-term", messages["glossary_term"])
            continue
        try:
            locale = glossary_locale(row["locale"] or EVERY_LOCALE)
        except ValueError:
            errors.add(f"{prefix}-locale", messages["glossary_locale"])
            continue
        if row["mode"] not in GLOSSARY_MODES:
            errors.add(f"{prefix}-mode", messages["glossary_mode"])
            continue
        if row["mode"] == "translate" and not row["translation"]:
            errors.add(f"{prefix}-translation", messages["glossary_translation"])
            continue
        if row["mode"] == "keep" and row["translation"]:
            errors.add(f"{prefix}-translation", messages["glossary_kept"])
            continue
        key = " ".join(fold(row["term"])[0].split())
        entry = entries.setdefault(key, {"term": row["term"], "locale_rules": {}})
        if locale in entry["locale_rules"]:
            errors.add(f"{prefix}-locale", _("“{term}” already has a rule for this locale: keep one row per locale.",
                                             term=entry["term"]))
            continue
        entry["locale_rules"][locale] = {"mode": row["mode"], "translation": row["translation"]}
        rows_of.setdefault(key, {})[locale] = index
    return list(entries.values()), [rows_of[key] for key in entries]


def _kit_error_field(loc: tuple[Any, ...], banned_rows: list[int], mention_rows: list[int],
                     messages: dict[str, str], glossary_rows: list[dict[str, int]] | None = None) -> tuple[str, str]:
    """The form field (and our sentence) of one of BrandKitData's errors."""
    part = list(loc) + ["", "", "", ""]
    if part[0] == "glossary":
        rows = glossary_rows or []
        if isinstance(part[1], int) and part[1] < len(rows) and rows[part[1]]:
            locales = rows[part[1]]
            if part[2] == "locale_rules" and part[3] in locales:
                field = "translation" if part[4] == "translation" else "locale"
                return f"glossary-{locales[part[3]]}-{field}", messages[f"glossary_{field}"]
            return f"glossary-{min(locales.values())}-term", messages["glossary_term"]
        return "glossary-rows", messages["glossary_rows"]
    if part[0] == "palette":
        return f"palette-{part[1]}", messages["palette"]
    if part[0] == "editable_zones":
        return "editable_zones", messages["zones"]
    if part[0] == "networks":
        return "instagram_hashtag_cap", messages["instagram_hashtag_cap"]
    if part[0] == "tone":
        if part[1] == "banned_terms" and isinstance(part[2], int) and part[2] < len(banned_rows):
            field = part[3] if part[3] in ("term", "replacement", "languages") else "term"
            return f"banned-{banned_rows[part[2]]}-{field}", messages.get(field, messages["term"])
        if part[1] == "required_mentions" and isinstance(part[2], int) and part[2] < len(mention_rows):
            field = part[3] if part[3] in ("text", "networks") else "text"
            return f"mention-{mention_rows[part[2]]}-{field}", messages[field]
        if part[1] in ("banned_terms", "required_mentions"):
            return "rows", messages["rows"]
        if part[1] in LIMIT_KEYS:
            return part[1], messages["limit"]
        if part[1] == "formality":
            return "formality", messages["formality"]
        if part[1] == "signature":
            return ("signature-networks", messages["networks"]) if part[2] == "networks" else ("signature-text", messages["signature"])
    return "rows", messages["rows"]


async def _brand_kit_page(request: Request, session: AsyncSession, actor: Actor, *,
                          values: dict[str, Any] | None = None, errors: Any = None, logo_error: str = "",
                          font_errors: dict[str, str] | None = None, notice: str = "",
                          status_code: int = 200) -> HTMLResponse:
    kit = await brandkit.get_kit(session, actor.brand_id)
    logo = None
    if kit.logo_media_id:
        logo = await session.scalar(select(Media).where(Media.brand_id == actor.brand_id, Media.id == kit.logo_media_id))
    fonts = {font.role: font for font in await media.list_fonts(session, actor.brand_id)}
    return render(request, "brandkit/edit.html", {
        "sample_image": await _sample_image(request, session, actor.brand_id, kit.logo_media_id),
        "kit": kit,
        "values": _with_blank_rows(values or kit_values(kit)),
        "errors": errors or web.FormErrors(),
        "can_edit": actor.role == "hq_admin",
        "logo": logo,
        "logo_error": logo_error,
        "fonts": fonts,
        "font_roles": media.FONT_ROLES,
        "font_errors": font_errors or {},
        "notice": notice,
        "registers": REGISTERS,
        "image_zones": IMAGE_ZONES,
        "palette_keys": PALETTE_KEYS,
        "limit_keys": LIMIT_KEYS,
    }, status_code=status_code)


async def _sample_image(request: Request, session: AsyncSession, brand_id: str, logo_id: str | None) -> str:
    """A sample of the brand template with the saved kit (and the newest photo): rendered once, then stored."""
    _ = web._translator(request)
    photo = await session.scalar(select(Media.id).where(Media.brand_id == brand_id, Media.id != (logo_id or ""))
                                 .order_by(Media.created_at.desc(), Media.id).limit(1))
    spec = {"media_id": photo, "texts": {
        "headline": _("Your headline here"), "subline": _("A sub-line that says a little more"),
        "cta": _("Call to action"), "legal": _("Legal mention")}}
    try:
        found = await media.preview_image(session, get_storage(request.app.state.settings), brand_id, spec, None,
                                          "instagram")
    except HubError:  # e.g. the logo left the library: the page still opens
        return ""
    return f"/renders/{found[0]}.jpg" if found else ""


_NOTICES = {
    "saved": N_("Brand kit saved: every text written from now on is held to it."),
    "logo": N_("Logo saved: new images carry it."),
    "logo_removed": N_("Logo removed."),
    "font": N_("Font saved: new images use it."),
}


@router.get("/brand-kit")
async def brand_kit_page(request: Request, actor: PageActor, session: SessionDep, saved: str = "") -> HTMLResponse:
    """The brand kit: palette, logo, fonts and tone of voice (HQ admins edit, HQ editors read)."""
    require_hq(actor)
    _ = web._translator(request)
    return await _brand_kit_page(request, session, actor, notice=_(_NOTICES[saved]) if saved in _NOTICES else "")


@router.post("/brand-kit")
async def save_brand_kit(request: Request, actor: FormActor, session: SessionDep) -> Response:
    """Save palette, tone rules and network settings; the form comes back with its errors otherwise."""
    _require_admin(actor)
    _ = web._translator(request)
    form = await request.form()
    errors = web.FormErrors()
    current = await brandkit.get_kit(session, actor.brand_id)
    values, kit = parse_kit_form(form, current, errors, _)
    if kit is None:
        return await _brand_kit_page(request, session, actor, values=values, errors=errors, status_code=422)
    await brandkit.put_kit(session, actor, kit)
    return web._see_other("/brand-kit?saved=saved")


async def _read_upload(upload: Any, limit: int) -> tuple[bytes, str]:
    """An uploaded file's bytes (one past the limit at most: enough to refuse it) and name."""
    if upload is None or isinstance(upload, str):
        return b"", ""
    return await upload.read(limit + 1), str(upload.filename or "")


@router.post("/brand-kit/logo")
async def upload_logo(request: Request, actor: FormActor, session: SessionDep) -> Response:
    """Upload the brand's logo (checked and cleaned like every image) and put it in the kit."""
    _require_admin(actor)
    _ = web._translator(request)
    settings = request.app.state.settings
    form = await request.form()
    raw, name = await _read_upload(form.get("file"), settings.media_max_bytes)
    if not raw:
        return await _brand_kit_page(request, session, actor, logo_error=_("Choose an image file first."),
                                     status_code=422)
    try:
        logo = await media.upload_media(session, get_storage(settings), settings, actor, raw, name)
    except HubError as error:
        await web._undo(session, actor)
        return await _brand_kit_page(request, session, actor, logo_error=_(error.message, **error.values),
                                     status_code=error.status_code)
    kit = await brandkit.get_kit(session, actor.brand_id)
    await brandkit.put_kit(session, actor, kit.model_copy(update={"logo_media_id": logo.id}))
    return web._see_other("/brand-kit?saved=logo")


@router.post("/brand-kit/logo/remove")
async def remove_logo(request: Request, actor: FormActor, session: SessionDep) -> Response:
    """Take the logo out of the kit (the image stays in the library)."""
    _require_admin(actor)
    kit = await brandkit.get_kit(session, actor.brand_id)
    await brandkit.put_kit(session, actor, kit.model_copy(update={"logo_media_id": None}))
    return web._see_other("/brand-kit?saved=logo_removed")


@router.post("/brand-kit/fonts")
async def upload_font(request: Request, actor: FormActor, session: SessionDep) -> Response:
    """Upload the TTF/OTF font of one role; a file Pieuvre cannot draw with is refused in place."""
    _require_admin(actor)
    _ = web._translator(request)
    settings = request.app.state.settings
    form = await request.form()
    role = str(form.get("role") or "")
    raw, _name = await _read_upload(form.get("file"), settings.font_max_bytes)
    if not raw:
        return await _brand_kit_page(request, session, actor, font_errors={role: _("Choose a .ttf or .otf file first.")},
                                     status_code=422)
    try:
        await media.upload_font(session, get_storage(settings), settings, actor, role, raw)
    except HubError as error:
        await web._undo(session, actor)
        return await _brand_kit_page(request, session, actor, font_errors={role: _(error.message, **error.values)},
                                     status_code=error.status_code)
    return web._see_other("/brand-kit?saved=font#fonts")


# ---------------------------------------------------------------- media library


def _may_upload(actor: Actor) -> None:
    require_brand(actor)
    if actor.role == "viewer":
        raise Forbidden("Viewers cannot upload images.")


async def _media_page(request: Request, session: AsyncSession, actor: Actor, *, refused: list[dict[str, str]] | None = None,
                      added: int = 0, status_code: int = 200) -> HTMLResponse:
    rows = list(await session.scalars(select(Media).where(Media.brand_id == actor.brand_id)
                                      .order_by(Media.created_at.desc(), Media.id).limit(500)))
    settings = request.app.state.settings
    kit = await brandkit.get_kit(session, actor.brand_id)
    return render(request, "media/library.html", {
        "items": rows, "refused": refused or [], "added": added, "logo_id": kit.logo_media_id,
        "max_mb": settings.media_max_bytes // 1048576,
    }, status_code=status_code)


@router.get("/media")
async def media_page(request: Request, actor: PageActor, session: SessionDep, added: int = 0) -> HTMLResponse:
    """The brand's image library and the upload form."""
    _may_upload(actor)
    return await _media_page(request, session, actor, added=max(0, added))


@router.post("/media")
async def upload_media(request: Request, actor: FormActor, session: SessionDep) -> Response:
    """Add images to the library; each refused file is named with the reason, the others are kept."""
    _may_upload(actor)
    _ = web._translator(request)
    settings = request.app.state.settings
    storage = get_storage(settings)
    form = await request.form()
    refused: list[dict[str, str]] = []
    added = 0
    status_code = 200
    uploads = [item for item in form.getlist("file") if not isinstance(item, str)]
    for upload in uploads:
        head, name = await _read_upload(upload, 15)
        # The first bytes say whether this is a video, which has its own (larger) limit.
        limit = settings.video_max_bytes if media.video_type(head) else settings.media_max_bytes
        raw = head + (await upload.read(limit + 1 - len(head)) if len(head) == 16 else b"")
        if not raw and not name:
            continue  # the empty file field a browser sends when nothing was chosen
        try:
            async with session.begin_nested():  # a refused file leaves nothing behind
                await media.upload_media(session, storage, settings, actor, raw, name)
            added += 1
        except HubError as error:
            refused.append({"name": name, "message": _(error.message, **error.values)})
            status_code = error.status_code if status_code == 200 else status_code
    if not added and not refused:
        refused.append({"name": "", "message": _("Choose one or more images or videos first.")})
        status_code = 422
    if refused:
        # The answer's status is the first refusal's (415, 413, 422), whatever else was added.
        return await _media_page(request, session, actor, refused=refused, added=added, status_code=status_code)
    return web._see_other(f"/media?added={added}")


# Last, for the cycle: pages.py includes this router at its own end, and both are then complete.
from hub.web import pages as web
