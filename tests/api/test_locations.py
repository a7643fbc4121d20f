"""Locations through the JSON API: creating one, importing a CSV, listing with filters and scope."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from hub.locations.models import Location, LocationTag
from tests.factories import PASSWORD, make_network

LYON = {
    "code": "FR-LYON-01", "name": "Vélo Lumière Lyon", "kind": "store", "region": "auvergne-rhone-alpes",
    "country": "FR", "locale": "fr-FR", "timezone": "Europe/Paris",
    "variables": {"city": "Lyon", "phone": "+33 4 72 00 00 00", "opening_year": 1998},
    "tags": ["mall", "city"],
}

HEADER = "code,name,kind,region,country,locale,timezone,tags,city,phone"


async def location_count(database, brand_id: str | None = None) -> int:
    async with database.session() as session:
        query = select(func.count()).select_from(Location)
        if brand_id:
            query = query.where(Location.brand_id == brand_id)
        return await session.scalar(query)


async def locations_by_code(database, brand_id: str) -> dict[str, Location]:
    async with database.session() as session:
        rows = await session.scalars(select(Location).where(Location.brand_id == brand_id))
        return {row.code: row for row in rows}


async def tag_rows(database, location_id: str) -> set[str]:
    async with database.session() as session:
        return set(await session.scalars(select(LocationTag.tag).where(LocationTag.location_id == location_id)))


CP1252_FILE = "\n".join([HEADER, "A1,Besançon Épinal,store,r,FR,fr-FR,Europe/Paris,,Besançon,1"]).encode("cp1252")


def csv_body(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


@pytest.fixture
async def hq(database, settings, client_as):
    """An HQ admin's client on a brand with no location yet (plus the brand id)."""
    network = await make_network(database, settings, locations=0, slug="hq")
    client = await client_as(network.hq_email, PASSWORD)
    client.brand_id = network.brand_id  # type: ignore[attr-defined]
    return client


async def import_csv(client, body: bytes, content_type: str = "text/csv; charset=utf-8"):
    return await client.post("/api/v1/locations/import", content=body, headers={"Content-Type": content_type})


