"""The web application: API, pages, static files, error handling."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DBAPIError

from hub import queue
from hub.config import Settings, get_settings
from hub.db import database_refused_text, database_unreachable, get_database
from hub.deps import LoginRequired
from hub.errors import HubError
from hub.i18n import pick_language, translate
from hub.logs import redact_secrets_in_logs

log = logging.getLogger("pieuvre.app")
STATIC = Path(__file__).resolve().parent.parent / "static"


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"


def _language(request: Request) -> str:
    return getattr(request.state, "language", None) or pick_language(
        request.headers.get("Accept-Language"), request.cookies.get("lang"))


# No inline scripts anywhere: htmx and our JS come from /static.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "frame-ancestors 'none'; base-uri 'self'; form-action 'self'")


class SecurityHeaders:
    """Adds the security headers to every answer that does not set them itself.

    A plain ASGI middleware: Starlette's `@app.middleware("http")` runs each request in a task of its own
    and copies the body through a stream, a millisecond or more per request under load."""

    HEADERS = ((b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
               (b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
               (b"referrer-policy", b"same-origin"))
    HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wanted = self.HEADERS + ((self.HSTS,) if scope.get("scheme") == "https" else ())

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(header for header in wanted if header[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for these settings (default: the environment's)."""
    settings = settings or get_settings()
    redact_secrets_in_logs()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        from hub.accounts.service import ensure_bootstrap_admin

        async with app.state.database.session() as session:
            await ensure_bootstrap_admin(session, settings.bootstrap_admin_email, settings.bootstrap_admin_password)
        yield
        await queue.close_pools()

    # No /docs nor /redoc: FastAPI's pages load their scripts from a CDN and run inline ones, which the
    # Content-Security-Policy below refuses. /openapi.json describes the API for any tool.
    app = FastAPI(title="Pieuvre", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Franchise content-distribution hub: HQ drafts, every location publishes.")
    app.state.settings = settings
    app.state.database = get_database(settings.database_url)

    from hub.api import router as api_router
    from hub.audit.routes import router as audit_router
    from hub.comments.routes import router as comments_router
    from hub.media.routes import router as media_router
    from hub.reviews.pages import router as review_pages_router
    from hub.reviews.routes import router as review_links_router
    from hub.web.matrix import router as matrix_router
    from hub.web.pages import router as pages_router

    app.include_router(api_router)
    app.include_router(matrix_router)
    from hub.web.audit import router as audit_page_router
    app.include_router(audit_page_router)
    app.include_router(audit_router)
    app.include_router(comments_router)
    app.include_router(review_links_router)
    app.include_router(review_pages_router)
    app.include_router(media_router)
    app.include_router(pages_router)
    from hub.webhooks.routes import pages as webhooks_pages, router as webhooks_router

    app.include_router(webhooks_router)
    app.include_router(webhooks_pages)
    from hub.web.accounts import api as accounts_api, pages as accounts_pages

    app.include_router(accounts_api)
    app.include_router(accounts_pages)
    from hub.translations.routes import api as translations_api, pages as translations_pages

    app.include_router(translations_api)
    app.include_router(translations_pages)
    from hub.calendars.routes import api as calendars_api, pages as calendars_pages

    app.include_router(calendars_api)
    app.include_router(calendars_pages)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    app.add_middleware(SecurityHeaders)

    @app.exception_handler(HubError)
    async def hub_error(request: Request, error: HubError):
        language = _language(request)
        message = translate(error.message, language, **error.values)
        if _wants_json(request):
            body = {"detail": message}
            if error.errors:
                body["errors"] = error.errors
            return JSONResponse(body, status_code=error.status_code, headers=error.headers)
        from hub.web.pages import error_page

        response = error_page(request, error.status_code, message, error.errors)
        response.headers.update(error.headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError):
        errors = [
            {"field": ".".join(str(part) for part in item["loc"] if part != "body"),
             "message": str(item["msg"]).removeprefix("Value error, ")}
            for item in error.errors()
        ]
        language = _language(request)
        summary = translate("The request is not valid: {n} problem(s). Fix each field listed in 'errors'.",
                            language, n=len(errors))
        if _wants_json(request):
            return JSONResponse({"detail": summary, "errors": errors}, status_code=422)
        from hub.web.pages import error_page

        return error_page(request, 422, summary, errors)

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _: LoginRequired):
        target = "/login?next=" + request.url.path
        if request.headers.get("HX-Request") == "true":
            return JSONResponse({}, status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(DBAPIError)
    @app.exception_handler(ConnectionError)
    async def database_down(request: Request, error: Exception):
        if database_refused_text(error):
            message = translate("Text cannot contain the NUL character (U+0000): remove it and send again.",
                                _language(request))
            if _wants_json(request):
                return JSONResponse({"detail": message}, status_code=422)
            from hub.web.pages import error_page

            return error_page(request, 422, message, [])
        if not database_unreachable(error):
            raise error  # a fault of ours: the server error it is
        log.error("web.database_unavailable error=%s", error)
        message = translate("The database is not answering right now. Try again in a minute.", _language(request))
        if _wants_json(request):
            return JSONResponse({"detail": message}, status_code=503, headers={"Retry-After": "30"})
        from hub.web.pages import error_page

        return error_page(request, 503, message, [])

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
