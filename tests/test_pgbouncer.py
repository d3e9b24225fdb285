"""Behind PgBouncer in transaction mode (as production runs): tenants that take turns on ONE
server connection never see each other's rows, settings or prepared statements."""

from __future__ import annotations

import importlib.util
import threading

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from iok_saas import create_app
from iok_saas.config import REPO_ROOT
from iok_saas.extensions import db
from iok_saas.modules.audit.services import Actor
from iok_saas.modules.notifications.models import StaffTask
from iok_saas.modules.tenants.services import sync_from_files
from iok_saas.tenancy import tenant_scope

from .conftest import APP_ROLE, build_schema, configured_database_url, ensure_postgres_database
from .factories import tenant
from .services import require_service

pytestmark = pytest.mark.postgres

ROUNDS = 60  # transactions per tenant
TASKS = {"kuzniki": 3, "brzeg": 5}  # rows per tenant: a leak changes the count


def _bench_module():
    spec = importlib.util.spec_from_file_location("pgbouncer_helper",
                                                  REPO_ROOT / "bench" / "pgbouncer.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bouncer():
    require_service("pgbouncer")
    require_service("postgres")
    with _bench_module().PrivatePgBouncer(pool_size=1, users=("postgres", APP_ROLE)) as running:
        yield running


@pytest.fixture(scope="module")
def owner_url():
    """A schema of its own (RLS on, the app role granted) on the test PostgreSQL server."""
    base = make_url(configured_database_url() or require_service("postgres"))
    if base.get_backend_name() != "postgresql":
        base = make_url(require_service("postgres"))
    url = base.set(username="postgres", database=f"{base.database}_pgbouncer"
                   if base.database != "postgres" else "iok_test_pgbouncer")
    rendered = url.render_as_string(hide_password=False)
    ensure_postgres_database(rendered)
    build_schema(rendered)
    return url


@pytest.fixture(scope="module")
def pooled_app(bouncer, owner_url):
    """The app as the RLS-bound role, through the one-server-connection PgBouncer, with
    psycopg's server-side prepared statements off (PgBouncer < 1.21 cannot carry them)."""
    url = bouncer.url(APP_ROLE, owner_url.database)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True,
                      "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 4,
                                                    "connect_args": {"prepare_threshold": None}},
                      "IOK_TENANT_CACHE_SECONDS": 3600})
    owner = create_app({"SQLALCHEMY_DATABASE_URI": owner_url.render_as_string(
        hide_password=False), "TESTING": True})
    with owner.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("TRUNCATE staff_task, tenant_host, tenant CASCADE"))
        sync_from_files(REPO_ROOT / "tenants", REPO_ROOT / "policies", Actor.cli("test"))
        db.session.commit()  # services leave the commit to their caller
        db.engine.dispose()
    with app.app_context():
        for slug, count in TASKS.items():
            with tenant_scope(tenant(slug)):
                db.session.add_all(StaffTask(department="board", kind="test",
                                             title=f"{slug} {n}", details="-")
                                   for n in range(count))
                db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_two_tenants_alternating_on_one_server_connection_see_only_their_rows(pooled_app):
    seen: dict[str, list] = {slug: [] for slug in TASKS}
    backends: set[int] = set()
    failures: list[BaseException] = []
    turn = threading.Barrier(len(TASKS))

    def tenant_loop(slug: str) -> None:
        try:
            with pooled_app.app_context():
                current = tenant(slug)
                for _ in range(ROUNDS):
                    turn.wait(timeout=30)  # both tenants ask at once: their turns interleave
                    with tenant_scope(current):
                        # No WHERE, on the session's connection (below the ORM's tenant
                        # criteria): row-level security alone decides what comes back, from
                        # the setting this very transaction made.
                        connection = db.session.connection()
                        rows = connection.execute(text(
                            "SELECT tenant_id, title, pg_backend_pid() FROM staff_task "
                            "ORDER BY title")).all()
                        setting = connection.scalar(text(
                            "SELECT current_setting('iok.tenant_id', true)"))
                        db.session.commit()
                    seen[slug].append((current.id, setting, rows))
                    backends.update(row[2] for row in rows)
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            failures.append(exc)
            turn.abort()

    threads = [threading.Thread(target=tenant_loop, args=(slug,)) for slug in TASKS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not failures, failures
    assert len(backends) == 1  # one server connection carried every transaction
    for slug, rounds in seen.items():
        assert len(rounds) == ROUNDS
        for tenant_id, setting, rows in rounds:
            assert setting == str(tenant_id)
            assert [(row[0], row[1]) for row in rows] == [
                (tenant_id, f"{slug} {n}") for n in range(TASKS[slug])]


def test_a_plain_set_would_leak_to_the_next_client_which_is_why_the_app_never_uses_one(
        bouncer, owner_url):
    """The harness can see a leak: session state does cross clients on one server
    connection. The app's transaction-local set_config(..., true) does not (above)."""
    url = bouncer.url(APP_ROLE, owner_url.database)
    engine = create_engine(url, connect_args={"prepare_threshold": None},
                           isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as first, engine.connect() as second:
            first.execute(text("SET iok.tenant_id = '4242'"))
            assert second.scalar(text("SELECT current_setting('iok.tenant_id', true)")) == "4242"
            first.execute(text("RESET iok.tenant_id"))
            first.execute(text("SELECT set_config('iok.tenant_id', '4242', true)"))
            assert second.scalar(
                text("SELECT current_setting('iok.tenant_id', true)")) in ("", None)
    finally:
        engine.dispose()


def test_repeated_statements_run_without_server_side_prepares(pooled_app):
    """psycopg prepares a statement after 5 runs unless told not to; through PgBouncer 1.18
    the app must not, and the same query many times over must just work."""
    with pooled_app.app_context(), tenant_scope(tenant("brzeg")):
        for _ in range(12):
            assert db.session.query(StaffTask).count() == TASKS["brzeg"]
            db.session.commit()
        prepared = db.session.scalar(text("SELECT count(*) FROM pg_prepared_statements"))
        db.session.commit()
    assert prepared == 0
