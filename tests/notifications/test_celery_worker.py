"""The outbox with a real Celery worker (and beat) on Redis, a real SMTP server on
loopback, and the real database: delivery after commit, a broker outage, a killed worker."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from sqlalchemy import select

from iok_saas import create_app
from iok_saas.config import REPO_ROOT, _celery_settings
from iok_saas.extensions import db
from iok_saas.modules.accounts import services as accounts
from iok_saas.modules.audit.services import Actor
from iok_saas.modules.notifications.models import OutboxMessage
from iok_saas.modules.staff.models import StaffMember
from iok_saas.modules.tenants.services import sync_from_files
from iok_saas.tenancy import cross_tenant, tenant_scope

from ..factories import resident, tenant
from ..mailserver import MailServer
from ..polling import eventually, exactly
from ..services import worker_redis

pytestmark = pytest.mark.redis

LEASE_SECONDS = 4
# The workers sweep every second for rows left a second (IOK_OUTBOX_SWEEP_*): a duplicate
# sending shows within this many seconds of the first delivery.
SWEEP_WINDOW = 3


@pytest.fixture
def broker_url():
    url = worker_redis(purpose=1)
    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture
def mail():
    server = MailServer().start()
    yield server
    server.stop()


def producer_app(database_url, tmp_path, broker_url, mail):
    """The web side: publishes to ``broker_url`` instead of running tasks in-process."""
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "IOK_VAR_DIR": tmp_path,
        "CELERY": _celery_settings(broker_url), "IOK_TENANT_CACHE_SECONDS": 0,
        **mail.config(),
    })
    return app


class Worker:
    """`celery worker -B` in its own process, configured only through the environment."""

    def __init__(self, database_url: str, broker_url: str, mail: MailServer, var_dir: Path,
                 name: str):
        self.env = {**os.environ, "IOK_DATABASE_URL": database_url, "IOK_REDIS_URL": broker_url,
                    "IOK_VAR_DIR": str(var_dir), "IOK_MAIL_TRANSPORT": "smtp",
                    "IOK_SMTP_HOST": "127.0.0.1", "IOK_SMTP_PORT": str(mail.port),
                    "IOK_OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
                    "IOK_OUTBOX_SWEEP_SECONDS": "1", "IOK_OUTBOX_SWEEP_GRACE_SECONDS": "1",
                    "IOK_TENANT_CACHE_SECONDS": "0"}
        self.var_dir = var_dir
        self.name = name
        self.process: subprocess.Popen | None = None

    @property
    def log_path(self) -> Path:
        return self.var_dir / f"{self.name}.log"

    def start(self) -> Worker:
        celery = Path(sys.executable).with_name("celery")
        self.log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [str(celery), "-A", "iok_saas.celery_app", "worker", "-B", "--pool=solo",
             "--loglevel=INFO", "--without-gossip", "--without-mingle",
             "--hostname", f"{self.name}@%h",
             # A killed beat may leave its schedule file unusable: one file per worker.
             "--schedule", str(self.var_dir / f"beat-{self.name}")],
            cwd=REPO_ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)
        return self

    def kill(self) -> None:
        """SIGKILL: no cleanup, no acknowledgement, exactly like a crashed machine."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def worker_factory(database_url, broker_url, tmp_path):
    started: list[Worker] = []

    def start(mail: MailServer) -> Worker:
        worker = Worker(database_url, broker_url, mail, tmp_path, f"w{len(started)}").start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
        worker.log.close()
        lines = worker.log_path.read_text(errors="replace").splitlines()
        quiet = [line for line in lines if "sweep" not in line]
        print(f"--- {worker.name} log ---", *quiet[-40:], sep="\n")


def prepare(app):
    with app.app_context():
        with cross_tenant("test set-up"):
            for table in reversed(db.metadata.sorted_tables):
                db.session.execute(table.delete())
            db.session.commit()
        sync_from_files(REPO_ROOT / "tenants", REPO_ROOT / "policies", Actor.cli("test"))
        db.session.commit()


def block_someone(app, name="Ewa"):
    """A change that notifies: a Kuźniki board member blocks a resident."""
    with app.app_context():
        account_id = resident("kuzniki", name, "Testowa")
        with tenant_scope(tenant("kuzniki")):
            board = StaffMember(login=f"z-{name.lower()}", full_name="Z", department="board",
                                password_hash="x", must_change_password=False)
            db.session.add(board)
            db.session.commit()
            accounts.block(accounts.get_account(account_id), "misuse", None, "test", board)
            db.session.commit()


def outbox_states(app):
    with app.app_context(), cross_tenant("test: read the outbox"):
        return [m.state for m in db.session.scalars(select(OutboxMessage))]


def test_an_email_is_delivered_by_the_worker_after_commit(database_url, tmp_path, broker_url,
                                                          mail, worker_factory):
    app = producer_app(database_url, tmp_path, broker_url, mail)
    prepare(app)
    worker_factory(mail)
    block_someone(app)
    # Beat sweeps every second after a second's grace: a second sending would show by then.
    exactly(mail.count, 1, timeout=60, quiet=SWEEP_WINDOW, what="e-mails delivered")
    assert "zablokowane" in mail.messages[0]["Subject"]
    eventually(lambda: outbox_states(app), ["sent"], timeout=20, what="outbox states")


def test_broker_down_commits_anyway_and_the_sweeper_delivers_later(
        database_url, tmp_path, broker_url, mail, worker_factory):
    down = producer_app(database_url, tmp_path, "redis://127.0.0.1:1/0", mail)
    prepare(down)
    block_someone(down)  # the publish fails; the change and its outbox row commit anyway
    assert outbox_states(down) == ["pending"]
    assert mail.messages == []
    worker_factory(mail)  # the broker "returns": beat's sweeper finds the row
    exactly(mail.count, 1, timeout=60, quiet=SWEEP_WINDOW, what="e-mails delivered")
    eventually(lambda: outbox_states(down), ["sent"], timeout=20, what="outbox states")


class _SlowFirstRecipient:
    """Holds the first delivery at RCPT long enough to kill the worker mid-conversation."""

    def __init__(self, inbox):
        self.inbox = inbox
        self.slowed = False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if not self.slowed:
            self.slowed = True
            await asyncio.sleep(6)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        return await self.inbox.handle_DATA(server, session, envelope)


def test_a_worker_killed_mid_delivery_loses_nothing_and_sends_no_duplicate(
        database_url, tmp_path, broker_url, worker_factory):
    mail = MailServer()
    mail._controller.handler = _SlowFirstRecipient(mail.inbox)
    mail.start()
    try:
        app = producer_app(database_url, tmp_path, broker_url, mail)
        prepare(app)
        first = worker_factory(mail)
        block_someone(app)
        # claimed, SMTP conversation under way
        eventually(lambda: outbox_states(app), ["sending"], timeout=30, what="outbox states")
        first.kill()
        assert mail.messages == []
        worker_factory(mail)  # after the lease runs out, the sweeper hands it to the new worker
        # A second lease would run out and be swept within the lease and a sweep window.
        exactly(mail.count, 1, timeout=60, quiet=LEASE_SECONDS + SWEEP_WINDOW,
                what="e-mails delivered")
        eventually(lambda: outbox_states(app), ["sent"], timeout=20, what="outbox states")
    finally:
        mail.stop()
