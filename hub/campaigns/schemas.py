"""What campaigns and posts look like coming in and going out."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from hub.campaigns.models import APPROVAL_POLICIES, EDITABLE_MODES, OBJECTIVES
from hub.publishing.models import NETWORKS
from hub.validation import only_known

IMAGE_TEXT_ZONES = ("headline", "subline", "cta", "legal")
# Google Business Profile's post kinds and buttons (localPosts reference).
GBP_TOPICS = ("STANDARD", "EVENT", "OFFER", "ALERT")
GBP_ACTIONS = ("BOOK", "ORDER", "SHOP", "LEARN_MORE", "SIGN_UP", "CALL")


class CallToAction(BaseModel):
    """The button of a Google Business Profile post; CALL dials the location's phone, so it has no URL."""

    model_config = ConfigDict(extra="forbid")

    action_type: str
    url: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _consistent(self) -> CallToAction:
        if self.action_type not in GBP_ACTIONS:
            raise ValueError(f"action_type is one of {', '.join(GBP_ACTIONS)}")
        if self.action_type == "CALL" and self.url:
            raise ValueError("a CALL button dials the location's phone: remove its url")
        if self.action_type != "CALL" and not (self.url or "").startswith(("https://", "http://")):
            raise ValueError(f"a {self.action_type} button needs a url starting with https://")
        return self


class GoogleEvent(BaseModel):
    """When an EVENT or OFFER post runs, in the location's wall-clock time."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=58)
    start: str
    end: str

    @model_validator(mode="after")
    def _consistent(self) -> GoogleEvent:
        for value in (self.start, self.end):
            if not _LOCAL_TIME.match(value):
                raise ValueError("write start and end as YYYY-MM-DDTHH:MM, e.g. 2026-12-01T10:00")
            datetime.fromisoformat(value)
        if self.end <= self.start:
            raise ValueError("the event must end after it starts")
        return self


class GoogleOffer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    coupon_code: str = Field(default="", max_length=58)
    redeem_online_url: str = Field(default="", max_length=2000)
    terms_conditions: str = Field(default="", max_length=5000)


class GoogleBusinessOptions(BaseModel):
    """How a post shows on Google Business Profile."""

    model_config = ConfigDict(extra="forbid")

    topic_type: str = "STANDARD"
    call_to_action: CallToAction | None = None
    event: GoogleEvent | None = None
    offer: GoogleOffer | None = None

    @model_validator(mode="after")
    def _consistent(self) -> GoogleBusinessOptions:
        if self.topic_type not in GBP_TOPICS:
            raise ValueError(f"topic_type is one of {', '.join(GBP_TOPICS)}")
        if self.topic_type in ("EVENT", "OFFER") and self.event is None:
            raise ValueError(f"an {self.topic_type} post needs an event: give its title, start and end")
        if self.offer is not None and self.topic_type != "OFFER":
            raise ValueError("offer details only go with topic_type OFFER")
        return self


class NetworkOptions(BaseModel):
    """Per-network choices of a post."""

    model_config = ConfigDict(extra="forbid")

    google_business: GoogleBusinessOptions | None = None
SLOT = re.compile(r"\[\[([a-z][a-z0-9_]{0,39})\]\]")
# BCP 47 as locations write it (hub.locations.schemas): language, optional Script, optional REGION.
_LOCALE = re.compile(r"^[a-z]{2,3}(-[A-Z][a-z]{3})?(-(?:[A-Z]{2}|[0-9]{3}))?$")
_LOCAL_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$")


class Target(BaseModel):
    """Which locations a post goes to; empty means every location of the brand."""

    model_config = ConfigDict(extra="forbid")

    location_ids: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    regions: list[str] = Field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.location_ids or self.tags or self.regions)


class CampaignCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    objective: str = "visibility"
    approval_policy: str = "approval_required"
    decision_deadline: AwareDatetime | None = None
    target: Target = Field(default_factory=Target)

    @field_validator("objective")
    @classmethod
    def _objective(cls, value: str) -> str:
        if value not in OBJECTIVES:
            raise ValueError(f"use one of {', '.join(OBJECTIVES)}")
        return value

    @field_validator("approval_policy")
    @classmethod
    def _policy(cls, value: str) -> str:
        if value not in APPROVAL_POLICIES:
            raise ValueError(f"use one of {', '.join(APPROVAL_POLICIES)}")
        return value


class CampaignRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    objective: str
    approval_policy: str
    decision_deadline: datetime | None
    target: dict[str, Any]
    created_at: datetime


class SlotSpec(BaseModel):
    """One zone of a post a location may write, with its limit and HQ's default."""

    model_config = ConfigDict(extra="forbid")

    max_length: int = Field(ge=1, le=1000)
    default: str = Field(default="", max_length=1000)
    label: str = Field(default="", max_length=100)

    @model_validator(mode="after")
    def _fits(self) -> SlotSpec:
        if len(self.default) > self.max_length:
            raise ValueError(f"the default is longer than max_length ({self.max_length})")
        return self


