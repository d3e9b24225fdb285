"""Shared fixtures: an app on a real database (SQLite by default, PostgreSQL when
IOK_TEST_DATABASE_URL says so), the shipped tenants synced from the repo's files, and
test clients bound to a host name."""

from __future__ import annotations

import contextvars
import os
import re
import sys
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from iok_saas import create_app
from iok_saas.config import REPO_ROOT
from iok_saas.extensions import db
from iok_saas.features import load_features
from iok_saas.modules.audit.services import Actor
from iok_saas.modules.tenants.services import sync_from_files
from iok_saas.tenancy import cross_tenant, rls, tenant_table_names

from . import housing_stamp
from .mailserver import MailServer
from .services import require_service, worker_database

# Every feature declared before any test compiles a policy: features bring tab names to the
# policy language (iok_saas.features), as they do when the app is built.
load_features()

TENANT_SLUGS = ("brzeg", "siarkowiec", "gdynia", "zielone-wzgorza", "kuzniki", "tczew",
                "sosnowiec", "skarbek")
# On PostgreSQL the app under test connects as this role: it owns nothing, bypasses nothing.
APP_ROLE = "iok_app_test"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item) -> None:
    housing_stamp.forget()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Any test whose set-up or body committed housing rows without replacing the housing
    stamp fails (tests/housing_stamp.py watches every statement of the suite)."""
    result = yield
    housing_stamp.check()
    return result


def configured_database_url() -> str | None:
    """IOK_TEST_DATABASE_URL, with a database of this pytest-xdist worker's own."""
    url = os.environ.get("IOK_TEST_DATABASE_URL")
    if not url:
        return None
    target = make_url(url)
    return target.set(database=worker_database(target.database)).render_as_string(
        hide_password=False)


def _database_url(tmp_path_factory) -> str:
    url = configured_database_url()
    if not url:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    ensure_postgres_database(url)
    return url


def ensure_postgres_database(url: str) -> None:
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                             {"n": target.database})
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


class ServiceCommitted(AssertionError):
    """A feature's service committed: only boundaries commit (iok_saas/transactions.py)."""


# Where the boundaries commit: a task run eagerly from inside a service is its own unit.
_BOUNDARIES = frozenset({"iok_saas.tasks", "iok_saas.routing", "iok_saas.cli"})
_SERVICE_MODULE = re.compile(r"^iok_saas\.modules\.\w+\.services$")


def _refuse_service_commits(_session) -> None:
    """The feature code nearest to the COMMIT decides: a services module may not commit
    (a view, command, task or the outbox's delivery may; an eager task run from inside a
    service is its own boundary)."""
    frame = sys._getframe(1)
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        if name in _BOUNDARIES:
            return
        if name.startswith("iok_saas.modules."):
            if _SERVICE_MODULE.match(name):
                raise ServiceCommitted(f"{name}.{frame.f_code.co_name} committed the session")
            return
        frame = frame.f_back


@pytest.fixture(scope="session", autouse=True)
def _services_never_commit():
    """For the whole suite: a COMMIT issued from inside a services module fails the test."""
    event.listen(Session, "before_commit", _refuse_service_commits)
    yield
    event.remove(Session, "before_commit", _refuse_service_commits)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    return build_schema(_database_url(tmp_path_factory))


def build_schema(url: str) -> str:
    """An empty schema at ``url``; returns the URL the app under test should use.

    On PostgreSQL the owner builds the schema and switches row-level security on; the app
    then connects as a role that owns nothing and cannot bypass RLS, as in production."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        db.drop_all()
        db.create_all()
        postgres = db.engine.dialect.name == "postgresql"
        if postgres:
            _secure_postgres_schema()
        db.engine.dispose()
    if not postgres:
        return url
    return make_url(url).set(username=APP_ROLE, password=None).render_as_string(
        hide_password=False)


def _secure_postgres_schema() -> None:
    with db.engine.begin() as conn:
        # Roles are cluster-wide: a parallel worker may create it between check and create.
        conn.execute(text(
            f"DO $$ BEGIN CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS; "
            "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"))
        rls.enable(conn, tenant_table_names())
        for statement in rls.grant_statements(APP_ROLE):
            conn.execute(text(statement))


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": database_url,
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        "IOK_VAR_DIR": tmp_path,
        "RATELIMIT_ENABLED": False,
        # Same-process changes invalidate at once; a long interval keeps tests deterministic.
        "IOK_TENANT_CACHE_SECONDS": 3600,
    })
    with app.app_context():
        _empty_all_tables()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _empty_all_tables() -> None:
    with cross_tenant("test set-up: start from empty tables"):
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()


@pytest.fixture
def synced(app):
    """The eight shipped tenants, loaded exactly as `flask tenants sync` loads them."""
    with app.app_context():
        report = sync_from_files(REPO_ROOT / "tenants", REPO_ROOT / "policies", Actor.cli("test"))
        assert not report.invalid_policies, report.invalid_policies
        db.session.commit()
    return app


class HostClient(FlaskClient):
    """A test client whose requests go to one host name, as a browser tab would."""

    def __init__(self, *args, host: str = "localhost", **kwargs):
        super().__init__(*args, **kwargs)
        self.host = host

    def open(self, *args, **kwargs):
        if args and isinstance(args[0], str):
            kwargs.setdefault("base_url", f"http://{self.host}")
        # A fresh context: each request gets its own app context, ``g`` and DB session,
        # as in a real server, even while the test body holds an app context open.
        return contextvars.Context().run(FlaskClient.open, self, *args, **kwargs)

    def session_transaction(self, *args, **kwargs):
        kwargs.setdefault("base_url", f"http://{self.host}")
        return super().session_transaction(*args, **kwargs)


@pytest.fixture
def host_client(app):
    """host_client('brzeg.localhost') -> a test client whose requests carry that Host."""
    app.test_client_class = HostClient

    def make(host: str) -> HostClient:
        return app.test_client(host=host)

    return make


@pytest.fixture
def resident_client(synced, host_client, ctx):
    """resident_client('kuzniki') -> (signed-in browser, Resident) with a fresh unit."""
    from .factories import active_resident, sign_in_resident

    def make(slug: str, **person):
        resident = active_resident(slug, **person)
        client = host_client(f"{slug}.localhost")
        return sign_in_resident(client, resident.login), resident

    return make


@pytest.fixture
def office_client(synced, host_client, ctx):
    """office_client('kuzniki', 'a.nowak') -> a staff member's signed-in browser."""
    from .factories import sign_in_staff, staff

    def make(slug: str, login: str = "biuro", department: str | None = None,
             role: str = "admin"):
        staff(slug, login, department, role)
        return sign_in_staff(host_client(f"{slug}.localhost"), login)

    return make


@pytest.fixture
def postgres_url() -> str:
    """A reachable PostgreSQL server's URL (skip, or fail in CI, when there is none)."""
    return require_service("postgres")


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture
def ctx(app):
    """An application context for the test body (requests push their own as usual)."""
    with app.app_context():
        yield


@pytest.fixture
def mail(app):
    """A real SMTP server on loopback, and the app sending its e-mail there."""
    server = MailServer().start()
    app.config.update(server.config())
    yield server
    server.stop()
