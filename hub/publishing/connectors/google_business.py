"""Google Business Profile: local posts on a location's profile (Search and Maps).

A location account's `external_id` is `accounts/{a}/locations/{l}`. Posts go through the v4
`localPosts` API; accounts and locations are listed by the Account Management and Business
Information APIs, and location-level counters come from the Performance API
(reference/networks.md §6). Google serves them from four hosts, each a setting: local posts
(`google_business_api_url`), accounts (`google_accounts_api_url`), locations
(`google_information_api_url`) and daily metrics (`google_performance_api_url`).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from hub.db import utcnow
from hub.publishing.connectors.base import (
    AccountDay, ConnectTarget, Metrics, OutgoingPost, PublishedPost, PublishRefused, TokenSet,
)
from hub.publishing.connectors.google import GoogleConnector, GoogleError
from hub.publishing.connectors.http import body, client, send
from hub.publishing.models import SocialAccount
from hub.validation import is_web_link

TOPIC_TYPES = ("STANDARD", "EVENT", "OFFER", "ALERT")
ACTION_TYPES = ("BOOK", "ORDER", "SHOP", "LEARN_MORE", "SIGN_UP", "CALL")
# The Performance API's location counters (daily; impressions count unique users per day).
LOCATION_METRICS = (
    "BUSINESS_IMPRESSIONS_DESKTOP_MAPS", "BUSINESS_IMPRESSIONS_DESKTOP_SEARCH",
    "BUSINESS_IMPRESSIONS_MOBILE_MAPS", "BUSINESS_IMPRESSIONS_MOBILE_SEARCH",
    "CALL_CLICKS", "WEBSITE_CLICKS", "BUSINESS_DIRECTION_REQUESTS",
)
LINK = re.compile(r"https?://[^\s<>\"']+")


class GoogleBusinessConnector(GoogleConnector):
    """Publishes local posts on a Google Business Profile location."""

    name = "google_business"
    label = "Google Business Profile"
    scopes = ("https://www.googleapis.com/auth/business.manage",)
    # Performance API days fill in over the following days (?UNCERTAIN: no documented delay).
    day_counters_settle_days = 5

    def _url(self, path: str, base: str | None = None) -> str:
        return f"{(base or self.settings.google_business_api_url).rstrip('/')}/{path.lstrip('/')}"

    # -- publishing -----------------------------------------------------------------------

    def local_post(self, post: OutgoingPost) -> dict[str, Any]:
        """The LocalPost body for `post`; refuses options Google would refuse, saying what to fix."""
        options = post.options or {}
        topic = str(options.get("topic_type") or "STANDARD").upper()
        if topic not in TOPIC_TYPES:
            raise PublishRefused("Google Business Profile has no post type '{topic}': use one of {choices}.",
                                 topic=topic, choices=", ".join(TOPIC_TYPES))
        local_post: dict[str, Any] = {"languageCode": post.locale, "summary": post.text, "topicType": topic}
        if topic in ("EVENT", "OFFER"):
            local_post["event"] = _event(options.get("event"), topic)
            if topic == "OFFER" and isinstance(options.get("offer"), dict):
                local_post["offer"] = options["offer"]
        if topic != "OFFER":
            # Google ignores a call to action on an offer, so none is sent for one.
            action = _call_to_action(options.get("call_to_action"), post.text)
            if action:
                local_post["callToAction"] = action
        if post.image_url:
            # Google fetches the photo itself; only sourceUrl is honoured (reference/networks.md §6).
            local_post["media"] = [{"mediaFormat": "PHOTO", "sourceUrl": post.image_url}]
        return local_post

    async def create_post(self, account: SocialAccount, post: OutgoingPost) -> PublishedPost:
        local_post = self.local_post(post)
        async with client(self.settings) as http:
            answer = await send(http, "POST", self._url(f"/v4/{account.external_id}/localPosts"), creates=True,
                                label="Google Business Profile", json=local_post, headers=self.headers(account))
        self._raise(answer, creates=True, step="post")
        created = body(answer)
        if created.get("state") == "REJECTED":
            raise PublishRefused("Google rejected the post under its content policies: change the text or the "
                                 "image (no phone numbers in the text, no misleading offers), then reschedule.")
        return self._published(created)

    async def find_post(self, account: SocialAccount, post: OutgoingPost, since: datetime) -> PublishedPost | None:
        """The location's recent local post with exactly this text, created after `since`."""
        async with client(self.settings) as http:
            answer = await send(http, "GET", self._url(f"/v4/{account.external_id}/localPosts?pageSize=20"),
                                creates=False, label="Google Business Profile", headers=self.headers(account))
        self._raise(answer, creates=False, step="read")
        for local_post in body(answer).get("localPosts") or []:
            if local_post.get("summary") == post.text and _time(local_post.get("createTime")) >= since:
                return self._published(local_post)
        return None

    async def read_stats(self, account: SocialAccount, external_id: str, offset_label: str) -> Metrics:
        """Nothing: Google removed per-post insights (v4 `localPosts.reportInsights` is gone).

        Google now counts per location and per day only; see `read_account_day`.
        """
        return Metrics(values={})

    async def read_account_day(self, account: SocialAccount, day: date) -> AccountDay:
        """The location's Performance API counters for `day`; a profile has no followers."""
        location = account.external_id.split("/locations/")[-1]
        query: list[tuple[str, Any]] = [("dailyMetrics", metric) for metric in LOCATION_METRICS]
        for bound in ("start_date", "end_date"):
            query += [(f"dailyRange.{bound}.year", day.year), (f"dailyRange.{bound}.month", day.month),
                      (f"dailyRange.{bound}.day", day.day)]
        async with client(self.settings) as http:
            answer = await send(
                http, "GET", self._url(f"/v1/locations/{location}:fetchMultiDailyMetricsTimeSeries?{urlencode(query)}",
                               self.settings.google_performance_api_url),
                creates=False, label="Google Business Profile", headers=self.headers(account))
        self._raise(answer, creates=False, step="read")
        wanted = {"year": day.year, "month": day.month, "day": day.day}
        metrics: dict[str, int] = {}
        for multi in body(answer).get("multiDailyMetricTimeSeries") or []:
            for series in multi.get("dailyMetricTimeSeries") or []:
                metric = series.get("dailyMetric")
                dated = next((dated for dated in (series.get("timeSeries") or {}).get("datedValues") or []
                              if dated.get("date") == wanted), None)
                if metric not in LOCATION_METRICS or dated is None:
                    continue  # no datapoint for the day: Google has no number for it
                # Values are int64 strings; Google leaves `value` out when it is zero (Performance API, TimeSeries).
                metrics[metric] = int(dated.get("value") or 0)
        return AccountDay(followers=None, metrics=metrics)

    # -- connecting -----------------------------------------------------------------------

    async def list_targets(self, tokens: TokenSet) -> list[ConnectTarget]:
        """Every location of every account the user manages, as `accounts/{a}/locations/{l}`."""
        headers = self.headers(token=tokens.access_token)
        targets: list[ConnectTarget] = []
        async with client(self.settings) as http:
            accounts = await self._all(http, "/v1/accounts", {}, "accounts", headers, "connect",
                                       base=self.settings.google_accounts_api_url)
            for google_account in accounts:
                locations = await self._all(http, f"/v1/{google_account['name']}/locations",
                                            {"readMask": "name,title"}, "locations", headers,
                                            "connect", base=self.settings.google_information_api_url)
                for location in locations:
                    targets.append(ConnectTarget(
                        external_id=f"{google_account['name']}/{location['name']}",
                        display_name=location.get("title") or location["name"], tokens=None,
                    ))
        return targets

    async def _all(self, http, path: str, params: dict[str, str], key: str, headers: dict[str, str],
                   step: str, base: str | None = None) -> list[dict[str, Any]]:
        """Every item of a paged Google list (pageToken / nextPageToken)."""
        items: list[dict[str, Any]] = []
        page_token = ""
        while True:
            query = params | ({"pageToken": page_token} if page_token else {})
            answer = await send(http, "GET", self._url(path, base) + (f"?{urlencode(query)}" if query else ""),
                                creates=False, label="Google Business Profile", headers=headers)
            self._raise(answer, creates=False, step=step)
            data = body(answer)
            items += data.get(key) or []
            page_token = data.get("nextPageToken") or ""
            if not page_token:
                return items

    # -- answers --------------------------------------------------------------------------

    def _raise(self, answer, *, creates: bool, step: str) -> None:
        if answer.status_code == 429 and GoogleError.of(answer).metadata.get("quota_limit_value") == "0":
            # A project Google has not approved has a quota of 0: waiting will not help.
            raise PublishRefused("Google has not approved this Pieuvre installation's Google Cloud project for the "
                                 "Business Profile APIs (its quota is 0): apply for Basic API Access in Google's "
                                 "form, then reschedule.")
        self.raise_for_error(answer, creates=creates, step=step)

    def _published(self, local_post: dict[str, Any]) -> PublishedPost:
        # The link shown to people is the answer's: only an http(s) one is kept.
        link = local_post.get("searchUrl")
        return PublishedPost(external_id=local_post["name"], url=link if is_web_link(link) else "",
                             published_at=_time(local_post.get("createTime"), default=utcnow()))


