"""Server-rendered pages: one template per page, HTMX regions as named blocks."""

from __future__ import annotations

from markupsafe import Markup

from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape

from hub.i18n import (Translator, dir_of, format_date, format_datetime, format_number, format_percent,
                      format_time)
from hub.validation import is_web_link

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html", "xml"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _language(context) -> str:
    return context.get("language") or "en"


@pass_context
def _when(context, value: datetime | None, timezone: str | None = None) -> str:
    """A moment as the reader's language writes it ("26 nov. 2026, 14:05"), in a location's time zone
    when one is given, else in UTC."""
    return format_datetime(value, _language(context), timezone)


@pass_context
def _date(context, value: date | datetime | None, timezone: str | None = None, format: str = "medium") -> str:
    """A day as the reader's language writes it ("26 nov. 2026")."""
    return format_date(value, _language(context), timezone, format)


@pass_context
def _time(context, value: time | datetime | None, timezone: str | None = None) -> str:
    """An hour as the reader's language writes it ("14:05", "2:05 PM")."""
    return format_time(value, _language(context), timezone)


@pass_context
def _number(context, value: float | int | None) -> str:
    """A count with the reader's thousands separator ("1 234", "1,234")."""
    return format_number(value, _language(context))


@pass_context
def _percent(context, ratio: float | None, digits: int = 0) -> str:
    """A ratio as the reader's percentage ("25 %", "25%")."""
    return format_percent(ratio, _language(context), digits)


# Locale formatting for every template: `x|when(zone)` (also `x|datetime(zone)`), `x|date`, `x|time`,
# `n|number`, `ratio|percent`; the same as methods of `_` (`_.datetime(x, zone)`, `_.number(n)`…).
environment.filters.update(when=_when, datetime=_when, date=_date, time=_time, number=_number, percent=_percent)
# `dir_of(location.locale)`: "rtl" or "ltr", for `dir` next to `lang` wherever a location's text is shown.
environment.globals["dir_of"] = dir_of
# `{% if url is web_link %}<a href="{{ url }}">`: only http(s) URLs become links.
environment.tests["web_link"] = is_web_link


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def render_fragment(template_name: str, context: dict[str, Any], language: str) -> Markup:
    """A part of a page that depends only on `context` and the reader's language (no request, actor or token)."""
    return Markup(environment.get_template(template_name).render(
        {"_": Translator(language), "language": language, **context}))


def render(
    request: Request,
    template_name: str,
    context: dict[str, Any],
    *,
    block: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render a page, or only its `block` (the region an HTMX request swaps)."""
    actor = getattr(request.state, "actor", None)
    language = getattr(request.state, "language", "en")
    full = {
        "request": request,
        "actor": actor,
        "_": Translator(language),
        "language": language,
        "csrf_token": getattr(request.state, "csrf_token", ""),
        **context,
    }
    template = environment.get_template(template_name)
    if block:
        body = "".join(template.blocks[block](template.new_context(full)))
    else:
        body = template.render(full)
    response = HTMLResponse(body, status_code=status_code, headers=headers)
    # One URL serves the page and its fragments: caches must key on HX-Request.
    response.headers["Vary"] = "HX-Request"
    return response
