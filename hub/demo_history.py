"""Six months of the demo brand's past, so a fresh demo's stats pages show a living network.

About two campaigns a month go out through the real fan-out and are decided location by location
through the real services, with each manager's habits (a few eager locations, most in between,
three silent arms, Dubai translating for itself); then everything is moved to the day it happened,
the publications go out on the sandbox accounts, and their counters are read at each stats offset.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any, NamedTuple

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub import queue
from hub.accounts.actor import Actor
from hub.accounts.models import Membership, User
from hub.accounts.service import actor_for
from hub.audit.models import AuditEvent
from hub.campaigns.models import Campaign, Post, PostRevision
from hub.campaigns.schemas import CampaignCreate, PostCreate, Target, TranslationTexts
from hub.campaigns.service import create_campaign, create_post
from hub.config import Settings
from hub.db import get_database, new_id, utcnow
from hub.locations.models import Location
from hub.notifications.models import Notification
from hub.proposals import service as proposals
from hub.proposals.models import Distribution, DistributionChunk, Proposal
from hub.publishing.connectors.base import OutgoingPost
from hub.publishing.connectors.sandbox import simulated_followers, simulated_metrics
from hub.publishing.models import Publication, SandboxPost, SocialAccount
from hub.stats.formulas import VERY_GOOD_FACEBOOK_RATE
from hub.stats.models import AccountDay, StatSnapshot
from hub.stats.scoreboard import refresh_scoreboard
from hub.translations import service as translations
from hub.translations.models import Translation

# When each past campaign was sent, in days before the demo starts, oldest first: two a month,
# the last one still open (its deadline is ahead, its posts go out tomorrow).
SENT_DAYS_AGO = (164, 150, 136, 122, 108, 94, 80, 66, 52, 38, 24, 10, 2)
DECISION_DAYS = 7
PUBLISH_AFTER_DAYS = 3
PUBLISH_LOCAL_TIME = "18:00"
FOLLOWER_DAYS = 180


class PastCampaign(NamedTuple):
    name: str
    objective: str
    fr: str
    de: str
    es: str
    # The Arabic text and who wrote it: HQ with the post, Dubai's distributor after it arrived, or nobody
    # (Dubai's proposal then still waits for its translation).
    ar: str | None
    ar_by: str | None


CAMPAIGNS = [
    PastCampaign(
        "Atelier réparation du samedi", "community",
        "🔧 Ce samedi, atelier réparation ouvert à tous chez Vélo Lumière {city} : apprenez à régler vos freins "
        "et à changer une chambre à air avec nos mécanos. Inscription au {phone}.",
        "🔧 Diesen Samstag: offene Reparaturwerkstatt bei Vélo Lumière {city}! Lernen Sie mit unseren Mechanikern, "
        "Bremsen einzustellen und einen Schlauch zu wechseln. Anmeldung unter {phone}.",
        "🔧 Este sábado, taller de reparación abierto a todos en Vélo Lumière {city}: aprenda a ajustar los frenos "
        "y a cambiar una cámara con nuestros mecánicos. Inscripción en el {phone}.",
        "🔧 هذا السبت، ورشة إصلاح مفتوحة للجميع في فيلو لوميير {city}: تعلّم ضبط الفرامل وتغيير الإطار الداخلي "
        "مع فنيينا. للتسجيل: {phone}.", "hq"),
    PastCampaign(
        "Essai gratuit du vélo électrique", "promotion",
        "⚡ Envie d'essayer l'électrique ? Vélo Lumière {city} vous prête un vélo à assistance électrique pendant "
        "48 h, gratuitement. Réservez votre essai au {phone}.",
        "⚡ Lust auf ein E-Bike? Vélo Lumière {city} leiht Ihnen ein Pedelec für 48 Stunden – kostenlos. "
        "Probefahrt reservieren unter {phone}.",
        "⚡ ¿Quiere probar la bici eléctrica? Vélo Lumière {city} le presta una bici de pedaleo asistido durante "
        "48 h, gratis. Reserve su prueba en el {phone}.",
        "⚡ هل ترغب في تجربة الدراجة الكهربائية؟ يعيرك فيلو لوميير {city} دراجة بمساعدة كهربائية لمدة 48 ساعة "
        "مجاناً. احجز تجربتك على {phone}.", "distributor"),
    PastCampaign(
        "On recrute des mécanos", "recruitment",
        "🧰 Vélo Lumière {city} recrute ! Vous aimez le vélo et le travail bien fait ? Rejoignez notre atelier "
        "comme mécanicien·ne cycle. Passez nous voir ou appelez le {phone}.",
        "🧰 Vélo Lumière {city} sucht Verstärkung! Sie lieben Fahrräder und gute Arbeit? Werden Sie "
        "Zweiradmechaniker/in in unserer Werkstatt. Kommen Sie vorbei oder rufen Sie an: {phone}.",
        "🧰 ¡Vélo Lumière {city} busca mecánicos! ¿Le apasiona la bici y el trabajo bien hecho? Únase a nuestro "
        "taller. Pase a vernos o llame al {phone}.",
        None, None),
    PastCampaign(
        "Bien éclairé, bien vu", "customer_care",
        "💡 Rouler la nuit, c'est d'abord être vu : contrôle gratuit de vos feux et catadioptres chez "
        "Vélo Lumière {city}, sans rendez-vous. Une question ? {phone}",
        "💡 Nachts fahren heißt gesehen werden: kostenloser Licht-Check bei Vélo Lumière {city}, ohne Termin. "
        "Fragen? {phone}",
        "💡 Circular de noche es, ante todo, ser visto: revisión gratuita de luces y catadióptricos en "
        "Vélo Lumière {city}, sin cita. ¿Alguna pregunta? {phone}",
        "💡 القيادة ليلاً تبدأ بأن تكون مرئياً: فحص مجاني للأضواء والعاكسات في فيلو لوميير {city} دون موعد. "
        "لأي سؤال: {phone}", "hq"),
    PastCampaign(
        "Vélo cargo : l'essayer, c'est l'adopter", "promotion",
        "📦 Courses, enfants, pique-nique : tout rentre dans un vélo cargo. Venez l'essayer chez Vélo Lumière "
        "{city} et profitez de -10 % sur les accessoires cargo. Infos au {phone}.",
        "📦 Einkauf, Kinder, Picknick: Alles passt in ein Lastenrad. Probefahrt bei Vélo Lumière {city} und "
        "-10 % auf Lastenrad-Zubehör. Infos unter {phone}.",
        "📦 Compras, niños, pícnic: todo cabe en una bici de carga. Venga a probarla a Vélo Lumière {city} y "
        "disfrute de un 10 % de descuento en accesorios. Información en el {phone}.",
        "📦 التسوق والأطفال والنزهات: كل شيء يتسع في دراجة الشحن. جرّبها في فيلو لوميير {city} واستفد من خصم "
        "10٪ على الإكسسوارات. للمعلومات: {phone}.", "distributor"),
    PastCampaign(
        "Balade du dimanche", "community",
        "🌳 Dimanche matin, balade à vélo de 20 km au départ de Vélo Lumière {city}, café offert au retour. "
        "Tous niveaux bienvenus ! Inscription au {phone}.",
        "🌳 Sonntagmorgen: 20-km-Radtour ab Vélo Lumière {city}, danach Kaffee für alle. Jedes Niveau "
        "willkommen! Anmeldung unter {phone}.",
        "🌳 Domingo por la mañana: paseo en bici de 20 km desde Vélo Lumière {city}, con café al volver. "
        "¡Todos los niveles son bienvenidos! Inscripción en el {phone}.",
        "🌳 صباح الأحد، جولة بالدراجة لمسافة 20 كم تنطلق من فيلو لوميير {city}، والقهوة علينا عند العودة. "
        "الجميع مرحّب بهم! للتسجيل: {phone}.", "hq"),
    PastCampaign(
        "Reprise de votre ancien vélo", "promotion",
        "♻️ Votre ancien vélo vaut quelque chose : jusqu'à 150 € de reprise pour l'achat d'un vélo neuf chez "
        "Vélo Lumière {city}. Estimation gratuite au {phone}.",
        "♻️ Ihr altes Fahrrad ist etwas wert: bis zu 150 € Inzahlungnahme beim Kauf eines neuen Rads bei "
        "Vélo Lumière {city}. Kostenlose Schätzung unter {phone}.",
        "♻️ Su bici vieja vale algo: hasta 150 € por ella al comprar una bici nueva en Vélo Lumière {city}. "
        "Tasación gratuita en el {phone}.",
        "♻️ دراجتك القديمة لها قيمة: استبدلها بخصم عند شراء دراجة جديدة من فيلو لوميير {city}. "
        "تقييم مجاني على {phone}.", "distributor"),
    PastCampaign(
        "Nos mécanos vous répondent", "customer_care",
        "🛠️ Un bruit bizarre, un dérailleur capricieux ? Posez vos questions en commentaire : l'atelier de "
        "Vélo Lumière {city} répond à tout. Ou appelez le {phone}.",
        "🛠️ Ein seltsames Geräusch, eine launische Schaltung? Stellen Sie Ihre Fragen in den Kommentaren: Die "
        "Werkstatt von Vélo Lumière {city} antwortet. Oder rufen Sie an: {phone}.",
        "🛠️ ¿Un ruido raro, un cambio caprichoso? Deje su pregunta en los comentarios: el taller de "
        "Vélo Lumière {city} responde a todo. O llame al {phone}.",
        "🛠️ صوت غريب أو ناقل سرعات متقلب؟ اطرح سؤالك في التعليقات وسيجيبك فريق ورشة فيلو لوميير {city}، "
        "أو اتصل على {phone}.", "hq"),
    PastCampaign(
        "Au travail à vélo", "visibility",
        "🚲 Et si vous alliez au travail à vélo ? Vélo Lumière {city} vous aide à choisir le bon vélo et vous "
        "explique le forfait mobilités durables. Conseils au {phone}.",
        "🚲 Wie wäre es, mit dem Rad zur Arbeit zu fahren? Vélo Lumière {city} hilft Ihnen, das passende Rad zu "
        "finden, und erklärt das Dienstrad-Leasing. Beratung unter {phone}.",
        "🚲 ¿Y si va al trabajo en bici? Vélo Lumière {city} le ayuda a elegir la bici adecuada y le informa "
        "sobre las ayudas a la movilidad. Consejos en el {phone}.",
        None, None),
    PastCampaign(
        "Journée portes ouvertes", "visibility",
        "🎉 Portes ouvertes chez Vélo Lumière {city} ce week-end : essais, démonstrations d'atelier et un cadeau "
        "pour chaque visiteur. Plus d'infos au {phone}.",
        "🎉 Tag der offenen Tür bei Vélo Lumière {city} an diesem Wochenende: Probefahrten, "
        "Werkstatt-Vorführungen und ein Geschenk für jeden Besucher. Mehr Infos unter {phone}.",
        "🎉 Jornada de puertas abiertas en Vélo Lumière {city} este fin de semana: pruebas, demostraciones de "
        "taller y un regalo para cada visitante. Más información en el {phone}.",
        "🎉 أيام مفتوحة في فيلو لوميير {city} في عطلة نهاية هذا الأسبوع: تجارب قيادة وعروض في الورشة وهدية "
        "لكل زائر. للمزيد: {phone}.", "hq"),
    PastCampaign(
        "Révision complète à prix doux", "promotion",
        "✅ Freins, transmission, pneus, serrages : révision complète à 49 € chez Vélo Lumière {city}, vélo prêt "
        "en 48 h. Prenez rendez-vous au {phone}.",
        "✅ Bremsen, Antrieb, Reifen, Schrauben: Komplettinspektion für 49 € bei Vélo Lumière {city}, Ihr Rad "
        "ist in 48 Stunden fertig. Termin unter {phone}.",
        "✅ Frenos, transmisión, neumáticos, aprietes: revisión completa por 49 € en Vélo Lumière {city}, bici "
        "lista en 48 h. Pida cita en el {phone}.",
        "✅ الفرامل وناقل الحركة والإطارات: صيانة شاملة في فيلو لوميير {city}، ودراجتك جاهزة خلال 48 ساعة. "
        "احجز موعدك على {phone}.", "distributor"),
    PastCampaign(
        "Rencontrez l'équipe", "community",
        "👋 Derrière chaque vélo bien réglé, il y a une équipe : venez rencontrer celle de Vélo Lumière {city} "
        "autour d'un café jeudi soir. On vous attend ! {phone}",
        "👋 Hinter jedem gut eingestellten Rad steht ein Team: Lernen Sie das Team von Vélo Lumière {city} am "
        "Donnerstagabend bei einem Kaffee kennen. Wir freuen uns auf Sie! {phone}",
        "👋 Detrás de cada bici bien ajustada hay un equipo: venga a conocer al de Vélo Lumière {city} con un "
        "café el jueves por la tarde. ¡Le esperamos! {phone}",
        "👋 وراء كل دراجة مضبوطة جيداً فريق عمل: تعال وتعرّف على فريق فيلو لوميير {city} على فنجان قهوة مساء "
        "الخميس. بانتظارك! {phone}", "hq"),
    PastCampaign(
        "Antivol : le bon réflexe", "customer_care",
        "🔒 Un bon antivol, ça se choisit : nos conseils et -20 % sur les antivols en U cette semaine chez "
        "Vélo Lumière {city}. Marquage Bicycode sur rendez-vous au {phone}.",
        "🔒 Ein gutes Schloss will gut gewählt sein: unsere Tipps und -20 % auf Bügelschlösser diese Woche bei "
        "Vélo Lumière {city}. Fahrradcodierung nach Termin unter {phone}.",
        "🔒 Un buen candado se elige bien: nuestros consejos y un 20 % de descuento en candados en U esta "
        "semana en Vélo Lumière {city}. Marcaje de bicis con cita en el {phone}.",
        "🔒 اختيار القفل الجيد مهم: نصائحنا وخصم 20٪ على أقفال U هذا الأسبوع في فيلو لوميير {city}. "
        "للاستفسار: {phone}.", "distributor"),
]


@dataclass(frozen=True)
class Habit:
    """How a location's manager deals with HQ's proposals."""

    decides: float  # share of proposals decided before the deadline
    hours: tuple[float, float]  # how long after sending they decide
    rejects: float  # share of decisions that reject
    customizes: float  # share of the other decisions that change the text
    quiet_days: int = 0  # they decided nothing sent this recently


HABITS = {
    "eager": Habit(decides=1.0, hours=(0.3, 5), rejects=0.0, customizes=0.6),
    "regular": Habit(decides=0.85, hours=(3, 56), rejects=0.1, customizes=0.15),
    "slow": Habit(decides=0.6, hours=(22, 130), rejects=0.2, customizes=0.05),
    "silent": Habit(decides=0.3, hours=(70, 160), rejects=0.4, customizes=0.0, quiet_days=45),
    "distributor": Habit(decides=0.9, hours=(4, 30), rejects=0.05, customizes=0.25),
}
EAGER = ("FR-LYO", "FR-NTE", "BE-BRU", "ES-BCN")
SLOW = ("FR-NCE", "BE-CRL", "DE-FRA", "ES-SVQ")
SILENT = ("FR-MRS", "DE-DUS", "ES-ZAZ")
DISTRIBUTOR = "AE-DXB"
# Months (0 = the current one, 1 = the one before…) in which a location's Facebook posts reach the study's
# very-good rate; everyone else's stay below it.
FACEBOOK_STARS = {"FR-LYO": {0, 1, 2, 4}, "BE-BRU": {1, 3, 5}, "ES-BCN": {0, 2}, "FR-NTE": {3, 4}}

# What a location adds when it customizes, in its language (Facebook and Instagram; LinkedIn stays HQ's).
LOCAL_TOUCHES = {
    "fr": ("\n\nPetit plus chez nous : le café est offert pendant que vous patientez ☕",
           "\n\nToute l'équipe de {city} vous attend avec le sourire 😊",
           "\n\nParking vélo juste devant la boutique : venez comme vous êtes !"),
    "de": ("\n\nBei uns gibt es dazu einen Kaffee ☕", "\n\nIhr Team in {city} freut sich auf Sie 😊"),
    "es": ("\n\nY en nuestra tienda, el café corre de nuestra cuenta ☕", "\n\nEl equipo de {city} le espera 😊"),
    "ar": ("\n\nفريقنا في {city} بانتظاركم 😊",),
}
REJECTIONS = {  # reason: (weight, comment by language)
    "not_relevant": (35, {"fr": "Nous ne proposons pas ce service dans notre magasin.",
                          "de": "Diesen Service bieten wir in unserem Laden nicht an.",
                          "es": "No ofrecemos este servicio en nuestra tienda.",
                          "ar": "This service is not offered in our Dubai showroom."}),
    "wrong_timing": (30, {"fr": "Magasin fermé pour inventaire cette semaine-là.",
                          "de": "In dieser Woche ist der Laden wegen Inventur geschlossen.",
                          "es": "Esa semana cerramos por inventario.",
                          "ar": "Our showroom is closed that week."}),
    "off_brand": (15, {"fr": "Le ton ne colle pas à notre clientèle.",
                       "de": "Der Ton passt nicht zu unserer Kundschaft.",
                       "es": "El tono no encaja con nuestra clientela.",
                       "ar": "The tone does not suit our customers here."}),
    "other": (15, {"fr": "Nous avons publié quelque chose de très proche la semaine dernière.",
                   "de": "Wir haben letzte Woche etwas sehr Ähnliches gepostet.",
                   "es": "Publicamos algo muy parecido la semana pasada.",
                   "ar": "We posted something very similar last week."}),
    "legal": (5, {"fr": "Offre incompatible avec une promotion locale en cours.",
                  "de": "Das Angebot verträgt sich nicht mit einer laufenden lokalen Aktion.",
                  "es": "La oferta choca con una promoción local en curso.",
                  "ar": "The offer conflicts with a local promotion under way."}),
}


def habit_of(code: str) -> Habit:
    """The habit of the location with this code."""
    if code == DISTRIBUTOR:
        return HABITS["distributor"]
    for codes, name in ((EAGER, "eager"), (SLOW, "slow"), (SILENT, "silent")):
        if code in codes:
            return HABITS[name]
    return HABITS["regular"]


class Decision(NamedTuple):
    kind: str  # approve, customize or reject
    at: datetime
    touch: int
    reason: str


def decide(code: str, campaign: int, arrived_at: datetime, now: datetime) -> Decision | None:
    """What the location does with a proposal that reached it at `arrived_at` (None: nothing yet, or ever).

    Drawn from the location's habit with a generator seeded by the location and the campaign, so
    every demo tells the same story."""
    habit = habit_of(code)
    draw = random.Random(f"{code}:{campaign}")
    decides, rejects, customizes, hours, touch = (draw.random(), draw.random(), draw.random(),
                                                  draw.uniform(*habit.hours), draw.randrange(6))
    reason = draw.choices(list(REJECTIONS), weights=[weight for weight, _ in REJECTIONS.values()])[0]
    at = arrived_at + timedelta(hours=hours)
    if decides >= habit.decides or arrived_at > now - timedelta(days=habit.quiet_days) or at > now:
        return None
    kind = "reject" if rejects < habit.rejects else "customize" if customizes < habit.customizes else "approve"
    return Decision(kind, at, touch, reason)


class Seeding(NamedTuple):
    brand_id: str
    now: datetime
    settings: Settings
    networks: list[str]  # those the brand's locations have accounts on
    hq: list[Actor]
    managers: dict[str, Actor]  # by location id
    locations: dict[str, Location]  # by id


class Sent(NamedTuple):
    """A past campaign's post as it went out: when, and when it reached each location."""

    index: int
    post_id: str
    deadline: datetime
    arrived: dict[str, datetime]  # by location id


