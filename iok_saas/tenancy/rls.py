"""PostgreSQL row-level security: the second wall behind the ORM scoping.

Every tenant-owned table gets ENABLE + FORCE ROW LEVEL SECURITY and one policy that admits a
row only when its ``tenant_id`` equals the transaction's ``iok.tenant_id`` setting (or the
code runs inside ``cross_tenant(...)``, which sets ``iok.cross_tenant``). The settings are
made with ``set_config(..., true)``: they live for one transaction only, so a pooled
connection never carries one tenant's setting into the next checkout.

The application connects as a role that owns no table and has no BYPASSRLS; migrations run
as the owner role (see deploy/README.md).
"""

from __future__ import annotations

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import Pool

from .context import cross_tenant_active, current_tenant_or_none

TENANT_SETTING = "iok.tenant_id"
CROSS_TENANT_SETTING = "iok.cross_tenant"
POLICY_NAME = "tenant_isolation"
_APPLIED = "iok_rls_settings"
_SET_SQL = (f"SELECT set_config('{TENANT_SETTING}', %s, true), "
            f"set_config('{CROSS_TENANT_SETTING}', %s, true)")
# Each setting is read in a scalar subquery: PostgreSQL runs it once per statement (an
# InitPlan) instead of calling current_setting() twice for every row the statement reads;
# a balance summing a flat's whole history reads hundreds of rows.
ROW_VISIBLE = (
    f"tenant_id = (SELECT NULLIF(current_setting('{TENANT_SETTING}', true), '')::integer) "
    f"OR (SELECT current_setting('{CROSS_TENANT_SETTING}', true) = 'on')"
)


def enable_statements(table: str, row_visible: str = ROW_VISIBLE) -> list[str]:
    """ENABLE + FORCE row-level security on ``table`` and (re)create its policy."""
    return [
        f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY',
        f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY',
        f'DROP POLICY IF EXISTS {POLICY_NAME} ON "{table}"',
        f'CREATE POLICY {POLICY_NAME} ON "{table}" USING ({row_visible}) '
        f"WITH CHECK ({row_visible})",
    ]


def disable_statements(table: str) -> list[str]:
    return [
        f'DROP POLICY IF EXISTS {POLICY_NAME} ON "{table}"',
        f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY',
        f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY',
    ]


def grant_statements(role: str) -> list[str]:
    """What the application role may do: data only, on today's and tomorrow's tables."""
    quoted = '"' + role.replace('"', '""') + '"'
    return [
        f"GRANT USAGE ON SCHEMA public TO {quoted}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {quoted}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {quoted}",
    ]


def analyze_function_statements() -> list[str]:
    """The owner's function ``iok_analyze(table)``: ANALYZE is a table owner's right, and
    the app role owns nothing (its own ANALYZE after a bulk import only warned and did
    nothing). The function refreshes the statistics of a tenant table (forced row-level
    security, public schema) and of nothing else; an import calls it so that its next
    statements plan on the rows just written. EXECUTE stays with PUBLIC (PostgreSQL's
    default), so an app role granted before this function existed may call it too."""
    return ["""CREATE OR REPLACE FUNCTION iok_analyze(table_name text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                   WHERE n.nspname = 'public' AND c.relname = table_name
                   AND c.relkind = 'r' AND c.relforcerowsecurity) THEN
        RAISE EXCEPTION 'iok_analyze: % is not a tenant table', table_name
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    EXECUTE format('ANALYZE public.%I', table_name);
END $$"""]


def analyze(connection: Connection, table: str) -> None:
    """Fresh planner statistics of one tenant table, as the owner (see above)."""
    connection.execute(text("SELECT iok_analyze(:table)"), {"table": table})


def enable(connection: Connection, tables: list[str]) -> None:
    """Row-level security on ``tables``, and the owner's analyze function the app uses."""
    for table in tables:
        for statement in enable_statements(table):
            connection.execute(text(statement))
    for statement in analyze_function_statements():
        connection.execute(text(statement))


def tables_without_rls(connection: Connection, tables: list[str]) -> list[str]:
    """Tenant tables lacking ENABLE + FORCE or the isolation policy (for checks and tests)."""
    rows = connection.execute(text(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relrowsecurity AND c.relforcerowsecurity "
        "AND EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid "
        "AND p.polname = :name)"), {"name": POLICY_NAME}).scalars()
    protected = set(rows)
    return sorted(set(tables) - protected)


def _wanted_settings() -> tuple[str, str]:
    tenant = current_tenant_or_none()
    return (str(tenant.id) if tenant is not None else "",
            "on" if cross_tenant_active() else "off")


# They touch no rows, and a rollback to a savepoint must run in a transaction that an error
# has aborted, where setting the tenant first would fail (the settings are applied again by
# the next statement: rolling back forgets them, below).
_SAVEPOINT_STATEMENTS = ("SAVEPOINT ", "ROLLBACK TO SAVEPOINT ", "RELEASE SAVEPOINT ")


@event.listens_for(Engine, "before_cursor_execute")
def _apply_tenant_settings(conn, cursor, statement, parameters, context, executemany):
    """Before a statement, make the transaction's settings match the code's tenant scope."""
    if conn.dialect.name != "postgresql" or statement.startswith(_SAVEPOINT_STATEMENTS):
        return
    wanted = _wanted_settings()
    if conn.info.get(_APPLIED) != wanted:
        cursor.execute(_SET_SQL, wanted)
        conn.info[_APPLIED] = wanted


def _forget_settings(conn, *_args) -> None:
    conn.info.pop(_APPLIED, None)


# Transaction-local settings end with the transaction (or a rolled-back savepoint).
for _name in ("commit", "rollback", "rollback_savepoint"):
    event.listen(Engine, _name, _forget_settings)


@event.listens_for(Pool, "checkin")
def _forget_on_checkin(_dbapi_connection, connection_record) -> None:
    connection_record.info.pop(_APPLIED, None)
