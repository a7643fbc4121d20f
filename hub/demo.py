"""The demo brand: an HQ, 30 locations in France, Belgium, Germany and Spain, a distributor in the
United Arab Emirates, their users and sandbox accounts — so Pieuvre can be tried with no credentials."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts import service as accounts
from hub.brands.models import Brand
from hub.brands.service import create_brand
from hub.campaigns.schemas import CampaignCreate, PostCreate, TranslationTexts
from hub.campaigns.service import create_campaign, create_post
from hub.config import Settings
from hub.db import utcnow
from hub.demo_history import seed_history
from hub.locations.schemas import LocationCreate
from hub.locations.service import create_location
from hub.publishing.service import connect_account

DEMO_SLUG = "velo-lumiere"
DEMO_PASSWORD = "pieuvre-demo"
HQ_EMAIL = "hq@velo-lumiere.example"
EDITOR_EMAIL = "editor@velo-lumiere.example"
DEMO_NETWORKS = ("facebook", "instagram", "linkedin")
BROKEN_ACCOUNT = ("FR-MRS", "instagram")

# (code, city, region, country, locale, time zone, phone)
CITIES = [
    ("FR-PAR", "Paris", "Île-de-France", "FR", "fr-FR", "Europe/Paris", "+33 1 42 00 00 01"),
    ("FR-LYO", "Lyon", "Auvergne-Rhône-Alpes", "FR", "fr-FR", "Europe/Paris", "+33 4 72 00 00 02"),
    ("FR-MRS", "Marseille", "Provence-Alpes-Côte d'Azur", "FR", "fr-FR", "Europe/Paris", "+33 4 91 00 00 03"),
    ("FR-TLS", "Toulouse", "Occitanie", "FR", "fr-FR", "Europe/Paris", "+33 5 61 00 00 04"),
    ("FR-NTE", "Nantes", "Pays de la Loire", "FR", "fr-FR", "Europe/Paris", "+33 2 40 00 00 05"),
    ("FR-BOD", "Bordeaux", "Nouvelle-Aquitaine", "FR", "fr-FR", "Europe/Paris", "+33 5 56 00 00 06"),
    ("FR-LIL", "Lille", "Hauts-de-France", "FR", "fr-FR", "Europe/Paris", "+33 3 20 00 00 07"),
    ("FR-SXB", "Strasbourg", "Grand Est", "FR", "fr-FR", "Europe/Paris", "+33 3 88 00 00 08"),
    ("FR-REN", "Rennes", "Bretagne", "FR", "fr-FR", "Europe/Paris", "+33 2 99 00 00 09"),
    ("FR-NCE", "Nice", "Provence-Alpes-Côte d'Azur", "FR", "fr-FR", "Europe/Paris", "+33 4 93 00 00 10"),
    ("FR-MPL", "Montpellier", "Occitanie", "FR", "fr-FR", "Europe/Paris", "+33 4 67 00 00 11"),
    ("FR-GNB", "Grenoble", "Auvergne-Rhône-Alpes", "FR", "fr-FR", "Europe/Paris", "+33 4 76 00 00 12"),
    ("BE-BRU", "Bruxelles", "Bruxelles-Capitale", "BE", "fr-BE", "Europe/Brussels", "+32 2 500 00 13"),
    ("BE-LGG", "Liège", "Wallonie", "BE", "fr-BE", "Europe/Brussels", "+32 4 200 00 14"),
    ("BE-NAM", "Namur", "Wallonie", "BE", "fr-BE", "Europe/Brussels", "+32 81 00 00 15"),
    ("BE-CRL", "Charleroi", "Wallonie", "BE", "fr-BE", "Europe/Brussels", "+32 71 00 00 16"),
    ("DE-BER", "Berlin", "Berlin", "DE", "de-DE", "Europe/Berlin", "+49 30 0000017"),
    ("DE-MUC", "München", "Bayern", "DE", "de-DE", "Europe/Berlin", "+49 89 0000018"),
    ("DE-HAM", "Hamburg", "Hamburg", "DE", "de-DE", "Europe/Berlin", "+49 40 0000019"),
    ("DE-CGN", "Köln", "Nordrhein-Westfalen", "DE", "de-DE", "Europe/Berlin", "+49 221 000020"),
    ("DE-FRA", "Frankfurt", "Hessen", "DE", "de-DE", "Europe/Berlin", "+49 69 0000021"),
    ("DE-STR", "Stuttgart", "Baden-Württemberg", "DE", "de-DE", "Europe/Berlin", "+49 711 000022"),
    ("DE-DUS", "Düsseldorf", "Nordrhein-Westfalen", "DE", "de-DE", "Europe/Berlin", "+49 211 000023"),
    ("ES-MAD", "Madrid", "Comunidad de Madrid", "ES", "es-ES", "Europe/Madrid", "+34 91 000 00 24"),
    ("ES-BCN", "Barcelona", "Cataluña", "ES", "es-ES", "Europe/Madrid", "+34 93 000 00 25"),
    ("ES-VLC", "Valencia", "Comunitat Valenciana", "ES", "es-ES", "Europe/Madrid", "+34 96 000 00 26"),
    ("ES-SVQ", "Sevilla", "Andalucía", "ES", "es-ES", "Europe/Madrid", "+34 95 000 00 27"),
    ("ES-BIO", "Bilbao", "País Vasco", "ES", "es-ES", "Europe/Madrid", "+34 94 000 00 28"),
    ("ES-AGP", "Málaga", "Andalucía", "ES", "es-ES", "Europe/Madrid", "+34 95 000 00 29"),
    ("ES-ZAZ", "Zaragoza", "Aragón", "ES", "es-ES", "Europe/Madrid", "+34 976 00 00 30"),
]
DISTRIBUTOR = ("AE-DXB", "Dubai", "Gulf", "AE", "ar-AE", "Asia/Dubai", "+971 4 000 0031")


def local_email(code: str) -> str:
    return f"{code.lower()}@velo-lumiere.example"


async def seed_demo(session: AsyncSession, settings: Settings) -> bool:
    """Create the demo brand unless it exists; True when it was created."""
    if await session.scalar(select(Brand.id).where(Brand.slug == DEMO_SLUG)):
        return False
    brand, hq = await create_brand(session, "Vélo Lumière", HQ_EMAIL, DEMO_PASSWORD, "Camille (HQ)")
    brand.slug = DEMO_SLUG
    editor = await accounts.create_user(session, email=EDITOR_EMAIL, password=DEMO_PASSWORD, name="Hugo (HQ editor)")
    await accounts.add_membership(session, editor, brand.id, "hq_editor")
    for code, city, region, country, locale, timezone, phone in [*CITIES, DISTRIBUTOR]:
        is_distributor = code == DISTRIBUTOR[0]
        location = await create_location(session, brand.id, LocationCreate(
            code=code, name=f"Vélo Lumière {city}", kind="distributor" if is_distributor else "franchise",
            region=region, country=country, locale=locale, timezone=timezone,
            variables={"city": city, "phone": phone}, tags=[country.lower(), "distributor" if is_distributor else "store"],
        ))
        user = await accounts.create_user(session, email=local_email(code), password=DEMO_PASSWORD,
                                          name=f"{'Distributor' if is_distributor else 'Manager'} {city}",
                                          ui_language="fr" if locale.startswith("fr") else "en")
        await accounts.add_membership(session, user, brand.id, "local_manager", [location.id])
        for network in DEMO_NETWORKS:
            account, _ = await connect_account(session, settings, location, network=network, connector="sandbox",
                                               external_id=f"sandbox-{network}-{code.lower()}", access_token="",
                                               display_name=f"Vélo Lumière {city}")
            if (code, network) == BROKEN_ACCOUNT:
                # One arm to mend, so the octopus map shows what a broken account looks like.
                account.status = "expired"
                account.status_detail = "Instagram access has expired or is no longer valid: reconnect the account."
    hq_actor = await accounts.actor_for(session, hq, "fr")
    campaign = await create_campaign(session, hq_actor, CampaignCreate(
        name="Printemps en selle", objective="promotion", approval_policy="approval_required",
        decision_deadline=utcnow() + timedelta(days=3),
    ))
    await create_post(session, hq_actor, campaign, PostCreate(
        body="🚲 Le printemps arrive chez Vélo Lumière {city} ! Révision offerte pour tout achat d'accessoire "
             "jusqu'au 30 avril. Réservez au {phone}.",
        networks=list(DEMO_NETWORKS),
        # German and Spanish are ready; Dubai's distributor gets a "needs translation" proposal (Arabic).
        translations={
            "de-DE": TranslationTexts(body="🚲 Der Frühling kommt zu Vélo Lumière {city}! Kostenlose Inspektion beim "
                                           "Kauf von Zubehör bis zum 30. April. Termin unter {phone}."),
            "es-ES": TranslationTexts(body="🚲 ¡La primavera llega a Vélo Lumière {city}! Revisión gratuita por la "
                                           "compra de cualquier accesorio hasta el 30 de abril. Reserve al {phone}."),
        },
    ))
    # Six months of past campaigns, publications and counters, so the stats pages are not empty.
    await seed_history(session, settings, brand.id)
    return True
