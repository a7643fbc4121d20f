"""The brand kit as HQ writes it: palette, tone of voice, network settings."""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

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

# A glossary rule's locale: a BCP 47 tag like a location's ("fr", "fr-BE", "zh-Hant-TW"), or "*" for every
# locale the entry does not name.
EVERY_LOCALE = "*"
_GLOSSARY_LOCALE = re.compile(r"^[a-z]{2,3}(-[A-Z][a-z]{3})?(-(?:[A-Z]{2}|[0-9]{3}))?$")


def glossary_locale(value: str) -> str:
    """A glossary locale written loosely ("fr_be", "FR-be") in its BCP 47 form ("fr-BE"); ValueError otherwise."""
    value = value.strip().replace("_", "-")
    if value == EVERY_LOCALE:
        return value
    parts = value.split("-")
    parts[0] = parts[0].lower()
    for position, part in enumerate(parts[1:], 1):
        parts[position] = part.title() if len(part) == 4 else part.upper()
    tag = "-".join(parts)
    if not _GLOSSARY_LOCALE.match(tag):
        raise ValueError(f"'{value}' is not a locale: use a language such as fr, a BCP 47 tag such as fr-BE, "
                         "or * for every other locale")
    return tag


class GlossaryRule(BaseModel):
    """What translators do with a glossary term in one locale."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    # "keep": written exactly as the term, never translated; "translate": always as `translation`.
    mode: Literal["keep", "translate"]
    translation: str = Field(default="", max_length=100)

    @model_validator(mode="after")
    def _translation(self) -> GlossaryRule:
        if self.mode == "translate" and not self.translation:
            raise ValueError("a term to translate needs its translation: write it, or choose keep")
        if self.mode == "keep" and self.translation:
            raise ValueError("a kept term is written as it is: empty the translation, or choose translate")
        return self


class GlossaryEntry(BaseModel):
    """One brand term and its rule in each locale (the linter enforces them)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    term: str = Field(min_length=1, max_length=100, description="As the brand writes it, e.g. VéloLumière")
    locale_rules: dict[str, GlossaryRule] = Field(min_length=1, description='{"fr-BE": {"mode": "keep"}, '
                                                  '"de": {"mode": "translate", "translation": "E-Bike"}, "*": …}')

    @field_validator("term")
    @classmethod
    def _term(cls, value: str) -> str:
        if not any(char.isalnum() for char in value):
            raise ValueError("a term needs at least one letter or digit")
        return unicodedata.normalize("NFC", " ".join(value.split()))

    @field_validator("locale_rules", mode="before")
    @classmethod
    def _locales(cls, value: object) -> object:
        if not isinstance(value, dict):
            return value
        rules: dict[str, object] = {}
        for locale, rule in value.items():
            tag = glossary_locale(str(locale))
            if tag in rules:
                raise ValueError(f"the locale {tag} is given twice: keep one rule per locale")
            rules[tag] = rule
        return rules


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
    # Brand terms per locale: kept as they are or always translated the same way.
    glossary: list[GlossaryEntry] = Field(default_factory=list, max_length=500)

    @field_validator("glossary")
    @classmethod
    def _glossary(cls, value: list[GlossaryEntry]) -> list[GlossaryEntry]:
        from hub.linting.tone import fold

        seen: set[str] = set()
        for entry in value:
            key = " ".join(fold(entry.term)[0].split())
            if key in seen:
                raise ValueError(f"the term '{entry.term}' is in the glossary twice (case and accents aside): "
                                 "give it one entry with a rule per locale")
            seen.add(key)
        return value

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
