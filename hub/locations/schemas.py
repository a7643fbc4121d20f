"""What a location looks like coming in and going out."""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hub.campaigns.models import APPROVAL_POLICIES
from hub.locations.models import LOCATION_KINDS

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,59}$")
# language[-Script][-REGION], REGION being ISO 3166 (FR) or UN M.49 (419): fr-FR, zh-Hant-TW, es-419.
_LOCALE = re.compile(r"^[a-z]{2,3}(-[A-Z][a-z]{3})?(-(?:[A-Z]{2}|[0-9]{3}))?$")
_VARIABLE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_TIMEZONES = available_timezones()


class LocationCreate(BaseModel):
    """A location as HQ creates or imports it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: str = Field(description="Unique code in the brand, e.g. FR-LYON-01")
    name: str = Field(min_length=1, max_length=200)
    kind: str = "franchise"
    region: str = Field(default="", max_length=100)
    country: str = Field(description="ISO 3166-1 alpha-2, e.g. FR")
    locale: str = Field(description="BCP 47, e.g. fr-FR")
    timezone: str = Field(description="IANA, e.g. Europe/Paris")
    variables: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    approval_policy: str | None = None

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not _CODE.match(value):
            raise ValueError("use 1 to 60 letters, digits, '-', '_' or '.', starting with a letter or digit")
        return value

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        if value not in LOCATION_KINDS:
            raise ValueError(f"use one of {', '.join(LOCATION_KINDS)}")
        return value

    @field_validator("country")
    @classmethod
    def _country(cls, value: str) -> str:
        if not re.match(r"^[A-Za-z]{2}$", value):
            raise ValueError("use the two-letter ISO country code, e.g. FR, BE, DE, ES, AE")
        return value.upper()

    @field_validator("locale")
    @classmethod
    def _locale(cls, value: str) -> str:
        if not _LOCALE.match(value):
            raise ValueError("use a BCP 47 tag such as fr-FR, fr-BE, de-DE, es-ES or ar-AE")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        if value not in _TIMEZONES:
            raise ValueError("use an IANA time zone such as Europe/Paris or Asia/Dubai")
        ZoneInfo(value)
        return value

    @field_validator("variables")
    @classmethod
    def _variables(cls, value: dict[str, Any]) -> dict[str, Any]:
        for name, item in value.items():
            if not _VARIABLE.match(name):
                raise ValueError(f"variable name '{name}' must be lowercase letters, digits and '_', starting with a letter")
            if not isinstance(item, (str, int, float)) or isinstance(item, bool):
                raise ValueError(f"variable '{name}' must be text or a number")
        return value

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        cleaned = sorted({tag.strip() for tag in value if tag.strip()})
        for tag in cleaned:
            if len(tag) > 60:
                raise ValueError(f"tag '{tag[:20]}…' is longer than 60 characters")
        return cleaned

    @field_validator("approval_policy")
    @classmethod
    def _policy(cls, value: str | None) -> str | None:
        if value not in (None, "", *APPROVAL_POLICIES):
            raise ValueError(f"use one of {', '.join(APPROVAL_POLICIES)}, or leave empty for the campaign's")
        return value or None


class LocationRead(BaseModel):
    """A location as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    code: str
    name: str
    kind: str
    region: str
    country: str
    locale: str
    timezone: str
    variables: dict[str, Any]
    tags: list[str]
    approval_policy: str | None
