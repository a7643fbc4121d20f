"""post videos and network options

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26

Batch mode so SQLite (which cannot add a foreign key in place) rebuilds the table.
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('post_revisions') as batch:
        batch.add_column(sa.Column('video_id', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('options', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'),
                                   nullable=False, server_default=sa.text("'{}'")))
        batch.create_foreign_key(op.f('fk_post_revisions_video_id_media'), 'media', ['video_id'], ['id'],
                                 ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('post_revisions') as batch:
        batch.drop_constraint(op.f('fk_post_revisions_video_id_media'), type_='foreignkey')
        batch.drop_column('options')
        batch.drop_column('video_id')
