"""row-level security on every tenant table (PostgreSQL)

Revision ID: 5b1e0c7d9a42
Revises: 2fe15deb9610
Create Date: 2026-11-21 08:15:00.000000

A table added later gets its own ``rls.enable_statements`` in the migration that creates
it; ``flask security check`` and tests/test_migrations.py fail while one lacks them.
"""
from alembic import op

from iok_saas.tenancy import rls

revision = '5b1e0c7d9a42'
down_revision = '2fe15deb9610'
branch_labels = None
depends_on = None

# The tenant-owned tables as of this revision (a snapshot: later tables are not listed here).
TENANT_TABLES = (
    'account_block', 'announcement', 'announcement_target', 'api_token', 'application',
    'association', 'audit_event', 'charge_schedule', 'contact_correction', 'court_case',
    'fault_event', 'fault_photo', 'fault_report', 'import_run', 'land_cost', 'ledger_entry',
    'login_attempt', 'membership', 'meter', 'meter_reading', 'occupants_change',
    'outbox_message', 'password_history', 'person', 'resident_account', 'service_charge',
    'staff_member', 'staff_task', 'title', 'unit', 'user_session',
)


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return  # SQLite (the embedded default) has no row-level security
    for table in TENANT_TABLES:
        for statement in rls.enable_statements(table):
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table in TENANT_TABLES:
        for statement in rls.disable_statements(table):
            op.execute(statement)
