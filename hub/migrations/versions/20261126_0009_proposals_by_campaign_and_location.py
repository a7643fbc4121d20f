"""proposals by campaign and location (the approval matrix)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""

from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The approval matrix asks which locations have a live proposal in a campaign (its count, its page of 50
    # in code order, their cells): answered from the index alone, status included, on PostgreSQL.
    op.create_index('ix_proposals_campaign_location', 'proposals', ['campaign_id', 'location_id'], unique=False,
                    postgresql_include=['status'])


def downgrade() -> None:
    op.drop_index('ix_proposals_campaign_location', table_name='proposals')