async def seed_history(session: AsyncSession, settings: Settings, brand_id: str, now: datetime | None = None) -> None:
    """Give the demo brand its past six months, then compute its scoreboard (commits the session)."""
    now = now or utcnow()
    started = utcnow()
    locations = {row.id: row for row in await session.scalars(select(Location).where(Location.brand_id == brand_id))}
    networks = sorted(set(await session.scalars(select(SocialAccount.network).where(
        SocialAccount.brand_id == brand_id))))
    seeding = Seeding(brand_id, now, settings, networks, await _actors(session, brand_id, ("hq_admin", "hq_editor")),
                      await _managers(session, brand_id), locations)
    sent = [await _send(session, seeding, index, content,
                        datetime.combine((now - timedelta(days=days_ago)).date(), time(8, 30), tzinfo=UTC))
            for index, (days_ago, content) in enumerate(zip(SENT_DAYS_AGO, CAMPAIGNS, strict=True))]
    await _decide(session, seeding, sent, started)
    for campaign in sent:
        if campaign.deadline <= now:
            # What the deadline cron did that day: the proposals nobody decided expired.
            await proposals.apply_deadlines(session, campaign.deadline)
    published = await _publish(session, seeding)
    await _read_counters(session, seeding, published)
    await _followers(session, seeding)
    # The fan-outs ran here, in-process: their queued jobs would only find their chunks done
    # (and `pieuvre demo` may run with no Redis to send them to).
    queue.discard_pending(session)
    await session.commit()
    await refresh_scoreboard(get_database(settings.database_url), brand_id, now)