class TestCreateLocation:
    async def test_created_location_echoes_every_field(self, hq, database):
        response = await hq.post("/api/v1/locations", json=LYON)

        assert response.status_code == 201, response.text
        body = response.json()
        assert isinstance(body["id"], str) and body["id"]
        for field in ("code", "name", "kind", "region", "country", "locale", "timezone", "variables"):
            assert body[field] == LYON[field], field
        assert sorted(body["tags"]) == ["city", "mall"]
        assert body["approval_policy"] is None
        stored = (await locations_by_code(database, hq.brand_id))["FR-LYON-01"]
        assert stored.id == body["id"]
        assert stored.variables["opening_year"] == 1998
        assert await tag_rows(database, stored.id) == {"city", "mall"}

    async def test_created_location_is_readable_by_id(self, hq):
        created = (await hq.post("/api/v1/locations", json=LYON)).json()

        response = await hq.get(f"/api/v1/locations/{created['id']}")

        assert response.status_code == 200
        assert response.json() == created

    async def test_lowercase_country_is_stored_uppercase(self, hq):
        response = await hq.post("/api/v1/locations", json={**LYON, "country": "be"})

        assert response.status_code == 201, response.text
        assert response.json()["country"] == "BE"

    async def test_duplicate_code_is_a_conflict_and_keeps_the_first(self, hq, database):
        assert (await hq.post("/api/v1/locations", json=LYON)).status_code == 201

        response = await hq.post("/api/v1/locations", json={**LYON, "name": "Another name"})

        assert response.status_code == 409
        assert "FR-LYON-01" in response.json()["detail"]
        assert await location_count(database, hq.brand_id) == 1
        assert (await locations_by_code(database, hq.brand_id))["FR-LYON-01"].name == LYON["name"]

    async def test_same_code_in_another_brand_is_allowed(self, hq, database, settings, client_as):
        other = await make_network(database, settings, locations=0, slug="other")
        other_hq = await client_as(other.hq_email, PASSWORD)
        assert (await hq.post("/api/v1/locations", json=LYON)).status_code == 201

        response = await other_hq.post("/api/v1/locations", json=LYON)

        assert response.status_code == 201, response.text

    @pytest.mark.parametrize(("field", "value", "hint"), [
        ("locale", "french", "fr-FR"),
        ("locale", "fr_FR", "fr-FR"),
        ("timezone", "Europe/Lyon", "Europe/Paris"),
        ("timezone", "CET+1", "IANA"),
        ("country", "FRA", "two-letter"),
        ("country", "F1", "two-letter"),
        ("kind", "warehouse", "franchise"),
        ("code", "-bad code-", "letters, digits"),
        ("approval_policy", "maybe", "approval_required"),
    ])
    async def test_invalid_field_is_named_with_how_to_fix_it(self, hq, database, field, value, hint):
        response = await hq.post("/api/v1/locations", json={**LYON, field: value})

        assert response.status_code == 422, response.text
        body = response.json()
        assert body["detail"]
        fields = {item["field"]: item["message"] for item in body["errors"]}
        assert list(fields) == [field]
        assert hint in fields[field]
        assert await location_count(database) == 0

    @pytest.mark.parametrize("name", ["City", "opening hours", "2nd_phone", "prix-€"])
    async def test_bad_variable_name_is_refused(self, hq, database, name):
        response = await hq.post("/api/v1/locations", json={**LYON, "variables": {name: "x"}})

        assert response.status_code == 422, response.text
        (error,) = response.json()["errors"]
        assert error["field"] == "variables"
        assert name in error["message"]
        assert "lowercase letters, digits and '_'" in error["message"]
        assert await location_count(database) == 0

    @pytest.mark.parametrize("value", [True, None, ["a"], {"nested": 1}])
    async def test_variable_value_must_be_text_or_number(self, hq, database, value):
        response = await hq.post("/api/v1/locations", json={**LYON, "variables": {"city": value}})

        assert response.status_code == 422, response.text
        (error,) = response.json()["errors"]
        assert error["field"] == "variables"
        assert "text or a number" in error["message"]
        assert await location_count(database) == 0

    async def test_missing_required_fields_are_each_listed(self, hq, database):
        response = await hq.post("/api/v1/locations", json={"code": "X1", "name": "X"})

        assert response.status_code == 422
        assert {item["field"] for item in response.json()["errors"]} == {"country", "locale", "timezone"}
        assert await location_count(database) == 0

    async def test_unknown_field_is_refused(self, hq, database):
        response = await hq.post("/api/v1/locations", json={**LYON, "city": "Lyon"})

        assert response.status_code == 422
        assert [item["field"] for item in response.json()["errors"]] == ["city"]
        assert await location_count(database) == 0

    @pytest.mark.parametrize("locale", ["fr-FR", "de-DE", "es-ES", "ar-AE", "fr", "es-419", "zh-Hant-TW"])
    async def test_bcp47_locales_are_accepted(self, hq, locale):
        response = await hq.post("/api/v1/locations", json={**LYON, "locale": locale})

        assert response.status_code == 201, response.text
        assert response.json()["locale"] == locale