def _event(event: Any, topic: str) -> dict[str, Any]:
    """The event block an EVENT or OFFER post needs, as Google shapes it."""
    example = ('{"title": "Open day", "schedule": {"startDate": {"year": 2026, "month": 12, "day": 5}, '
               '"startTime": {"hours": 10}, "endDate": {"year": 2026, "month": 12, "day": 5}, '
               '"endTime": {"hours": 18}}}')
    schedule = event.get("schedule") if isinstance(event, dict) else None
    if not (isinstance(event, dict) and event.get("title") and isinstance(schedule, dict)
            and schedule.get("startDate") and schedule.get("endDate")):
        raise PublishRefused("A Google Business Profile {topic} post needs an event with a title, a start date and an "
                             "end date: add one to the post's Google options, e.g. {example}.", topic=topic,
                             example=example)
    return {"title": event["title"], "schedule": {key: value for key, value in schedule.items()
                                                  if key in ("startDate", "startTime", "endDate", "endTime")}}


def _call_to_action(action: Any, text: str) -> dict[str, str] | None:
    """The button under the post: the one chosen in the options, else "Learn more" on the text's first link."""
    if not action:
        link = LINK.search(text)
        return {"actionType": "LEARN_MORE", "url": link.group(0).rstrip(".,;:!?)")} if link else None
    action_type = str(action.get("actionType") or "").upper() if isinstance(action, dict) else ""
    if action_type not in ACTION_TYPES:
        raise PublishRefused("Google Business Profile has no button '{button}': use one of {choices}.",
                             button=action_type or action, choices=", ".join(ACTION_TYPES))
    if action_type == "CALL":
        return {"actionType": "CALL"}  # Google calls the location's phone number; a url is refused.
    if not action.get("url"):
        raise PublishRefused("The Google Business Profile button {button} needs a link: add its url.",
                             button=action_type)
    return {"actionType": action_type, "url": action["url"]}


def _time(value: str | None, default: datetime | None = None) -> datetime:
    """A Google timestamp (RFC 3339, "Z"); `default` (or the distant past) when absent."""
    if not value:
        return default or datetime.min.replace(tzinfo=utcnow().tzinfo)
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