async def _actors(session: AsyncSession, brand_id: str, roles: tuple[str, ...]) -> list[Actor]:
    users = await session.scalars(select(User).join(Membership, Membership.user_id == User.id).where(
        Membership.brand_id == brand_id, Membership.role.in_(roles)).order_by(Membership.created_at))
    return [await actor_for(session, user, user.ui_language or "fr") for user in list(users)]


async def _managers(session: AsyncSession, brand_id: str) -> dict[str, Actor]:
    """Each location's manager, as the actor who decides its proposals."""
    rows = (await session.execute(select(User, Membership.location_ids).join(
        Membership, Membership.user_id == User.id).where(
        Membership.brand_id == brand_id, Membership.role == "local_manager"))).all()
    managers = {}
    for user, location_ids in rows:
        actor = await actor_for(session, user, user.ui_language or "en")
        managers.update({location_id: actor for location_id in location_ids})
    return managers


async def _fan_out(session: AsyncSession, distribution: Distribution) -> None:
    """Run a distribution's chunks here, as the workers would."""
    for chunk_id in list(await session.scalars(select(DistributionChunk.id).where(
            DistributionChunk.distribution_id == distribution.id).order_by(DistributionChunk.number))):
        await proposals.fan_out_chunk(session, chunk_id)


async def _send(session: AsyncSession, seeding: Seeding, index: int, content: PastCampaign,
                sent_at: datetime) -> Sent:
    """One campaign written by HQ and sent to every location, dated to when it happened."""
    started = utcnow()
    hq = seeding.hq[index % len(seeding.hq)]
    prepared_at = sent_at - timedelta(days=2, hours=3)
    deadline = sent_at + timedelta(days=DECISION_DAYS)
    campaign = await create_campaign(session, hq, CampaignCreate(
        name=content.name, objective=content.objective, approval_policy="approval_required",
        decision_deadline=deadline))
    given = {"de-DE": TranslationTexts(body=content.de), "es-ES": TranslationTexts(body=content.es)}
    if content.ar_by == "hq":
        given["ar-AE"] = TranslationTexts(body=content.ar)
    publish_day = (sent_at + timedelta(days=PUBLISH_AFTER_DAYS)).date()
    post, revision = await create_post(session, hq, campaign, PostCreate(
        body=content.fr, networks=seeding.networks, translations=given,
        publish_at_local=f"{publish_day.isoformat()}T{PUBLISH_LOCAL_TIME}"))
    sending = await proposals.distribute(session, hq, post, revision, Target(), seeding.settings.fanout_chunk_size)
    await _fan_out(session, sending)
    await _date_sending(session, seeding, campaign, post, sending, prepared_at, sent_at, started)
    arrived = {location_id: sent_at for location_id in seeding.locations}
    dubai = next(location for location in seeding.locations.values() if location.code == DISTRIBUTOR)
    if content.ar_by == "distributor":
        arrived[dubai.id] = await _translated_by_distributor(session, seeding, post, revision, content, dubai,
                                                             sent_at, index)
    return Sent(index, post.id, deadline, arrived)


