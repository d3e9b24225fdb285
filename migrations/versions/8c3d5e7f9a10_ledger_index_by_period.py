"""ledger entries indexed by unit and period

Revision ID: 8c3d5e7f9a10
Revises: 5b1e0c7d9a42
Create Date: 2026-11-21 11:05:00.000000

Statements, the simulated month's "already posted?" check and the ledger page all select a
unit's entries by period; the old (unit, booking date) index made them read the unit's whole
history. The new index keeps the unit prefix, so whole-account scans use it as before.
"""
from alembic import op

revision = '8c3d5e7f9a10'
down_revision = '5b1e0c7d9a42'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_ledger_entry_unit_period', 'ledger_entry',
                    ['tenant_id', 'unit_id', 'period', 'booking_date'])
    op.drop_index('ix_ledger_entry_unit_booking', table_name='ledger_entry')


def downgrade():
    op.create_index('ix_ledger_entry_unit_booking', 'ledger_entry',
                    ['tenant_id', 'unit_id', 'booking_date'])
    op.drop_index('ix_ledger_entry_unit_period', table_name='ledger_entry')
