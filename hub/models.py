"""Every table, imported once so Alembic and the app see the whole schema."""

from hub.accounts.models import AuthSession, Membership, User
from hub.audit.models import AuditEvent
from hub.brandkit.models import BrandKit
from hub.brands.models import Brand
from hub.campaigns.models import Campaign, Post, PostRevision
from hub.db import Base
from hub.locations.models import Location, LocationTag
from hub.media.models import BrandFont, Media
from hub.proposals.models import Distribution, DistributionChunk, Proposal, ProposalImage
from hub.publishing.models import Publication, SandboxPost, SocialAccount
from hub.stats.models import StatSnapshot

__all__ = [
    "AuditEvent", "AuthSession", "Base", "Brand", "BrandKit", "Campaign", "Distribution", "DistributionChunk",
    "BrandFont", "Location", "LocationTag", "Media", "Membership", "Post", "PostRevision", "Proposal", "ProposalImage", "Publication",
    "SandboxPost", "SocialAccount", "StatSnapshot", "User",
]