async def _date_sending(session: AsyncSession, seeding: Seeding, campaign: Campaign, post: Post,
                        sending: Distribution, prepared_at: datetime, sent_at: datetime, started: datetime) -> None:
    """Move a campaign to when HQ wrote and sent it (the services stamped it now)."""
    await session.execute(update(Campaign).where(Campaign.id == campaign.id).values(created_at=prepared_at))
    await session.execute(update(Post).where(Post.id == post.id).values(created_at=prepared_at))
    await session.execute(update(PostRevision).where(PostRevision.post_id == post.id).values(created_at=prepared_at))
    await session.execute(update(Translation).where(Translation.post_id == post.id).values(
        created_at=prepared_at, updated_at=prepared_at, approved_at=prepared_at))
    await session.execute(update(Distribution).where(Distribution.id == sending.id).values(
        created_at=sent_at, started_at=sent_at, finished_at=sent_at + timedelta(seconds=2)))
    await session.execute(update(DistributionChunk).where(DistributionChunk.distribution_id == sending.id)
                          .values(finished_at=sent_at + timedelta(seconds=2)))
    await session.execute(update(Proposal).where(Proposal.post_id == post.id).values(created_at=sent_at))
    # Everything the services recorded for the brand since `started` belongs to this sending.
    await session.execute(update(AuditEvent).where(AuditEvent.brand_id == seeding.brand_id,
                                                   AuditEvent.created_at >= started).values(created_at=prepared_at))
    await session.execute(update(Notification).where(Notification.brand_id == seeding.brand_id,
                                                     Notification.created_at >= started).values(
        created_at=sent_at, sent_at=sent_at + timedelta(hours=20)))


