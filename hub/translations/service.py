"""Translations of posts: the fallback chain fan-out follows, who may translate which locale,
saving and approving a translation, and flagging translations stale when HQ changes the source.

The fallback chain of a location (what its proposal is written in), in order:
1. its own locale (`fr-BE`);
2. that locale with its last subtags dropped, as BCP 47 lookup does (RFC 4647 §3.4: `zh-Hant-TW`
   → `zh-Hant`), except a step whose likely script differs: bare `zh` means Simplified Chinese
   (CLDR likely subtags), so it never stands in for `zh-Hant-TW`;
3. the same language in the same script written for another region (`fr-FR`, `fr-CA` for
   `fr-BE`): HQ's own source text first when it is in that language, then the language's most
   likely region (CLDR: `fr` → `fr-FR`, `pt` → `pt-BR`), then the others by name.
The first step that has an approved translation (or is the source locale itself) gives the text.
A location whose language has none gets a `needs_translation` proposal: never the source in another
language. The chain tried and the locale used are stored on the proposal and shown.

Who serves a locale: HQ (hq_admin, hq_editor) translates into any locale; a distributor — a local
manager with at least one location of kind `distributor` in its scope — translates into the
locales of the locations in its scope (its market), exactly: serving `fr-BE` does not let it write
`fr`, which would reach France too. A `needs_translation` proposal notifies the distributors
serving the location's locale, or the brand's HQ when no distributor serves it.

Stale: when HQ makes a new revision whose text differs (per network) from the revision a
translation was made from, the translation is flagged stale with the word diff of the source and
its distributors are told. A stale translation is still approved content and keeps serving (fan-out
of the new revision uses it, with a warning on the proposal); the flag clears when someone saves it
against the current revision.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from babel.core import get_global
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.actor import Actor
from hub.accounts.models import HQ_ROLES, Membership
from hub.audit.service import record
from hub.brandkit.service import lint_rules
from hub.campaigns import service as campaigns
from hub.campaigns.models import Post, PostRevision
from hub.db import insert_ignoring_conflicts, new_id, upsert, utcnow
from hub.errors import Conflict, Forbidden, Invalid, NotFound
from hub.linting.service import LintRules, has_errors, lint_text
from hub.linting.tone import with_signature
from hub.locations.models import Location
from hub.notifications.models import Notification
from hub.proposals.diff import word_diff
from hub.proposals.localize import SLOT, fill_slots
from hub.proposals.models import Proposal
from hub.translations.models import TRANSLATION_STATUSES, Translation, TranslationMemory

# The locale shape locations use (hub.locations.schemas): language, optional Script, optional REGION.
LOCALE = re.compile(r"^[a-z]{2,3}(-[A-Z][a-z]{3})?(-(?:[A-Z]{2}|[0-9]{3}))?$")


# ---------------------------------------------------------------- the fallback chain


def _subtags(locale: str) -> tuple[str, str | None, str | None]:
    """(language, script, region) of a locale written like `zh-Hant-TW`."""
    parts = locale.split("-")
    language, script, region = parts[0].lower(), None, None
    for part in parts[1:]:
        if len(part) == 4 and part.isalpha():
            script = part.title()
        else:
            region = part.upper()
    return language, script, region


@cache
def _likely(locale: str) -> tuple[str, str | None, str | None]:
    """The locale completed with its likely script and region (CLDR likely subtags, from Babel)."""
    language, script, region = _subtags(locale)
    table = get_global("likely_subtags")
    keys = [f"{language}_{script}_{region}" if script and region else None,
            f"{language}_{region}" if region else None, f"{language}_{script}" if script else None, language]
    for key in keys:
        if key and key in table:
            found = table[key].split("_")
            if len(found) == 3:
                return language, script or found[1], region or found[2]
    return language, script, region


def script_of(locale: str) -> str | None:
    """The script a locale is written in, explicit or likely (`zh-TW` → Hant, `zh` → Hans)."""
    return _likely(locale)[1]


def fallback_chain(locale: str, source_locale: str, available: Iterable[str] = ()) -> list[str]:
    """The locales tried, in order, for a location in `locale` (see the module's docstring).

    `available`: the locales that have an approved translation; the other regions of the language
    are only listed when they have one (or are the source).
    """
    language, _script, _region = _subtags(locale)
    script = script_of(locale)
    chain = [locale]
    parts = locale.split("-")
    while len(parts) > 1:
        parts = parts[:-1]
        candidate = "-".join(parts)
        if script_of(candidate) == script:
            chain.append(candidate)
    likely_region = _likely(f"{language}-{script}" if script else language)[2]
    siblings = {candidate for candidate in (*available, source_locale)
                if candidate not in chain and _subtags(candidate)[0] == language and script_of(candidate) == script}
    chain.extend(sorted(siblings, key=lambda candidate: (
        candidate != source_locale, _subtags(candidate)[2] != likely_region, candidate)))
    return chain


def choose(chain: list[str], approved: Iterable[str], source_locale: str) -> str | None:
    """The first locale of the chain that has a text: an approved translation, or the source itself."""
    have = set(approved)
    return next((locale for locale in chain if locale == source_locale or locale in have), None)


def text_for(content: Any, network: str) -> str:
    """The text of a post or translation (body + per-network variants) on one network."""
    return (content.variants or {}).get(network) or content.body


# ---------------------------------------------------------------- reading


async def source_locale_of(session: AsyncSession, revision: PostRevision, brand_id: str) -> str:
    """The locale a revision is written in: its own, else the brand's default."""
    return revision.source_locale or await campaigns.source_locale(session, brand_id)


async def approved_translations(session: AsyncSession, post_id: str) -> dict[str, Translation]:
    """The post's approved translations by locale (stale ones included: they still serve)."""
    rows = await session.scalars(select(Translation).where(Translation.post_id == post_id,
                                                           Translation.status == "approved"))
    return {row.locale: row for row in rows}


async def translations_of(session: AsyncSession, post_id: str) -> dict[str, Translation]:
    """Every translation of the post by locale."""
    rows = await session.scalars(select(Translation).where(Translation.post_id == post_id).order_by(Translation.locale))
    return {row.locale: row for row in rows}


async def brand_locales(session: AsyncSession, brand_id: str) -> list[str]:
    """The locales the brand's locations use, by name."""
    return sorted(set(await session.scalars(select(Location.locale).where(Location.brand_id == brand_id))))


def translatable_locales(location_locales: Iterable[str], source_locale: str) -> list[str]:
    """The locales a translation may be written for: those a location uses, and what their chain
    steps through (`fr` for `fr-BE`); never the source locale itself."""
    found: set[str] = set()
    for locale in location_locales:
        found.update(fallback_chain(locale, source_locale)[:_own_steps(locale)])
    found.discard(source_locale)
    return sorted(found)


def _own_steps(locale: str) -> int:
    """How many steps of a chain come from the locale itself (itself and its truncations)."""
    return len(fallback_chain(locale, "und"))


async def needed_locales(session: AsyncSession, post: Post, revision: PostRevision) -> list[str]:
    """The locales of the locations the post reached (its live proposals), or else of the locations
    its campaign targets, except the source's: what the campaign page lists as needing a translation."""
    from hub.campaigns.models import Campaign
    from hub.campaigns.schemas import Target
    from hub.proposals.service import resolve_target

    locales = set(await session.scalars(
        select(Location.locale).join(Proposal, Proposal.location_id == Location.id)
        .where(Proposal.post_id == post.id, Proposal.status != "superseded")))
    if not locales:
        campaign = await session.get(Campaign, post.campaign_id)
        ids = await resolve_target(session, post.brand_id, Target(**(campaign.target or {})))
        locales = set(await session.scalars(select(Location.locale).where(Location.id.in_(ids)))) if ids else set()
    source = await source_locale_of(session, revision, post.brand_id)
    return sorted(locale for locale in locales if locale != source)


# ---------------------------------------------------------------- who may translate


async def served_locales(session: AsyncSession, actor: Actor) -> set[str]:
    """The locales a distributor serves: those of the locations in its scope (empty for anyone else)."""
    if actor.role != "local_manager" or not actor.location_ids:
        return set()
    rows = (await session.execute(select(Location.kind, Location.locale).where(
        Location.id.in_(actor.location_ids), Location.brand_id == actor.brand_id))).all()
    if not any(kind == "distributor" for kind, _locale in rows):
        return set()
    return {locale for _kind, locale in rows}


async def post_for_translator(session: AsyncSession, actor: Actor, post_id: str) -> tuple[Post, PostRevision, set[str]]:
    """A post the actor may read for translating, its current revision, and the locales the actor serves
    (empty for HQ, who writes any, and for readers). HQ and brand-wide viewers see every post; a local
    manager sees the posts that reached one of its locations, or — a distributor — a location in a locale
    it serves; anyone else gets 404 for it."""
    if actor.sees_whole_brand:
        post, revision = await campaigns.get_post(session, actor, post_id)
        return post, revision, set()
    served = await served_locales(session, actor)
    row = None
    if actor.role == "local_manager" and actor.location_ids:
        reached = select(Proposal.id).join(Location, Location.id == Proposal.location_id).where(
            Proposal.post_id == post_id, Proposal.status != "superseded", Location.brand_id == actor.brand_id,
            Location.locale.in_(served) | Location.id.in_(actor.location_ids)).exists()
        row = (await session.execute(
            select(Post, PostRevision)
            .join(PostRevision, (PostRevision.post_id == Post.id) & (PostRevision.number == Post.current_revision))
            .where(Post.id == post_id, Post.brand_id == actor.brand_id, reached))).first()
    if row is None:
        raise NotFound("No post with id {id}.", id=post_id)
    return row[0], row[1], served


def check_may_write(actor: Actor, locale: str, served: set[str]) -> str:
    """Who writes this translation ("hq" or "distributor"); Forbidden for anyone else."""
    if actor.is_hq:
        return "hq"
    if actor.role == "viewer":
        raise Forbidden("Viewers cannot write translations.")
    if locale in served:
        return "distributor"
    raise Forbidden("You translate into {locales} only: {locale} is served by another distributor or by HQ.",
                    locales=", ".join(sorted(served)) or "—", locale=locale)


def may_write(actor: Actor, locale: str, served: set[str]) -> bool:
    """Whether the actor may write this locale (for pages: show the form or not)."""
    return actor.is_hq or locale in served


# ---------------------------------------------------------------- writing


@dataclass
class TranslationTexts:
    """What a translation says: a body and per-network variants, like the post."""

    body: str
    variants: dict[str, str]


async def check_locale(session: AsyncSession, brand_id: str, locale: str, source_locale: str) -> None:
    """422 unless `locale` is BCP 47 and used by a location of the brand (or a step of one's chain)."""
    if not LOCALE.match(locale or ""):
        raise Invalid("{locale} is not a BCP 47 locale: write it like fr-BE, de, zh-Hant-TW.", locale=locale,
                      errors=[{"field": "locale", "message": "BCP 47, e.g. fr-BE"}])
    if locale == source_locale:
        raise Invalid("{locale} is the language this post is written in: change the post itself instead.",
                      locale=locale, errors=[{"field": "locale", "message": "the post's source locale"}])
    allowed = translatable_locales(await brand_locales(session, brand_id), source_locale)
    if locale not in allowed:
        raise Invalid("No location of the brand reads {locale}: translate into one of {locales}.", locale=locale,
                      locales=", ".join(allowed) or "—",
                      errors=[{"field": "locale", "message": f"use one of {', '.join(allowed) or '—'}"}])


def check_texts(revision: PostRevision, texts: TranslationTexts) -> None:
    """422 unless the translation fits the post: a body, variants only for its networks, its [[slots]]."""
    errors = []
    if not texts.body.strip():
        errors.append({"field": "texts.body", "message": "write the translated text"})
    stray = [network for network in texts.variants if network not in revision.networks]
    if stray:
        errors.append({"field": "texts.variants",
                       "message": f"the post is not for {', '.join(stray)}: use {', '.join(revision.networks)}"})
    written = {name for text in (texts.body, *texts.variants.values()) for name in SLOT.findall(text)}
    declared = set(revision.slots or {}) if revision.editable == "slots" else set()
    if written != declared:
        errors.append({"field": "texts.body", "message": (
            f"keep the post's slots as they are: {', '.join(f'[[{name}]]' for name in sorted(declared)) or 'none'}")})
    if errors:
        raise Invalid("The translation does not fit the post: fix each field listed.", errors=errors)


async def lint_translation(session: AsyncSession, revision: PostRevision, texts: TranslationTexts, locale: str,
                           brand_id: str) -> list[dict[str, Any]]:
    """The linter's findings on the translation, network by network, in its own locale."""
    return lint_texts(revision, texts, locale, await lint_rules(session, brand_id))


def lint_texts(revision: PostRevision, texts: TranslationTexts, locale: str, rules: LintRules,
               networks: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """The findings on each network's translated text as it will read (slot defaults, signature), the
    glossary checked against the source text it translates."""
    findings: list[dict[str, Any]] = []
    for network in networks or revision.networks:
        text = with_signature(shown_text(revision, texts, network), network, rules.tone)
        source = fill_slots(text_for(revision, network), revision.slots or {})
        findings.extend(lint_text(text, network, locale, rules, source=source))
        findings.extend(campaigns.phone_variable_findings(text, network, locale))
    return findings


def shown_text(revision: PostRevision, texts: TranslationTexts, network: str) -> str:
    """A network's translated text with the post's slots at their defaults."""
    return fill_slots(texts.variants.get(network) or texts.body, revision.slots or {})


async def save_translation(session: AsyncSession, actor: Actor, post: Post, revision: PostRevision, locale: str,
                           texts: TranslationTexts, status: str, served: set[str]) -> Translation:
    """Write (or rewrite) the post's translation into `locale` against its current revision.

    Refused when the actor does not serve the locale (403), the locale or texts are wrong or the
    linter finds an error (422), or when a draft would replace an approved translation that serves
    locations (409). Approving fills the translation memory and re-localizes the proposals waiting
    for it (see `release`).
    """
    if status not in TRANSLATION_STATUSES:
        raise Invalid("Unknown status '{status}': use one of {statuses}.", status=status,
                      statuses=", ".join(TRANSLATION_STATUSES), errors=[{"field": "status", "message": "draft or approved"}])
    author = check_may_write(actor, locale, served)
    source = await source_locale_of(session, revision, post.brand_id)
    await check_locale(session, post.brand_id, locale, source)
    texts = TranslationTexts(body=texts.body, variants={n: t for n, t in texts.variants.items() if t.strip()})
    check_texts(revision, texts)
    findings = await lint_translation(session, revision, texts, locale, post.brand_id)
    if has_errors(findings):
        raise Invalid("The translation breaks {n} rule(s): fix the findings and save again.",
                      n=sum(1 for item in findings if item["severity"] == "error"), errors=findings)
    translation = await session.scalar(select(Translation).where(Translation.post_id == post.id,
                                                                 Translation.locale == locale))
    if translation is not None and translation.status == "approved" and status == "draft":
        raise Conflict("The {locale} translation is approved and serves locations: save your changes as approved.",
                       locale=locale)
    now = utcnow()
    before = None
    if translation is None:
        translation = Translation(brand_id=post.brand_id, post_id=post.id, locale=locale, created_at=now)
        session.add(translation)
    else:
        before = {"status": translation.status, "body": translation.body, "source_revision": translation.source_revision}
    translation.body, translation.variants, translation.status = texts.body, texts.variants, status
    translation.author_kind, translation.written_by = author, actor.user.id
    translation.source_revision, translation.stale, translation.source_diff = revision.number, False, {}
    translation.updated_at = now
    if status == "approved":
        translation.approved_by, translation.approved_at = actor.user.id, now
    await session.flush()
    if status == "approved":
        await remember(session, post.brand_id, source, locale, revision, translation)
    record(session, brand_id=post.brand_id, actor_id=actor.user.id, action=f"translation.{status}",
           subject_type="post", subject_id=post.id, before=before,
           after={"locale": locale, "status": status, "body": texts.body, "source_revision": revision.number})
    return translation


async def remember(session: AsyncSession, brand_id: str, source_locale: str, target_locale: str,
                   revision: PostRevision, translation: Translation) -> None:
    """One translation-memory entry per network text of an approved translation (the latest wins)."""
    now = utcnow()
    pairs = {text_for(revision, network): text_for(translation, network) for network in revision.networks}
    rows = [{"id": new_id(), "brand_id": brand_id, "source_locale": source_locale, "target_locale": target_locale,
             "source_text": source, "source_hash": hashlib.sha256(source.encode()).hexdigest(),
             "target_text": target, "created_at": now}
            for source, target in pairs.items() if source.strip() and target.strip()]
    if rows:
        await session.execute(upsert(session, TranslationMemory, rows,
                                     ["brand_id", "source_locale", "target_locale", "source_hash"],
                                     ["target_text", "created_at"]))


async def translations_from_post(session: AsyncSession, actor: Actor, post: Post, revision: PostRevision,
                                 given: dict[str, TranslationTexts]) -> list[Translation]:
    """The translations HQ sends with a post or a revision, saved approved against that revision."""
    return [await save_translation(session, actor, post, revision, locale, texts, "approved", set())
            for locale, texts in given.items()]


async def release(session: AsyncSession, actor: Actor, post: Post, locale: str, chunk_size: int):
    """After a translation is approved: re-localize the current revision's proposals of the locations
    whose language it is (those waiting for it become pending), through a fan-out run of the workers,
    as a new revision is. None when no location has the post yet."""
    from hub.proposals import service as proposals

    language = _subtags(locale)[0]
    rows = (await session.execute(
        select(Proposal.location_id, Location.locale).join(Location, Location.id == Proposal.location_id)
        .where(Proposal.post_id == post.id, Proposal.revision == post.current_revision,
               Proposal.status != "superseded"))).all()
    location_ids = [location_id for location_id, location_locale in rows if _subtags(location_locale)[0] == language]
    if not location_ids:
        return None
    revision = await session.scalar(select(PostRevision).where(PostRevision.post_id == post.id,
                                                                PostRevision.number == post.current_revision))
    return await proposals.relocalize(session, actor, post, revision, location_ids, chunk_size)


async def flag_stale(session: AsyncSession, post: Post, revision: PostRevision) -> list[Translation]:
    """After HQ's new revision: flag each translation whose source text changed since the revision it
    was made from, with the source's word diff per network, and tell its distributors."""
    translations = [row for row in (await translations_of(session, post.id)).values()
                    if row.source_revision < revision.number]
    if not translations:
        return []
    numbers = {row.source_revision for row in translations}
    made_from = {row.number: row for row in await session.scalars(select(PostRevision).where(
        PostRevision.post_id == post.id, PostRevision.number.in_(numbers)))}
    flagged = []
    for translation in translations:
        old = made_from.get(translation.source_revision)
        diff = {}
        for network in revision.networks:
            before, after = (text_for(old, network) if old else ""), text_for(revision, network)
            if before != after:
                diff[network] = word_diff(before, after)
        if not diff:
            continue  # HQ changed something else (image, time): the translation still says the same
        translation.stale, translation.source_diff = True, diff
        flagged.append(translation)
    await session.flush()
    for translation in flagged:
        users = await translators_of(session, post.brand_id, translation.locale, hq_fallback=False)
        await notify(session, post.brand_id, users, "translation_stale", translation.locale, post,
                     f"{translation.id}:{revision.number}",
                     {"revision": revision.number, "made_from": translation.source_revision})
    return flagged


# ---------------------------------------------------------------- notifications


async def translators_of(session: AsyncSession, brand_id: str, locale: str, *, hq_fallback: bool = True) -> list[str]:
    """The users who serve `locale`: its distributors, else (with hq_fallback) the brand's HQ."""
    memberships = (await session.execute(select(Membership.user_id, Membership.location_ids).where(
        Membership.brand_id == brand_id, Membership.role == "local_manager"))).all()
    ids = {location_id for _user, location_ids in memberships for location_id in (location_ids or ())}
    places = {row.id: row for row in (await session.execute(select(Location.id, Location.kind, Location.locale).where(
        Location.id.in_(ids)))).all()} if ids else {}
    users = []
    for user_id, location_ids in memberships:
        mine = [places[location_id] for location_id in (location_ids or ()) if location_id in places]
        if any(place.kind == "distributor" for place in mine) and any(place.locale == locale for place in mine):
            users.append(user_id)
    if users or not hq_fallback:
        return sorted(set(users))
    return sorted(set(await session.scalars(select(Membership.user_id).where(
        Membership.brand_id == brand_id, Membership.role.in_(HQ_ROLES)))))


async def notify(session: AsyncSession, brand_id: str, user_ids: list[str], kind: str, locale: str, post: Post,
                 key: str, extra: dict[str, Any] | None = None) -> None:
    """Record one notification per user (once per natural key: jobs that run twice record it once)."""
    if not user_ids:
        return
    now = utcnow()
    rows = [{"id": new_id(), "brand_id": brand_id, "user_id": user_id, "kind": kind, "proposal_id": None,
             "dedupe_key": f"{kind}:{key}:{user_id}", "created_at": now, "sent_at": None,
             "payload": {"post_id": post.id, "locale": locale, "url": workspace_url(post.id, locale), **(extra or {})}}
            for user_id in user_ids]
    await session.execute(insert_ignoring_conflicts(session, Notification, rows, ["dedupe_key"]))


async def notify_needs_translation(session: AsyncSession, post: Post, locales: Iterable[str]) -> None:
    """Tell whoever serves each locale that locations wait for its translation of the post."""
    for locale in sorted(set(locales)):
        users = await translators_of(session, post.brand_id, locale)
        await notify(session, post.brand_id, users, "needs_translation", locale, post, f"{post.id}:{locale}")


def workspace_url(post_id: str, locale: str) -> str:
    """The translation workspace of a post in a locale."""
    return f"/posts/{post_id}/translations/{locale}"


# ---------------------------------------------------------------- reading for the API and pages


def state_of(translation: Translation | None) -> str:
    """missing, draft, approved or stale (approved, made from an older source)."""
    if translation is None:
        return "missing"
    if translation.stale:
        return "stale"
    return translation.status


def translation_read(translation: Translation) -> dict[str, Any]:
    """A translation as the API shows it, with its stale flag and the source's diff when stale."""
    return {
        "id": translation.id, "post_id": translation.post_id, "locale": translation.locale,
        "texts": {"body": translation.body, "variants": translation.variants or {}},
        "status": translation.status, "state": state_of(translation), "author": translation.author_kind,
        "written_by": translation.written_by, "approved_by": translation.approved_by,
        "approved_at": translation.approved_at, "source_revision": translation.source_revision,
        "stale": translation.stale, "source_diff": translation.source_diff if translation.stale else {},
        "created_at": translation.created_at, "updated_at": translation.updated_at,
    }
