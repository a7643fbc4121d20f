"""translations

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26

Translations of posts per locale, the translation memory, a post revision's source locale,
and the locale and fallback chain of each proposal. Batch mode for SQLite.
"""

from alembic import op
import sqlalchemy as sa
import hub.db
from sqlalchemy import Text  # noqa: F401  (used by JSONB columns)
from sqlalchemy.dialects import postgresql

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('translation_memory',
    sa.Column('brand_id', sa.String(length=32), nullable=False),
    sa.Column('source_locale', sa.String(length=20), nullable=False),
    sa.Column('target_locale', sa.String(length=20), nullable=False),
    sa.Column('source_text', sa.Text(), nullable=False),
    sa.Column('source_hash', sa.String(length=64), nullable=False),
    sa.Column('target_text', sa.Text(), nullable=False),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('created_at', hub.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_translation_memory_brand_id_brands'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_translation_memory')),
    sa.UniqueConstraint('brand_id', 'source_locale', 'target_locale', 'source_hash', name='uq_translation_memory_source')
    )
    op.create_table('translations',
    sa.Column('brand_id', sa.String(length=32), nullable=False),
    sa.Column('post_id', sa.String(length=32), nullable=False),
    sa.Column('locale', sa.String(length=20), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('variants', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('author_kind', sa.String(length=20), nullable=False),
    sa.Column('written_by', sa.String(length=32), nullable=True),
    sa.Column('approved_by', sa.String(length=32), nullable=True),
    sa.Column('approved_at', hub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('source_revision', sa.Integer(), nullable=False),
    sa.Column('stale', sa.Boolean(), nullable=False),
    sa.Column('source_diff', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('updated_at', hub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('created_at', hub.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['approved_by'], ['users.id'], name=op.f('fk_translations_approved_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_translations_brand_id_brands'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_translations_post_id_posts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['written_by'], ['users.id'], name=op.f('fk_translations_written_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_translations')),
    sa.UniqueConstraint('post_id', 'locale', name=op.f('uq_translations_post_id_locale'))
    )
    op.create_index(op.f('ix_translations_brand_id'), 'translations', ['brand_id'], unique=False)
    with op.batch_alter_table('post_revisions') as batch:
        batch.add_column(sa.Column('source_locale', sa.String(length=20), nullable=True))
    with op.batch_alter_table('proposals') as batch:
        batch.add_column(sa.Column('locale', sa.String(length=20), nullable=True))
        batch.add_column(sa.Column('fallback', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'),
                                   nullable=False, server_default=sa.text("'[]'")))


def downgrade() -> None:
    with op.batch_alter_table('proposals') as batch:
        batch.drop_column('fallback')
        batch.drop_column('locale')
    with op.batch_alter_table('post_revisions') as batch:
        batch.drop_column('source_locale')
    op.drop_index(op.f('ix_translations_brand_id'), table_name='translations')
    op.drop_table('translations')
    op.drop_table('translation_memory')
