"""The brand kit as HQ writes it: palette, tone of voice, network settings."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hub.publishing.models import NETWORKS
from hub.validation import only_known

_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
REGISTERS = {"fr": ("tu", "vous"), "de": ("du", "Sie"), "es": ("tú", "usted")}


class BannedTerm(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    term: str = Field(min_length=1, max_length=100)
    replacement: str = Field(default="", max_length=100)
    # Languages (ISO 639-1, e.g. "fr") where the term is banned; empty: every language.
    languages: list[str] = Field(default_factory=list)

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: list[str]) -> list[str]:
        codes = [code.strip().lower() for code in value]
        if any(not re.fullmatch(r"[a-z]{2}", code) for code in codes):
            raise ValueError("use two-letter language codes such as fr, de, es, ar")
        return list(dict.fromkeys(codes))


class RequiredMention(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    text: str = Field(min_length=1, max_length=100, description="A mention or hashtag, e.g. #VeloLumiere")
    # Networks where it is required; empty: every network.
    networks: list[str] = Field(default_factory=list)

    @field_validator("networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        return only_known(value, NETWORKS, "network")


class Signature(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    text: str = Field(default="", max_length=300)
    networks: list[str] = Field(default_factory=list)

    @field_validator("networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        return only_known(value, NETWORKS, "network")


class ToneRules(BaseModel):
    """How the brand speaks; checked on every text HQ, locations or distributors write."""

    model_config = ConfigDict(extra="forbid")

    banned_terms: list[BannedTerm] = Field(default_factory=list, max_length=500)
    required_mentions: list[RequiredMention] = Field(default_factory=list, max_length=50)
    max_hashtags: int | None = Field(default=None, ge=0, le=100)
    max_emoji: int | None = Field(default=None, ge=0, le=100)
    max_exclamation_marks: int | None = Field(default=None, ge=0, le=100)
    max_caps_words: int | None = Field(default=None, ge=0, le=100)
    # {"fr": "vous", "de": "Sie", "es": "usted"}
    formality: dict[str, str] = Field(default_factory=dict)
    signature: Signature = Field(default_factory=Signature)

    @field_validator("formality")
    @classmethod
    def _formality(cls, value: dict[str, str]) -> dict[str, str]:
        for language, register in value.items():
            if language not in REGISTERS:
                raise ValueError(f"formality is checked for {', '.join(REGISTERS)}; '{language}' is not one of them")
            if register not in REGISTERS[language]:
                raise ValueError(f"for '{language}' use {' or '.join(REGISTERS[language])}")
        return value


class Palette(BaseModel):
    model_config = ConfigDict(extra="forbid")

    primary: str = "#4F46E5"
    secondary: str = "#0F172A"
    accent: str = "#F59E0B"
    text: str = "#FFFFFF"
    background: str = "#F8FAFC"

    @field_validator("*")
    @classmethod
    def _colour(cls, value: str) -> str:
        if not _COLOUR.match(value):
            raise ValueError("write colours as #RRGGBB, e.g. #4F46E5")
        return value.upper()


class NetworkSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Instagram's cap is announced, not confirmed in the API (networks.md §2): a setting.
    instagram_hashtag_cap: int = Field(default=5, ge=0, le=30)


IMAGE_ZONES = ("photo", "headline", "subline", "cta", "legal")


class BrandKitData(BaseModel):
    """What `PUT /api/v1/brand-kit` takes and `GET` returns."""

    model_config = ConfigDict(extra="forbid")

    palette: Palette = Field(default_factory=Palette)
    tone: ToneRules = Field(default_factory=ToneRules)
    networks: NetworkSettings = Field(default_factory=NetworkSettings)
    logo_media_id: str | None = None
    # The image template's zones locations may change; the others are locked.
    editable_zones: list[str] = Field(default_factory=lambda: ["headline", "subline", "cta"])
    # A full template (hub.media.render.Template.to_dict()); None: the studio's default template.
    image_template: dict | None = None

    @field_validator("editable_zones")
    @classmethod
    def _zones(cls, value: list[str]) -> list[str]:
        return only_known(value, IMAGE_ZONES, "zone")

    @field_validator("image_template")
    @classmethod
    def _template(cls, value: dict | None) -> dict | None:
        if value is not None:
            from hub.media.render import Template

            Template.from_dict(value)  # ValueError names what is wrong
        return value
