"""Translations over HTTP: the JSON API, the post's translations page and the translation workspace
(source beside target per network, the linter live on the target, a machine draft when it is on,
save as draft or approve)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.actor import Actor
from hub.brandkit.service import lint_rules
from hub.campaigns.models import Post, PostRevision
from hub.deps import ApiActor, FormActor, PageActor, SessionDep
from hub.errors import HubError, Invalid
from hub.i18n import translate
from hub.linting.read import finding_read
from hub.linting.tone import with_signature
from hub.templating import is_htmx, render
from hub.translations import glossary, memory
from hub.translations import service as translations
from hub.translations.machine import MachineTranslationUnavailable, machine_draft, machine_translation_status
from hub.translations.models import Translation

api = APIRouter(prefix="/api/v1", tags=["translations"])
pages = APIRouter(include_in_schema=False)


# ---------------------------------------------------------------- JSON API


class TranslationTextsWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str | None = Field(default=None, max_length=70000, description="Default: the translation's current body")
    variants: dict[str, str] | None = Field(default=None, description="Per-network texts; default: the current ones")


class TranslationWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")
    texts: TranslationTextsWrite
    status: str = Field(default="draft", description="draft (not used yet) or approved (serves the locations)")


async def _save(session: AsyncSession, request: Request, actor: Actor, post: Post, revision: PostRevision,
                locale: str, served: set[str], body: str | None, variants: dict[str, str] | None,
                status: str) -> tuple[Translation, Any]:
    """Save the translation (the current one fills what is not sent); approving re-localizes the
    proposals waiting for it. The distribution of that run, or None."""
    existing = (await translations.translations_of(session, post.id)).get(locale)
    if body is None:
        if existing is None:
            raise Invalid("Write the translated text: texts.body is required for a new translation.",
                          errors=[{"field": "texts.body", "message": "required"}])
        body = existing.body
    if variants is None:
        variants = dict(existing.variants or {}) if existing is not None else {}
    translation = await translations.save_translation(
        session, actor, post, revision, locale, translations.TranslationTexts(body=body, variants=variants), status,
        served)
    distribution = None
    if status == "approved":
        distribution = await translations.release(session, actor, post, locale,
                                                  request.app.state.settings.fanout_chunk_size)
    return translation, distribution


@api.put("/posts/{post_id}/translations/{locale}")
async def put_translation(post_id: str, locale: str, data: TranslationWrite, request: Request, actor: ApiActor,
                          session: SessionDep) -> dict[str, Any]:
    """Write the post's translation into `locale` (HQ: any locale; a distributor: the locales it serves).
    422 with the linter's findings when it breaks a rule; approving it sends it to the locations of
    that language (those waiting for it get their proposal)."""
    post, revision, served = await translations.post_for_translator(session, actor, post_id)
    translation, distribution = await _save(session, request, actor, post, revision, locale, served, data.texts.body,
                                            data.texts.variants, data.status)
    findings = await translations.lint_translation(session, revision, translations.TranslationTexts(
        body=translation.body, variants=translation.variants or {}), locale, post.brand_id)
    return {**translations.translation_read(translation),
            "findings": [finding_read(item, actor.language) for item in findings],
            "distribution_id": distribution.id if distribution else None}


@api.get("/posts/{post_id}/translations")
async def list_translations(post_id: str, actor: ApiActor, session: SessionDep) -> dict[str, Any]:
    """The post's source locale, the locales its locations need, and each translation with its stale
    flag (and the source's word diff when stale)."""
    post, revision, _served = await translations.post_for_translator(session, actor, post_id)
    rows = await translations.translations_of(session, post.id)
    return {
        "post_id": post.id, "revision": revision.number,
        "source_locale": await translations.source_locale_of(session, revision, post.brand_id),
        "locales_needed": await translations.needed_locales(session, post, revision),
        "translations": [translations.translation_read(row) for row in rows.values()],
    }


# ---------------------------------------------------------------- pages


async def _overview(session: AsyncSession, actor: Actor, post: Post, revision: PostRevision,
                    served: set[str]) -> dict[str, Any]:
    """Each locale the post needs (and each translated one), with its state and whether the actor may write it."""
    rows = await translations.translations_of(session, post.id)
    needed = await translations.needed_locales(session, post, revision)
    if not actor.is_hq and not actor.sees_whole_brand:
        needed = [locale for locale in needed if locale in served]
        rows = {locale: row for locale, row in rows.items() if locale in served or locale in needed}
    locales = sorted(set(needed) | set(rows))
    return {
        "post": post, "revision": revision,
        "source_locale": await translations.source_locale_of(session, revision, post.brand_id),
        "entries": [{"locale": locale, "state": translations.state_of(rows.get(locale)), "needed": locale in needed,
                     "translation": rows.get(locale), "can_write": translations.may_write(actor, locale, served)}
                    for locale in locales],
    }


@pages.get("/posts/{post_id}/translations")
async def translations_page(request: Request, post_id: str, actor: PageActor, session: SessionDep) -> HTMLResponse:
    """The post's translations: every locale its locations need, missing, draft, approved or stale.
    The campaign page loads its list (HTMX)."""
    post, revision, served = await translations.post_for_translator(session, actor, post_id)
    context = await _overview(session, actor, post, revision, served)
    if is_htmx(request):
        return render(request, "translations/list.html", context, block="locales")
    return render(request, "translations/list.html", context)


def _source_parts(revision: PostRevision) -> list[dict[str, Any]]:
    """The source's parts: its body (for the networks without their own text), then each network's own text."""
    return [{"key": "body", "networks": [n for n in revision.networks if not (revision.variants or {}).get(n)],
             "source": revision.body}] + [
        {"key": f"variant-{network}", "networks": [network], "source": text}
        for network, text in (revision.variants or {}).items() if network in revision.networks]


async def _workspace(session: AsyncSession, request: Request, actor: Actor, post: Post, revision: PostRevision,
                     locale: str, served: set[str], drafts: dict[str, str] | None = None) -> dict[str, Any]:
    """The workspace: the source beside the target for the body and each network's variant, the
    linter's findings on the target network by network, the stale diff, the suggestions, and
    whether machine translation is on."""
    translation = (await translations.translations_of(session, post.id)).get(locale)
    source = await translations.source_locale_of(session, revision, post.brand_id)
    target = {"body": translation.body if translation else "",
              **{f"variant-{network}": (translation.variants or {}).get(network, "") if translation else ""
                 for network in revision.networks}}
    if drafts is not None:
        target.update({key: value for key, value in drafts.items() if key in target})
    variants = {network: target[f"variant-{network}"] for network in revision.networks
                if target[f"variant-{network}"].strip()}
    parts = _source_parts(revision)
    await _help(session, post, source, locale, parts)
    return {
        "post": post, "revision": revision, "locale": locale, "source_locale": source, "translation": translation,
        "state": translations.state_of(translation), "target": target, "parts": parts,
        "checks": await _checks(session, post, revision, locale, target["body"], variants, actor.language),
        "can_write": translations.may_write(actor, locale, served),
        "machine": machine_translation_status(request.app.state.settings), "machine_error": "",
    }


async def _checks(session: AsyncSession, post: Post, revision: PostRevision, locale: str, body: str,
                  variants: dict[str, str], language: str) -> list[dict[str, Any]]:
    """Each network's target text as it will read (slots' defaults, signature) with the linter's findings."""
    from hub.web.studio import highlight, usage

    if not body.strip() and not variants:
        return []
    rules = await lint_rules(session, post.brand_id)
    texts = translations.TranslationTexts(body=body, variants=variants)
    cards = []
    for network in revision.networks:
        findings = translations.lint_texts(revision, texts, locale, rules, [network])
        shown = with_signature(translations.shown_text(revision, texts, network), network, rules.tone)
        errors = sum(1 for item in findings if item["severity"] == "error")
        # The field this network's text is written in, for the findings' one-click fixes.
        field = f"target-variant-{network}" if (revision.variants or {}).get(network) else "target-body"
        cards.append({"network": network, "html": highlight(shown, findings, language), "usage": usage(network, shown),
                      "findings": findings, "errors": errors, "warnings": len(findings) - errors, "field": field})
    return cards


async def _help(session: AsyncSession, post: Post, source_locale: str, locale: str,
                parts: list[dict[str, Any]]) -> None:
    """Each source part's glossary hints and translation-memory suggestions, for the workspace's hook."""
    rules = await lint_rules(session, post.brand_id)
    found = await memory.suggest(session, post.brand_id, source_locale, locale,
                                 {part["key"]: part["source"] for part in parts})
    for part in parts:
        part["suggestions"] = found.get(part["key"], [])
        part["hints"] = glossary.hints(rules, part["source"], source_locale, locale)


def _form_texts(form: Any, revision: PostRevision) -> dict[str, str]:
    """What the workspace form holds: the body and each network's own text."""
    return {"body": str(form.get("body") or ""),
            **{f"variant-{network}": str(form.get(f"variant-{network}") or "") for network in revision.networks}}


@pages.get("/posts/{post_id}/translations/{locale}")
async def workspace_page(request: Request, post_id: str, locale: str, actor: PageActor,
                         session: SessionDep) -> HTMLResponse:
    """The translation workspace of a post in one locale."""
    post, revision, served = await translations.post_for_translator(session, actor, post_id)
    source = await translations.source_locale_of(session, revision, post.brand_id)
    await translations.check_locale(session, post.brand_id, locale, source)
    context = await _workspace(session, request, actor, post, revision, locale, served)
    return render(request, "translations/workspace.html", {**context, "errors": [], "notice": request.query_params.get("saved", "")})


@pages.post("/posts/{post_id}/translations/{locale}/lint")
async def workspace_lint(request: Request, post_id: str, locale: str, actor: FormActor,
                         session: SessionDep) -> HTMLResponse:
    """The linter on the target as the translator types (HTMX): each network's text and findings."""
    post, revision, served = await translations.post_for_translator(session, actor, post_id)
    texts = _form_texts(await request.form(), revision)
    variants = {network: texts[f"variant-{network}"] for network in revision.networks
                if texts[f"variant-{network}"].strip()}
    checks = await _checks(session, post, revision, locale, texts["body"], variants, actor.language)
    return render(request, "translations/workspace.html", {"checks": checks, "locale": locale}, block="checks")


@pages.post("/posts/{post_id}/translations/{locale}")
async def workspace_save(request: Request, post_id: str, locale: str, actor: FormActor,
                         session: SessionDep) -> Response:
    """Save the translation as a draft, or approve it; the page comes back with what to fix otherwise."""
    post, revision, served = await translations.post_for_translator(session, actor, post_id)
    form = await request.form()
    texts = _form_texts(form, revision)
    status = "approved" if str(form.get("action") or "") == "approve" else "draft"
    variants = {network: texts[f"variant-{network}"] for network in revision.networks
                if texts[f"variant-{network}"].strip()}
    try:
        await _save(session, request, actor, post, revision, locale, served, texts["body"], variants, status)
    except HubError as error:
        # save_translation checks everything before it writes: nothing to undo.
        context = await _workspace(session, request, actor, post, revision, locale, served, drafts=texts)
        message = translate(error.message, actor.language, **error.values)
        return render(request, "translations/workspace.html",
                      {**context, "errors": [message, *_field_messages(error)], "notice": ""},
                      status_code=error.status_code)
    target = f"{translations.workspace_url(post.id, locale)}?saved={status}"
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


@pages.post("/posts/{post_id}/translations/{locale}/machine")
async def workspace_machine_draft(request: Request, post_id: str, locale: str, actor: FormActor,
                                  session: SessionDep) -> Response:
    """Fill the target with machine translation of the source, saved as a draft for a person to read,
    correct and approve (the machine never approves). When machine translation cannot be done, the
    page says why in place and nothing changes."""
    post, revision, served = await translations.post_for_translator(session, actor, post_id)
    translations.check_may_write(actor, locale, served)
    source = await translations.source_locale_of(session, revision, post.brand_id)
    await translations.check_locale(session, post.brand_id, locale, source)
    parts = {part["key"]: part["source"] for part in _source_parts(revision) if part["source"].strip()}
    try:
        drafted = await machine_draft(request.app.state.settings, parts, source, locale)
    except MachineTranslationUnavailable as error:
        # The fields keep what the translator had typed: nothing is saved, nothing is lost.
        context = await _workspace(session, request, actor, post, revision, locale, served,
                                   drafts=_form_texts(await request.form(), revision))
        return render(request, "translations/workspace.html",
                      {**context, "errors": [], "notice": "",
                       "machine_error": translate(error.message, actor.language, **error.values)},
                      status_code=error.status_code)
    texts = {key: drafted.get(key, "") for key in _form_texts({}, revision)}
    variants = {network: texts[f"variant-{network}"] for network in revision.networks
                if texts[f"variant-{network}"].strip()}
    existing = (await translations.translations_of(session, post.id)).get(locale)
    errors: list[str] = []
    if existing is not None and existing.status == "approved":
        # An approved translation serves locations: a machine text never replaces it unread.
        errors = [translate("The machine draft is in the fields, not saved: the approved translation still serves "
                            "the locations. Read it, correct it and approve it to replace the translation.",
                            actor.language)]
    else:
        try:
            await _save(session, request, actor, post, revision, locale, served, texts["body"], variants, "draft")
        except HubError as error:
            errors = [translate(error.message, actor.language, **error.values), *_field_messages(error)]
    if errors:
        context = await _workspace(session, request, actor, post, revision, locale, served, drafts=texts)
        return render(request, "translations/workspace.html", {**context, "errors": errors, "notice": ""},
                      status_code=409 if existing is not None and existing.status == "approved" else 422)
    target = f"{translations.workspace_url(post.id, locale)}?saved=machine"
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def _field_messages(error: HubError) -> list[str]:
    """The field notes of an error that are not linter findings (those show on the target itself)."""
    return [f"{item['field']}: {item['message']}" for item in error.errors if "field" in item and "message" in item]
