"""tenant offboarding: the date a tenant scheduled for deletion is purged

Revision ID: b8d41f0e2c67
Revises: b3f1c7d9e2a4
Create Date: 2026-12-03 16:40:00.000000

``tenant.deletion_due`` is set when the operator schedules a tenant's deletion after its data
were exported (GDPR art. 28(3)(g)); ``flask offboarding purge`` deletes tenants whose date
has passed. A platform table: no row-level security.
"""
import sqlalchemy as sa
from alembic import op

revision = 'b8d41f0e2c67'
down_revision = 'b3f1c7d9e2a4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tenant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deletion_due', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('tenant', schema=None) as batch_op:
        batch_op.drop_column('deletion_due')
