"""What the Google connectors share (Business Profile, YouTube): Google's OAuth and its error JSON.

Google's OAuth 2.0 for web servers: the consent page `/o/oauth2/v2/auth` with
`access_type=offline` and `prompt=consent` (so a refresh token comes back every time), PKCE
S256 (optional at Google, used here), and the token endpoint `/token`. Access tokens last
~1 h; refresh tokens do not rotate (a refresh answer carries none: the old one stays), and
die after 7 days while the Google Cloud project's OAuth app is in "Testing"
(reference/networks.md [G7], ?UNCERTAIN).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

import httpx

from hub.db import utcnow
from hub.publishing.connectors.base import (
    AccountBroken, Connector, OutcomeUnknown, PublishRefused, RateLimited, TokenSet, TransientBeforeSend,
)
from hub.publishing.connectors.http import body, client, retry_after, send
from hub.publishing.models import SocialAccount

# Error reasons (errors[].reason) and statuses that say the grant lacks a scope or a right.
MISSING_PERMISSION_REASONS = {"insufficientPermissions", "forbidden", "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
                              "PERMISSION_DENIED"}


@dataclass(frozen=True)
class GoogleError:
    """Google's error JSON `{"error": {"code", "message", "status", "errors": [{"domain", "reason", "message"}]}}`."""

    code: int
    status: str
    message: str
    reason: str
    domain: str
    # google.rpc.ErrorInfo details (e.g. the quota limit that was hit), flattened.
    metadata: dict[str, str]

    @classmethod
    def of(cls, response: httpx.Response) -> GoogleError:
        error = body(response).get("error")
        if not isinstance(error, dict):
            # OAuth endpoints answer {"error": "invalid_grant", "error_description": "..."}.
            description = body(response).get("error_description") or response.reason_phrase
            return cls(response.status_code, str(error or ""), str(description), str(error or ""), "", {})
        first = (error.get("errors") or [{}])[0]
        metadata: dict[str, str] = {}
        reason = first.get("reason") or ""
        for detail in error.get("details") or []:
            if isinstance(detail, dict) and detail.get("@type", "").endswith("google.rpc.ErrorInfo"):
                metadata.update({key: str(value) for key, value in (detail.get("metadata") or {}).items()})
                reason = reason or detail.get("reason") or ""
        return cls(int(error.get("code") or response.status_code), error.get("status") or "",
                   error.get("message") or first.get("message") or response.reason_phrase, reason,
                   first.get("domain") or "", metadata)


