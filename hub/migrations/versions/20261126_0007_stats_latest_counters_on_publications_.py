"""stats: latest counters on publications, account days, scoreboards

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

import re

from alembic import op
import sqlalchemy as sa
import hub.db
from sqlalchemy.dialects import postgresql

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('scoreboards',
    sa.Column('brand_id', sa.String(length=32), nullable=False),
    sa.Column('computed_at', hub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_scoreboards_brand_id_brands'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('brand_id', name=op.f('pk_scoreboards'))
    )
    op.create_table('location_scores',
    sa.Column('location_id', sa.String(length=32), nullable=False),
    sa.Column('brand_id', sa.String(length=32), nullable=False),
    sa.Column('computed_at', hub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_location_scores_brand_id_brands'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_location_scores_location_id_locations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('location_id', name=op.f('pk_location_scores'))
    )
    op.create_index(op.f('ix_location_scores_brand_id'), 'location_scores', ['brand_id'], unique=False)
    op.create_table('account_days',
    sa.Column('brand_id', sa.String(length=32), nullable=False),
    sa.Column('location_id', sa.String(length=32), nullable=False),
    sa.Column('social_account_id', sa.String(length=32), nullable=False),
    sa.Column('network', sa.String(length=20), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('followers', sa.Integer(), nullable=True),
    sa.Column('metrics', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('simulated', sa.Boolean(), nullable=False),
    sa.Column('taken_at', hub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_account_days_brand_id_brands'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_account_days_location_id_locations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['social_account_id'], ['social_accounts.id'], name=op.f('fk_account_days_social_account_id_social_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_days')),
    sa.UniqueConstraint('social_account_id', 'day', name=op.f('uq_account_days_social_account_id_day'))
    )
    op.create_index('ix_account_days_brand_day', 'account_days', ['brand_id', 'day'], unique=False)
    op.create_index(op.f('ix_account_days_location_id'), 'account_days', ['location_id'], unique=False)
    op.add_column('publications', sa.Column('stats', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False, server_default=sa.text("'{}'")))
    op.add_column('publications', sa.Column('stats_offset_seconds', sa.Integer(), nullable=True))
    op.add_column('publications', sa.Column('stats_at', hub.db.UTCDateTime(timezone=True), nullable=True))
    op.add_column('publications', sa.Column('impressions', sa.Integer(), nullable=True))
    op.add_column('publications', sa.Column('reach', sa.Integer(), nullable=True))
    op.add_column('publications', sa.Column('engagements', sa.Integer(), nullable=True))
    op.create_index('ix_publications_brand_published', 'publications', ['brand_id', 'published_at'], unique=False)
    _copy_newest_readings()


SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def _copy_newest_readings() -> None:
    """Readings taken before this revision: each publication gets its newest one as its current counters."""
    snapshots = sa.table('stat_snapshots', sa.column('publication_id', sa.String), sa.column('offset_label', sa.String),
                         sa.column('taken_at', hub.db.UTCDateTime(timezone=True)), sa.column('metrics', sa.JSON))
    publications = sa.table('publications', sa.column('id', sa.String), sa.column('stats', sa.JSON),
                            sa.column('stats_offset_seconds', sa.Integer),
                            sa.column('stats_at', hub.db.UTCDateTime(timezone=True)), sa.column('impressions', sa.Integer),
                            sa.column('reach', sa.Integer), sa.column('engagements', sa.Integer))
    bind = op.get_bind()
    newest: dict[str, tuple[int, object, dict]] = {}
    for publication_id, label, taken_at, metrics in bind.execute(
            sa.select(snapshots.c.publication_id, snapshots.c.offset_label, snapshots.c.taken_at, snapshots.c.metrics)
            .where(snapshots.c.publication_id.is_not(None))):
        match = re.fullmatch(r"\s*(\d+)\s*([smhdw])\s*", label or "")
        seconds = int(match.group(1)) * SECONDS[match.group(2)] if match else 0
        if publication_id not in newest or seconds > newest[publication_id][0]:
            newest[publication_id] = (seconds, taken_at, metrics or {})
    for publication_id, (seconds, taken_at, metrics) in newest.items():
        bind.execute(publications.update().where(publications.c.id == publication_id).values(
            stats=metrics, stats_offset_seconds=seconds, stats_at=taken_at, impressions=metrics.get('impressions'),
            reach=metrics.get('reach'), engagements=metrics.get('engagements')))


def downgrade() -> None:
    op.drop_index('ix_publications_brand_published', table_name='publications')
    with op.batch_alter_table('publications') as batch:
        batch.drop_column('engagements')
        batch.drop_column('reach')
        batch.drop_column('impressions')
        batch.drop_column('stats_at')
        batch.drop_column('stats_offset_seconds')
        batch.drop_column('stats')
    op.drop_index(op.f('ix_account_days_location_id'), table_name='account_days')
    op.drop_index('ix_account_days_brand_day', table_name='account_days')
    op.drop_table('account_days')
    op.drop_index(op.f('ix_location_scores_brand_id'), table_name='location_scores')
    op.drop_table('location_scores')
    op.drop_table('scoreboards')
