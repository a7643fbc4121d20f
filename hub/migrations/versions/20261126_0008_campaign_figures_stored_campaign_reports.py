"""campaign figures: stored campaign reports

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

from alembic import op
import sqlalchemy as sa
import hub.db
from sqlalchemy import Text  # noqa: F401  (used by JSONB columns)
from sqlalchemy.dialects import postgresql

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('campaign_figures',
    sa.Column('campaign_id', sa.String(length=32), nullable=False),
    sa.Column('brand_id', sa.String(length=32), nullable=False),
    sa.Column('fingerprint', sa.String(length=200), nullable=False),
    sa.Column('computed_at', hub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_campaign_figures_brand_id_brands'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_figures_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', name=op.f('pk_campaign_figures'))
    )
    op.create_index(op.f('ix_campaign_figures_brand_id'), 'campaign_figures', ['brand_id'], unique=False)
    op.create_table('campaign_location_figures',
    sa.Column('campaign_id', sa.String(length=32), nullable=False),
    sa.Column('location_id', sa.String(length=32), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('region', sa.String(length=100), nullable=False),
    sa.Column('proposals', sa.Integer(), nullable=False),
    sa.Column('statuses', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('published', sa.Integer(), nullable=False),
    sa.Column('impressions', sa.BigInteger(), nullable=True),
    sa.Column('reach', sa.BigInteger(), nullable=True),
    sa.Column('engagements', sa.BigInteger(), nullable=True),
    sa.Column('rate_base', sa.BigInteger(), nullable=True),
    sa.Column('with_stats', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_location_figures_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_campaign_location_figures_location_id_locations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'location_id', name=op.f('pk_campaign_location_figures'))
    )
    op.create_index(op.f('ix_campaign_location_figures_location_id'), 'campaign_location_figures', ['location_id'],
                    unique=False)
    # The table's default order (by code): a page is read from the index, not sorted from 10,000 rows.
    op.create_index('ix_campaign_location_figures_campaign_code', 'campaign_location_figures',
                    ['campaign_id', 'code'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_campaign_location_figures_campaign_code', table_name='campaign_location_figures')
    op.drop_index(op.f('ix_campaign_location_figures_location_id'), table_name='campaign_location_figures')
    op.drop_table('campaign_location_figures')
    op.drop_index(op.f('ix_campaign_figures_brand_id'), table_name='campaign_figures')
    op.drop_table('campaign_figures')