class TestImportCsv:
    async def test_good_file_creates_every_location(self, hq, database):
        body = csv_body(
            HEADER,
            "FR-LYON-01,Lyon Part-Dieu,store,aura,FR,fr-FR,Europe/Paris,mall|city,Lyon,+33 4 72 00 00 01",
            "BE-BXL-01,Bruxelles Centre,franchise,benelux,BE,fr-BE,Europe/Brussels,city,Bruxelles,+32 2 000 00 00",
            "DE-BER-01,Berlin Mitte,distributor,dach,DE,de-DE,Europe/Berlin,,Berlin,+49 30 000000",
        )

        response = await import_csv(hq, body)

        assert response.status_code == 200, response.text
        assert response.json() == {"created": 3, "updated": 0, "errors": []}
        stored = await locations_by_code(database, hq.brand_id)
        assert set(stored) == {"FR-LYON-01", "BE-BXL-01", "DE-BER-01"}
        lyon = stored["FR-LYON-01"]
        assert (lyon.name, lyon.kind, lyon.region, lyon.country, lyon.locale, lyon.timezone) == (
            "Lyon Part-Dieu", "store", "aura", "FR", "fr-FR", "Europe/Paris")
        assert sorted(lyon.tags) == ["city", "mall"]
        assert await tag_rows(database, lyon.id) == {"city", "mall"}
        assert lyon.variables == {"city": "Lyon", "phone": "+33 4 72 00 00 01"}
        assert stored["DE-BER-01"].tags == []
        assert stored["DE-BER-01"].variables == {"city": "Berlin", "phone": "+49 30 000000"}

    async def test_second_import_updates_by_code(self, hq, database):
        first = csv_body(
            HEADER,
            "FR-LYON-01,Lyon,store,aura,FR,fr-FR,Europe/Paris,mall|city,Lyon,+33 4 72 00 00 01",
            "FR-PAR-01,Paris,store,idf,FR,fr-FR,Europe/Paris,city,Paris,+33 1 00 00 00 01",
        )
        assert (await import_csv(hq, first)).json()["created"] == 2
        ids = {code: row.id for code, row in (await locations_by_code(database, hq.brand_id)).items()}

        second = csv_body(
            HEADER,
            "FR-LYON-01,Lyon Confluence,store,aura,FR,fr-FR,Europe/Paris,outlet,Lyon 2e,+33 4 72 00 00 09",
            "FR-PAR-01,Paris Opéra,store,idf,FR,fr-FR,Europe/Paris,city|flagship,Paris,+33 1 00 00 00 01",
            "FR-NCE-01,Nice,store,paca,FR,fr-FR,Europe/Paris,,Nice,+33 4 93 00 00 00",
        )
        response = await import_csv(hq, second)

        assert response.status_code == 200, response.text
        assert response.json() == {"created": 1, "updated": 2, "errors": []}
        stored = await locations_by_code(database, hq.brand_id)
        assert len(stored) == 3
        assert stored["FR-LYON-01"].id == ids["FR-LYON-01"]
        assert stored["FR-LYON-01"].name == "Lyon Confluence"
        assert stored["FR-LYON-01"].variables == {"city": "Lyon 2e", "phone": "+33 4 72 00 00 09"}
        assert stored["FR-LYON-01"].tags == ["outlet"]
        assert await tag_rows(database, ids["FR-LYON-01"]) == {"outlet"}
        assert stored["FR-PAR-01"].name == "Paris Opéra"
        assert await tag_rows(database, ids["FR-PAR-01"]) == {"city", "flagship"}

    async def test_updated_tags_drive_the_tag_filter(self, hq):
        await import_csv(hq, csv_body(HEADER, "A1,Alpha,store,r,FR,fr-FR,Europe/Paris,mall,Lyon,1"))
        await import_csv(hq, csv_body(HEADER, "A1,Alpha,store,r,FR,fr-FR,Europe/Paris,city,Lyon,1"))

        assert (await hq.get("/api/v1/locations", params={"tag": "mall"})).json() == []
        assert [row["code"] for row in (await hq.get("/api/v1/locations", params={"tag": "city"})).json()] == ["A1"]

    async def test_bad_lines_refuse_the_whole_file_and_name_line_and_field(self, hq, database):
        await import_csv(hq, csv_body(HEADER, "FR-LYON-01,Lyon,store,aura,FR,fr-FR,Europe/Paris,,Lyon,1"))
        before = await location_count(database)
        body = csv_body(
            HEADER,                                                                  # line 1
            "FR-LYON-01,Lyon renamed,store,aura,FR,fr-FR,Europe/Paris,,Lyon,1",      # line 2: an update
            "FR-PAR-01,Paris,store,idf,FR,fr-FR,Europe/Paris,,Paris,2",              # line 3
            "FR-XXX-01,Nowhere,store,idf,FR,fr-FR,Europe/Nowhere,,X,3",              # line 4: bad timezone
            "FR-NCE-01,Nice,store,paca,FR,fr-FR,Europe/Paris,,Nice,4",               # line 5
            "FR-MRS-01,Marseille,store,paca,FR,french,Europe/Paris,,Marseille,5",    # line 6: bad locale
        )

        response = await import_csv(hq, body)

        assert response.status_code == 422, response.text
        payload = response.json()
        assert "nothing was imported" in payload["detail"]
        errors = sorted((item["line"], item["field"]) for item in payload["errors"])
        assert errors == [(4, "timezone"), (6, "locale")]
        messages = {item["field"]: item["message"] for item in payload["errors"]}
        assert "Europe/Paris" in messages["timezone"]
        assert "fr-FR" in messages["locale"]
        assert await location_count(database) == before
        assert (await locations_by_code(database, hq.brand_id))["FR-LYON-01"].name == "Lyon"

    async def test_blank_lines_do_not_shift_the_line_numbers(self, hq, database):
        body = csv_body(
            HEADER,                                                     # line 1
            "A1,Alpha,store,r,FR,fr-FR,Europe/Paris,,Lyon,1",           # line 2
            "",                                                         # line 3
            "A2,Beta,store,r,FR,fr-FR,Europe/Paris,,Lyon,1",            # line 4
            "A3,Gamma,store,r,FRA,fr-FR,Europe/Paris,,Lyon,1",          # line 5: bad country
        )

        response = await import_csv(hq, body)

        assert response.status_code == 422
        assert [(item["line"], item["field"]) for item in response.json()["errors"]] == [(5, "country")]
        assert await location_count(database) == 0

    async def test_extra_cells_are_reported_on_their_line(self, hq, database):
        body = csv_body(
            HEADER,
            "A1,Alpha,store,r,FR,fr-FR,Europe/Paris,,Lyon,1",
            "A2,Beta,store,r,FR,fr-FR,Europe/Paris,,Lyon,1,surplus",
        )

        response = await import_csv(hq, body)

        assert response.status_code == 422
        (error,) = response.json()["errors"]
        assert error["line"] == 3
        assert "more cells than the header" in error["message"]
        assert await location_count(database) == 0

    async def test_duplicate_code_names_both_lines(self, hq, database):
        body = csv_body(
            HEADER,
            "A1,Alpha,store,r,FR,fr-FR,Europe/Paris,,Lyon,1",
            "B1,Beta,store,r,FR,fr-FR,Europe/Paris,,Lyon,1",
            "A1,Alpha again,store,r,FR,fr-FR,Europe/Paris,,Lyon,1",
        )

        response = await import_csv(hq, body)

        assert response.status_code == 422
        (error,) = response.json()["errors"]
        assert (error["line"], error["field"]) == (4, "code")
        assert "A1" in error["message"] and "line 2" in error["message"]
        assert await location_count(database) == 0

    async def test_missing_required_column_is_reported_on_the_header(self, hq, database):
        body = csv_body("code,name,country,locale", "A1,Alpha,FR,fr-FR")

        response = await import_csv(hq, body)

        assert response.status_code == 422
        assert response.json()["errors"] == [{"line": 1, "field": "timezone", "message": "required column is missing"}]
        assert await location_count(database) == 0

    async def test_header_only_is_refused(self, hq, database):
        response = await import_csv(hq, csv_body(HEADER))

        assert response.status_code == 422
        assert "no location" in response.json()["errors"][0]["message"]

    async def test_bad_variable_column_is_reported(self, hq, database):
        body = csv_body("code,name,country,locale,timezone,Opening Hours", "A1,Alpha,FR,fr-FR,Europe/Paris,9-18")

        response = await import_csv(hq, body)

        assert response.status_code == 422
        (error,) = response.json()["errors"]
        assert (error["line"], error["field"]) == (2, "variables")
        assert "Opening Hours" in error["message"]
        assert await location_count(database) == 0

    @pytest.mark.parametrize("content_type", ["text/plain", "application/octet-stream", "multipart/form-data; boundary=x"])
    async def test_wrong_content_type_is_415(self, hq, database, content_type):
        body = csv_body(HEADER, "A1,Alpha,store,r,FR,fr-FR,Europe/Paris,,Lyon,1")

        response = await import_csv(hq, body, content_type)

        assert response.status_code == 415, response.text
        assert "text/csv" in response.json()["detail"]
        assert await location_count(database) == 0

    async def test_json_body_is_415_not_a_parse_error(self, hq, database):
        response = await hq.post("/api/v1/locations/import", json={"code": "A1"})

        assert response.status_code == 415, response.text
        assert "text/csv" in response.json()["detail"]
        assert await location_count(database) == 0

    async def test_non_utf8_file_is_refused(self, hq, database):
        response = await import_csv(hq, CP1252_FILE)

        assert response.status_code == 422, response.text
        assert response.json()["errors"]
        assert await location_count(database) == 0

    async def test_non_utf8_file_error_says_to_save_as_utf8(self, hq):
        response = await import_csv(hq, CP1252_FILE)

        (error,) = response.json()["errors"]
        assert "UTF-8" in error["message"]

    async def test_utf8_with_bom_is_read(self, hq, database):
        body = b"\xef\xbb\xbf" + csv_body(HEADER, "A1,Besançon,store,r,FR,fr-FR,Europe/Paris,,Besançon,1")

        response = await import_csv(hq, body)

        assert response.status_code == 200, response.text
        assert (await locations_by_code(database, hq.brand_id))["A1"].name == "Besançon"

    async def test_semicolon_delimited_file_works(self, hq, database):
        body = csv_body(
            HEADER.replace(",", ";"),
            "FR-LYON-01;Lyon, Part-Dieu;store;aura;FR;fr-FR;Europe/Paris;mall|city;Lyon;+33 4 72 00 00 01",
            "FR-PAR-01;Paris;store;idf;FR;fr-FR;Europe/Paris;;Paris;+33 1 00 00 00 01",
        )

        response = await import_csv(hq, body)

        assert response.status_code == 200, response.text
        assert response.json() == {"created": 2, "updated": 0, "errors": []}
        lyon = (await locations_by_code(database, hq.brand_id))["FR-LYON-01"]
        assert lyon.name == "Lyon, Part-Dieu"
        assert sorted(lyon.tags) == ["city", "mall"]
        assert lyon.variables == {"city": "Lyon", "phone": "+33 4 72 00 00 01"}

    async def test_quoted_commas_in_comma_file(self, hq, database):
        body = csv_body(HEADER, 'A1,"Lyon, Part-Dieu",store,r,FR,fr-FR,Europe/Paris,,"Lyon, 3e",1')

        response = await import_csv(hq, body)

        assert response.status_code == 200, response.text
        row = (await locations_by_code(database, hq.brand_id))["A1"]
        assert row.name == "Lyon, Part-Dieu"
        assert row.variables["city"] == "Lyon, 3e"

    async def test_import_does_not_touch_another_brands_location_with_the_same_code(
        self, hq, database, settings,
    ):
        other = await make_network(database, settings, locations=1, slug="other")
        code = other.locations[0].code

        response = await import_csv(hq, csv_body(HEADER, f"{code},Mine,store,r,FR,fr-FR,Europe/Paris,,Lyon,1"))

        assert response.json() == {"created": 1, "updated": 0, "errors": []}
        assert (await locations_by_code(database, other.brand_id))[code].name == other.locations[0].name

    async def test_local_manager_cannot_import(self, database, settings, client_as):
        network = await make_network(database, settings, locations=1, slug="loc")
        local = await client_as(network.local_emails[network.locations[0].id], PASSWORD)
        before = await location_count(database)

        response = await import_csv(local, csv_body(HEADER, "Z1,Zeta,store,r,FR,fr-FR,Europe/Paris,,Lyon,1"))

        assert response.status_code == 403
        assert await location_count(database) == before


