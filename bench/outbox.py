"""Outbox benchmark: e-mails per second through real Celery workers, and the wait from an
e-form submit to its confirmation e-mail.

Run from the repository root (Redis on 127.0.0.1:6379 is required; database 13, or the one
IOK_BENCH_REDIS_URL names, is flushed):

    .venv/bin/python bench/outbox.py [--messages 10000] [--workers 2] [--concurrency 2]
                                     [--forms 200] [--database-url URL] [--ci]

(--ci: 2 000 messages, for CI; any lost or duplicated e-mail exits 1.)

One run:
1. prepares a throwaway database (or --database-url), starts a loopback SMTP server
   (aiosmtpd) that records every message it receives, --workers Celery worker processes
   (`celery -A iok_saas.celery_app worker --pool=prefork --concurrency C`) and one beat,
   all on Redis database 13, with SMTP delivery to the loopback server;
2. the limit: a plain smtplib loop sends --raw-messages e-mails of the same size over one
   connection to the same server (raw sends/s, what no outbox can beat on this machine);
3. outbox throughput: inserts --messages rendered e-mails (`queue_email`) at Zielone
   Wzgórza in one transaction; the after-commit hook publishes one task per batch of
   IOK_OUTBOX_BATCH_SIZE rows. Measures from the commit to the last message received, and
   checks every row ends `sent` and every Message-ID arrived exactly once;
4. form submit -> e-mail: gunicorn serves bench/bench_app.py (CSRF and rate limiting off)
   with the same broker and SMTP server; --forms e-forms are POSTed to /wniosek with
   distinct e-mail addresses, and the time from each submit to its confirmation e-mail
   arriving is measured; every form must get exactly one e-mail.
It prints a table, writes bench/results/outbox-<timestamp>.json and exits 1 if a check
failed, 2 if it could not run. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy as email_policy
from email.parser import BytesHeaderParser
from pathlib import Path
from urllib.parse import urlencode

# bench/ is sys.path[0] when this file is run as a script.
from common import (
    BENCH,
    REPO,
    STOP_SECONDS,
    BenchError,
    OtherLoad,
    _process_cpu,
    bench_main,
    cpu_busy,
    database_url,
    export_server_environment,
    free_port,
    http_request,
    log_alarms,
    machine,
    prepare_database,
    recreate_postgres_database,
    start_gunicorn,
    stop_gunicorn,
    tail,
    wait_until_ready,
    warn_if_busy,
    warn_if_loaded,
)

TENANT_HOST = "zielone-wzgorza.localhost"
FORM_PATH = "/wniosek"
SUBMITTED_PATH = "/wniosek/wyslany"
NOTIFICATION = "email_confirmation"  # what a Zielone Wzgórza e-form sends: one e-mail
SERVED_APP = "bench_app:app"  # bench/bench_app.py: create_app() with CSRF and limiter off
# Another database number when several people bench on one Redis: IOK_BENCH_REDIS_URL.
REDIS_URL = os.environ.get("IOK_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
WORKER_READY_SECONDS = 60
SETTLE_SECONDS = 30  # after the last e-mail: how long the rows may take to read `sent`
POLL_SECONDS = 0.02


# --- the loopback SMTP server -------------------------------------------------------------

@dataclass
class Received:
    at: float  # time.perf_counter() when DATA ended
    message_id: str
    recipients: list[str]
    size: int  # bytes of the message as received


class _CountingHandler:
    """aiosmtpd handler: keeps (arrival time, Message-ID, recipients) of every message."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.parser = BytesHeaderParser(policy=email_policy.compat32)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        at = time.perf_counter()
        headers = self.parser.parsebytes(envelope.original_content or envelope.content)
        item = Received(at, (headers["Message-ID"] or "").strip(),
                        [address.lower() for address in envelope.rcpt_tos],
                        len(envelope.original_content or envelope.content))
        with self.lock:
            self.received.append(item)
        return "250 Message accepted for delivery"


class MailSink:
    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.handler = _CountingHandler()
        self.port = free_port()
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

    def wait_for(self, count: int, deadline: float) -> bool:
        while self.count() < count:
            if time.monotonic() > deadline:
                return False
            time.sleep(POLL_SECONDS)
        return True


# --- Celery workers and beat ----------------------------------------------------------------

