"""`pieuvre bench report`: the campaign report and the network page on a network of 10,000 locations.

It loads one brand's year (locations, their social accounts, campaigns, proposals, publications
with their latest counters, the counters' time series and the accounts' followers) with COPY into
PostgreSQL, times one computation of the network's scoreboard (the stats worker's job), then
starts the app as in production (`pieuvre serve`) and drives it from another process with N
concurrent clients on loopback: first the floor — `GET /healthz` of the same app, same clients —
then the live campaign report (`GET /api/v1/campaigns/{id}/report`, a campaign drawn at random
for each request) and the network page (`GET /network/stats`, HTML, which reads the stored
scoreboard). Goal (issue 7): p95 under 250 ms for both, with no error.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from hub.bench.common import (FLOOR_PATH, api_token, app_environment, asyncpg_url, browser_session, database_facts,
                              fresh_database, machine, measure, start_server, stop_server)

ADMIN_EMAIL = "hq@bench-report.example.org"
PASSWORD = "bench-password-123"
GOAL_P95_MS = 250.0
NETWORK_PAGE = "/network/stats"

# (region, country, locale, time zone, share of the network in %, cities the locations are named after)
REGIONS = (
    ("Île-de-France", "FR", "fr-FR", "Europe/Paris", 14, ("Paris", "Versailles", "Créteil", "Saint-Denis")),
    ("Auvergne-Rhône-Alpes", "FR", "fr-FR", "Europe/Paris", 10, ("Lyon", "Grenoble", "Clermont-Ferrand")),
    ("Nouvelle-Aquitaine", "FR", "fr-FR", "Europe/Paris", 7, ("Bordeaux", "Limoges", "Poitiers", "Pau")),
    ("Occitanie", "FR", "fr-FR", "Europe/Paris", 7, ("Toulouse", "Montpellier", "Nîmes", "Perpignan")),
    ("Hauts-de-France", "FR", "fr-FR", "Europe/Paris", 6, ("Lille", "Amiens", "Roubaix", "Dunkerque")),
    ("Grand Est", "FR", "fr-FR", "Europe/Paris", 6, ("Strasbourg", "Reims", "Metz", "Nancy")),
    ("Provence-Alpes-Côte d'Azur", "FR", "fr-FR", "Europe/Paris", 7, ("Marseille", "Nice", "Toulon", "Aix")),
    ("Pays de la Loire", "FR", "fr-FR", "Europe/Paris", 5, ("Nantes", "Angers", "Le Mans")),
    ("Bretagne", "FR", "fr-FR", "Europe/Paris", 5, ("Rennes", "Brest", "Quimper", "Vannes")),
    ("Normandie", "FR", "fr-FR", "Europe/Paris", 4, ("Rouen", "Caen", "Le Havre")),
    ("Bourgogne-Franche-Comté", "FR", "fr-FR", "Europe/Paris", 4, ("Dijon", "Besançon", "Auxerre")),
    ("Centre-Val de Loire", "FR", "fr-FR", "Europe/Paris", 3, ("Orléans", "Tours", "Bourges")),
    ("Corse", "FR", "fr-FR", "Europe/Paris", 1, ("Ajaccio", "Bastia")),
    ("Wallonie", "BE", "fr-BE", "Europe/Brussels", 3, ("Liège", "Namur", "Charleroi")),
    ("Bruxelles", "BE", "fr-BE", "Europe/Brussels", 2, ("Bruxelles", "Ixelles", "Uccle")),
    ("Vlaanderen", "BE", "nl-BE", "Europe/Brussels", 3, ("Antwerpen", "Gent", "Brugge")),
    ("Suisse romande", "CH", "fr-CH", "Europe/Zurich", 3, ("Genève", "Lausanne", "Neuchâtel")),
    ("Catalunya", "ES", "es-ES", "Europe/Madrid", 4, ("Barcelona", "Girona", "Tarragona")),
    ("Madrid", "ES", "es-ES", "Europe/Madrid", 3, ("Madrid", "Alcalá", "Getafe")),
    ("Bayern", "DE", "de-DE", "Europe/Berlin", 3, ("München", "Nürnberg", "Augsburg")),
)
PHONE_PREFIX = {"FR": "+33 1", "BE": "+32 2", "CH": "+41 22", "ES": "+34 91", "DE": "+49 89"}
THEMES = ("Printemps en selle", "Révision offerte", "Soldes d'été", "Rentrée à vélo", "Semaine de la mobilité",
          "Nouvelle gamme électrique", "Black Friday", "Idées cadeaux de Noël", "On recrute des mécaniciens",
          "Portes ouvertes", "Atelier réparation gratuit", "Balade du dimanche")
OBJECTIVES = ("visibility", "promotion", "recruitment", "community", "customer_care")
# (policy, share of campaigns): most campaigns ask each location, some approve at the deadline, a few go out at once.
POLICIES = (("approval_required", 0.6), ("opt_out", 0.25), ("auto_publish", 0.15))
# What people decide when they do (the rest let the deadline pass): share of decisions.
DECISIONS = (("approved", 0.64), ("customized", 0.22), ("rejected", 0.14))
REASONS = (("not_relevant", 0.35), ("wrong_timing", 0.3), ("off_brand", 0.2), ("other", 0.1), ("legal", 0.05))
# Share of a campaign's locations that decide before the deadline, by policy.
DECIDING = {"approval_required": 0.7, "opt_out": 0.4, "auto_publish": 0.0}
DEADLINE = timedelta(days=5)
# Every location is on Facebook; the other networks in this share of locations (scaled to reach the
# snapshots asked for), and in this share of the campaigns' posts.
ACCOUNT_SHARE = {"instagram": 0.7, "google_business": 0.45, "linkedin": 0.12, "x": 0.1}
POST_SHARE = {"instagram": 1.0, "google_business": 0.5, "linkedin": 0.3, "x": 0.25}
SANDBOX_SHARE = 0.08
PUBLISHED_SHARE = 0.975  # the rest failed (2 %) or stayed unconfirmed
# Candidates for readings exceed the snapshots asked for by this much; the surplus becomes readings
# that stopped early (a post deleted, an account disconnected), as in life.
READING_MARGIN = 1.04
# Followers are read every day: the last 30 days daily, and the first of each earlier month.
FOLLOWER_DAYS = 30
FOLLOWER_MONTHS = 11


@dataclass
class Sizes:
    locations: int
    proposals: int
    snapshots: int

    @property
    def campaigns(self) -> int:
        return max(1, math.ceil(self.proposals / self.locations))


@dataclass
class _Going:
    """A proposal that goes out: what its publications need."""

    proposal_id: str
    location: int
    due_at: datetime
    offsets: int  # readings whose time has come


@dataclass
class _Campaign:
    id: str
    created_at: datetime
    networks: list[str]
    going: list[_Going] = field(default_factory=list)


class _Loader:
    """Generates the brand's year and COPYs it in, table by table, keeping the times of each."""

    def __init__(self, connection: Any, sizes: Sizes, brand_id: str, admin_id: str, password_hash: str,
                 offsets: list[tuple[str, timedelta]], now: datetime) -> None:
        self.connection = connection
        self.sizes = sizes
        self.brand_id = brand_id
        self.admin_id = admin_id
        self.password_hash = password_hash
        self.offsets = offsets
        self.now = now
        self.rng = random.Random(7)
        self.rows: dict[str, int] = {}
        self.copy_seconds: dict[str, float] = {}
        self.locations: list[tuple[str, str, str, str, str]] = []  # id, code, city, phone, locale
        self.managers: list[str] = []
        self.accounts: list[dict[str, tuple[str, str, bool]]] = []  # per location: network -> (id, connector, sandbox)
        self.campaigns: list[_Campaign] = []
        self.shares: dict[str, float] = {}
        self.plans: list[tuple[_Campaign, list[list[Any]]]] = []
        self.due = 0  # readings due over all publications

    def _id(self, moment: datetime) -> str:
        """An id shaped like hub.db.new_id, ordered by the row's own time (as if created then)."""
        return f"{int(moment.timestamp() * 1000):012x}{self.rng.getrandbits(80):020x}"

    async def copy(self, table: str, columns: tuple[str, ...], records: list[tuple]) -> None:
        started = time.perf_counter()
        await self.connection.copy_records_to_table(table, records=records, columns=columns)
        self.copy_seconds[table] = self.copy_seconds.get(table, 0.0) + time.perf_counter() - started
        self.rows[table] = self.rows.get(table, 0) + len(records)

    async def copy_after(self, previous: asyncio.Task | None, *batches: tuple[str, tuple[str, ...], list[tuple]]
                         ) -> asyncio.Task:
        """COPY these batches in the background once the previous ones are in; returns the task doing it."""
        # Meanwhile the caller makes the next batch in a thread: PostgreSQL and Python work side by side.
        if previous is not None:
            await previous

        async def copy_all() -> None:
            for table, columns, records in batches:
                await self.copy(table, columns, records)

        return asyncio.create_task(copy_all())

    async def load_locations(self) -> None:
        """Locations in ~20 regions, each with its local manager (who decides its proposals)."""
        rng, year_ago = self.rng, self.now - timedelta(days=400)
        weights = [region[4] for region in REGIONS]
        locations, users, memberships = [], [], []
        for index in range(self.sizes.locations):
            name, country, locale, zone, _, cities = rng.choices(REGIONS, weights)[0]
            city = cities[index % len(cities)]
            code = f"{country}-{index:05d}"
            phone = f"{PHONE_PREFIX[country]} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
            created = year_ago + timedelta(minutes=index)
            location_id = self._id(created)
            kind = "distributor" if country == "DE" else rng.choices(("franchise", "store", "agency"), (85, 10, 5))[0]
            locations.append((
                location_id, self.brand_id, code, f"Vélo Bench {city} {index}", kind, name, country, locale, zone,
                json.dumps({"city": city, "phone": phone}), json.dumps([country.lower(), kind]), None, created))
            user_id = self._id(created)
            users.append((user_id, manager_email(code), f"Manager {city} {index}",
                          self.password_hash, False, locale[:2] if locale[:2] in ("fr", "en") else None, created))
            memberships.append((self._id(created), user_id, self.brand_id, "local_manager",
                                json.dumps([location_id]), "[]", created))
            self.locations.append((location_id, code, city, phone, locale))
            self.managers.append(user_id)
        await self.copy("locations", ("id", "brand_id", "code", "name", "kind", "region", "country", "locale",
                                      "timezone", "variables", "tags", "approval_policy", "created_at"), locations)
        await self.copy("users", ("id", "email", "name", "password_hash", "is_deployment_admin", "ui_language",
                                  "created_at"), users)
        await self.copy("memberships", ("id", "user_id", "brand_id", "role", "location_ids", "regions",
                                        "created_at"), memberships)

    async def load_campaigns(self) -> None:
        """Campaigns spread over the last 12 months, one post each, sent to every location, with the proposals."""
        rng, count = self.rng, self.sizes.campaigns
        campaigns, posts, revisions, distributions = [], [], [], []
        copying = None
        for number in range(count):
            # The newest was sent one or two days ago and still waits for decisions (silent arms show).
            created = self.now - timedelta(days=1 + rng.random() * 1.5 + (count - 1 - number) * 360 / count)
            theme = THEMES[number % len(THEMES)]
            policy = "approval_required" if number == count - 1 else \
                rng.choices([p for p, _ in POLICIES], [w for _, w in POLICIES])[0]
            networks = ["facebook"] + [network for network, share in POST_SHARE.items() if rng.random() < share]
            campaign = _Campaign(self._id(created), created, networks)
            post_id, revision_id, distribution_id = self._id(created), self._id(created), self._id(created)
            body = f"{theme} chez Vélo Bench {{city}} : on vous attend ! Infos au {{phone}}."
            campaigns.append((campaign.id, self.brand_id, f"{theme} {created:%Y-%m}",
                              OBJECTIVES[number % len(OBJECTIVES)], policy, created + DEADLINE, "{}", self.admin_id,
                              created))
            posts.append((post_id, self.brand_id, campaign.id, 1, "distributed", created))
            revisions.append((revision_id, post_id, 1, body, json.dumps(networks), "{}", "free", "fr-FR", "{}", "{}",
                              "{}", None, None, self.admin_id, None, created))
            first_location = number * self.sizes.locations
            targeted = min(self.sizes.locations, self.sizes.proposals - first_location)
            distributions.append((distribution_id, self.brand_id, post_id, revision_id, "{}", "done", targeted,
                                  targeted, 0, created, created + timedelta(seconds=targeted / 400), self.admin_id,
                                  created))
            self.campaigns.append(campaign)
            rows = await asyncio.to_thread(self._proposals, campaign, policy, body, post_id, revision_id,
                                           distribution_id, targeted)
            copying = await self.copy_after(copying, ("proposals", PROPOSAL_COLUMNS, rows))
        await copying
        await self.copy("campaigns", ("id", "brand_id", "name", "objective", "approval_policy", "decision_deadline",
                                      "target", "created_by", "created_at"), campaigns)
        await self.copy("posts", ("id", "brand_id", "campaign_id", "current_revision", "status", "created_at"), posts)
        await self.copy("post_revisions", ("id", "post_id", "number", "body", "networks", "variants", "editable",
                                           "source_locale", "slots", "image", "options", "publish_at",
                                           "publish_at_local", "created_by", "video_id", "created_at"), revisions)
        await self.copy("distributions", ("id", "brand_id", "post_id", "post_revision_id", "target", "status",
                                          "total", "done", "failed", "started_at", "finished_at", "created_by",
                                          "created_at"), distributions)

    def _reachable(self, published_at: datetime) -> int:
        return sum(1 for _, delay in self.offsets if published_at + delay <= self.now)

    def _proposals(self, campaign: _Campaign, policy: str, body: str, post_id: str, revision_id: str,
                   distribution_id: str, targeted: int) -> list[tuple]:
        """One campaign's proposals with the mix of decisions its policy and age give."""
        rng, created, now = self.rng, campaign.created_at, self.now
        deadline = created + DEADLINE
        rows = []
        for location in rng.sample(range(self.sizes.locations), targeted):
            location_id, _, city, phone, locale = self.locations[location]
            moment = created + timedelta(seconds=rng.random() * targeted / 400)  # fan-out takes a while
            text = body.replace("{city}", city).replace("{phone}", phone)
            hq_texts = json.dumps({network: text for network in campaign.networks}, ensure_ascii=False)
            texts, status, decided_at, decided_by, reason, comment, seen_at = hq_texts, "pending", *[None] * 5
            hours = rng.lognormvariate(math.log(18), 1.1)  # how long this location takes when it decides
            decides = rng.random() < DECIDING[policy] and hours < DEADLINE.total_seconds() / 3600
            if policy == "auto_publish":
                status, decided_at = "auto_approved", moment
            elif decides and moment + timedelta(hours=hours) <= now:
                status = rng.choices([d for d, _ in DECISIONS], [w for _, w in DECISIONS])[0]
                decided_at, decided_by = moment + timedelta(hours=hours), self.managers[location]
                seen_at = moment + timedelta(hours=hours * rng.uniform(0.3, 0.95))
                if status == "customized":
                    texts = json.dumps({network: f"{text} Et chez nous, un café offert !"
                                        for network in campaign.networks}, ensure_ascii=False)
                elif status == "rejected":
                    reason = rng.choices([r for r, _ in REASONS], [w for _, w in REASONS])[0]
                    comment = "Fermé pour travaux ce mois-ci." if reason == "other" else None
            elif deadline <= now:
                status, decided_at = ("auto_approved" if policy == "opt_out" else "expired"), deadline
            if seen_at is None and rng.random() < 0.5:
                seen_at = moment + timedelta(hours=rng.uniform(1, 90))
                seen_at = seen_at if seen_at <= now else None
            proposal_id = self._id(moment)
            if status in ("approved", "customized", "auto_approved"):
                campaign.going.append(_Going(proposal_id, location, decided_at,
                                             self._reachable(decided_at + timedelta(minutes=2))))
            rows.append((
                proposal_id, self.brand_id, campaign.id, post_id, revision_id, 1, location_id, distribution_id, status,
                policy, hq_texts, texts, "[]", "{}", "{}", False, False, "{}", None, deadline, seen_at, decided_at,
                decided_by, reason, comment, 1 if status == "pending" else 2, moment, locale, json.dumps([locale])))
        return rows

    def account_shares(self) -> dict[str, float]:
        """The share of locations on each network that makes the readings due ≈ the snapshots asked for."""
        target = self.sizes.snapshots * READING_MARGIN / PUBLISHED_SHARE
        due = [(sum(going.offsets for going in campaign.going), [network for network in campaign.networks
                                                                if network != "facebook"])
               for campaign in self.campaigns]

        def readings(scale: float) -> float:
            return sum(offsets * (1 + sum(min(1.0, ACCOUNT_SHARE[network] * scale) for network in others))
                       for offsets, others in due)

        low, high = 0.0, 1 / min(ACCOUNT_SHARE.values())
        for _ in range(40):
            middle = (low + high) / 2
            low, high = (middle, high) if readings(middle) < target else (low, middle)
        return {network: min(1.0, share * high) for network, share in ACCOUNT_SHARE.items()}

    async def load_accounts(self) -> None:
        """The locations' accounts, and the plan of every publication on them with the readings due.

        Shares are expectations: on a small network chance can leave fewer readings due than the
        snapshots asked for; then the accounts are made again with larger shares.
        """
        self.shares = self.account_shares()
        for _ in range(30):
            rows = self._accounts()
            self.plans = [(campaign, self._plan(campaign)) for campaign in self.campaigns]
            self.due = sum(plan[5] for _, plans in self.plans for plan in plans)
            if self.due >= self.sizes.snapshots or min(self.shares.values()) >= 1.0:
                break
            self.shares = {network: min(1.0, share * 1.05) for network, share in self.shares.items()}
        await self.copy("social_accounts", ("id", "brand_id", "location_id", "network", "connector", "external_id",
                                            "display_name", "access_token_encrypted", "refresh_token_encrypted",
                                            "expires_at", "status", "status_detail", "scopes", "refreshed_at",
                                            "broken_notified_at", "created_at"), rows)

    def _accounts(self) -> list[tuple]:
        """Each location's accounts: Facebook always, the others in their share; some locations on the sandbox."""
        rng, rows = self.rng, []
        self.accounts = []
        for location_id, code, city, _, _ in self.locations:
            sandbox = rng.random() < SANDBOX_SHARE
            mine: dict[str, tuple[str, str, bool]] = {}
            networks = ["facebook"] + [network for network, share in self.shares.items() if rng.random() < share]
            for network in networks:
                created = self.now - timedelta(days=380 + rng.random() * 20)
                account_id = self._id(created)
                connector = "sandbox" if sandbox else network
                external_id = f"sandbox-{network}-{code.lower()}" if sandbox else _external_account(network, rng)
                status, detail = "active", ""
                if not sandbox and rng.random() < 0.04:
                    status = rng.choice(("expired", "revoked"))
                    detail = f"{network}: access has expired or was revoked: reconnect the account."
                rows.append((account_id, self.brand_id, location_id, network, connector, external_id,
                             f"Vélo Bench {city}", "", "", None, status, detail, "", None, None, created))
                mine[network] = (account_id, connector, sandbox)
            self.accounts.append(mine)
        return rows

    def _plan(self, campaign: _Campaign) -> list[list[Any]]:
        """The campaign's publications: [going-out proposal, network, account, published at, status, readings due]."""
        rng, plans = self.rng, []
        for going in campaign.going:
            for network in campaign.networks:
                account = self.accounts[going.location].get(network)
                if account is None:
                    continue
                published_at = going.due_at + timedelta(seconds=rng.uniform(3, 110))
                luck = rng.random()
                status = "published" if luck < PUBLISHED_SHARE else "failed" if luck < 0.995 else "unconfirmed"
                readings = self._reachable(published_at) if status == "published" else 0
                plans.append([going, network, account, published_at, status, readings])
        return plans

    async def load_publications(self) -> None:
        """The publications and their readings, campaign by campaign, to the exact count of snapshots.

        The readings due beyond it are not taken (a post deleted, an account disconnected), spread
        over the campaigns in proportion to what each has due.
        """
        surplus = max(0, self.due - self.sizes.snapshots)
        dues = [sum(plan[5] for plan in plans) for _, plans in self.plans]
        drops = [surplus * due // self.due if self.due else 0 for due in dues]
        # What rounding down left over goes to the campaigns that lost the largest fractions.
        by_fraction = sorted(range(len(dues)), key=lambda index: -(surplus * dues[index] % max(self.due, 1)))
        for index in by_fraction[:surplus - sum(drops)]:
            drops[index] += 1
        copying = None
        for (campaign, plans), drop in zip(self.plans, drops):
            publications, snapshots = await asyncio.to_thread(self._publications, campaign, plans, drop)
            copying = await self.copy_after(copying, ("publications", PUBLICATION_COLUMNS, publications),
                                            ("stat_snapshots", SNAPSHOT_COLUMNS, snapshots))
        await copying

    def _publications(self, campaign: _Campaign, plans: list[list[Any]], drop: int) -> tuple[list[tuple],
                                                                                            list[tuple]]:
        """One campaign's publications and their readings (snapshots), `drop` readings due left out."""
        rng = self.rng
        while drop > 0:
            plan = plans[rng.randrange(len(plans))]
            if plan[5]:
                dropped = min(drop, rng.randint(1, plan[5]))
                plan[5] -= dropped
                drop -= dropped
        publications, snapshots = [], []
        for going, network, (account_id, connector, sandbox), published_at, status, readings in plans:
            publication_id = self._id(going.due_at)
            audience = rng.lognormvariate(math.log(600), 0.8)
            traits = (audience, rng.uniform(1.2, 1.7), rng.lognormvariate(math.log(0.03), 0.45), rng.random())
            latest, latest_json, latest_at, latest_seconds = {}, "{}", None, None
            for label, delay in self.offsets[:readings]:
                taken_at = min(self.now, published_at + delay + timedelta(seconds=rng.uniform(5, 240)))
                latest = _reading(network, traits, delay.total_seconds() / 3600)
                latest_json, latest_at, latest_seconds = json.dumps(latest), taken_at, int(delay.total_seconds())
                snapshots.append((self._id(taken_at), self.brand_id, campaign.id, publication_id, account_id, label,
                                  taken_at, latest_json, sandbox))
            external_id = None
            if status == "published":
                external_id = f"sandbox-{publication_id[-12:]}" if sandbox else _external_post(network, rng)
            error = "The network refused the post: the account's access has expired." if status == "failed" else None
            publications.append((
                publication_id, self.brand_id, campaign.id, going.proposal_id, account_id,
                self.locations[going.location][0], network, status, 1, going.due_at, going.due_at, going.due_at,
                external_id, f"https://example.org/{network}/{external_id}" if external_id else None,
                published_at if status == "published" else None, error, "{}", latest_json, latest_seconds,
                latest_at, latest.get("impressions"), latest.get("reach"), latest.get("engagements"), going.due_at))
        return publications, snapshots

    async def load_account_days(self) -> None:
        """Followers of every account (Google Business Profile: its daily location counters instead)."""
        today = self.now.date()
        days = [today - timedelta(days=back) for back in range(FOLLOWER_DAYS, 0, -1)]
        month = date(today.year, today.month, 1)
        for _ in range(FOLLOWER_MONTHS):
            month = (month - timedelta(days=1)).replace(day=1)
            days.insert(0, month)
        copying = None
        for first in range(0, len(self.locations), 1000):
            rows = await asyncio.to_thread(self._account_days, range(first, min(first + 1000, len(self.locations))),
                                           days)
            copying = await self.copy_after(copying, ("account_days", ACCOUNT_DAY_COLUMNS, rows))
        await copying

    def _account_days(self, locations: range, days: list[date]) -> list[tuple]:
        from hub.publishing.connectors.google_business import LOCATION_METRICS

        rng, rows = self.rng, []
        for location in locations:
            location_id = self.locations[location][0]
            for network, (account_id, _, sandbox) in self.accounts[location].items():
                start, growth = rng.randint(150, 4000), rng.uniform(0.1, 3.0)
                for day in days:
                    taken_at = datetime(day.year, day.month, day.day, 2, tzinfo=self.now.tzinfo) + timedelta(
                        days=1, minutes=rng.randint(0, 50))
                    if network == "google_business":
                        followers = None
                        metrics = {name: rng.randint(0, 60) for name in LOCATION_METRICS}
                    else:
                        followers, metrics = start + int((day - days[0]).days * growth), {}
                    rows.append((self._id(taken_at), self.brand_id, location_id, account_id, network, day, followers,
                                 json.dumps(metrics), sandbox, taken_at))
        return rows


PROPOSAL_COLUMNS = ("id", "brand_id", "campaign_id", "post_id", "post_revision_id", "revision", "location_id",
                    "distribution_id", "status", "policy", "hq_texts", "texts", "findings", "image_texts",
                    "slot_values", "blocked", "hq_changed", "hq_diff", "publish_at", "deadline", "seen_at",
                    "decided_at", "decided_by", "reject_reason", "reject_comment", "version", "created_at", "locale",
                    "fallback")
PUBLICATION_COLUMNS = ("id", "brand_id", "campaign_id", "proposal_id", "social_account_id", "location_id", "network",
                       "status", "attempt", "due_at", "queued_at", "claimed_at", "external_id", "url", "published_at",
                       "error", "progress", "stats", "stats_offset_seconds", "stats_at", "impressions", "reach",
                       "engagements", "created_at")
SNAPSHOT_COLUMNS = ("id", "brand_id", "campaign_id", "publication_id", "social_account_id", "offset_label", "taken_at",
                    "metrics", "simulated")
ACCOUNT_DAY_COLUMNS = ("id", "brand_id", "location_id", "social_account_id", "network", "day", "followers",
                       "metrics", "simulated", "taken_at")


def manager_email(code: str) -> str:
    """The e-mail of the local manager of the location with this code (their password is PASSWORD)."""
    return f"manager-{code.lower()}@bench-report.example.org"


def _external_account(network: str, rng: random.Random) -> str:
    """An account id shaped like the network's own."""
    return {
        "facebook": lambda: str(rng.randrange(10**14, 10**15)),
        "instagram": lambda: str(rng.randrange(10**16, 10**17)),
        "google_business": lambda: (f"accounts/{rng.randrange(10**20, 10**21)}"
                                    f"/locations/{rng.randrange(10**18, 10**19)}"),
        "linkedin": lambda: f"urn:li:organization:{rng.randrange(10**7, 10**8)}",
        "x": lambda: str(rng.randrange(10**18, 10**19)),
    }[network]()


def _external_post(network: str, rng: random.Random) -> str:
    """A post id shaped like the network's own."""
    return {
        "facebook": lambda: f"{rng.randrange(10**14, 10**15)}_{rng.randrange(10**15, 10**16)}",
        "instagram": lambda: str(rng.randrange(10**16, 10**17)),
        "google_business": lambda: (f"accounts/{rng.randrange(10**20, 10**21)}/locations/"
                                    f"{rng.randrange(10**18, 10**19)}/localPosts/{rng.randrange(10**18, 10**19)}"),
        "linkedin": lambda: f"urn:li:share:{rng.randrange(10**18, 10**19)}",
        "x": lambda: str(rng.randrange(10**18, 10**19)),
    }[network]()


def _reading(network: str, traits: tuple[float, float, float, float], hours: float) -> dict[str, int]:
    """A post's counters `hours` after publishing, under the network's own names plus the normalized three.

    Reach grows fast then levels off (half of it in the first day), as organic reach does.
    """
    audience, views_per_person, engagement, split = traits
    reach = round(audience * hours / (hours + 24))
    views = round(reach * views_per_person)
    engaged = round(reach * engagement)
    if network == "facebook":
        reactions = round(engaged * (0.7 + split * 0.2))
        comments = round(engaged * 0.08)
        shares = max(0, engaged - reactions - comments)
        return {"post_media_view": views, "post_total_media_view_unique": reach, "post_clicks": round(views * 0.02),
                "reactions": reactions, "comments": comments, "shares": shares,
                "impressions": views, "reach": reach, "engagements": reactions + comments + shares}
    if network == "instagram":
        likes, comments = round(engaged * 0.75), round(engaged * 0.08)
        saved, shares = round(engaged * 0.1 * split), round(engaged * 0.05)
        total = likes + comments + saved + shares
        return {"reach": reach, "views": views, "likes": likes, "comments": comments, "saved": saved,
                "shares": shares, "total_interactions": total, "impressions": views, "engagements": total}
    if network == "linkedin":
        parts = {"clickCount": round(engaged * 0.5), "likeCount": round(engaged * 0.4),
                 "commentCount": round(engaged * 0.05), "shareCount": round(engaged * 0.05)}
        return {"impressionCount": views, "uniqueImpressionsCount": reach, **parts,
                "impressions": views, "reach": reach, "engagements": sum(parts.values())}
    if network == "x":
        parts = {"like_count": round(engaged * 0.5), "retweet_count": round(engaged * 0.1),
                 "reply_count": round(engaged * 0.05), "quote_count": round(engaged * 0.02),
                 "url_link_clicks": round(engaged * 0.25), "user_profile_clicks": round(engaged * 0.08)}
        return {"impression_count": views, "bookmark_count": round(engaged * 0.03), **parts,
                "impressions": views, "engagements": sum(parts.values())}
    return {}  # Google Business Profile gives no per-post figures (reference §5)


async def _counts(url: str) -> dict[str, int] | None:
    """The loaded sizes of the bench database, or None when it is not there or has no bench brand."""
    import asyncpg

    try:
        connection = await asyncpg.connect(asyncpg_url(url))
    except asyncpg.InvalidCatalogNameError:
        return None
    try:
        if not await connection.fetchval("SELECT to_regclass('stat_snapshots') IS NOT NULL"):
            return None
        if not await connection.fetchval("SELECT count(*) FROM users WHERE email = $1", ADMIN_EMAIL):
            return None
        return {table: await connection.fetchval(f"SELECT count(*) FROM {table}")
                for table in ("locations", "proposals", "stat_snapshots")}
    finally:
        await connection.close()


async def load(admin_url: str, name: str, sizes: Sizes, log: Any) -> tuple[str, dict[str, Any]]:
    """A fresh database `name` with the brand's year in it; returns its URL and what was loaded, with timings."""
    import asyncpg

    from hub.brands.service import create_brand
    from hub.config import get_settings
    from hub.db import get_database, utcnow

    started = time.perf_counter()
    url = await fresh_database(admin_url, name)
    database = get_database(url)
    async with database.session() as session:
        brand, admin = await create_brand(session, "Vélo Bench", ADMIN_EMAIL, PASSWORD, "HQ Bench")
        brand_id, admin_id, password_hash = brand.id, admin.id, admin.password_hash
    await database.dispose()
    connection = await asyncpg.connect(asyncpg_url(url))
    # The generator keeps every key consistent; skipping the foreign-key triggers makes COPY several times faster.
    await connection.execute("SET session_replication_role = replica")
    loader = _Loader(connection, sizes, brand_id, admin_id, password_hash, get_settings().stats_offset_list, utcnow())
    steps: dict[str, float] = {}

    async def step(label: str, work: Any) -> None:
        begun = time.perf_counter()
        await work
        steps[label] = round(time.perf_counter() - begun, 1)
        log(f"loaded {label} in {steps[label]} s: " + ", ".join(f"{table} {count:,}"
                                                               for table, count in loader.rows.items()))

    try:
        await step("locations", loader.load_locations())
        await step("campaigns_and_proposals", loader.load_campaigns())
        await step("social_accounts_and_plans", loader.load_accounts())
        await step("publications_and_snapshots", loader.load_publications())
        await step("account_days", loader.load_account_days())
        await connection.execute("SET session_replication_role = DEFAULT")
        begun = time.perf_counter()
        # As autovacuum would have by then: statistics for the planner, the visibility map for index-only scans.
        await connection.execute("VACUUM (ANALYZE)")
        steps["vacuum_analyze"] = round(time.perf_counter() - begun, 1)
        log(f"VACUUM (ANALYZE) in {steps['vacuum_analyze']} s")
    finally:
        await connection.close()
    return url, {
        "reused": False,
        "rows": loader.rows,
        "account_shares": {network: round(share, 3) for network, share in loader.shares.items()},
        "steps_s": steps,
        "copy_s": {table: round(seconds, 1) for table, seconds in loader.copy_seconds.items()},
        "total_s": round(time.perf_counter() - started, 1),
    }


async def prepare(admin_url: str, name: str, sizes: Sizes, reuse: bool, log: Any) -> tuple[str, dict[str, Any]]:
    """The loaded database: kept as it is with `reuse` when its sizes are those asked for, else loaded afresh."""
    from hub.migrate import upgrade

    url = admin_url.rsplit("/", 1)[0] + "/" + name
    if reuse:
        counts = await _counts(url)
        wanted = {"locations": sizes.locations, "proposals": sizes.proposals, "stat_snapshots": sizes.snapshots}
        if counts == wanted:
            await upgrade(url)  # indexes added since the load
            log(f"reusing {name}: {counts}")
            return url, {"reused": True, "rows": counts}
        log(f"{name} holds {counts}, not {wanted}: loading it afresh")
    return await load(admin_url, name, sizes, log)


async def brand_and_campaigns(url: str) -> tuple[str, list[str]]:
    """The bench brand's id and its campaigns' ids."""
    import asyncpg

    connection = await asyncpg.connect(asyncpg_url(url))
    try:
        brand_id = await connection.fetchval(
            "SELECT brand_id FROM memberships JOIN users ON users.id = memberships.user_id WHERE users.email = $1",
            ADMIN_EMAIL)
        campaign_ids = [row[0] for row in await connection.fetch(
            "SELECT id FROM campaigns WHERE brand_id = $1 ORDER BY created_at", brand_id)]
        return brand_id, campaign_ids
    finally:
        await connection.close()


async def time_worker_refreshes(url: str, brand_id: str) -> tuple[float, float, int]:
    """Seconds of the stats worker's computations the pages read: one `refresh_scoreboard` (the network report),
    then `refresh_campaign_figures` over every campaign (what it does after a load; later only the campaigns
    that changed), and how many campaigns that computed."""
    from hub.db import get_database
    from hub.stats.report import refresh_campaign_figures
    from hub.stats.scoreboard import refresh_scoreboard

    database = get_database(url)
    try:
        started = time.perf_counter()
        await refresh_scoreboard(database, brand_id)
        scoreboard = time.perf_counter() - started
        started = time.perf_counter()
        campaigns = await refresh_campaign_figures(database, seconds=math.inf)
        return scoreboard, time.perf_counter() - started, campaigns
    finally:
        await database.dispose()


async def run(admin_url: str, redis_url: str, sizes: Sizes, clients: int, seconds: float, web_processes: int,
              reuse: bool, database: str, log: Any) -> dict[str, Any]:
    """Load (or reuse), time the scoreboard, then measure the floor, the campaign report and the network page."""
    from hub.deps import SESSION_COOKIE

    env, var_dir, port = app_environment(admin_url, redis_url, database, "pieuvre-bench-report-")
    url, loaded = await prepare(admin_url, database, sizes, reuse, log)
    brand_id, campaign_ids = await brand_and_campaigns(url)
    log("timing refresh_scoreboard (the stats worker's computation)")
    scoreboard_seconds, figures_seconds, figures_computed = await time_worker_refreshes(url, brand_id)
    log(f"refresh_scoreboard: {scoreboard_seconds:.1f} s; refresh_campaign_figures: {figures_computed} campaigns "
        f"in {figures_seconds:.1f} s")

    server = start_server(env, port, web_processes, var_dir / "server.log")
    warmup = min(5.0, seconds / 4)
    try:
        base_url = f"http://127.0.0.1:{port}"
        accept = {"Accept-Language": "fr-FR,fr;q=0.9"}
        api = {**accept, "Authorization": f"Bearer {api_token(base_url, ADMIN_EMAIL, PASSWORD)}"}
        browser = {**accept, "Cookie": f"{SESSION_COOKIE}={browser_session(base_url, ADMIN_EMAIL, PASSWORD)}"}
        # name: (path shown, requests drawn from at random)
        endpoints = {
            "floor": (FLOOR_PATH, [(FLOOR_PATH, accept)]),
            "campaign_report": ("/api/v1/campaigns/{id}/report",
                                [(f"/api/v1/campaigns/{campaign_id}/report", api) for campaign_id in campaign_ids]),
            "network_page": (NETWORK_PAGE, [(NETWORK_PAGE, browser)]),
        }
        results, load_average = measure(port, endpoints, clients, warmup, seconds, var_dir / "server.log", log)
    finally:
        stop_server(server)
    measured = [results["campaign_report"], results["network_page"]]
    return {
        "benchmark": "report",
        "machine": {**machine(), "load_average_1_5_15": load_average},
        "database": await database_facts(url),
        "sizes": {"locations": sizes.locations, "proposals": sizes.proposals, "snapshots": sizes.snapshots,
                  "campaigns": len(campaign_ids)},
        "load": loaded,
        "scoreboard_refresh_s": round(scoreboard_seconds, 2),
        "campaign_figures_refresh_s": round(figures_seconds, 2),
        "campaign_figures_computed": figures_computed,
        "web_processes": web_processes,
        "clients": clients,
        "warmup_s": warmup,
        "seconds": seconds,
        "floor": results["floor"],
        "campaign_report": results["campaign_report"],
        "network_page": results["network_page"],
        "goal": f"p95 < {GOAL_P95_MS:.0f} ms for the campaign report and the network page, no error",
        "passed": all(row["errors"] == 0 and row["p95_ms"] is not None and row["p95_ms"] < GOAL_P95_MS
                      for row in measured),
    }