class TestListLocations:
    @pytest.fixture
    async def network(self, database, settings):
        # Locations 0..5: tags city (0, 3) / mall (others); region south (even) / north (odd).
        return await make_network(database, settings, locations=6, slug="net", networks=())

    async def test_hq_sees_all_in_code_order(self, network, client_as):
        hq = await client_as(network.hq_email, PASSWORD)

        response = await hq.get("/api/v1/locations")

        assert response.status_code == 200
        assert [row["code"] for row in response.json()] == [f"NET-{i:03d}" for i in range(6)]

    async def test_filter_by_tag(self, network, client_as):
        hq = await client_as(network.hq_email, PASSWORD)

        city = (await hq.get("/api/v1/locations", params={"tag": "city"})).json()
        mall = (await hq.get("/api/v1/locations", params={"tag": "mall"})).json()

        assert [row["code"] for row in city] == ["NET-000", "NET-003"]
        assert [row["code"] for row in mall] == ["NET-001", "NET-002", "NET-004", "NET-005"]
        assert (await hq.get("/api/v1/locations", params={"tag": "nope"})).json() == []

    async def test_filter_by_region(self, network, client_as):
        hq = await client_as(network.hq_email, PASSWORD)

        north = (await hq.get("/api/v1/locations", params={"region": "north"})).json()

        assert [row["code"] for row in north] == ["NET-001", "NET-003", "NET-005"]

    async def test_filters_combine(self, network, client_as):
        hq = await client_as(network.hq_email, PASSWORD)

        rows = (await hq.get("/api/v1/locations", params={"region": "north", "tag": "city"})).json()

        assert [row["code"] for row in rows] == ["NET-003"]

    async def test_search_by_name_or_code_ignoring_case(self, network, client_as):
        hq = await client_as(network.hq_email, PASSWORD)
        created = await hq.post("/api/v1/locations", json={**LYON, "code": "FR-LYON-01", "name": "Atelier Croix-Rousse"})
        assert created.status_code == 201

        by_name = (await hq.get("/api/v1/locations", params={"q": "croix"})).json()
        by_code = (await hq.get("/api/v1/locations", params={"q": "fr-lyon"})).json()
        numbered = (await hq.get("/api/v1/locations", params={"q": "net-00"})).json()

        assert [row["code"] for row in by_name] == ["FR-LYON-01"]
        assert [row["code"] for row in by_code] == ["FR-LYON-01"]
        assert len(numbered) == 6

    async def test_search_treats_like_wildcards_literally(self, network, client_as):
        hq = await client_as(network.hq_email, PASSWORD)

        assert (await hq.get("/api/v1/locations", params={"q": "%"})).json() == []
        assert (await hq.get("/api/v1/locations", params={"q": "_"})).json() == []

    async def test_hq_does_not_see_another_brands_locations(self, network, database, settings, client_as):
        other = await make_network(database, settings, locations=2, slug="other", networks=())
        hq = await client_as(network.hq_email, PASSWORD)

        codes = {row["code"] for row in (await hq.get("/api/v1/locations")).json()}

        assert not codes & {location.code for location in other.locations}

    async def test_local_manager_sees_only_their_location(self, network, client_as):
        mine = network.locations[2]
        local = await client_as(network.local_emails[mine.id], PASSWORD)

        everything = (await local.get("/api/v1/locations")).json()
        by_tag = (await local.get("/api/v1/locations", params={"tag": "city"})).json()
        searched = (await local.get("/api/v1/locations", params={"q": "net"})).json()

        assert [row["id"] for row in everything] == [mine.id]
        assert by_tag == []  # their location is tagged "mall"
        assert [row["id"] for row in searched] == [mine.id]
        assert (await local.get(f"/api/v1/locations/{mine.id}")).status_code == 200
        other = network.locations[0]
        response = await local.get(f"/api/v1/locations/{other.id}")
        assert response.status_code == 404


