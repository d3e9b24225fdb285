"""ledger entries refer to their unit by (tenant_id, unit_id): one co-located foreign key

Revision ID: c5e9a1d3f720
Revises: b8d41f0e2c67
Create Date: 2026-12-04 13:30:00.000000

Replaces the ledger's two single-column foreign keys (tenant_id -> tenant, unit_id -> unit)
with one (tenant_id, unit_id) -> unit(tenant_id, id): the database itself refuses an entry
whose unit belongs to another tenant, an import checks one key a row instead of two, and the
key is one Citus accepts between co-located tables (``flask db distribution-check``). The
tenant_id index goes too: both remaining indexes lead with tenant_id.
"""
from alembic import op

revision = 'c5e9a1d3f720'
down_revision = 'b8d41f0e2c67'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_unit_tenant_id_id', ['tenant_id', 'id'])
    with op.batch_alter_table('ledger_entry', schema=None) as batch_op:
        batch_op.drop_constraint('fk_ledger_entry_unit_id_unit', type_='foreignkey')
        batch_op.drop_constraint('fk_ledger_entry_tenant_id_tenant', type_='foreignkey')
        batch_op.drop_index('ix_ledger_entry_tenant_id')
        batch_op.create_foreign_key('fk_ledger_entry_tenant_id_unit', 'unit',
                                    ['tenant_id', 'unit_id'], ['tenant_id', 'id'])


def downgrade():
    with op.batch_alter_table('ledger_entry', schema=None) as batch_op:
        batch_op.drop_constraint('fk_ledger_entry_tenant_id_unit', type_='foreignkey')
        batch_op.create_index('ix_ledger_entry_tenant_id', ['tenant_id'], unique=False)
        batch_op.create_foreign_key('fk_ledger_entry_tenant_id_tenant', 'tenant',
                                    ['tenant_id'], ['id'], ondelete='CASCADE')
        batch_op.create_foreign_key('fk_ledger_entry_unit_id_unit', 'unit',
                                    ['unit_id'], ['id'])
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_constraint('uq_unit_tenant_id_id', type_='unique')
