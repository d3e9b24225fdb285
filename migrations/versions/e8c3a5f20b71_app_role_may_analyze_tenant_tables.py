"""the app role may refresh a tenant table's planner statistics (iok_analyze)

Revision ID: e8c3a5f20b71
Revises: d2b7f4e91a58
Create Date: 2026-12-04 17:05:00.000000

An import of 10 000 rows or more ends with ANALYZE of the table it wrote, so that the next
dataset of the same import (and the next import) plans on the new rows. The app role owns
no table, and PostgreSQL answered its ANALYZE with a warning and did nothing. The owner's
SECURITY DEFINER function iok_analyze(table) does it for tenant tables only
(rls.analyze_function_statements).
"""
from alembic import op

from iok_saas.tenancy import rls

revision = 'e8c3a5f20b71'
down_revision = 'd2b7f4e91a58'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return  # SQLite has no roles; imports refresh statistics on PostgreSQL only
    for statement in rls.analyze_function_statements():
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute("DROP FUNCTION IF EXISTS iok_analyze(text)")
