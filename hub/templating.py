"""Server-rendered pages: one template per page, HTMX regions as named blocks."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from hub.i18n import Translator

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html", "xml"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _when(value: datetime | None, timezone: str | None = None) -> str:
    """A timestamp as people read it, in a location's time zone when one is given."""
    if value is None:
        return "—"
    if timezone:
        value = value.astimezone(ZoneInfo(timezone))
    return value.strftime("%Y-%m-%d %H:%M")


environment.filters["when"] = _when


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


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
