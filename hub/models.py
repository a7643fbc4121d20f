"""Every table, imported once so Alembic and the app see the whole schema."""

from hub.accounts.models import AuthSession, Membership, User
from hub.audit.models import AuditEvent
from hub.brandkit.models import BrandKit
from hub.brands.models import Brand
from hub.calendars.models import CalendarFeed
from hub.campaigns.models import Campaign, Post, PostRevision
from hub.comments.models import Comment
from hub.db import Base
from hub.locations.models import Location, LocationTag
from hub.media.models import BrandFont, Media
from hub.notifications.models import Digest, Notification
from hub.proposals.models import Distribution, DistributionChunk, Proposal, ProposalImage
from hub.publishing.models import Cooldown, OAuthGrant, Publication, SandboxPost, SocialAccount
from hub.reviews.models import ReviewLink
from hub.stats.models import AccountDay, LocationScore, Scoreboard, StatSnapshot
from hub.translations.models import Translation, TranslationMemory
from hub.webhooks.models import Webhook, WebhookDelivery

__all__ = [
    "AccountDay", "AuditEvent", "AuthSession", "Base", "Brand", "BrandFont", "BrandKit", "CalendarFeed", "Campaign", "Comment",
    "Cooldown", "Digest", "Distribution", "DistributionChunk", "Location", "LocationScore", "LocationTag", "Media",
    "Membership",
    "Notification", "OAuthGrant", "Post", "PostRevision", "Proposal", "ProposalImage", "Publication", "ReviewLink",
    "SandboxPost", "Scoreboard", "SocialAccount", "StatSnapshot", "Translation", "TranslationMemory", "User", "Webhook",
    "WebhookDelivery",
]
