"""connectors, cooldowns, oauth grants

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26

Columns with a server default so databases that already hold accounts and publications upgrade in place.
"""

from alembic import op
import sqlalchemy as sa
import hub.db
from sqlalchemy import Text  # noqa: F401  (used by JSONB columns)
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('cooldowns',
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('until', hub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_cooldowns'))
    )
    op.create_table('oauth_grants',
    sa.Column('brand_id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('location_id', sa.String(length=32), nullable=False),
    sa.Column('network', sa.String(length=20), nullable=False),
    sa.Column('state_digest', sa.String(length=64), nullable=False),
    sa.Column('code_verifier_encrypted', sa.Text(), nullable=False),
    sa.Column('redirect_uri', sa.Text(), nullable=False),
    sa.Column('expires_at', hub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('tokens_encrypted', sa.Text(), nullable=False),
    sa.Column('targets', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('created_at', hub.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_oauth_grants_brand_id_brands'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_oauth_grants_location_id_locations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_oauth_grants_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oauth_grants')),
    sa.UniqueConstraint('state_digest', name=op.f('uq_oauth_grants_state_digest'))
    )
    op.create_index(op.f('ix_oauth_grants_brand_id'), 'oauth_grants', ['brand_id'], unique=False)
    op.add_column('publications', sa.Column('progress', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False, server_default=sa.text("'{}'")))
    op.add_column('publications', sa.Column('queued_at', hub.db.UTCDateTime(timezone=True), nullable=True))
    op.add_column('social_accounts', sa.Column('scopes', sa.Text(), nullable=False, server_default=''))
    op.add_column('social_accounts', sa.Column('refreshed_at', hub.db.UTCDateTime(timezone=True), nullable=True))
    op.add_column('social_accounts', sa.Column('broken_notified_at', hub.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column('social_accounts', 'broken_notified_at')
    op.drop_column('social_accounts', 'refreshed_at')
    op.drop_column('social_accounts', 'scopes')
    op.drop_column('publications', 'progress')
    op.drop_column('publications', 'queued_at')
    op.drop_index(op.f('ix_oauth_grants_brand_id'), table_name='oauth_grants')
    op.drop_table('oauth_grants')
    op.drop_table('cooldowns')
