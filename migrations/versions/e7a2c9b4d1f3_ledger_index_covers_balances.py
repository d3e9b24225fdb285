"""the ledger's unit-and-period index covers the balance's columns (PostgreSQL)

Revision ID: e7a2c9b4d1f3
Revises: c3f1a7d2e845
Create Date: 2026-11-21 17:45:00.000000

The balance and the month list sum or scan a flat's whole history; with component and
amount in the index (INCLUDE), PostgreSQL answers from the index alone. SQLite has no
INCLUDE: its index stays as it is.
"""
from alembic import op

revision = 'e7a2c9b4d1f3'
down_revision = 'c3f1a7d2e845'
branch_labels = None
depends_on = None

NAME, COLUMNS = 'ix_ledger_entry_unit_period', ['tenant_id', 'unit_id', 'period', 'booking_date']


def _recreate(**include):
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.drop_index(NAME, table_name='ledger_entry')
    op.create_index(NAME, 'ledger_entry', COLUMNS, **include)


def upgrade():
    _recreate(postgresql_include=['component', 'amount'])


def downgrade():
    _recreate()
