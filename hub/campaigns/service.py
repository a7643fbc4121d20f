"""Campaigns and posts: writing them and reading them back within a brand."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.actor import Actor
from hub.audit.service import record
from hub.campaigns.models import Campaign, Post, PostRevision
from hub.campaigns.schemas import CampaignCreate, PostCreate, PostRead
from hub.errors import Conflict, Invalid, NotFound
from hub.brandkit.service import lint_rules
from hub.brands.models import Brand
from hub.linting.networks import NETWORK_RULES
from hub.linting.service import LintRules, finding, has_errors, lint_text
from hub.linting.tone import with_signature
from hub.locations.models import Location
from hub.media.models import Media
from hub.proposals.localize import fill_slots
from hub.proposals.models import GOING_OUT, Proposal
from hub.publishing.models import Publication


async def create_campaign(session: AsyncSession, actor: Actor, data: CampaignCreate) -> Campaign:
    """A new campaign of the actor's brand (the locations it targets by id must be the brand's)."""
    await _check_locations(session, actor.brand_id, data.target.location_ids)
    campaign = Campaign(
        brand_id=actor.brand_id, name=data.name, objective=data.objective, approval_policy=data.approval_policy,
        decision_deadline=data.decision_deadline, target=data.target.model_dump(), created_by=actor.user.id,
    )
    session.add(campaign)
    await session.flush()
    record(session, brand_id=actor.brand_id, actor_id=actor.user.id, action="campaign.created",
           subject_type="campaign", subject_id=campaign.id, after={"name": campaign.name})
    return campaign


async def _check_locations(session: AsyncSession, brand_id: str, location_ids: list[str]) -> None:
    """Refuse location ids that are not the brand's (another brand's are as unknown as made-up ones)."""
    if not location_ids:
        return
    known = set(await session.scalars(select(Location.id).where(Location.brand_id == brand_id,
                                                               Location.id.in_(location_ids))))
    unknown = [location_id for location_id in location_ids if location_id not in known]
    if unknown:
        raise Invalid("Unknown location id(s): {ids}. Check them with GET /api/v1/locations.", ids=", ".join(unknown),
                      errors=[{"field": "target.location_ids", "message": f"unknown: {', '.join(unknown)}"}])


async def list_campaigns(session: AsyncSession, actor: Actor) -> list[Campaign]:
    """The brand's campaigns, newest first (HQ and brand-wide viewers only)."""
    if not actor.sees_whole_brand:
        return []
    return list(await session.scalars(
        select(Campaign).where(Campaign.brand_id == actor.brand_id).order_by(Campaign.created_at.desc())
    ))


async def get_campaign(session: AsyncSession, actor: Actor, campaign_id: str) -> Campaign:
    """A campaign of the actor's brand; NotFound otherwise."""
    campaign = await session.scalar(
        select(Campaign).where(Campaign.id == campaign_id, Campaign.brand_id == actor.brand_id)
    )
    if campaign is None or not actor.sees_whole_brand:
        raise NotFound("No campaign with id {id}.", id=campaign_id)
    return campaign


def lint_post(data: PostCreate | PostRevision, rules: LintRules, locale: str) -> list[dict]:
    """The findings on HQ's text itself, signature included, before any location's variables are filled in."""
    findings: list[dict] = []
    for network in data.networks:
        slots = {name: (spec if isinstance(spec, dict) else spec.model_dump()) for name, spec in data.slots.items()}
        text = with_signature(fill_slots(data.variants.get(network) or data.body, slots), network, rules.tone)
        findings.extend(lint_text(text, network, locale, rules))
        findings.extend(phone_variable_findings(text, network, locale))
    return findings


def phone_variable_findings(text: str, network: str, locale: str) -> list[dict]:
    """A {phone} variable in a text for a network that rejects phone numbers (Google Business
    Profile): caught in HQ's text, before each location's number is filled in."""
    if not (NETWORK_RULES[network].forbids_phone_numbers and "{phone}" in text):
        return []
    start = text.index("{phone}")
    return [finding(
        "network.phone_number", "error", network, locale, start, start + len("{phone}"),
        "{network} rejects posts with a phone number: remove {number} (use the call button instead).",
        network=NETWORK_RULES[network].label, number="{phone}", source=NETWORK_RULES[network].source)]


async def source_locale(session: AsyncSession, brand_id: str) -> str:
    """The language HQ writes in (the brand's default locale)."""
    brand = await session.get(Brand, brand_id)
    return brand.default_locale if brand else "en"


