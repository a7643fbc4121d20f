"""Locations: creating, importing from CSV, and what each user may see of them."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from pydantic import ValidationError
from sqlalchemy import ColumnElement, delete, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.actor import Actor
from hub.errors import Conflict, Invalid, NotFound
from hub.locations.models import Location, LocationTag
from hub.locations.schemas import LocationCreate

FIXED_COLUMNS = ("code", "name", "kind", "region", "country", "locale", "timezone", "tags", "approval_policy")
MAX_IMPORT_BYTES = 5 * 1024 * 1024


def visible_locations(actor: Actor) -> ColumnElement[bool]:
    """The SQL condition on Location for what this actor may see (404 for the rest)."""
    if not actor.brand_id:
        return false()
    in_brand = Location.brand_id == actor.brand_id
    if actor.sees_whole_brand:
        return in_brand
    if actor.role == "regional_manager":
        return in_brand & Location.region.in_(actor.regions) if actor.regions else false()
    if actor.role == "local_manager":
        return in_brand & Location.id.in_(actor.location_ids) if actor.location_ids else false()
    return false()


async def get_location(session: AsyncSession, actor: Actor, location_id: str) -> Location:
    """A location the actor may see; NotFound otherwise."""
    location = await session.scalar(select(Location).where(Location.id == location_id, visible_locations(actor)))
    if location is None:
        raise NotFound("No location with id {id}.", id=location_id)
    return location


async def list_locations(
    session: AsyncSession, actor: Actor, *, tag: str | None = None, region: str | None = None, q: str | None = None,
    limit: int = 500, offset: int = 0,
) -> list[Location]:
    """Locations the actor may see, filtered by tag, region and a search on code or name."""
    query = select(Location).where(visible_locations(actor))
    if tag:
        query = query.where(Location.id.in_(select(LocationTag.location_id).where(LocationTag.tag == tag)))
    if region:
        query = query.where(Location.region == region)
    if q:
        # autoescape: '%' and '_' typed by the user are searched for, not wildcards.
        needle = q.lower()
        query = query.where(or_(func.lower(Location.name).contains(needle, autoescape=True),
                                func.lower(Location.code).contains(needle, autoescape=True)))
    query = query.order_by(Location.code).limit(limit).offset(offset)
    return list(await session.scalars(query))


def _apply(location: Location, data: LocationCreate) -> None:
    for field in ("name", "kind", "region", "country", "locale", "timezone", "variables", "approval_policy"):
        setattr(location, field, getattr(data, field))
    location.tags = list(data.tags)


async def _sync_tags(session: AsyncSession, location: Location) -> None:
    await session.execute(delete(LocationTag).where(LocationTag.location_id == location.id))
    session.add_all(LocationTag(location_id=location.id, tag=tag, brand_id=location.brand_id) for tag in location.tags)


async def create_location(session: AsyncSession, brand_id: str, data: LocationCreate) -> Location:
    """A new location of the brand; Conflict when its code is taken."""
    taken = await session.scalar(select(Location.id).where(Location.brand_id == brand_id, Location.code == data.code))
    if taken:
        raise Conflict("A location with the code {code} already exists: pick another code or import to update it.",
                       code=data.code)
    location = Location(brand_id=brand_id, code=data.code)
    _apply(location, data)
    session.add(location)
    await session.flush()
    await _sync_tags(session, location)
    return location


def _records(reader: csv.DictReader, errors: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The reader's records until one cannot be read as CSV, which is recorded as an error of its line."""
    try:
        yield from reader
    except csv.Error as error:
        # A quote left open swallows the lines after it into one huge cell (the reader stops past 128 KB).
        # The reader counts the lines it finished: the unreadable record starts on the next one.
        errors.append({"line": reader.line_num + 1, "field": "",
                       "message": f"this line cannot be read as CSV ({error}): check its quotes and separators"})


def parse_locations_csv(raw: bytes) -> tuple[list[LocationCreate], list[dict[str, Any]]]:
    """Read a locations CSV: the rows it describes, and every error with its line and field.

    Columns: code, name, kind, region, country, locale, timezone, tags (separated by '|'),
    approval_policy; any other column is a variable of the location (city, phone, …).
    """
    errors: list[dict[str, Any]] = []
    if len(raw) > MAX_IMPORT_BYTES:
        return [], [{"line": 0, "field": "", "message": f"the file is larger than {MAX_IMPORT_BYTES // 1024 // 1024} MB"}]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return [], [{"line": 0, "field": "", "message": f"the file is not UTF-8 (byte {error.start}): save it as CSV UTF-8"}]
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    header = [name.strip() for name in (reader.fieldnames or [])]
    missing = [name for name in ("code", "name", "country", "locale", "timezone") if name not in header]
    if missing:
        return [], [{"line": 1, "field": name, "message": "required column is missing"} for name in missing]
    reader.fieldnames = header
    rows: list[LocationCreate] = []
    seen: dict[str, int] = {}
    for record in _records(reader, errors):
        # The physical line (header = 1): blank lines, which DictReader skips, still count.
        index = reader.line_num
        if None in record:
            errors.append({"line": index, "field": "", "message": "this line has more cells than the header"})
            continue
        values = {key: (value or "").strip() for key, value in record.items()}
        if not any(values.values()):
            continue
        data: dict[str, Any] = {key: values[key] for key in FIXED_COLUMNS if key in values and key != "tags"}
        data["tags"] = [tag for tag in values.get("tags", "").split("|") if tag.strip()]
        data["variables"] = {key: value for key, value in values.items() if key not in FIXED_COLUMNS and value}
        if not data.get("kind"):
            data.pop("kind", None)
        try:
            row = LocationCreate(**data)
        except ValidationError as error:
            for item in error.errors():
                field = ".".join(str(part) for part in item["loc"]) or "line"
                errors.append({"line": index, "field": field, "message": item["msg"].removeprefix("Value error, ")})
            continue
        if row.code in seen:
            errors.append({"line": index, "field": "code",
                           "message": f"code {row.code} already appears on line {seen[row.code]}"})
            continue
        seen[row.code] = index
        rows.append(row)
    if not rows and not errors:
        errors.append({"line": 2, "field": "", "message": "the file has a header but no location"})
    return rows, errors


async def import_locations(session: AsyncSession, brand_id: str, raw: bytes) -> dict[str, Any]:
    """Create or update (by code) every location of a CSV, or none if any line is wrong."""
    rows, errors = parse_locations_csv(raw)
    if errors:
        raise Invalid("The CSV has {n} error(s); nothing was imported. Fix each line listed and send it again.",
                      n=len(errors), errors=errors)
    existing = {
        location.code: location
        for location in await session.scalars(
            select(Location).where(Location.brand_id == brand_id, Location.code.in_([row.code for row in rows]))
        )
    }
    created = updated = 0
    for row in rows:
        location = existing.get(row.code)
        if location is None:
            location = existing[row.code] = Location(brand_id=brand_id, code=row.code)
            session.add(location)
            created += 1
        else:
            updated += 1
        _apply(location, row)
    await session.flush()
    for row in rows:
        await _sync_tags(session, existing[row.code])
    if updated:
        # Campaign reports keep each location's name and region: an update may have changed them.
        from hub.stats.report import forget_figures

        await forget_figures(session, brand_id)
    return {"created": created, "updated": updated, "errors": []}