async def _translated_by_distributor(session: AsyncSession, seeding: Seeding, post: Post, revision: PostRevision,
                                     content: PastCampaign, dubai: Location, sent_at: datetime,
                                     index: int) -> datetime:
    """Dubai's distributor writes the Arabic text the post came without; its proposal then arrives. When."""
    started = utcnow()
    actor = seeding.managers[dubai.id]
    served = await translations.served_locales(session, actor)
    translation = await translations.save_translation(session, actor, post, revision, dubai.locale,
                                                      TranslationTexts(body=content.ar), "approved", served)
    distribution = await translations.release(session, actor, post, dubai.locale, seeding.settings.fanout_chunk_size)
    await _fan_out(session, distribution)
    translated_at = sent_at + timedelta(hours=18 + random.Random(f"{dubai.code}:{index}:translation").uniform(0, 20))
    await session.execute(update(Translation).where(Translation.id == translation.id).values(
        created_at=translated_at, updated_at=translated_at, approved_at=translated_at))
    await session.execute(update(Distribution).where(Distribution.id == distribution.id).values(
        created_at=translated_at, started_at=translated_at, finished_at=translated_at + timedelta(seconds=1)))
    await session.execute(update(DistributionChunk).where(DistributionChunk.distribution_id == distribution.id)
                          .values(finished_at=translated_at + timedelta(seconds=1)))
    await session.execute(update(AuditEvent).where(AuditEvent.brand_id == seeding.brand_id,
                                                   AuditEvent.created_at >= started).values(created_at=translated_at))
    return translated_at


