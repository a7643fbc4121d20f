"""How Pieuvre turns raw counters into rates: one named engagement-rate formula per network.

Networks do not agree on what a rate is (reference §0). Pieuvre divides engagements by reach where
the network gives reach, otherwise by impressions or views, and shows the formula beside every rate.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func
from sqlalchemy.sql import ColumnElement

from hub.i18n import N_
from hub.publishing.models import Publication

# What each network's rate divides by: "reach" (unique people) or "impressions" (views, for video).
RATE_BASE = {
    "facebook": "reach", "instagram": "reach", "linkedin": "reach",
    "x": "impressions", "youtube": "impressions", "google_business": "impressions",
}
# The formula of each network's rate, in the network's own words (shown next to every rate).
FORMULAS = {
    "facebook": N_("(reactions + comments + shares) ÷ reach (unique viewers)"),
    "instagram": N_("total interactions ÷ reach"),
    "linkedin": N_("(clicks + likes + comments + shares) ÷ unique impressions"),
    "x": N_("(likes + reposts + replies + quotes + link and profile clicks) ÷ impressions (X gives no reach)"),
    "youtube": N_("(likes + comments) ÷ views (YouTube gives no reach)"),
    "google_business": N_("Google gives no per-post figures, only per location and day"),
}
REACH_FORMULA = N_("engagements ÷ reach")
MIXED_FORMULA = N_("engagements ÷ reach, or ÷ impressions or views where a network gives no reach")
# The study behind Pieuvre counts a month at 4 % or more on Facebook as very good.
VERY_GOOD_FACEBOOK_RATE = 0.04
# The normalized counters a network never gives (shown as missing, not as zero).
NOT_GIVEN = {"x": ("reach",), "youtube": ("reach",), "google_business": ("impressions", "reach", "engagements")}


def rate(engagements: int | None, base: int | None) -> float | None:
    """Engagements per unit of the base, rounded; None when either is missing or nobody was reached."""
    if engagements is None or not base:
        return None
    return round(engagements / base, 4)


def formula_of(networks: list[str] | set[str]) -> str:
    """The formula that names a rate summed over these networks."""
    bases = {RATE_BASE.get(network, "reach") for network in networks}
    return REACH_FORMULA if bases <= {"reach"} else MIXED_FORMULA


def rate_base_column() -> ColumnElement[Any]:
    """SQL: each publication's rate base, reach or impressions according to its network."""
    reach_networks = [network for network, base in RATE_BASE.items() if base == "reach"]
    return case((Publication.network.in_(reach_networks), Publication.reach), else_=Publication.impressions)


def counter_sums() -> list[ColumnElement[Any]]:
    """SQL: the sums reports show, labelled; NULL sums (nothing read) stay missing."""
    return [
        func.sum(Publication.impressions).label("impressions"),
        func.sum(Publication.reach).label("reach"),
        func.sum(Publication.engagements).label("engagements"),
        func.sum(rate_base_column()).label("rate_base"),
        func.count(Publication.stats_at).label("with_stats"),
    ]


def counters(row: Any) -> dict[str, Any]:
    """The counters of a row selected with `counter_sums()`, and their rate."""
    return {
        "impressions": row.impressions, "reach": row.reach, "engagements": row.engagements,
        "engagement_rate": rate(row.engagements, row.rate_base), "with_stats": row.with_stats,
    }


def month_of(dialect: str, column: Any) -> ColumnElement[str]:
    """SQL: the UTC month of a timestamp as "YYYY-MM"."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM")
    return func.strftime("%Y-%m", column)


def hours_between(dialect: str, start: Any, end: Any) -> ColumnElement[float]:
    """SQL: the hours from `start` to `end`."""
    if dialect == "postgresql":
        return func.extract("epoch", end - start) / 3600.0
    return (func.julianday(end) - func.julianday(start)) * 24.0


def median(values: list[float], digits: int = 2) -> float | None:
    """The median of the values (None for none), rounded (rates need 4 digits: 3.5 % is 0.035)."""
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    value = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return round(value, digits)
