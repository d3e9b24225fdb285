"""row-level security reads the tenant settings once per statement

Revision ID: c3f1a7d2e845
Revises: 8c3d5e7f9a10
Create Date: 2026-11-21 17:00:00.000000

The isolation policy called current_setting() twice for every row a statement read; the
new one (rls.ROW_VISIBLE) reads each setting in a scalar subquery, evaluated once per
statement. Same rows admitted, same tables: every table that has the policy gets the new one.
"""
from alembic import op
from sqlalchemy import text

from iok_saas.tenancy import rls

revision = 'c3f1a7d2e845'
down_revision = '8c3d5e7f9a10'
branch_labels = None
depends_on = None

PER_ROW = (
    "tenant_id = NULLIF(current_setting('iok.tenant_id', true), '')::integer "
    "OR current_setting('iok.cross_tenant', true) = 'on'"
)


def _recreate_policies(row_visible):
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql':
        return  # SQLite (the embedded default) has no row-level security
    tables = bind.execute(text(
        "SELECT c.relname FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND p.polname = :name ORDER BY 1"),
        {"name": rls.POLICY_NAME}).scalars().all()
    for table in tables:
        for statement in rls.enable_statements(table, row_visible):
            op.execute(statement)


def upgrade():
    _recreate_policies(rls.ROW_VISIBLE)


def downgrade():
    _recreate_policies(PER_ROW)