async def _decide(session: AsyncSession, seeding: Seeding, sent: list[Sent], started: datetime) -> None:
    """Each location decides its proposals as its habit says, through the services its manager's clicks go
    through: the approvals as its manager would catch up on the inbox (approve selected), the others one by
    one; then each decision is dated."""
    by_post = {campaign.post_id: campaign for campaign in sent}
    approvals: dict[str, list[str]] = {}
    others: dict[str, Decision] = {}
    dates: list[dict[str, Any]] = []
    for proposal_id, post_id, location_id in (await session.execute(
            select(Proposal.id, Proposal.post_id, Proposal.location_id)
            .where(Proposal.post_id.in_(list(by_post)), Proposal.status == "pending"))).all():
        campaign = by_post[post_id]
        location = seeding.locations[location_id]
        decision = decide(location.code, campaign.index, campaign.arrived[location_id], seeding.now)
        if decision is None:
            continue
        dates.append({"id": proposal_id, "decided_at": decision.at,
                      "seen_at": decision.at - timedelta(minutes=3 + 7 * decision.touch)})
        if decision.kind == "approve":
            approvals.setdefault(location_id, []).append(proposal_id)
        else:
            others[proposal_id] = decision
    for proposal in list(await session.scalars(select(Proposal).where(Proposal.id.in_(list(others))))):
        decision = others[proposal.id]
        language = seeding.locations[proposal.location_id].locale[:2]
        actor = seeding.managers[proposal.location_id]
        if decision.kind == "customize":
            touches = LOCAL_TOUCHES[language]
            touch = touches[decision.touch % len(touches)]
            await proposals.customize(session, actor, proposal, {
                network: proposal.texts[network] + touch for network in ("facebook", "instagram")
                if network in proposal.texts})
        else:
            await proposals.reject(session, actor, proposal, decision.reason, REJECTIONS[decision.reason][1][language])
    for location_id, proposal_ids in approvals.items():
        await proposals.bulk_approve(session, seeding.managers[location_id], proposal_ids)
    await _update_rows(session, Proposal, dates)
    # The decisions' audit events were written now: each belongs to its decision's time.
    decided_at = select(Proposal.decided_at).where(Proposal.id == AuditEvent.subject_id).scalar_subquery()
    await session.execute(update(AuditEvent).where(
        AuditEvent.brand_id == seeding.brand_id, AuditEvent.created_at >= started,
        AuditEvent.subject_type == "proposal").values(created_at=decided_at))