class GoogleConnector(Connector):
    """A Google API connector: Google's OAuth, token refresh and the mapping of Google's errors."""

    pkce = True  # optional at Google, but it protects the code in transit.

    # -- OAuth ----------------------------------------------------------------------------

    def authorize_url(self, *, state: str, redirect_uri: str, code_challenge: str | None) -> str:
        params = {
            "client_id": self.settings.google_client_id, "redirect_uri": redirect_uri, "response_type": "code",
            "scope": " ".join(self.scopes), "state": state,
            # offline: a refresh token; consent: Google sends one again even when the user had consented before.
            "access_type": "offline", "prompt": "consent", "include_granted_scopes": "true",
        }
        if code_challenge:
            params |= {"code_challenge": code_challenge, "code_challenge_method": "S256"}
        return f"{self.settings.google_oauth_url.rstrip('/')}/o/oauth2/v2/auth?{urlencode(params)}"

    async def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str | None) -> TokenSet:
        form = {"code": code, "client_id": self.settings.google_client_id,
                "client_secret": self.settings.google_client_secret, "redirect_uri": redirect_uri,
                "grant_type": "authorization_code"}
        if code_verifier:
            form["code_verifier"] = code_verifier
        answer = await self._token_request(form)
        if answer.status_code == 400:
            error = GoogleError.of(answer)
            raise PublishRefused("Google refused the sign-in ({code}: {detail}): connect the {network} account again.",
                                 code=error.status, detail=error.message, network=self.label)
        return self._token_set(answer, refresh_token=None)

    async def refresh_token(self, account: SocialAccount) -> TokenSet | None:
        """A new access token from the stored refresh token (Google keeps the same refresh token)."""
        stored = self.stored_refresh_token(account)
        if not stored:
            raise AccountBroken("This {network} account has no refresh token, so its access ends within the hour: "
                                "reconnect it (Pieuvre asks Google for offline access).", "expired", network=self.label)
        answer = await self._token_request({
            "client_id": self.settings.google_client_id, "client_secret": self.settings.google_client_secret,
            "refresh_token": stored, "grant_type": "refresh_token",
        })
        if answer.status_code in (400, 401):
            error = GoogleError.of(answer)
            if error.status in ("invalid_grant", "unauthorized_client", "invalid_client") or answer.status_code == 401:
                raise AccountBroken(
                    "Google no longer accepts this {network} account's access ({code}): reconnect it. "
                    "(Access given to an app still in \"Testing\" on Google Cloud ends after 7 days.)", "expired",
                    network=self.label, code=error.status)
            raise PublishRefused("Google refused to renew the {network} account's access ({detail}); trying again later.",
                                 network=self.label, detail=error.message)
        return self._token_set(answer, refresh_token=stored)

    async def _token_request(self, form: dict[str, str]) -> httpx.Response:
        """POST the token endpoint; a 429 or 5xx is retryable (no token was issued)."""
        async with client(self.settings) as http:
            answer = await send(http, "POST", f"{self.settings.google_token_url.rstrip('/')}/token",
                                creates=False, label="Google", data=form)
        if answer.status_code == 429:
            raise RateLimited("Google's token endpoint is throttling this app.", retry_after(answer), scope="network")
        if answer.status_code >= 500:
            raise TransientBeforeSend("Google's token endpoint failed (HTTP {status}); trying again later.",
                                      status=answer.status_code)
        return answer

    def _token_set(self, answer: httpx.Response, *, refresh_token: str | None) -> TokenSet:
        data = body(answer)
        if answer.status_code != 200 or not data.get("access_token"):
            raise PublishRefused("Google answered the token request with HTTP {status}: connect the {network} account "
                                 "again.", status=answer.status_code, network=self.label)
        expires_in = data.get("expires_in")
        return TokenSet(
            access_token=data["access_token"],
            # Google does not rotate refresh tokens: a refresh answer has none, and the old one stays valid.
            refresh_token=data.get("refresh_token") or refresh_token,
            expires_at=utcnow() + timedelta(seconds=int(expires_in)) if expires_in else None,
            extra={"scope": data.get("scope", "")},
        )

    # -- calling the APIs -----------------------------------------------------------------

    def headers(self, account: SocialAccount | None = None, token: str | None = None) -> dict[str, str]:
        """The bearer header (Google takes the token in the header; never in the query)."""
        return {"Authorization": f"Bearer {token if token is not None else self.access_token(account)}"}

    def raise_for_error(self, answer: httpx.Response, *, creates: bool, step: str) -> None:
        """Map a Google error answer to what it means for publishing (nothing when it succeeded).

        `step` ("post", "video", "thumbnail", "read" or "connect") picks the refusal that tells the
        user what to fix; networks map their own reasons (YouTube's quotaExceeded) before calling this.
        """
        if answer.status_code < 400:
            return
        error = GoogleError.of(answer)
        if answer.status_code == 401 or error.status == "UNAUTHENTICATED":
            raise AccountBroken("Google refused the {network} account's token: reconnect the account.", "expired",
                                network=self.label)
        if answer.status_code == 403 and (error.reason in MISSING_PERMISSION_REASONS
                                          or error.status == "PERMISSION_DENIED"):
            raise AccountBroken("The {network} account lacks a permission ({detail}): reconnect it and grant every "
                                "permission Pieuvre asks for.", "missing_permission", network=self.label,
                                detail=error.message)
        if answer.status_code == 429 or error.status == "RESOURCE_EXHAUSTED":
            raise RateLimited("Google's {network} quota is used up ({detail}); Pieuvre tries again later.",
                              retry_after(answer), scope="network", network=self.label, detail=error.message)
        if answer.status_code >= 500:
            if creates:
                raise OutcomeUnknown("Google failed (HTTP {status}) while the post was being sent: it may have been "
                                     "created; checking the account.", status=answer.status_code)
            raise TransientBeforeSend("Google failed (HTTP {status}); trying again later.", status=answer.status_code)
        if step == "video":
            raise PublishRefused("{network} refused the video: {detail}. Fix the video or the text, then publish "
                                 "again.", network=self.label, detail=error.message)
        if step == "thumbnail":
            raise PublishRefused("{network} refused the thumbnail: {detail}.", network=self.label,
                                 detail=error.message)
        if step == "read":
            raise PublishRefused("{network} refused to read the account: {detail}. Reconnect the account if this "
                                 "lasts.", network=self.label, detail=error.message)
        if step == "connect":
            raise PublishRefused("{network} refused to list what this account manages: {detail}. Start connecting "
                                 "again.", network=self.label, detail=error.message)
        raise PublishRefused("Google refused the post: {detail}. Fix the post, then publish again.",
                             detail=error.message)