class TranslationTexts(BaseModel):
    """A post's text in another locale: a body and per-network variants, like the post itself."""

    model_config = ConfigDict(extra="forbid")

    body: str = Field(min_length=1, max_length=70000)
    variants: dict[str, str] = Field(default_factory=dict)


class PostCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: str = Field(min_length=1, max_length=70000)
    networks: list[str] = Field(min_length=1)
    variants: dict[str, str] = Field(default_factory=dict)
    editable: str = "free"
    slots: dict[str, SlotSpec] = Field(default_factory=dict, description="For editable='slots': [[name]] in the text")
    media_id: str | None = Field(default=None, description="Photo of the branded image (from POST /api/v1/media)")
    image_texts: dict[str, str] = Field(default_factory=dict, description="headline, subline, cta, legal; variables allowed")
    video_id: str | None = Field(default=None, description="A video from POST /api/v1/media (YouTube publishes videos only)")
    options: NetworkOptions = Field(default_factory=NetworkOptions,
                                    description="Per-network choices, e.g. Google's topic_type and call_to_action")
    publish_at: AwareDatetime | None = None
    publish_at_local: str | None = Field(default=None, description="Wall-clock time on each location's clock, e.g. 2026-12-01T10:00")
    source_locale: str | None = Field(default=None, description="The language the post is written in (BCP 47); "
                                                                "default: the brand's default locale")
    translations: dict[str, TranslationTexts] = Field(
        default_factory=dict, description="HQ's approved translations by locale: {\"de-DE\": {\"body\": …, \"variants\": {…}}}")

    @field_validator("source_locale")
    @classmethod
    def _source_locale(cls, value: str | None) -> str | None:
        if value is not None and not _LOCALE.match(value):
            raise ValueError("write the locale in BCP 47, e.g. fr-FR, de, zh-Hant-TW")
        return value

    @field_validator("translations")
    @classmethod
    def _translation_locales(cls, value: dict[str, TranslationTexts]) -> dict[str, TranslationTexts]:
        wrong = [locale for locale in value if not _LOCALE.match(locale)]
        if wrong:
            raise ValueError(f"not BCP 47 locales: {', '.join(wrong)} (write them like fr-BE, de, zh-Hant-TW)")
        return value

    @field_validator("networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        return only_known(value, NETWORKS, "network")

    @field_validator("image_texts")
    @classmethod
    def _image_texts(cls, value: dict[str, str]) -> dict[str, str]:
        only_known(value, IMAGE_TEXT_ZONES, "image zone")
        too_long = [zone for zone, text in value.items() if len(text) > 300]
        if too_long:
            raise ValueError(f"image texts are at most 300 characters ({', '.join(too_long)})")
        return {zone: text for zone, text in value.items() if text.strip()}

    @field_validator("editable")
    @classmethod
    def _editable(cls, value: str) -> str:
        if value not in EDITABLE_MODES:
            raise ValueError(f"use one of {', '.join(EDITABLE_MODES)}")
        return value

    @field_validator("publish_at_local")
    @classmethod
    def _local(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not _LOCAL_TIME.match(value):
            raise ValueError("write the local time as YYYY-MM-DDTHH:MM, e.g. 2026-12-01T10:00")
        datetime.fromisoformat(value)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> PostCreate:
        if self.publish_at and self.publish_at_local:
            raise ValueError("give publish_at (one instant everywhere) or publish_at_local (each location's clock), not both")
        stray = [name for name in self.variants if name not in self.networks]
        if stray:
            raise ValueError(f"variants for network(s) the post does not target: {', '.join(stray)}")
        if "youtube" in self.networks and not self.video_id:
            raise ValueError("YouTube publishes videos only: upload one with POST /api/v1/media and give its id as "
                             "video_id, or leave youtube out of networks")
        written = {name for text in (self.body, *self.variants.values()) for name in SLOT.findall(text)}
        if self.editable == "slots":
            if not self.slots:
                raise ValueError("a post whose locations edit slots must declare them in 'slots'")
            if set(self.slots) != written:
                raise ValueError(f"declared slots ({', '.join(sorted(self.slots))}) and [[slots]] in the text "
                                 f"({', '.join(sorted(written)) or 'none'}) must match")
        elif self.slots or written:
            raise ValueError("slots ([[name]]) are only for posts with editable='slots'")
        return self


class PostRead(BaseModel):
    id: str
    campaign_id: str
    status: str
    revision: int
    body: str
    networks: list[str]
    variants: dict[str, str]
    editable: str
    slots: dict[str, Any]
    image: dict[str, Any]
    video_id: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)
    publish_at: datetime | None
    publish_at_local: str | None
    source_locale: str | None = None
    created_at: datetime


class DistributeRequest(Target):
    """Where to send a post; empty means the campaign's target (or every location)."""