async def _update_rows(session: AsyncSession, model: type, rows: list[dict[str, Any]]) -> None:
    """Set each row's values on the row of `model` with its id, in one statement run for every row (the rows
    share their keys)."""
    if rows:
        table = model.__table__
        await session.execute(update(table).where(table.c.id == bindparam("row_id")),
                              [{"row_id": row["id"], **{key: value for key, value in row.items() if key != "id"}}
                               for row in rows])


class Published(NamedTuple):
    """A publication that went out on its sandbox account, and what its counters are read from."""

    id: str
    brand_id: str
    campaign_id: str
    social_account_id: str
    external_id: str
    published_at: datetime


def _number(*parts: object) -> int:
    """A stable number drawn from the parts (the same demo every time)."""
    return int(hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()[:8], 16)


def _newest_offset(offsets: list[tuple[str, timedelta]], published_at: datetime, now: datetime) -> str | None:
    passed = [label for label, delay in offsets if published_at + delay <= now]
    return passed[-1] if passed else None


def _sandbox_post_id(key: str, published_at: datetime, offset: str | None, very_good: bool | None) -> str:
    """An id like the sandbox's own (time first), drawn so that the post's Facebook rate lands on the chosen
    side of the very-good mark; the sandbox's simulated counters follow from the id alone."""
    prefix = f"{int(published_at.timestamp() * 1000):012x}"
    salt = 0
    while True:
        candidate = prefix + hashlib.sha256(f"{key}:{salt}".encode()).hexdigest()[:20]
        if very_good is None or offset is None:
            return candidate
        values = simulated_metrics(candidate, offset)
        if not values["reach"]:
            return candidate  # read too early to have a rate
        # A margin on both sides, so the rate of a location's month stays on the chosen side too.
        rate = values["engagements"] / values["reach"]
        if (rate >= VERY_GOOD_FACEBOOK_RATE + 0.002) if very_good else (rate < VERY_GOOD_FACEBOOK_RATE - 0.002):
            return candidate
        salt += 1


def _months_ago(when: datetime, now: datetime) -> int:
    return (now.year - when.year) * 12 + now.month - when.month


