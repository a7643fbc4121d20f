"""calendar feeds

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26

The version of each location's private calendar feed link: rotating it revokes the links given out.
"""

from alembic import op
import sqlalchemy as sa
import hub.db

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'calendar_feeds',
        sa.Column('location_id', sa.String(length=32), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('rotated_at', hub.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('rotated_by', sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_calendar_feeds_location_id_locations'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['rotated_by'], ['users.id'], name=op.f('fk_calendar_feeds_rotated_by_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('location_id', name=op.f('pk_calendar_feeds')),
    )


def downgrade() -> None:
    op.drop_table('calendar_feeds')