class CeleryProcess:
    """`celery -A iok_saas.celery_app worker|beat …` in its own session, logging to a file."""

    def __init__(self, name: str, arguments: list[str], tmp: Path, ready: str) -> None:
        self.name, self.arguments = name, arguments
        self.ready = re.compile(ready)  # the log line that says it is ready
        self.log = tmp / f"{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> CeleryProcess:
        celery = Path(sys.executable).with_name("celery")
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [str(celery), "-A", "iok_saas.celery_app", *self.arguments],
                cwd=REPO, env=os.environ.copy(), stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True)
        return self

    def wait_ready(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"{self.name} exited with {self.process.returncode}:\n"
                                 f"{tail(self.log)}")
            if self.ready.search(self.log.read_text(errors="replace")):
                return
            time.sleep(0.2)
        raise BenchError(f"{self.name} was not ready within {WORKER_READY_SECONDS} s:\n"
                         f"{tail(self.log)}")

    def stop(self) -> None:
        """SIGTERM the process group (a warm shutdown), SIGKILL if it is still there."""
        if self.process is None:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.process.wait(STOP_SECONDS + 5)
                return
            except subprocess.TimeoutExpired:
                continue


def start_celery(args: argparse.Namespace, tmp: Path,
                 started: list[CeleryProcess]) -> None:
    """The workers and (unless --sweep-seconds 0) one beat, as deployed; each is appended to
    ``started`` as soon as it runs, so that the caller stops it whatever happens next."""
    for index in range(args.workers):
        name = f"bench-w{index}"
        started.append(CeleryProcess(
            name, ["worker", "--pool=prefork", f"--concurrency={args.concurrency}",
                   "--loglevel=INFO", "--without-gossip", "--without-mingle",
                   "--hostname", f"{name}@%h"], tmp, rf"{name}@\S+ ready\.").start())
    if args.sweep_seconds > 0:  # exactly one beat (deploy/systemd/iok-beat.service)
        started.append(CeleryProcess(
            "bench-beat", ["beat", "--loglevel=INFO", "--schedule", str(tmp / "beat-schedule")],
            tmp, r"beat: Starting").start())
    deadline = time.monotonic() + WORKER_READY_SECONDS
    for process in started:
        process.wait_ready(deadline)


_TASK_RESULT = re.compile(r"Task notifications\.deliver_batch\[[^\]]+\] succeeded in "
                          r"([\d.e-]+)s: (\{[^}]*\})")
_TASK_RAISED = re.compile(r"Task notifications\.deliver(?:_batch)?\[[^\]]+\] raised")
_SWEEP_RESULT = re.compile(r"Task notifications\.sweep_outbox\[[^\]]+\] succeeded in [^:]+: "
                           r"(\d+)")


def task_outcomes(processes: list[CeleryProcess]) -> dict:
    """What the batch tasks' messages came to (sent | skipped | retry | failed), how many
    batch tasks ran and how long those that sent ran (Celery's own "succeeded in" figure),
    from the worker logs; and what beat's sweeper re-published."""
    import ast

    outcomes: dict[str, int] = {}
    runtimes: list[float] = []
    batches, raised, sweeps, swept = 0, 0, 0, 0
    for process in processes:
        text = process.log.read_text(errors="replace")
        for seconds, result in _TASK_RESULT.findall(text):
            batches += 1
            counts = ast.literal_eval(result)
            for outcome, count in counts.items():
                outcomes[outcome] = outcomes.get(outcome, 0) + count
            if counts.get("sent"):
                runtimes.append(float(seconds) * 1000)
        raised += len(_TASK_RAISED.findall(text))
        found = [int(n) for n in _SWEEP_RESULT.findall(text)]
        sweeps, swept = sweeps + len(found), swept + sum(found)
    return {"deliver": outcomes, "batch_tasks": batches, "deliver_raised": raised,
            "sent_task_ms_p50": percentile(runtimes, 50) if runtimes else None,
            "sent_task_ms_p95": percentile(runtimes, 95) if runtimes else None,
            "sweeps": sweeps, "rows_republished_by_sweeper": swept}


# --- the database, in-process ---------------------------------------------------------------

