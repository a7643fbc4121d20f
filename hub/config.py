"""Settings read from the environment (prefix PIEUVRE_)."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta:
    """Turn '90s', '1h', '7d' into a timedelta; raise ValueError saying the accepted forms."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"'{text}' is not a duration: write a number followed by s, m, h, d or w (e.g. 24h, 7d)")
    return timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2)])


class Settings(BaseSettings):
    """Every knob of a Pieuvre deployment; each one is PIEUVRE_<NAME> in the environment."""

    model_config = SettingsConfigDict(env_prefix="PIEUVRE_", env_file=".env", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./var/pieuvre.db"
    # None means "start an embedded Redis" (pieuvre up); workers and web then get its socket.
    redis_url: str | None = None
    secret_key: str = ""
    base_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = 8000
    var_dir: Path = Path("./var")
    cookie_secure: bool = False
    session_days: int = 14
    # Failed logins (login form and API token) allowed per e-mail and per client address within the
    # window, after which both answer 429 until the window ends (hub/accounts/throttle.py). Behind a
    # proxy, the client address is the one uvicorn reads from X-Forwarded-For (FORWARDED_ALLOW_IPS).
    login_failures_per_account: int = 5
    login_failures_per_address: int = 20
    login_throttle_window: str = "15m"

    bootstrap_admin_email: str | None = None
    bootstrap_admin_password: str | None = None

    # Fan-out: one job per chunk of locations (one job per location is ~10x dearer in arq overhead).
    fanout_chunk_size: int = 250
    # Campaign reports are served from stored figures, checked against the database (a fingerprint of the
    # campaign's proposals and publications) at most this often per web process; 0: at every view. The stats
    # worker also brings them up to date every minute.
    report_recheck_seconds: int = 15
    # Delays after publishing at which each post's counters are read.
    stats_offsets: str = "1h,24h,72h,7d,28d"
    # How often the cron jobs look for due work, in seconds.
    publish_poll_seconds: int = 5
    publish_max_attempts: int = 5
    # After an error proving nothing was sent, wait this many seconds, doubled at each attempt (max 1 h).
    publish_backoff_seconds: int = 60

    # Uploads: larger files, or images with more pixels, are refused (Pillow's bomb guard uses the latter).
    media_max_bytes: int = 20 * 1024 * 1024
    media_max_pixels: int = 40_000_000
    # Videos (for YouTube) are kept as sent; YouTube itself takes up to 256 GB, we stop far earlier.
    video_max_bytes: int = 512 * 1024 * 1024
    font_max_bytes: int = 10 * 1024 * 1024

    # Notifications by e-mail. Without smtp_host no mail leaves: notifications are still recorded
    # (and stay unsent) so nothing is lost when SMTP is configured later.
    smtp_host: str | None = None
    smtp_port: int = 25
    # STARTTLS upgrades a plain connection (port 587); smtp_ssl opens TLS from the start (port 465).
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    smtp_username: str | None = None
    smtp_password: str | None = None
    mail_from: str = "Pieuvre <pieuvre@localhost>"
    # Reminders to the local managers this long before a proposal's decision deadline.
    reminder_offsets: str = "48h,4h"
    # The daily digest goes out from this hour on, in each user's time zone (that of their first location).
    digest_hour: int = 8

    # Keys that encrypt social tokens at rest, comma-separated, newest first: the first encrypts,
    # all of them decrypt. Rotate by putting a new key first, then `pieuvre rotate-token-keys`
    # re-encrypts every token with it, after which old keys can be dropped. Empty: the secret key.
    token_keys: str = ""
    # Where the networks that fetch images by URL (Facebook, Instagram, Google) can reach this
    # server; links to images are signed and expire after public_link_ttl.
    public_url: str | None = None
    public_link_ttl: str = "24h"

    facebook_api_url: str = "https://graph.facebook.com"
    instagram_api_url: str = "https://graph.instagram.com"
    linkedin_api_url: str = "https://api.linkedin.com"
    x_api_url: str = "https://api.x.com"
    google_business_api_url: str = "https://mybusiness.googleapis.com"
    # Google Business Profile's other APIs live on their own hosts (accounts, locations, metrics).
    google_accounts_api_url: str = "https://mybusinessaccountmanagement.googleapis.com"
    google_information_api_url: str = "https://mybusinessbusinessinformation.googleapis.com"
    google_performance_api_url: str = "https://businessprofileperformance.googleapis.com"
    youtube_api_url: str = "https://www.googleapis.com"

    # OAuth consent pages and token endpoints (real hosts by default; stand-ins in tests).
    facebook_oauth_url: str = "https://www.facebook.com"
    instagram_oauth_url: str = "https://www.instagram.com"
    instagram_token_url: str = "https://api.instagram.com"
    linkedin_oauth_url: str = "https://www.linkedin.com"
    x_oauth_url: str = "https://x.com"
    google_oauth_url: str = "https://accounts.google.com"
    google_token_url: str = "https://oauth2.googleapis.com"
    # The app credentials of each network (from its developer portal). Without them, accounts
    # can still be attached with tokens through the API.
    facebook_client_id: str = ""
    facebook_client_secret: str = ""
    instagram_client_id: str = ""
    instagram_client_secret: str = ""
    linkedin_client_id: str = ""
    linkedin_client_secret: str = ""
    x_client_id: str = ""
    x_client_secret: str = ""
    google_client_id: str = ""
    google_client_secret: str = ""

    # Facts the reference flags as uncertain or versioned are settings.
    facebook_graph_version: str = "v25.0"
    linkedin_version: str = "202605"
    youtube_privacy_status: str = "public"
    instagram_hashtag_limit: int = 5
    # Seconds a network call may take before its outcome counts as unknown.
    network_timeout_seconds: float = 30.0
    # How many publications may be in flight at once per network (the rest wait their turn).
    network_concurrency: str = "facebook=8,instagram=4,linkedin=4,x=4,google_business=4,youtube=2,sandbox=20"
    # A publication still "publishing" after this long lost its worker: the sweeper settles it.
    publish_stuck_after: str = "10m"
    # Tokens expiring within this delay are refreshed ahead.
    token_refresh_ahead: str = "1h"

    # Machine translation (hub/translations/machine.py): off by default, so no text leaves the
    # server unless an admin picks a service. "none", "deepl", "libretranslate" or "apertium".
    # Whatever it picks, a machine translation is only ever a draft that a person approves.
    machine_translator: str = "none"
    # DeepL: Free keys (ending in ":fx") use api-free.deepl.com, Pro keys api.deepl.com.
    deepl_api_url: str = "https://api-free.deepl.com"
    deepl_api_key: str = ""
    # A LibreTranslate server (self-hosted, or a public one); its key only if the server asks for one.
    libretranslate_url: str = ""
    libretranslate_api_key: str = ""
    # Apertium runs on this server (Debian: apt-get install apertium apertium-spa-cat …), offline.
    apertium_command: str = "apertium"
    # Seconds one Apertium run may take before it is stopped.
    apertium_timeout_seconds: float = 20.0

    # Outbound webhooks never call loopback, private or link-local addresses (an admin could
    # otherwise make the server probe its own network); tests and on-premise receivers turn this on.
    webhooks_allow_private: bool = False

    @field_validator("stats_offsets")
    @classmethod
    def _check_offsets(cls, value: str) -> str:
        for part in value.split(","):
            parse_duration(part)
        return value

    @field_validator("public_link_ttl", "publish_stuck_after", "token_refresh_ahead", "login_throttle_window")
    @classmethod
    def _check_duration(cls, value: str) -> str:
        parse_duration(value)
        return value

    @field_validator("reminder_offsets")
    @classmethod
    def _check_reminder_offsets(cls, value: str) -> str:
        for part in value.split(","):
            parse_duration(part)
        return value

    @field_validator("machine_translator")
    @classmethod
    def _check_machine_translator(cls, value: str) -> str:
        if value.strip().lower() not in ("none", "deepl", "libretranslate", "apertium"):
            raise ValueError(f"machine_translator is one of none, deepl, libretranslate, apertium, not {value!r}")
        return value.strip().lower()

    @field_validator("digest_hour")
    @classmethod
    def _check_digest_hour(cls, value: int) -> int:
        if not 0 <= value <= 23:
            raise ValueError(f"digest_hour is an hour of the day: give 0 to 23, not {value}")
        return value

    @property
    def reminder_offset_list(self) -> list[tuple[str, timedelta]]:
        """The reminder offsets as (label, delay before the deadline) pairs, shortest first."""
        pairs = [(part.strip(), parse_duration(part)) for part in self.reminder_offsets.split(",")]
        return sorted(pairs, key=lambda pair: pair[1])

    @property
    def stats_offset_list(self) -> list[tuple[str, timedelta]]:
        """The stats offsets as (label, delay) pairs, shortest first."""
        pairs = [(part.strip(), parse_duration(part)) for part in self.stats_offsets.split(",")]
        return sorted(pairs, key=lambda pair: pair[1])

    def token_key_list(self) -> list[str]:
        """The token keys, newest first (the secret key when none is configured)."""
        keys = [key.strip() for key in self.token_keys.split(",") if key.strip()]
        return keys or [self.resolved_secret_key()]

    def network_cap(self, network: str) -> int:
        """How many publications of `network` may be in flight at once."""
        for part in self.network_concurrency.split(","):
            name, _, value = part.partition("=")
            if name.strip() == network and value.strip().isdigit():
                return max(1, int(value))
        return 4

    @property
    def public_base_url(self) -> str:
        """The address networks use to fetch our images (PIEUVRE_PUBLIC_URL, else the base URL)."""
        return (self.public_url or self.base_url).rstrip("/")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def resolved_secret_key(self) -> str:
        """The secret key; without one, a random key kept under var/ so sessions survive restarts."""
        if self.secret_key:
            return self.secret_key
        path = self.var_dir / "secret_key"
        if not path.exists():
            self.var_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
