"""indexes for calendars and translation memory

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_proposals_brand_publish_at', 'proposals', ['brand_id', 'publish_at'], unique=False)
    op.create_index('ix_translation_memory_brand_target', 'translation_memory', ['brand_id', 'target_locale', 'created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_translation_memory_brand_target', table_name='translation_memory')
    op.drop_index('ix_proposals_brand_publish_at', table_name='proposals')