class Database:
    """The bench's own app: the producer of scenario 1 and the reader of outbox states."""

    def __init__(self, url: str) -> None:
        from iok_saas import create_app

        # Created after IOK_REDIS_URL is exported: publishes to the bench broker. It is also
        # the last Celery app created in this process, which is the one shared tasks use.
        self.app = create_app({"SQLALCHEMY_DATABASE_URI": url})

    def tenant(self):
        from iok_saas.tenancy import directory

        with self.app.app_context():
            found = directory().resolve(TENANT_HOST)
            if found is None:
                raise BenchError(f"no tenant answers to {TENANT_HOST}")
            return found

    def queue_and_commit(self, count: int,
                         prefix: str = "outbox") -> tuple[float, float, list[str]]:
        """`count` rendered e-mails in one transaction: (commit began, commit returned, keys).

        The commit includes the after-commit hook publishing one task per row.
        """
        from iok_saas.extensions import db
        from iok_saas.modules.notifications.services import queue_email, render_notification
        from iok_saas.tenancy import tenant_scope

        tenant = self.tenant()
        with self.app.app_context(), tenant_scope(tenant):
            messages = []
            for index in range(count):
                name = f"Mieszkaniec {index:05d}"
                subject, text = render_notification(
                    NOTIFICATION, to_name=name, valid_until="jutro, 12:00",
                    link=f"http://{TENANT_HOST}/wniosek/potwierdz/{uuid.uuid4().hex}")
                message = queue_email(NOTIFICATION, f"{prefix}-{index:05d}@example.com", name,
                                      subject, text)
                messages.append(message)
            db.session.flush()  # the INSERTs are not what is measured; the commit is
            keys = [message.delivery_key for message in messages]
            began = time.perf_counter()
            db.session.commit()
            returned = time.perf_counter()
            db.session.remove()
        return began, returned, keys

    def states(self, address_like: str | None = None) -> dict[str, int]:
        """Outbox rows by state (every tenant; those to ``address_like`` addresses), in a
        transaction of its own."""
        from sqlalchemy import func, select

        from iok_saas.extensions import db
        from iok_saas.modules.notifications.models import OutboxMessage
        from iok_saas.tenancy import cross_tenant

        with self.app.app_context(), cross_tenant("bench: count outbox rows by state"):
            query = select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
            if address_like is not None:
                query = query.where(OutboxMessage.to_address.like(address_like))
            try:
                # No transaction stays open: on SQLite a reader would hold up the workers.
                return dict(db.session.execute(query).all())
            finally:
                db.session.remove()

    def wait_settled(self, deadline: float) -> dict[str, int]:
        """Until no row is pending or being sent (or the deadline): rows by state."""
        while True:
            states = self.states()
            if not (states.keys() & {"pending", "sending"}) or time.monotonic() > deadline:
                return states
            time.sleep(0.2)

    def backend_pids(self) -> list[int]:
        """PostgreSQL server processes connected to the bench database (none on SQLite)."""
        from sqlalchemy import text

        from iok_saas.extensions import db

        with self.app.app_context():
            if db.engine.dialect.name != "postgresql":
                return []
            with db.engine.connect() as conn:
                return list(conn.scalars(text(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid()")))

    def dispose(self) -> None:
        from iok_saas.extensions import db

        with self.app.app_context():
            db.engine.dispose()


# --- the limit: a plain smtplib loop over one connection ---------------------------------------

@dataclass
class RawResult:
    messages: int
    seconds: float = 0.0
    sends_per_s: float = 0.0
    message_bytes: int = 0
    received: int = 0


def sample_email(index: int, domain: str, size: int) -> bytes:
    """An e-mail of about ``size`` bytes (a rendered outbox e-mail's), with its own
    Message-ID."""
    from email.message import EmailMessage

    email = EmailMessage()
    email["From"] = "Bench <iok@localhost>"
    email["To"] = f"raw-{index:05d}@example.com"
    email["Subject"] = "Raw SMTP limit"
    email["Message-ID"] = f"<raw-{index}-{uuid.uuid4().hex}@{domain}>"
    line = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod.\n"
    email.set_content(line * max((size - 300) // len(line), 1))
    return email.as_bytes(policy=email_policy.SMTP)  # CRLF line ends, as on the wire


def measure_raw_smtp(count: int, mail: MailSink, domain: str, size: int) -> RawResult:
    """Raw sends/s: one smtplib connection, `sendmail` in a loop, nothing else."""
    import smtplib

    result = RawResult(count)
    bodies = [sample_email(i, domain, size) for i in range(count)]
    result.message_bytes = len(bodies[0])
    baseline = mail.count()
    began = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", mail.port, timeout=30) as client:
        for index, body in enumerate(bodies):
            client.sendmail("iok@localhost", [f"raw-{index:05d}@example.com"], body)
    result.seconds = time.perf_counter() - began
    result.sends_per_s = count / result.seconds
    result.received = mail.count() - baseline
    return result


# --- 1. outbox throughput -------------------------------------------------------------------

@dataclass
class ThroughputResult:
    messages: int
    commit_seconds: float = 0.0  # the commit, including publishing one task per row
    first_email_seconds: float | None = None  # from the commit's start
    all_emails_seconds: float | None = None
    emails_per_s: float | None = None
    received: int = 0
    distinct_message_ids: int = 0
    unknown_message_ids: int = 0  # received, but no row has that delivery key
    missing: int = 0  # rows whose Message-ID never arrived
    states: dict[str, int] = field(default_factory=dict)
    other_load_cores: float | None = None
    raw: dict = field(default_factory=dict)  # the limit, measured just before (RawResult)
    ratio_to_raw: float | None = None
    # CPU milliseconds per e-mail (from /proc, whatever else runs): the Celery processes,
    # this process (the SMTP server and the producer), the PostgreSQL backends
    cpu_ms_per_email: dict[str, float] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def measure_throughput(args: argparse.Namespace, database: Database, mail: MailSink,
                       own_sessions: tuple[int, ...], domain: str) -> ThroughputResult:
    result = ThroughputResult(args.messages)
    # Warm-up (not counted): the first task of a forked pool process is several times slower
    # (first database connection, tenant directory load), so every one gets a few first.
    warm = 2 * args.workers * args.concurrency
    database.queue_and_commit(warm, prefix="warmup")
    if not mail.wait_for(mail.count() + warm, time.monotonic() + 60):
        raise BenchError(f"{mail.count()} of {warm} warm-up e-mails arrived within 60 s")
    database.wait_settled(time.monotonic() + SETTLE_SECONDS)
    # The limit, with the workers idle: e-mails as large as the ones just rendered.
    size = mail.snapshot()[-1].size
    raw = measure_raw_smtp(args.raw_messages, mail, domain, size)
    result.raw = vars(raw)
    if raw.received != raw.messages:
        result.problems.append(f"raw smtplib loop: {raw.received} of {raw.messages} arrived")
    baseline = mail.count()
    others = OtherLoad(own_sessions).start()
    cpu_before = _process_cpu()
    began, returned, keys = database.queue_and_commit(args.messages)
    result.commit_seconds = returned - began
    arrived = mail.wait_for(baseline + args.messages, time.monotonic() + args.timeout)
    cpu_after = _process_cpu()
    result.other_load_cores = others.stop()
    result.cpu_ms_per_email = cpu_per_email(cpu_before, cpu_after, own_sessions,
                                            database.backend_pids(), args.messages)
    received = mail.snapshot()[baseline:]
    if received:
        result.first_email_seconds = received[0].at - began
        last = received[min(len(received), args.messages) - 1].at
        result.all_emails_seconds = last - began
        if arrived:
            result.emails_per_s = args.messages / result.all_emails_seconds
            result.ratio_to_raw = result.emails_per_s / raw.sends_per_s
    if not arrived:
        result.problems.append(f"throughput: {len(received)} of {args.messages} e-mails "
                               f"arrived within {args.timeout} s")
    # Late duplicates (a sweeper's re-send) would arrive after the last one: give them time.
    database.wait_settled(time.monotonic() + SETTLE_SECONDS)
    result.states = database.states("outbox-%")
    time.sleep(1)
    received = mail.snapshot()[baseline:]
    expected = {f"<{key}@{domain}>" for key in keys}
    ids = [item.message_id for item in received]
    result.received, result.distinct_message_ids = len(ids), len(set(ids))
    result.unknown_message_ids = len(set(ids) - expected)
    result.missing = len(expected - set(ids))
    if result.received != args.messages:
        result.problems.append(f"throughput: {result.received} e-mails arrived for "
                               f"{args.messages} rows")
    if result.distinct_message_ids != result.received:
        result.problems.append(f"throughput: {result.received - result.distinct_message_ids}"
                               f" duplicate Message-IDs")
    if result.unknown_message_ids or result.missing:
        result.problems.append(f"throughput: {result.missing} rows' Message-IDs missing, "
                               f"{result.unknown_message_ids} unknown ones received")
    not_sent = {state: n for state, n in result.states.items() if state != "sent"}
    if not_sent:
        result.problems.append(f"throughput: outbox rows not sent: {not_sent}")
    return result


def cpu_per_email(before: dict, after: dict, sessions: tuple[int, ...],
                  backends: list[int], messages: int) -> dict[str, float]:
    def used(pids) -> float:
        return sum(after[pid][0] - before.get(pid, (after[pid][0],))[0]
                   for pid in pids if pid in after)

    workers = [pid for pid, (_cpu, _ppid, sid) in after.items() if sid in sessions]
    parts = {"celery": used(workers), "bench_process_smtp_server": used([os.getpid()]),
             "postgresql": used(backends)}
    return {name: round(seconds * 1000 / messages, 2) for name, seconds in parts.items()}


# --- 2. form submit -> e-mail received --------------------------------------------------------

@dataclass
class Submission:
    email: str
    submitted_at: float  # perf_counter() just before the request was sent
    response_ms: float
    status: int
    location: str


@dataclass
class FormsResult:
    forms: int
    threads: int
    rate_limit: float | None  # --form-rate (None = as fast as the threads go)
    web_workers: int
    submit_seconds: float = 0.0
    forms_per_s: float = 0.0
    response_p50_ms: float = 0.0
    response_p95_ms: float = 0.0
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    latency_max_ms: float | None = None
    latency_min_ms: float | None = None
    refused: int = 0  # responses other than 302 to /wniosek/wyslany
    without_email: int = 0  # of the accepted forms
    more_than_one_email: int = 0  # of the accepted forms
    states: dict[str, int] = field(default_factory=dict)
    log_alarms: list[str] = field(default_factory=list)
    tracebacks: list[str] = field(default_factory=list)  # from the gunicorn log
    other_load_cores: float | None = None
    problems: list[str] = field(default_factory=list)


def form_fields(index: int, email: str) -> dict[str, str]:
    """The Zielone Wzgórza e-form, filled in (forms.ApplicationForm; the policy requires
    accepting the regulations at filing, and admits owners)."""
    return {"first_name": "Anna", "last_name": f"Testowa-{index:05d}", "phone": "600 100 200",
            "applicant_type": "owner", "street": "ul. Lipowa",
            "building_number": str(1 + index % 40), "flat_number": str(1 + index % 60),
            "city": "Murowana Goślina", "email": email, "accept_regulations": "y"}


def submit_form(port: int, index: int, email: str, not_before: float = 0.0) -> Submission:
    body = urlencode(form_fields(index, email))
    time.sleep(max(0.0, not_before - time.perf_counter()))  # --form-rate's schedule
    began = time.perf_counter()
    try:
        status, headers, _body = http_request(port, "POST", FORM_PATH, TENANT_HOST, body, FORM)
    except OSError as error:
        return Submission(email, began, (time.perf_counter() - began) * 1000, 0, repr(error))
    return Submission(email, began, (time.perf_counter() - began) * 1000, status,
                      headers.get("Location", ""))


def _accepted(submission: Submission) -> bool:
    return submission.status == 302 and submission.location.endswith(SUBMITTED_PATH)


def measure_forms(args: argparse.Namespace, tmp: Path, database: Database, mail: MailSink,
                  own_sessions: tuple[int, ...]) -> FormsResult:
    result = FormsResult(args.forms, args.form_threads, args.form_rate or None,
                         args.web_workers)
    port = free_port()
    log = tmp / "gunicorn-bench_app.log"
    server = start_gunicorn(SERVED_APP, BENCH, port, args.web_workers, log)
    try:
        wait_until_ready(server, port, TENANT_HOST, log)
        # Warm-up (not counted): a few filings, so that every worker has imported and
        # compiled its templates and opened its broker connection; their e-mails must arrive.
        warm = [submit_form(port, 90_000 + i, f"warmup-{i}@example.com")
                for i in range(2 * args.web_workers)]
        if not all(_accepted(s) for s in warm):
            raise BenchError(f"warm-up filings answered "
                             f"{[(s.status, s.location) for s in warm]}:\n{tail(log)}")
        warm_emails = {s.email for s in warm}
        deadline = time.monotonic() + 60
        while not warm_emails <= {r for item in mail.snapshot() for r in item.recipients}:
            if time.monotonic() > deadline:
                raise BenchError("the warm-up filings' e-mails did not arrive within 60 s")
            time.sleep(POLL_SECONDS)

        baseline = mail.count()
        emails = [f"bench-form-{i:05d}@example.com" for i in range(args.forms)]
        others = OtherLoad((server.pid, *own_sessions)).start()
        started = time.perf_counter()
        spacing = 1 / args.form_rate if args.form_rate > 0 else 0.0
        with ThreadPoolExecutor(max_workers=args.form_threads) as pool:
            submissions = list(pool.map(
                lambda pair: submit_form(port, *pair, not_before=started + pair[0] * spacing),
                enumerate(emails)))
        result.submit_seconds = time.perf_counter() - started
        accepted = [s for s in submissions if _accepted(s)]
        mail.wait_for(baseline + len(accepted), time.monotonic() + args.timeout)
        result.other_load_cores = others.stop()
        database.wait_settled(time.monotonic() + SETTLE_SECONDS)
        result.states = database.states("bench-form-%")
        time.sleep(1)  # a duplicate would come late
    finally:
        stop_gunicorn(server)
    result.log_alarms = log_alarms(log)
    result.tracebacks = tracebacks(log)

    arrivals: dict[str, list[float]] = {}
    for item in mail.snapshot()[baseline:]:
        for recipient in item.recipients:
            arrivals.setdefault(recipient, []).append(item.at)
    latencies = []
    for submission in accepted:
        times = arrivals.get(submission.email, [])
        if times:
            latencies.append((min(times) - submission.submitted_at) * 1000)
        result.without_email += not times
        result.more_than_one_email += len(times) > 1
    refused = [s for s in submissions if not _accepted(s)]
    result.refused = len(refused)
    mailed_anyway = [s.email for s in refused if s.email in arrivals]
    result.forms_per_s = len(submissions) / result.submit_seconds
    responses = [s.response_ms for s in submissions]
    result.response_p50_ms = percentile(responses, 50)
    result.response_p95_ms = percentile(responses, 95)
    if latencies:
        result.latency_p50_ms = percentile(latencies, 50)
        result.latency_p95_ms = percentile(latencies, 95)
        result.latency_max_ms = max(latencies)
        result.latency_min_ms = min(latencies)
    unexpected = set(arrivals) - set(emails)
    if refused:
        result.problems.append(f"forms: {result.refused} of {args.forms} submits not "
                               f"accepted (e.g. {refused[0].status} "
                               f"{refused[0].location or 'without Location'}; the server "
                               f"log's tracebacks are in the JSON)")
    if mailed_anyway:
        result.problems.append(f"forms: refused submits got an e-mail: {mailed_anyway[:5]}")
    if result.without_email or result.more_than_one_email:
        result.problems.append(f"forms: {result.without_email} accepted forms without an "
                               f"e-mail, "
                               f"{result.more_than_one_email} with more than one")
    if unexpected:
        result.problems.append(f"forms: e-mails to addresses no form gave: "
                               f"{sorted(unexpected)[:5]}")
    not_sent = {state: n for state, n in result.states.items() if state != "sent"}
    if not_sent:
        result.problems.append(f"forms: outbox rows not sent: {not_sent}")
    return result


def tracebacks(log: Path, limit: int = 3) -> list[str]:
    """The last lines of the first few tracebacks in a log (log_alarms keeps one line)."""
    found, current = [], None
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("Traceback"):
            current = [line]
        elif current is not None:
            current.append(line)
            if line and not line.startswith(" "):  # the exception line ends the block
                found.append("\n".join(current[-12:]))
                current = None
                if len(found) == limit:
                    break
    return found


def percentile(values: list[float], percent: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(percent / 100 * (len(ordered) - 1)))]


# --- the run ----------------------------------------------------------------------------------

def machine_info() -> dict:
    """common.machine() (which also asks wrk, not needed here) and the versions that matter."""
    from importlib.metadata import version

    import redis

    try:
        info = machine()
    except OSError:  # no wrk on PATH
        info = {"nproc": os.cpu_count(), "python": sys.version.split()[0]}
    try:
        server = redis.Redis.from_url(REDIS_URL, socket_timeout=5).info("server")
        info["redis_server"] = server.get("redis_version")
    except redis.RedisError:
        info["redis_server"] = None
    return info | {package: version(package) for package in ("celery", "kombu", "aiosmtpd")}


def flush_broker() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=5).flushdb()
    except redis.RedisError as error:
        raise BenchError(f"Redis at {REDIS_URL} is not usable: {error}") from error


def export_celery_environment(mail: MailSink, sweep_seconds: float) -> None:
    """What the workers, beat, the gunicorn server and the bench's own app share."""
    os.environ.update({"IOK_REDIS_URL": REDIS_URL, "IOK_MAIL_TRANSPORT": "smtp",
                       "IOK_SMTP_HOST": "127.0.0.1", "IOK_SMTP_PORT": str(mail.port),
                       "IOK_SMTP_SECURITY": "none"})
    if sweep_seconds > 0:
        os.environ["IOK_OUTBOX_SWEEP_SECONDS"] = str(sweep_seconds)


def run(args: argparse.Namespace, tmp: Path) -> dict:
    busy = cpu_busy()
    warn_if_busy(busy)
    url = database_url(args.database_url, tmp)
    if url.startswith("postgresql"):
        recreate_postgres_database(url)  # no row of an earlier run may be sent in this one
    export_server_environment(url, tmp)
    prepare_database(url)
    flush_broker()
    mail = MailSink().start()
    celery: list[CeleryProcess] = []
    try:
        export_celery_environment(mail, args.sweep_seconds)
        database = Database(url)
        domain = database.app.config["IOK_MAIL_DOMAIN"]
        batch_size = database.app.config["IOK_OUTBOX_BATCH_SIZE"]
        database.dispose()
        print(f"starting {args.workers} Celery worker(s) × {args.concurrency} processes"
              f"{' and beat' if args.sweep_seconds > 0 else ''} …", flush=True)
        start_celery(args, tmp, celery)
        sessions = tuple(process.process.pid for process in celery)
        print(f"outbox: {args.messages} e-mails in one transaction …", flush=True)
        throughput = measure_throughput(args, database, mail, sessions, domain)
        print(f"forms: {args.forms} e-forms at {TENANT_HOST}, {args.form_threads} at a time …",
              flush=True)
        forms = measure_forms(args, tmp, database, mail, sessions)
        database.dispose()
    finally:
        for process in celery:
            process.stop()
        mail.stop()
        with contextlib.suppress(BenchError):
            flush_broker()  # leave no queued task behind
    outcomes = task_outcomes(celery)
    alarms = [line for process in celery for line in log_alarms(process.log)][:20]
    return {
        "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": machine_info() | {"cpu_busy_before": busy},
        "settings": {"messages": args.messages, "workers": args.workers,
                     "concurrency": args.concurrency, "pool": "prefork",
                     "forms": args.forms, "ci": args.ci,
                     "batch_size": batch_size, "form_threads": args.form_threads,
                     "form_rate": args.form_rate or None,
                     "web_workers": args.web_workers, "database": url.split(":", 1)[0],
                     "broker": REDIS_URL, "beat_sweep_seconds": args.sweep_seconds or None,
                     "served_app": f"bench/{SERVED_APP}", "csrf": False, "rate_limits": False,
                     "timeout_seconds": args.timeout},
        "throughput": vars(throughput),
        "forms": vars(forms),
        "celery": outcomes | {"log_alarms": alarms},
    }


# --- the report --------------------------------------------------------------------------------

def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} ms"


def print_report(report: dict) -> None:
    t, f, c = report["throughput"], report["forms"], report["celery"]
    s = report["settings"]
    rate = "-" if t["emails_per_s"] is None else f"{t['emails_per_s']:.1f}"
    print(f"\nCelery: {s['workers']} worker(s) × {s['concurrency']} (prefork), broker "
          f"{s['broker']}; database {s['database']}")
    print(f"\n{'outbox throughput':<40}{'':>14}")
    rows = [("messages (one transaction)", f"{t['messages']}"),
            ("commit incl. publishing (s)", f"{t['commit_seconds']:.2f}"),
            ("first e-mail after commit", _ms(None if t["first_email_seconds"] is None
                                              else t["first_email_seconds"] * 1000)),
            ("all e-mails after commit (s)", "-" if t["all_emails_seconds"] is None
             else f"{t['all_emails_seconds']:.2f}"),
            ("e-mails/s", rate),
            ("limit: raw smtplib sends/s (1 connection)",
             f"{t['raw']['sends_per_s']:.1f} ({t['raw']['messages']} × "
             f"{t['raw']['message_bytes']} B)"),
            ("outbox / raw", "-" if t["ratio_to_raw"] is None else f"{t['ratio_to_raw']:.2f}"),
            ("CPU ms per e-mail: celery / bench+SMTP / PG",
             " / ".join(f"{v:.2f}" for v in t["cpu_ms_per_email"].values())),
            ("received / distinct Message-IDs", f"{t['received']} / {t['distinct_message_ids']}"),
            ("rows by state", ", ".join(f"{k} {v}" for k, v in sorted(t["states"].items())))]
    rows += [("", ""), ("form submit -> e-mail received", ""),
             ("forms (threads, rate limit)",
              f"{f['forms']} ({f['threads']}, {f['rate_limit'] or 'none'})"),
             ("submits/s", f"{f['forms_per_s']:.1f}"),
             ("response p50 / p95", f"{_ms(f['response_p50_ms'])} / {_ms(f['response_p95_ms'])}"),
             ("submit -> e-mail p50", _ms(f["latency_p50_ms"])),
             ("submit -> e-mail p95", _ms(f["latency_p95_ms"])),
             ("submit -> e-mail max", _ms(f["latency_max_ms"])),
             ("refused / no e-mail / >1 e-mail",
              f"{f['refused']} / {f['without_email']} / {f['more_than_one_email']}")]
    for name, value in rows:
        print(f"{name:<40}{value:>24}")
    print(f"\ndeliver_batch tasks: {c['batch_tasks']}, messages {c['deliver']} (raised "
          f"{c['deliver_raised']}); a batch that sent ran {_ms(c['sent_task_ms_p50'])} (p50), "
          f"{_ms(c['sent_task_ms_p95'])} (p95)")
    print(f"beat: {c['sweeps']} sweeps, "
          f"{c['rows_republished_by_sweeper']} rows re-published by the sweeper")
    for line in c["log_alarms"] + f["log_alarms"]:
        print(f"log: {line}")
    for block in f["tracebacks"]:
        print(f"gunicorn log:\n{block}")
    warn_if_loaded("the outbox throughput run", t["other_load_cores"])
    warn_if_loaded("the forms run", f["other_load_cores"])


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int,
                        help="outbox rows queued in one transaction (10000; 2000 with --ci)")
    parser.add_argument("--raw-messages", type=int, default=2000,
                        help="e-mails of the plain smtplib loop that measures the limit")
    parser.add_argument("--ci", action="store_true",
                        help="the short CI run: 2000 messages unless --messages says "
                        "otherwise; exits 1 on any lost or duplicated e-mail")
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--concurrency", type=int, default=2,
                        help="prefork pool processes per worker")
    parser.add_argument("--forms", type=int, default=200, help="e-forms submitted")
    parser.add_argument("--form-threads", type=int, default=2,
                        help="forms submitted at a time")
    parser.add_argument("--form-rate", type=float, default=0.0,
                        help="submit at most this many forms per second (0 = as fast as "
                        "--form-threads go)")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--sweep-seconds", type=float, default=30.0,
                        help="beat's outbox sweep interval (the deployed default, 30); "
                        "0 = no beat")
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="how long to wait for the e-mails of each scenario")
    parser.add_argument("--keep-logs", type=Path, metavar="DIR",
                        help="copy the Celery and gunicorn logs into DIR at the end")
    parser.add_argument("--database-url", help="use this PostgreSQL database (dropped and "
                        "created again at every run) instead of a throwaway SQLite file")
    args = parser.parse_args()
    if args.messages is None:
        args.messages = 2000 if args.ci else 10000
    for name in ("messages", "raw_messages", "workers", "concurrency", "forms", "form_threads",
                 "web_workers"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def _terminate(signum, _frame) -> None:
    raise SystemExit(128 + signum)  # runs the finally blocks that stop every process


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, _terminate)
    return bench_main("outbox", run, _problems, print_report, args, needs_wrk=False,
                      keep_logs=args.keep_logs)


def _problems(report: dict) -> list[str]:
    return report["throughput"]["problems"] + report["forms"]["problems"]


if __name__ == "__main__":
    sys.exit(main())
