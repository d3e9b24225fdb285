"""Charge notices benchmark: a period's notices for one tenant, rendered as PDFs and e-mailed
by real Celery workers to a loopback SMTP server; notices per second, wall time, and a
check that every notice arrived exactly once.

Run from the repository root (PostgreSQL and Redis required; the Redis database given is
flushed, the PostgreSQL database given is emptied):

    .venv/bin/python bench/notices.py [--notices 20000] [--workers 1] [--concurrency 2]
                                      [--database-url postgresql+psycopg://…/iok_bench_notices]
                                      [--redis-url redis://127.0.0.1:6379/14]
    .venv/bin/python bench/notices.py --ci     # 1 000 notices; exit 1 on a lost or
                                               # duplicated message

One run:
1. empties the database, creates the tables, loads tenants/ + policies/; at Zielone Wzgórza
   (its policy attaches the PDF to the e-mail) creates --notices flats, each with an owner,
   an account and a consent to electronic notices (bulk INSERTs, not measured);
2. imports the period's notices and their lines (three a notice) through the real import
   path (`import_rows`), timed on its own;
3. starts a loopback SMTP server (aiosmtpd) that records each message's Message-ID,
   recipient and whether it carries a PDF, and --workers Celery worker processes
   (`celery -A iok_saas.celery_app worker --pool=prefork --concurrency C`) on the broker;
4. publishes the period as staff do (`services.publish`, commit, one task per batch of
   notices) and measures from the publish to the last e-mail received; then checks that
   every flat's address received exactly one message, with a PDF, that every Message-ID is
   distinct and that every outbox row ends `sent`.
It prints a table, writes bench/results/notices-<timestamp>.json and exits 1 if a check
failed, 2 if it could not run. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email import policy as email_policy
from email.parser import BytesHeaderParser
from pathlib import Path

# bench/ is sys.path[0] when this file is run as a script.
from common import (
    REPO,
    BenchError,
    OtherLoad,
    _process_cpu,
    bench_main,
    cpu_busy,
    export_server_environment,
    free_port,
    log_alarms,
    warn_if_busy,
    warn_if_loaded,
)
from outbox import CeleryProcess

SLUG = "zielone-wzgorza"
PERIOD = date(2027, 1, 1)
PREFIX = "BENCH-"
LINES = (("eksploatacja", "Opłata eksploatacyjna", "62,00 m² × 3,35 zł", "207.70"),
         ("fundusz remontowy", "Fundusz remontowy", "62,00 m² × 1,80 zł", "111.60"),
         ("woda", "Woda i ścieki (zaliczka)", None, "49.26"))
DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/iok_bench_notices"
DEFAULT_REDIS = "redis://127.0.0.1:6379/14"
CI_NOTICES = 1000
SEED_CHUNK = 2000
WORKER_READY_SECONDS = 90
SETTLE_SECONDS = 60
POLL_SECONDS = 0.05


# --- the loopback SMTP server ----------------------------------------------------------------

@dataclass
class Received:
    at: float
    message_id: str
    recipients: list[str]
    has_pdf: bool


class _Handler:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.parser = BytesHeaderParser(policy=email_policy.compat32)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        at = time.perf_counter()
        content = envelope.original_content or envelope.content
        # Only the header block is parsed: the feed parser split the ~40 kB PDF part into
        # lines too, CPU this process took from the workers on the same two cores.
        head = content.split(b"\r\n\r\n", 1)[0] if b"\r\n\r\n" in content \
            else content.split(b"\n\n", 1)[0]
        headers = self.parser.parsebytes(head + b"\r\n\r\n")
        item = Received(at, (headers["Message-ID"] or "").strip(),
                        [address.lower() for address in envelope.rcpt_tos],
                        b"application/pdf" in content)
        with self.lock:
            self.received.append(item)
        return "250 Message accepted for delivery"


class MailSink:
    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.handler = _Handler()
        self.port = free_port()
        # Notices with a PDF are ~40 kB; aiosmtpd's default limit (32 MB) is plenty.
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def start(self) -> MailSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def count(self) -> int:
        return len(self.handler.received)

    def snapshot(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)


# --- the database, in-process ------------------------------------------------------------------

def empty_database(url: str) -> None:
    """Create the database if it is missing and drop everything in it."""
    import psycopg
    from sqlalchemy.engine import make_url

    target = make_url(url)
    server = target.set(database="postgres").render_as_string(hide_password=False)
    server = server.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(server, autocommit=True) as connection:
        if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                              (target.database,)).fetchone() is None:
            connection.execute(f'CREATE DATABASE "{target.database}"')
    plain = target.render_as_string(hide_password=False).replace(
        "postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute("DROP SCHEMA public CASCADE")
        connection.execute("CREATE SCHEMA public")


class Bench:
    """The bench's own app: seeds, imports, publishes and reads the outcome."""

    def __init__(self, url: str) -> None:
        from iok_saas import create_app

        # Created after IOK_REDIS_URL is exported: publishes to the bench broker.
        self.app = create_app({"SQLALCHEMY_DATABASE_URI": url})

    def prepare(self) -> None:
        from iok_saas.extensions import db
        from iok_saas.modules.audit.services import Actor
        from iok_saas.modules.tenants.services import sync_from_files

        with self.app.app_context():
            db.create_all()
            report = sync_from_files(REPO / "tenants", REPO / "policies", Actor.cli("bench"))
            if report.invalid_policies:
                raise BenchError(f"invalid policies: {report.invalid_policies}")
            db.session.commit()

    def tenant(self):
        from iok_saas.tenancy import directory

        with self.app.app_context():
            found = next((t for t in directory().all() if t.slug == SLUG), None)
            if found is None or not found.policy.shows("charge_notices"):
                raise BenchError(f"{SLUG} is missing or does not show charge_notices")
            return found

    def seed(self, count: int) -> list[str]:
        """``count`` flats, owners, accounts and consents; returns the e-mail addresses."""
        from sqlalchemy import insert, select

        from iok_saas.extensions import db
        from iok_saas.modules.accounts.models import ACTIVE, ResidentAccount
        from iok_saas.modules.housing.models import Association, Person, Title, Unit
        from iok_saas.modules.notices.models import NoticeConsent
        from iok_saas.tenancy import tenant_scope
        from iok_saas.timeutil import utcnow

        tenant = self.tenant()
        now = utcnow()
        emails = [f"lokal-{i:05d}@example.com" for i in range(count)]
        with self.app.app_context(), tenant_scope(tenant):
            association = Association(external_id=f"{PREFIX}A", name="Osiedle Testowe",
                                      street="ul. Testowa", city="Murowana Goślina")
            db.session.add(association)
            db.session.flush()
            for start in range(0, count, SEED_CHUNK):
                numbers = range(start, min(start + SEED_CHUNK, count))
                tid = tenant.id
                db.session.execute(insert(Unit), [{
                    "tenant_id": tid, "external_id": f"{PREFIX}U{i}",
                    "association_id": association.id, "street": "ul. Testowa",
                    "building_number": str(1 + i // 100), "unit_number": str(1 + i % 100),
                    "city": "Murowana Goślina", "kind": "residential",
                    "bank_account": f"{i % 100:02d}1020{i:020d}"} for i in numbers])
                db.session.execute(insert(Person), [{
                    "tenant_id": tid, "external_id": f"{PREFIX}P{i}", "first_name": "Jan",
                    "last_name": f"Testowy {i}", "email": emails[i]} for i in numbers])
                units = dict(db.session.execute(select(Unit.external_id, Unit.id).where(
                    Unit.external_id.in_([f"{PREFIX}U{i}" for i in numbers]))).all())
                persons = dict(db.session.execute(select(Person.external_id, Person.id).where(
                    Person.external_id.in_([f"{PREFIX}P{i}" for i in numbers]))).all())
                db.session.execute(insert(Title), [{
                    "tenant_id": tid, "external_id": f"{PREFIX}T{i}",
                    "person_id": persons[f"{PREFIX}P{i}"], "unit_id": units[f"{PREFIX}U{i}"],
                    "kind": "owner", "valid_from": date(2020, 1, 1)} for i in numbers])
                db.session.execute(insert(ResidentAccount), [{
                    "tenant_id": tid, "login": f"B{i:07d}", "person_id": persons[f"{PREFIX}P{i}"],
                    "state": ACTIVE, "created_at": now} for i in numbers])
                accounts = db.session.execute(select(ResidentAccount.id).where(
                    ResidentAccount.person_id.in_(list(persons.values())))).scalars().all()
                db.session.execute(insert(NoticeConsent), [{
                    "tenant_id": tid, "account_id": account, "version": "bench",
                    "given_at": now} for account in accounts])
            db.session.commit()
        return emails

    def import_notices(self, count: int) -> float:
        """The period's notices through the real import path; returns the seconds it took."""
        from iok_saas.extensions import db
        from iok_saas.modules.imports.models import APPLIED
        from iok_saas.modules.imports.services import import_rows
        from iok_saas.tenancy import tenant_scope

        notices, lines = [], []
        for i in range(count):
            key = f"{PREFIX}N{i}"
            notices.append({"external_id": key, "unit": f"{PREFIX}U{i}",
                            "period": f"{PERIOD:%Y-%m}", "due_day": 15})
            lines += [{"external_id": f"{key}-{component}", "notice": key,
                       "component": component, "title": title, "basis": basis,
                       "amount": amount} for component, title, basis, amount in LINES]
        tenant = self.tenant()
        began = time.perf_counter()
        with self.app.app_context(), tenant_scope(tenant):
            run = import_rows({"notices": notices, "notice_lines": lines}, source="bench",
                              actor="bench")
            if run.status != APPLIED:
                raise BenchError(f"the notice import was refused: {run.errors[:3]}")
            db.session.commit()
        seconds = time.perf_counter() - began
        # Fresh statistics, as autovacuum would gather a while after a load this size:
        # without them PostgreSQL plans the recipients' join for empty tables (minutes).
        # (Committed: an ANALYZE rolled back with its transaction leaves no statistics.)
        with self.app.app_context(), db.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
        return seconds

    def publish(self) -> int:
        """As the staff desk does: publish, commit, one task per batch. Returns e-mails."""
        from iok_saas.extensions import db
        from iok_saas.modules.notices import services, tasks
        from iok_saas.tenancy import tenant_scope

        tenant = self.tenant()
        with self.app.app_context(), tenant_scope(tenant):
            pending = services.publish(PERIOD, "bench")
            db.session.commit()
            tasks.enqueue(tenant.id, pending)
            db.session.remove()
        return len(pending)

    def outcome(self) -> dict:
        """Outbox rows by state, deliveries without an outbox row, outbox rows per delivery."""
        from sqlalchemy import func, select

        from iok_saas.extensions import db
        from iok_saas.modules.notices.models import NoticeDelivery
        from iok_saas.modules.notifications.models import OutboxMessage
        from iok_saas.tenancy import tenant_scope

        with self.app.app_context(), tenant_scope(self.tenant()):
            try:
                states = dict(db.session.execute(
                    select(OutboxMessage.state, func.count())
                    .where(OutboxMessage.kind == "charge_notice")
                    .group_by(OutboxMessage.state)).all())
                unqueued = db.session.scalar(select(func.count(NoticeDelivery.id)).where(
                    NoticeDelivery.outbox_message_id.is_(None)))
                return {"states": states, "deliveries_without_email": unqueued}
            finally:
                db.session.remove()

    def wait_settled(self, deadline: float) -> dict:
        while True:
            outcome = self.outcome()
            busy = outcome["states"].keys() & {"pending", "sending"}
            if (not busy and not outcome["deliveries_without_email"]) \
                    or time.monotonic() > deadline:
                return outcome
            time.sleep(0.5)

    def backend_pids(self) -> list[int]:
        """The PostgreSQL backends serving this database (the workers' pooled ones)."""
        from sqlalchemy import text

        from iok_saas.extensions import db

        with self.app.app_context(), db.engine.connect() as connection:
            return list(connection.execute(text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()")).scalars())

    def dispose(self) -> None:
        from iok_saas.extensions import db

        with self.app.app_context():
            db.engine.dispose()


# --- the run ------------------------------------------------------------------------------------

@dataclass
class Result:
    notices: int
    seed_seconds: float = 0.0
    import_seconds: float = 0.0
    publish_seconds: float = 0.0         # publish + commit + enqueueing the batches
    first_email_seconds: float | None = None
    wall_seconds: float | None = None    # publish started -> last e-mail received
    notices_per_s: float | None = None
    received: int = 0
    distinct_message_ids: int = 0
    distinct_recipients: int = 0
    without_pdf: int = 0
    lost: int = 0                        # flats whose address received nothing
    duplicated: int = 0                  # flats whose address received more than one
    outcome: dict = field(default_factory=dict)
    other_load_cores: float | None = None
    # CPU per notice from publish to the last e-mail: the Celery workers, this process (the
    # SMTP server, publish), the PostgreSQL backends; and the rate those CPU seconds allow
    # on 2 cores with the machine to itself (the figure that a busy machine does not move).
    cpu_ms_per_notice: dict[str, float] = field(default_factory=dict)
    cpu_bound_notices_per_s_2_cores: float | None = None
    problems: list[str] = field(default_factory=list)


def flush_broker(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_timeout=5).flushdb()
    except redis.RedisError as error:
        raise BenchError(f"Redis at {url} is not usable: {error}") from error


def start_workers(args: argparse.Namespace, tmp: Path, started: list[CeleryProcess]) -> None:
    for index in range(args.workers):
        name = f"notices-w{index}"
        started.append(CeleryProcess(
            name, ["worker", "--pool=prefork", f"--concurrency={args.concurrency}",
                   "--loglevel=INFO", "--without-gossip", "--without-mingle",
                   "--hostname", f"{name}@%h"], tmp, rf"{name}@\S+ ready\.").start())
    deadline = time.monotonic() + WORKER_READY_SECONDS
    for process in started:
        process.wait_ready(deadline)


def run(args: argparse.Namespace, tmp: Path) -> dict:
    from sqlalchemy.engine import make_url

    busy = cpu_busy()
    warn_if_busy(busy)
    export_server_environment(args.database_url, tmp)
    empty_database(args.database_url)
    flush_broker(args.redis_url)
    mail = MailSink().start()
    os.environ.update({"IOK_REDIS_URL": args.redis_url, "IOK_MAIL_TRANSPORT": "smtp",
                       "IOK_SMTP_HOST": "127.0.0.1", "IOK_SMTP_PORT": str(mail.port),
                       "IOK_SMTP_SECURITY": "none"})
    result = Result(args.notices)
    workers: list[CeleryProcess] = []
    try:
        bench = Bench(args.database_url)
        bench.prepare()
        print(f"seeding {args.notices} flats with consenting owners at {SLUG} …", flush=True)
        began = time.perf_counter()
        emails = bench.seed(args.notices)
        result.seed_seconds = time.perf_counter() - began
        print("importing the notices through the import path …", flush=True)
        result.import_seconds = bench.import_notices(args.notices)
        bench.dispose()
        print(f"starting {args.workers} Celery worker(s) × {args.concurrency} …", flush=True)
        start_workers(args, tmp, workers)
        sessions = tuple(process.process.pid for process in workers)
        others = OtherLoad(sessions, database=make_url(args.database_url).database).start()
        cpu_before = _process_cpu()
        began = time.perf_counter()
        queued = bench.publish()
        result.publish_seconds = time.perf_counter() - began
        if queued != args.notices:
            result.problems.append(f"publish staged {queued} e-mails for {args.notices} "
                                   "consenting flats")
        print(f"published: {queued} e-mails to render and send …", flush=True)
        deadline = time.monotonic() + args.timeout
        while mail.count() < args.notices and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
        cpu_after = _process_cpu()
        result.other_load_cores = others.stop()
        result.cpu_ms_per_notice = cpu_per_notice(cpu_before, cpu_after, sessions,
                                                  bench.backend_pids(), args.notices)
        total_ms = sum(result.cpu_ms_per_notice.values())
        if total_ms:
            result.cpu_bound_notices_per_s_2_cores = round(2000 / total_ms, 1)
        received = mail.snapshot()
        if received:
            result.first_email_seconds = received[0].at - began
            result.wall_seconds = received[min(len(received), args.notices) - 1].at - began
            result.notices_per_s = min(len(received), args.notices) / result.wall_seconds
        result.outcome = bench.wait_settled(time.monotonic() + SETTLE_SECONDS)
        time.sleep(2)  # a late duplicate would arrive now
        check(result, mail.snapshot(), emails)
        bench.dispose()
    finally:
        for process in workers:
            process.stop()
        mail.stop()
        with contextlib.suppress(BenchError):
            flush_broker(args.redis_url)
    alarms = [line for process in workers for line in log_alarms(process.log)][:20]
    return {
        "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": {"nproc": os.cpu_count(), "cpu_busy_before": busy},
        "settings": {"notices": args.notices, "workers": args.workers,
                     "concurrency": args.concurrency, "database": "postgresql",
                     "broker": args.redis_url, "tenant": SLUG, "email": "attachment",
                     "timeout_seconds": args.timeout},
        "result": vars(result),
        "log_alarms": alarms,
    }


def cpu_per_notice(before: dict, after: dict, sessions: tuple[int, ...],
                   backends: list[int], notices: int) -> dict[str, float]:
    """CPU ms per notice by part; a process that started meanwhile (a worker's database
    backend opens with its first task) counts whole."""
    def used(pids) -> float:
        return sum(after[pid][0] - before.get(pid, (0.0,))[0] for pid in pids if pid in after)

    workers = [pid for pid, (_cpu, _ppid, sid) in after.items() if sid in sessions]
    parts = {"celery": used(workers), "bench_process_smtp_server": used([os.getpid()]),
             "postgresql": used(backends)}
    return {name: round(seconds * 1000 / notices, 2) for name, seconds in parts.items()}


def check(result: Result, received: list[Received], emails: list[str]) -> None:
    counts: dict[str, int] = {}
    for item in received:
        for address in item.recipients:
            counts[address] = counts.get(address, 0) + 1
    result.received = len(received)
    result.distinct_message_ids = len({item.message_id for item in received})
    result.distinct_recipients = len(counts)
    result.without_pdf = sum(1 for item in received if not item.has_pdf)
    result.lost = sum(1 for address in emails if address not in counts)
    result.duplicated = sum(1 for n in counts.values() if n > 1)
    if result.lost:
        result.problems.append(f"{result.lost} flats received no notice")
    if result.duplicated or result.distinct_message_ids != result.received:
        result.problems.append(f"{result.duplicated} flats received more than one notice "
                               f"({result.received - result.distinct_message_ids} repeated "
                               "Message-IDs)")
    if result.received != len(emails):
        result.problems.append(f"{result.received} e-mails received for {len(emails)} notices")
    if result.without_pdf:
        result.problems.append(f"{result.without_pdf} e-mails without the PDF")
    not_sent = {s: n for s, n in result.outcome.get("states", {}).items() if s != "sent"}
    if not_sent or result.outcome.get("deliveries_without_email"):
        result.problems.append(f"outbox rows not sent: {not_sent}; deliveries without an "
                               f"e-mail: {result.outcome.get('deliveries_without_email')}")


def problems_of(report: dict) -> list[str]:
    return report["result"]["problems"]


def print_report(report: dict) -> None:
    r, s = report["result"], report["settings"]
    rate = "-" if r["notices_per_s"] is None else f"{r['notices_per_s']:.1f}"
    wall = "-" if r["wall_seconds"] is None else f"{r['wall_seconds']:.1f}"
    first = "-" if r["first_email_seconds"] is None else f"{r['first_email_seconds']:.2f}"
    print(f"\nCelery: {s['workers']} worker(s) × {s['concurrency']} (prefork), broker "
          f"{s['broker']}; PostgreSQL; {s['tenant']} (PDF attached)")
    rows = [("notices (flats with consent)", f"{r['notices']}"),
            ("seed flats/owners/accounts (s)", f"{r['seed_seconds']:.1f}"),
            ("import notices + lines (s)", f"{r['import_seconds']:.1f}"),
            ("publish + enqueue (s)", f"{r['publish_seconds']:.2f}"),
            ("first e-mail after publish (s)", first),
            ("all e-mails after publish (s)", wall),
            ("notices/s (rendered and delivered)", rate),
            ("CPU ms/notice: celery / bench+SMTP / PG",
             " / ".join(f"{v:.1f}" for v in r["cpu_ms_per_notice"].values())),
            ("notices/s the CPU allows on 2 cores", f"{r['cpu_bound_notices_per_s_2_cores']}"),
            ("received / distinct Message-IDs", f"{r['received']} / "
                                                f"{r['distinct_message_ids']}"),
            ("lost / duplicated / without PDF", f"{r['lost']} / {r['duplicated']} / "
                                                f"{r['without_pdf']}"),
            ("outbox rows by state", ", ".join(f"{k} {v}" for k, v in
                                              sorted(r["outcome"].get("states", {}).items())))]
    for name, value in rows:
        print(f"{name:<40}{value:>24}")
    for line in report["log_alarms"]:
        print(f"log: {line}")
    warn_if_loaded("the notices run", r["other_load_cores"])


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notices", type=int, default=20000, help="notices (flats) to send")
    parser.add_argument("--workers", type=int, default=1, help="Celery worker processes")
    parser.add_argument("--concurrency", type=int, default=2,
                        help="prefork pool processes per worker")
    parser.add_argument("--database-url", default=os.environ.get(
        "IOK_BENCH_NOTICES_DATABASE_URL", DEFAULT_DATABASE),
        help="a PostgreSQL database the bench may empty")
    parser.add_argument("--redis-url", default=os.environ.get(
        "IOK_BENCH_NOTICES_REDIS_URL", DEFAULT_REDIS),
        help="a Redis database the bench may flush (the broker)")
    parser.add_argument("--timeout", type=float, default=900.0,
                        help="seconds to wait for the last e-mail")
    parser.add_argument("--keep-logs", type=Path, metavar="DIR",
                        help="copy the Celery worker logs here")
    parser.add_argument("--ci", action="store_true",
                        help=f"a short run ({CI_NOTICES} notices) for CI: exit 1 on any "
                             "lost or duplicated message")
    args = parser.parse_args()
    if args.ci:
        args.notices = min(args.notices, CI_NOTICES)
        args.timeout = min(args.timeout, 300.0)
    return args


def _stop_on_sigterm(signum, frame) -> None:
    """`timeout` or CI sends SIGTERM: unwind, so the workers started are stopped too."""
    raise SystemExit(2)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    arguments = parse_args()
    raise SystemExit(bench_main("notices", run, problems_of, print_report, arguments,
                                needs_wrk=False, keep_logs=arguments.keep_logs))