async def create_post(session: AsyncSession, actor: Actor, campaign: Campaign, data: PostCreate) -> tuple[Post, PostRevision]:
    """A new post of the campaign with its first revision (and HQ's translations); refused when its text
    breaks a network rule."""
    rules = await lint_rules(session, campaign.brand_id)
    findings = lint_post(data, rules, data.source_locale or await source_locale(session, campaign.brand_id))
    if has_errors(findings):
        raise Invalid("The post breaks {n} network rule(s): fix the findings and save again.",
                      n=sum(1 for item in findings if item["severity"] == "error"), errors=findings)
    image = await _image_spec(session, campaign.brand_id, data)
    post = Post(brand_id=campaign.brand_id, campaign_id=campaign.id, current_revision=1)
    session.add(post)
    await session.flush()
    revision = PostRevision(
        post_id=post.id, number=1, body=data.body, networks=data.networks, variants=data.variants,
        editable=data.editable, slots={name: spec.model_dump() for name, spec in data.slots.items()}, image=image,
        video_id=await _video(session, campaign.brand_id, data), options=_options(data),
        publish_at=data.publish_at, publish_at_local=data.publish_at_local, source_locale=data.source_locale,
        created_by=actor.user.id,
    )
    session.add(revision)
    await session.flush()
    record(session, brand_id=campaign.brand_id, actor_id=actor.user.id, action="post.created",
           subject_type="post", subject_id=post.id, after={"body": data.body, "networks": data.networks})
    await _save_translations(session, actor, post, revision, data)
    return post, revision


async def _save_translations(session: AsyncSession, actor: Actor, post: Post, revision: PostRevision,
                             data: PostCreate) -> None:
    """HQ's translations sent with the post, approved against this revision."""
    if not data.translations:
        return
    from hub.translations import service as translations  # it builds on this module

    await translations.translations_from_post(session, actor, post, revision, {
        locale: translations.TranslationTexts(body=texts.body, variants=texts.variants)
        for locale, texts in data.translations.items()})


async def _image_spec(session: AsyncSession, brand_id: str, data: PostCreate) -> dict:
    """The post's image: its photo (from the brand's library) and texts; {} for none."""
    if not (data.media_id or data.image_texts):
        return {}
    if data.media_id and not await session.scalar(
            select(Media.id).where(Media.id == data.media_id, Media.brand_id == brand_id)):
        raise Invalid("No image with id {id} in your library: upload it with POST /api/v1/media first.",
                      id=data.media_id, errors=[{"field": "media_id", "message": "unknown image"}])
    return {"media_id": data.media_id, "texts": data.image_texts}


async def _video(session: AsyncSession, brand_id: str, data: PostCreate) -> str | None:
    """The post's video, checked to be a video of the brand's library."""
    if not data.video_id:
        return None
    content_type = await session.scalar(select(Media.content_type).where(Media.id == data.video_id,
                                                                         Media.brand_id == brand_id))
    if content_type is None or not content_type.startswith("video/"):
        raise Invalid("No video with id {id} in your library: upload it with POST /api/v1/media first.",
                      id=data.video_id, errors=[{"field": "video_id", "message": "unknown video"}])
    return data.video_id


def _options(data: PostCreate) -> dict:
    """The per-network choices that were given (networks the post does not target are dropped)."""
    given = data.options.model_dump(exclude_none=True)
    return {network: value for network, value in given.items() if network in data.networks}


async def get_post(session: AsyncSession, actor: Actor, post_id: str) -> tuple[Post, PostRevision]:
    """A post of the actor's brand with its current revision; NotFound otherwise."""
    row = (await session.execute(
        select(Post, PostRevision)
        .join(PostRevision, (PostRevision.post_id == Post.id) & (PostRevision.number == Post.current_revision))
        .where(Post.id == post_id, Post.brand_id == actor.brand_id)
    )).first()
    if row is None or not actor.sees_whole_brand:
        raise NotFound("No post with id {id}.", id=post_id)
    return row[0], row[1]


async def list_posts(session: AsyncSession, campaign: Campaign) -> list[tuple[Post, PostRevision]]:
    """The campaign's posts with their current revisions, oldest first."""
    rows = await session.execute(
        select(Post, PostRevision)
        .join(PostRevision, (PostRevision.post_id == Post.id) & (PostRevision.number == Post.current_revision))
        .where(Post.campaign_id == campaign.id)
        .order_by(Post.created_at)
    )
    return [(row[0], row[1]) for row in rows]


