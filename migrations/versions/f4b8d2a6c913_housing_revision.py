"""housing_revision: a per-tenant stamp replaced whenever housing data change

Revision ID: f4b8d2a6c913
Revises: e7a2c9b4d1f3
Create Date: 2026-11-21 20:30:00.000000

The residents' units are memoised per worker under this stamp (iok_saas/modules/housing/
held.py). No row is created here: a tenant gets its stamp with its next import that
changes associations, units or titles, and is simply not memoised until then.
"""
import sqlalchemy as sa
from alembic import op

from iok_saas.tenancy import rls

revision = 'f4b8d2a6c913'
down_revision = 'e7a2c9b4d1f3'
branch_labels = None
depends_on = None

TABLE = 'housing_revision'


def upgrade():
    op.create_table(
        TABLE,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('stamp', sa.String(length=32), nullable=False),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'],
                                name=op.f('fk_housing_revision_tenant_id_tenant'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_housing_revision')),
        sa.UniqueConstraint('tenant_id', name=op.f('uq_housing_revision_tenant_id')),
    )
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_housing_revision_tenant_id'), ['tenant_id'],
                              unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        for statement in rls.enable_statements(TABLE):
            op.execute(statement)


def downgrade():
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_housing_revision_tenant_id'))
    op.drop_table(TABLE)
