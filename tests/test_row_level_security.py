"""PostgreSQL row-level security, the wall behind the ORM scoping: raw SQL run by the
application's role sees and writes only the tenant of the current transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, ProgrammingError

from iok_saas import create_app
from iok_saas.extensions import db
from iok_saas.modules.audit.services import Actor
from iok_saas.modules.tenants.services import sync_from_files
from iok_saas.tenancy import cross_tenant, rls, tenant_scope, tenant_table_names

from .conftest import APP_ROLE, build_schema, ensure_postgres_database
from .factories import active_resident, tenant

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def owner_url(request) -> str:
    from .services import require_service, worker_database

    url = make_url(require_service("postgres")).set(database=worker_database("iok_rls_test"))
    rendered = url.render_as_string(hide_password=False)
    ensure_postgres_database(rendered)
    return rendered


@pytest.fixture
def rls_app(owner_url, tmp_path):
    """The app on its own PostgreSQL database, connected as the application role with a
    one-connection pool, so every test reuses the same server connection."""
    app_url = build_schema(owner_url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": app_url, "TESTING": True,
                      "IOK_VAR_DIR": tmp_path,
                      "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 1, "max_overflow": 0}})
    with app.app_context():
        sync_from_files(app.config["IOK_TENANTS_DIR"], app.config["IOK_POLICIES_DIR"],
                        Actor.cli("test"))
        db.session.commit()
        active_resident("brzeg", first="Ala")
        active_resident("kuzniki", first="Ola")
        db.session.close()  # give the pool's only connection back
        yield app
        db.session.remove()
        db.engine.dispose()


def _count_persons(conn) -> int:
    return conn.execute(text("SELECT count(*) FROM person")).scalar_one()


def test_the_app_role_owns_nothing_and_cannot_bypass_rls(rls_app):
    with db.engine.connect() as conn:
        role = conn.execute(text("SELECT rolname, rolsuper, rolbypassrls FROM pg_roles "
                                 "WHERE rolname = current_user")).one()
        owned = conn.execute(text("SELECT count(*) FROM pg_tables WHERE tableowner = "
                                  "current_user")).scalar_one()
    assert role == (APP_ROLE, False, False)
    assert owned == 0


def test_every_tenant_table_is_forced_under_the_isolation_policy(rls_app):
    with db.engine.connect() as conn:
        assert rls.tables_without_rls(conn, tenant_table_names()) == []
    assert {"person", "unit", "ledger_entry", "resident_account"} <= set(tenant_table_names())


def test_raw_sql_without_a_tenant_sees_no_rows(rls_app):
    with db.engine.connect() as conn:
        assert _count_persons(conn) == 0
        assert conn.execute(text("SELECT count(*) FROM resident_account")).scalar_one() == 0


def test_raw_sql_in_a_tenant_sees_that_tenant_only(rls_app):
    brzeg, kuzniki = tenant("brzeg"), tenant("kuzniki")
    with tenant_scope(brzeg), db.engine.connect() as conn:
        names = conn.execute(text("SELECT first_name, tenant_id FROM person")).all()
    assert names == [("Ala", brzeg.id)]
    with tenant_scope(kuzniki), db.engine.connect() as conn:
        assert conn.execute(text("SELECT first_name FROM person")).scalars().all() == ["Ola"]
    with cross_tenant("test: the platform sees both"), db.engine.connect() as conn:
        assert _count_persons(conn) == 2


def test_a_pooled_connection_reused_after_a_tenant_transaction_sees_nothing(rls_app):
    with tenant_scope(tenant("brzeg")), db.engine.connect() as conn:
        first = conn.connection.dbapi_connection
        assert _count_persons(conn) == 1
        conn.commit()
    with db.engine.connect() as conn:
        assert conn.connection.dbapi_connection is first  # the same server connection
        assert _count_persons(conn) == 0


def test_a_setting_does_not_survive_a_rolled_back_transaction(rls_app):
    with db.engine.connect() as conn:
        with tenant_scope(tenant("brzeg")):
            assert _count_persons(conn) == 1
        conn.rollback()
        assert _count_persons(conn) == 0


def test_a_savepoint_rolled_back_after_an_error_keeps_the_transaction_and_tenant(rls_app):
    """A write refused inside a savepoint (a concurrent first insert, an import's attempt)
    is undone alone: the transaction goes on, in the same tenant, seeing its rows."""
    brzeg = tenant("brzeg")
    with tenant_scope(brzeg):
        assert _count_persons(db.session.connection()) == 1
        savepoint = db.session.begin_nested()
        with pytest.raises(IntegrityError, match="not-null"):
            db.session.connection().execute(text(
                "INSERT INTO person (tenant_id, external_id, first_name, last_name) "
                "VALUES (:t, NULL, 'Bez', 'Numeru')"), {"t": brzeg.id})
        savepoint.rollback()
        names = db.session.connection().execute(text("SELECT first_name FROM person"))
        assert names.scalars().all() == ["Ala"]
        db.session.rollback()


def test_inserting_a_row_for_another_tenant_fails(rls_app):
    brzeg, kuzniki = tenant("brzeg"), tenant("kuzniki")
    with (tenant_scope(brzeg), db.engine.connect() as conn,
          pytest.raises(ProgrammingError, match="row-level security")):
        conn.execute(text("INSERT INTO person (tenant_id, external_id, first_name, last_name) "
                          "VALUES (:t, 'X1', 'Obcy', 'Wpis')"), {"t": kuzniki.id})


# A row of each kind, pointing at a parent row (``:p``) of the table named first.
ROWS_WITH_A_PARENT = {
    "ledger_entry": ("unit", "INSERT INTO ledger_entry (tenant_id, external_id, unit_id, "
                     "booking_date, period, kind, title, amount) VALUES (:t, :x, :p, "
                     "'2026-11-05', '2026-11-01', 'charge', 'Opłata', 10.00)"),
    "unit_share": ("unit", "INSERT INTO unit_share (tenant_id, external_id, unit_id, share) "
                   "VALUES (:t, :x, :p, 0.5)"),
    "charge_notice": ("unit", "INSERT INTO charge_notice (tenant_id, external_id, unit_id, "
                      "period, due_day) VALUES (:t, :x, :p, '2026-11-01', 15)"),
    "meter": ("unit", "INSERT INTO meter (tenant_id, external_id, unit_id, serial_number, kind) "
              "VALUES (:t, :x, :p, 'WM-1', 'cold_water')"),
    "title": ("person", "INSERT INTO title (tenant_id, external_id, person_id, unit_id, kind, "
              "valid_from) SELECT :t, :x, :p, id, 'owner', '2026-01-01' FROM unit"),
    "notice_consent": ("resident_account", "INSERT INTO notice_consent (tenant_id, account_id, "
                       "version, given_at) VALUES (:t, :p, :x, now())"),
    "email_change": ("resident_account", "INSERT INTO email_change (tenant_id, account_id, "
                     "token_hash, new_email, requested_at, expires_at) VALUES (:t, :p, :x, "
                     "'nowy@example.org', now(), now() + interval '1 day')"),
}


@pytest.mark.parametrize("table", sorted(ROWS_WITH_A_PARENT))
def test_a_row_cannot_point_at_another_tenants_parent(rls_app, table):
    """Beneath scoping and RLS, a co-located key (tenant_id, x_id) -> x(tenant_id, id)
    refuses a row of one tenant that points at another tenant's flat, person or account."""
    parent, insert = ROWS_WITH_A_PARENT[table]
    parent_id = text(f"SELECT id FROM {parent}")  # noqa: S608 — a name from the table above
    brzeg, kuzniki = tenant("brzeg"), tenant("kuzniki")
    with tenant_scope(kuzniki), db.engine.connect() as conn:
        foreign = conn.execute(parent_id).scalar_one()
    with tenant_scope(brzeg), db.engine.connect() as conn:
        own = conn.execute(parent_id).scalar_one()
        conn.execute(text(insert), {"t": brzeg.id, "x": "R1", "p": own})
        with pytest.raises(IntegrityError, match=f"fk_{table}_tenant_id_{parent}"):
            conn.execute(text(insert), {"t": brzeg.id, "x": "R2", "p": foreign})


def test_the_ledger_keys_check_finds_the_flat_by_the_whole_key(rls_app):
    """The check PostgreSQL runs for each ledger row written (as its generic plan, on a unit
    table without statistics, as after a tenant's first import) looks the flat up by
    (tenant_id, id); with a tenant_id index beside the key it filtered the tenant's flats one
    by one, and a 100 000-row import over 2 000 flats ran ~5 times slower."""
    with tenant_scope(tenant("brzeg")), db.engine.begin() as conn:
        conn.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
        conn.execute(text("PREPARE ledger_key(smallint, integer) AS SELECT 1 FROM ONLY unit x "
                          "WHERE tenant_id = $1 AND id = $2 FOR KEY SHARE OF x"))
        plan = "\n".join(conn.execute(text("EXPLAIN EXECUTE ledger_key(1, 1)")).scalars())
        conn.execute(text("DEALLOCATE ledger_key"))
    assert "Index Cond: ((tenant_id = $1) AND (id = $2))" in plan, plan


def test_the_app_role_may_analyse_tenant_tables_and_nothing_else(rls_app):
    with tenant_scope(tenant("brzeg")), db.engine.begin() as conn:
        rls.analyze(conn, "unit")
        assert conn.execute(text("SELECT reltuples FROM pg_class "
                                 "WHERE relname = 'unit'")).scalar_one() >= 1
    with db.engine.begin() as conn, pytest.raises(
            ProgrammingError, match="tenant is not a tenant table"):
        rls.analyze(conn, "tenant")


def test_updating_another_tenants_rows_touches_nothing(rls_app):
    with tenant_scope(tenant("brzeg")), db.engine.begin() as conn:
        changed = conn.execute(text("UPDATE person SET last_name = 'Zmieniony' "
                                    "WHERE first_name = 'Ola'")).rowcount
    assert changed == 0
    with tenant_scope(tenant("kuzniki")), db.engine.connect() as conn:
        assert conn.execute(text("SELECT last_name FROM person")).scalar_one() != "Zmieniony"


def test_the_owner_connection_is_not_the_apps(owner_url, rls_app):
    """The schema owner (a superuser here) is what migrations use; the app never is."""
    owner = create_engine(owner_url)
    with owner.connect() as conn:
        assert conn.execute(text("SELECT current_user")).scalar_one() != APP_ROLE
    owner.dispose()


def test_page_views_keep_their_prepared_statements(rls_app):
    """Read-only requests end with COMMIT (iok_saas/transactions.py), so psycopg's prepared
    statements survive them: after a few views the server holds the page's plans."""
    from .conftest import HostClient
    from .factories import sign_in_resident

    with rls_app.app_context():
        login = active_resident("brzeg", first="Ewa").login
        db.session.close()
    rls_app.config["WTF_CSRF_ENABLED"] = False  # as the suite's app fixture: a plain POST
    rls_app.test_client_class = HostClient
    client = sign_in_resident(rls_app.test_client(host="brzeg.localhost"), login)
    for _ in range(7):
        assert client.get("/konto/saldo/").status_code == 200
    with rls_app.app_context():  # the pool's only connection: the one the pages used
        prepared = db.session.execute(text(
            "SELECT statement FROM pg_prepared_statements")).scalars().all()
        db.session.close()
    # The page's three statements and the tenancy settings made before each transaction.
    assert sorted(_known_as(statement) for statement in prepared) == [
        "FROM ledger_entry", "FROM unit JOIN association", "FROM user_session", "set_config("]


def _known_as(statement: str) -> str:
    """The part that names one of the page's statements (else the whole statement)."""
    marks = ("FROM ledger_entry", "FROM unit JOIN association", "FROM user_session",
             "set_config(")
    return next((mark for mark in marks if mark in statement), statement)