class TestConnectAccount:
    async def test_tokens_are_stored_encrypted_and_never_returned(self, hq, database, settings):
        from hub.accounts.security import token_cipher
        from hub.publishing.models import SocialAccount

        location = (await hq.post("/api/v1/locations", json=LYON)).json()
        access, refresh = "EAAG-secret-access-token-123", "refresh-secret-456"

        response = await hq.post(f"/api/v1/locations/{location['id']}/accounts", json={
            "network": "facebook", "external_id": "page-1", "access_token": access, "refresh_token": refresh,
            "connector": "sandbox"})

        assert response.status_code == 201, response.text
        assert access not in response.text and refresh not in response.text
        assert (response.json()["network"], response.json()["location_id"]) == ("facebook", location["id"])
        async with database.session() as session:
            account = await session.scalar(select(SocialAccount).where(SocialAccount.id == response.json()["id"]))
        assert access not in account.access_token_encrypted and refresh not in account.refresh_token_encrypted
        cipher = token_cipher([settings.resolved_secret_key()])
        assert cipher.decrypt(account.access_token_encrypted.encode()).decode() == access
        assert cipher.decrypt(account.refresh_token_encrypted.encode()).decode() == refresh

    async def test_the_same_account_again_reconnects_it_with_new_tokens(self, hq, database, settings):
        from hub.audit.models import AuditEvent
        from hub.publishing.models import SocialAccount
        from hub.publishing.connectors.base import decrypt_token

        location = (await hq.post("/api/v1/locations", json=LYON)).json()
        url = f"/api/v1/locations/{location['id']}/accounts"
        first = await hq.post(url, json={"network": "x", "external_id": "42", "access_token": "old-token"})
        assert first.status_code == 201, first.text
        async with database.session() as session:
            await session.execute(update(SocialAccount).values(status="expired", status_detail="Token expired."))
        again = await hq.post(url, json={"network": "x", "external_id": "42", "access_token": "new-token"})
        assert again.status_code == 200, again.text
        assert again.json()["id"] == first.json()["id"]
        assert (again.json()["status"], again.json()["status_detail"]) == ("active", "")
        async with database.session() as session:
            [account] = list(await session.scalars(select(SocialAccount)))
            actions = list(await session.scalars(select(AuditEvent.action).where(
                AuditEvent.subject_id == account.id).order_by(AuditEvent.created_at)))
        assert decrypt_token(settings, account.access_token_encrypted) == "new-token"
        assert actions == ["account.connected", "account.reconnected"]

    async def test_a_real_network_account_needs_its_token_and_nothing_is_stored_without(self, hq, database):
        from hub.publishing.models import SocialAccount

        location = (await hq.post("/api/v1/locations", json=LYON)).json()
        response = await hq.post(f"/api/v1/locations/{location['id']}/accounts",
                                 json={"network": "linkedin", "external_id": "123", "access_token": " "})
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "access_token"
        assert "access_token" in response.json()["detail"]
        async with database.session() as session:
            assert list(await session.scalars(select(SocialAccount))) == []

    async def test_unknown_network_is_422(self, hq):
        location = (await hq.post("/api/v1/locations", json=LYON)).json()

        response = await hq.post(f"/api/v1/locations/{location['id']}/accounts",
                                 json={"network": "myspace", "external_id": "p", "access_token": "t"})

        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "network"


class TestCsvParser:
    def test_non_utf8_file_says_to_save_as_csv_utf8(self):
        from hub.locations.service import parse_locations_csv

        rows, errors = parse_locations_csv(CP1252_FILE)

        assert rows == []
        (error,) = errors
        assert "UTF-8" in error["message"] and "save it as CSV UTF-8" in error["message"]

    def test_too_large_file_is_refused_before_parsing(self):
        from hub.locations.service import MAX_IMPORT_BYTES, parse_locations_csv

        rows, errors = parse_locations_csv(b"a" * (MAX_IMPORT_BYTES + 1))

        assert rows == []
        assert "larger than 5 MB" in errors[0]["message"]
