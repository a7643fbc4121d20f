"""What the SVG charts of templates/components/charts.html compute: scales, tick labels, axis labels, summaries.

The macros only draw; the arithmetic a template would do badly (a round scale, a label in the reader's
language, a one-sentence summary for people who do not see the chart) is here, as template globals.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from babel import dates as babel_dates
from babel import numbers as babel_numbers

from hub.i18n import N_, format_number, format_percent, locale_of, translate
from hub.templating import environment

# The drawing area of every chart, in SVG units (the SVG scales to its box; the text scales with it).
CHART = {"width": 640, "height": 240, "left": 64, "right": 16, "top": 16, "bottom": 40, "row": 30, "label": 190}
CHART["plot_width"] = CHART["width"] - CHART["left"] - CHART["right"]
CHART["plot_height"] = CHART["height"] - CHART["top"] - CHART["bottom"]
# More labels than this under a chart overlap: the others are skipped (the table has them all).
MAX_AXIS_LABELS = 12
# Counts from this size on are written short on an axis ("12K", "12 k").
COMPACT_FROM = 10_000


def _nice_step(rough: float) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten) at least `rough`."""
    power = 10 ** math.floor(math.log10(rough))
    return next(power * factor for factor in (1, 2, 2.5, 5, 10) if power * factor >= rough * 0.999)


def chart_label(value: float | None, kind: str, language: str, digits: int = 1) -> str:
    """A value as a chart writes it: a percentage, or a count (short when large)."""
    if kind == "percent":
        return format_percent(value, language, digits)
    if value is not None and abs(value) >= COMPACT_FROM:
        return babel_numbers.format_compact_decimal(value, locale=locale_of(language), fraction_digits=1)
    return format_number(value, language)


def _digits(ticks: list[float]) -> int:
    """The fewest decimals that write every percentage tick exactly (2.5 % needs one)."""
    return next((digits for digits in range(3)
                 if all(abs(round(tick * 100, digits) - tick * 100) < 1e-9 for tick in ticks)), 3)


def chart_scale(values: list[float | None], kind: str, language: str, mark: float | None = None,
                ticks: int = 4) -> dict[str, Any]:
    """The vertical scale of a chart: its top (a round number above every value and the mark) and labelled ticks."""
    present = [value for value in values if value is not None] + ([mark] if mark is not None else [])
    largest = max(present, default=0) or (0.01 if kind == "percent" else 1)
    step = _nice_step(largest / ticks)
    if kind != "percent":
        step = max(step, 1)  # counts: no tick between two whole numbers
    top = step * math.ceil(largest / step - 1e-9)
    values_at = [round(step * index, 10) for index in range(round(top / step) + 1)]
    digits = _digits(values_at) if kind == "percent" else 0
    return {"top": top, "digits": digits,
            "ticks": [(value, chart_label(value, kind, language, digits)) for value in values_at]}


def month_label(month: str, language: str, format: str = "LLLL y") -> str:
    """A "YYYY-MM" month as the reader's language writes it ("novembre 2026", "November 2026")."""
    year, number = (int(part) for part in month.split("-"))
    return babel_dates.format_date(date(year, number, 1), format, locale=locale_of(language))


def month_axis(months: list[str], language: str) -> list[dict[str, str]]:
    """Labels under a chart by month: the short month, the year under the first one and under each January."""
    return [{"short": month_label(month, language, "LLL"),
             "sub": month[:4] if index == 0 or month.endswith("-01") else "",
             "long": month_label(month, language)} for index, month in enumerate(months)]


def day_axis(days: list[str], language: str) -> list[dict[str, str]]:
    """Labels under a chart by day ("26 nov."), the month under the first day of each month."""
    locale = locale_of(language)
    labels = []
    for index, text in enumerate(days):
        day = date.fromisoformat(text)
        labels.append({"short": babel_dates.format_date(day, "d", locale=locale),
                       "sub": babel_dates.format_date(day, "LLL", locale=locale)
                       if index == 0 or day.day == 1 else "",
                       "long": babel_dates.format_date(day, "medium", locale=locale)})
    return labels


def shown_labels(count: int) -> int:
    """Every how many points a label is written under the chart (all of them up to MAX_AXIS_LABELS)."""
    return max(1, math.ceil(count / MAX_AXIS_LABELS))


def chart_summary(title: str, labels: list[dict[str, str]], series: list[dict[str, Any]], kind: str,
                  language: str) -> str:
    """One sentence that says what a chart shows, for people who do not see it (its aria-label)."""
    parts = []
    for line in series:
        points = [(label["long"], value) for label, value in zip(labels, line["points"], strict=False)
                  if value is not None]
        if not points:
            continue
        (first_label, first), (last_label, last) = points[0], points[-1]
        high_label, high = max(points, key=lambda point: point[1])
        parts.append(translate(
            N_("{series}: from {first} ({first_label}) to {last} ({last_label}), highest {high} ({high_label})"),
            language, series=line["label"], first=chart_label(first, kind, language),
            first_label=first_label, last=chart_label(last, kind, language), last_label=last_label,
            high=chart_label(high, kind, language), high_label=high_label))
    if not parts:
        return translate(N_("{title}: no figure yet."), language, title=title)
    return translate(N_("{title}. {figures}. The table gives every figure."), language, title=title,
                     figures="; ".join(parts))


def bars_summary(title: str, items: list[dict[str, Any]], kind: str, language: str) -> str:
    """The aria-label of a horizontal bar chart: each bar's label and value, in order."""
    if not items:
        return translate(N_("{title}: no figure yet."), language, title=title)
    figures = "; ".join(f"{item['label']} {chart_label(item['value'], kind, language)}" for item in items)
    return translate(N_("{title}. {figures}. The table gives every figure."), language, title=title,
                     figures=figures)


environment.globals.update(CHART=CHART, chart_scale=chart_scale, chart_label=chart_label,
                           chart_summary=chart_summary, bars_summary=bars_summary, shown_labels=shown_labels)
