"""charge notices supplied as ready PDFs by the manager's system

Revision ID: b3f1c7d9e2a4
Revises: e5a19c3f7b20
Create Date: 2026-12-03 16:30:00.000000

``charge_notice.pdf_sha256``: set when the manager supplied the unit's notice as a PDF (kept
under ``IOK_VAR_DIR/notices/<tenant id>/<sha256>.pdf``); the platform serves and attaches
that file instead of rendering one from the notice's lines. No new table, so the existing
RLS policy of ``charge_notice`` covers it.
"""
import sqlalchemy as sa
from alembic import op

revision = 'b3f1c7d9e2a4'
down_revision = 'e5a19c3f7b20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('charge_notice') as batch:
        batch.add_column(sa.Column('pdf_sha256', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('charge_notice') as batch:
        batch.drop_column('pdf_sha256')