async def _publish(session: AsyncSession, seeding: Seeding) -> list[Published]:
    """Each scheduled publication whose time has passed goes out on its sandbox account: at its time, or
    just after its decision when the location decided late; the others stay scheduled for the worker."""
    rows = (await session.execute(
        select(Publication.id, Publication.brand_id, Publication.campaign_id, Publication.location_id,
               Publication.social_account_id, Publication.network, Publication.due_at, Proposal.decided_at,
               Proposal.texts)
        .join(Proposal, Proposal.id == Publication.proposal_id)
        .where(Publication.brand_id == seeding.brand_id, Publication.status == "scheduled"))).all()
    offsets = seeding.settings.stats_offset_list
    base_url = seeding.settings.base_url.rstrip("/")
    published, sandbox_posts, changes = [], [], []
    for row in rows:
        code = seeding.locations[row.location_id].code
        key = f"{code}:{row.network}:{row.due_at.isoformat()}"
        published_at = max(row.due_at, row.decided_at + timedelta(minutes=1 + _number(key) % 9))
        if published_at > seeding.now - timedelta(minutes=1):
            changes.append({"id": row.id, "created_at": row.decided_at})
            continue
        very_good = (_months_ago(published_at, seeding.now) in FACEBOOK_STARS.get(code, ())
                     if row.network == "facebook" else None)
        external_id = _sandbox_post_id(key, published_at, _newest_offset(offsets, published_at, seeding.now),
                                       very_good)
        text = row.texts[row.network]
        sandbox_posts.append({
            "id": external_id, "social_account_id": row.social_account_id, "location_id": row.location_id,
            "network": row.network, "text": text, "image_url": None, "extra": {}, "created_at": published_at,
            "content_hash": OutgoingPost(publication_id=row.id, network=row.network, text=text).content_hash})
        # The address the sandbox connector gives its posts: the location's feed page.
        changes.append({"id": row.id, "status": "published", "attempt": 1, "queued_at": published_at,
                        "claimed_at": published_at, "published_at": published_at, "created_at": row.decided_at,
                        "external_id": external_id, "url": f"{base_url}/sandbox/{row.location_id}#post-{external_id}"})
        published.append(Published(row.id, row.brand_id, row.campaign_id, row.social_account_id, external_id,
                                    published_at))
    if sandbox_posts:
        await session.execute(insert(SandboxPost.__table__), sandbox_posts)
    await _update_rows(session, Publication, [change for change in changes if "status" in change])
    await _update_rows(session, Publication, [change for change in changes if "status" not in change])
    return published


async def _read_counters(session: AsyncSession, seeding: Seeding, published: list[Published]) -> None:
    """Each publication's counters read at every stats offset already passed, when it was due.

    What `store_reading` does reading by reading (a snapshot per offset, the newest copied onto the
    publication), in two statements: the demo's thousands of readings one by one would add some fifteen
    seconds to its start."""
    snapshots, newest = [], []
    for publication in published:
        passed = [(label, delay) for label, delay in seeding.settings.stats_offset_list
                  if publication.published_at + delay <= seeding.now]
        for label, delay in passed:
            snapshots.append({
                "id": new_id(), "brand_id": publication.brand_id, "campaign_id": publication.campaign_id,
                "publication_id": publication.id, "social_account_id": publication.social_account_id,
                "offset_label": label, "taken_at": publication.published_at + delay, "simulated": True,
                "metrics": simulated_metrics(publication.external_id, label)})
        if passed:
            values = snapshots[-1]["metrics"]
            newest.append({"id": publication.id, "stats": values, "stats_at": snapshots[-1]["taken_at"],
                           "stats_offset_seconds": int(passed[-1][1].total_seconds()),
                           "impressions": values.get("impressions"), "reach": values.get("reach"),
                           "engagements": values.get("engagements")})
    if snapshots:
        await session.execute(insert(StatSnapshot.__table__), snapshots)
    await _update_rows(session, Publication, newest)


async def _followers(session: AsyncSession, seeding: Seeding) -> None:
    """Each sandbox account's followers on each of the past days, as the daily reading found them."""
    accounts = (await session.execute(
        select(SocialAccount.id, SocialAccount.location_id, SocialAccount.network)
        .where(SocialAccount.brand_id == seeding.brand_id, SocialAccount.connector == "sandbox"))).all()
    days = [seeding.now.date() - timedelta(days=back) for back in range(FOLLOWER_DAYS, 0, -1)]
    await session.execute(insert(AccountDay.__table__), [
        {"id": new_id(), "brand_id": seeding.brand_id, "location_id": location_id, "social_account_id": account_id,
         "network": network, "day": day, "followers": simulated_followers(account_id, day), "metrics": {},
         "simulated": True, "taken_at": datetime.combine(day, time(6), tzinfo=UTC)}
        for account_id, location_id, network in accounts for day in days])