def post_read(post: Post, revision: PostRevision) -> PostRead:
    """A post as the API shows it."""
    return PostRead(
        id=post.id, campaign_id=post.campaign_id, status=post.status, revision=revision.number, body=revision.body,
        networks=revision.networks, variants=revision.variants, editable=revision.editable, slots=revision.slots,
        image=revision.image, video_id=revision.video_id, options=revision.options or {},
        publish_at=revision.publish_at, publish_at_local=revision.publish_at_local,
        source_locale=revision.source_locale, created_at=post.created_at,
    )


async def revise_post(session: AsyncSession, actor: Actor, post: Post, data: PostCreate) -> PostRevision:
    """A new revision of the post (revisions are never changed); refused when it breaks a rule.
    Translations sent with it are saved against it; the others are flagged stale where the source
    text changed, and their distributors told."""
    if post.status == "withdrawn":
        raise Conflict("This post was withdrawn: create a new post to send it again.")
    rules = await lint_rules(session, post.brand_id)
    findings = lint_post(data, rules, data.source_locale or await source_locale(session, post.brand_id))
    if has_errors(findings):
        raise Invalid("The post breaks {n} network rule(s): fix the findings and save again.",
                      n=sum(1 for item in findings if item["severity"] == "error"), errors=findings)
    before = (await session.scalar(select(PostRevision).where(
        PostRevision.post_id == post.id, PostRevision.number == post.current_revision)))
    image = await _image_spec(session, post.brand_id, data)
    revision = PostRevision(
        post_id=post.id, number=post.current_revision + 1, body=data.body, networks=data.networks,
        variants=data.variants, editable=data.editable,
        slots={name: spec.model_dump() for name, spec in data.slots.items()}, image=image,
        video_id=await _video(session, post.brand_id, data), options=_options(data),
        publish_at=data.publish_at, publish_at_local=data.publish_at_local,
        source_locale=data.source_locale or before.source_locale, created_by=actor.user.id,
    )
    session.add(revision)
    post.current_revision = revision.number
    await session.flush()
    record(session, brand_id=post.brand_id, actor_id=actor.user.id, action="post.revised", subject_type="post",
           subject_id=post.id, before={"revision": before.number, "body": before.body},
           after={"revision": revision.number, "body": revision.body})
    await _save_translations(session, actor, post, revision, data)
    from hub.translations import service as translations

    await translations.flag_stale(session, post, revision)
    return revision


# What a withdrawal takes back: every proposal that has not gone out (what is on a network stays there).
WITHDRAWABLE = ("pending", "needs_translation", *GOING_OUT)


async def withdraw_post(session: AsyncSession, actor: Actor, post: Post) -> dict[str, int]:
    """HQ takes the post back: its publications not started are cancelled and its proposals not gone
    out are withdrawn; how many were withdrawn, and how many had gone out already (they stay)."""
    before = post.status
    # The post first (a claim holds it too, then its publications: hub.publishing.service._hold_posts):
    # a worker claiming at this instant either has its publications before this goes on (they count
    # as gone out) or waits for this commit and reads the post withdrawn. The same then goes for
    # publications a fan-out chunk running now schedules after these statements.
    post.status = "withdrawn"
    await session.flush()
    of_post = select(Proposal.id).where(Proposal.post_id == post.id)
    await session.execute(update(Publication).where(Publication.proposal_id.in_(of_post),
                                                    Publication.status == "scheduled").values(status="cancelled"))
    started = select(Publication.proposal_id).where(Publication.proposal_id.in_(of_post),
                                                    Publication.status.in_(("publishing", "published", "unconfirmed")))
    withdrawn = list(await session.scalars(
        update(Proposal)
        .where(Proposal.post_id == post.id, Proposal.status.in_(WITHDRAWABLE), Proposal.id.not_in(started))
        .values(status="withdrawn", version=Proposal.version + 1).returning(Proposal.id)
    ))
    gone_out = len(set(await session.scalars(started)))
    record(session, brand_id=post.brand_id, actor_id=actor.user.id, action="post.withdrawn", subject_type="post",
           subject_id=post.id, before={"status": before}, after={"withdrawn": len(withdrawn), "already_out": gone_out})
    return {"withdrawn": len(withdrawn), "already_out": gone_out}
