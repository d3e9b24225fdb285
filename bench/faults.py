"""Fault runs: Redis stopped, then PostgreSQL restarted, while residents and staff use the
portal. Nothing may break for the user beyond a clean 503, and no e-mail may be lost.

Run from the repository root, as root or as a user that may run PostgreSQL's initdb
(root runs the throwaway cluster as the `postgres` user with runuser):

    .venv/bin/python bench/faults.py [--seconds 40] [--outage 10]
    .venv/bin/python bench/faults.py --ci          # ~15 s of load per fault

Everything it stops and restarts is its own: a throwaway PostgreSQL cluster (initdb in a
temporary directory, a free port, socket in that directory) and a throwaway redis-server
on a free port. The machine's PostgreSQL and Redis are not touched.

Set-up: the database is built as bench/load.py builds it (owner + row-level security, the
app connects as a role that owns nothing; the five shipped tenants and --tenants copies,
demo data and seeders). An aiosmtpd server on loopback records every message. One Celery
worker and one beat (the outbox sweep every 2 s, a never-tried row is left alone 5 s) and
gunicorn serving the real app (``create_app()`` with only CSRF off: the rate limiter is
on, its storage in the same Redis) get everything through IOK_* variables. Residents and
the staff ``admin`` of two tenants are signed in beforehand (in-process, through the real
login forms; the limiter would refuse that many logins from one address).

Traffic (Python threads, each request with a 20 s timeout):
- residents: the pages of bench/load.py (dashboard, ledger, meters, announcements, faults,
  start page) and its POSTs (a fault report, the announcements e-mail switch);
- staff: a comment on a resident's fault report, --mail-rate a second. Each one saved
  queues exactly one e-mail to the resident (fault_status_changed);
- a failed login POST every 2 s: the rate-limited path, so the limiter's storage is used.

Fault 1, Redis: load, stop redis-server (SIGTERM) for --outage seconds, start it again on
the same port, load on. Every response must be the normal one (pages 200, POSTs 302, the
login 200 or 429) — no 5xx at all. Fault 2, PostgreSQL: load, ``pg_ctl restart -m fast``,
load on. While the database is away a request may answer only the clean 503 page ("Usługa
chwilowo niedostępna", Retry-After); after the restart every request must be normal again
within --recovery-limit seconds, with no restart of the app. After each fault: every
comment saved must have its outbox row, and every row must reach the SMTP server (the
sweeper sends what the broker lost). The report counts requests before, during and after
each outage by kind and outcome, the recovery time, e-mails expected and delivered; it
goes to bench/results/faults-<timestamp>.json. Exit 1 on any unclean answer, a slow
recovery or a lost e-mail; 2 if it could not run.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

# bench/ is sys.path[0] when this file is run as a script.
from common import (
    REPO,
    BenchError,
    bench_main,
    cpu_busy,
    free_port,
    http_request,
    start_gunicorn,
    stop_gunicorn,
    tail,
    warn_if_busy,
)
from load import (
    POST_REDIRECTS,
    SESSION_COOKIE,
    Resident,
    Target,
    build,
    check_targets,
    mix,
    pick_residents,
    recreate_database,
    urls,
)
from outbox import CeleryProcess, MailSink

# The real app with CSRF off only (the limiter stays on): a gunicorn factory call.
SERVED_APP = "iok_saas:create_app({'WTF_CSRF_ENABLED': False})"
DATABASE = "iok_faults"
STAFF_TENANTS = ("kuzniki", "zielone-wzgorza")  # their policies show faults
UNAVAILABLE = "Usługa chwilowo niedostępna"
REQUEST_TIMEOUT = 20.0  # generous: the machine is shared
READY_SECONDS = 60
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
LOGIN_PROBE_SECONDS = 2.0
STAFF_REDIRECT = re.compile(r"^(https?://[^/]+)?/staff/usterki/\d+$")
SWEEP_SECONDS = "2"
SWEEP_GRACE_SECONDS = "5"
LEASE_SECONDS = "15"


# --- throwaway servers -------------------------------------------------------------------------

def _stop_group(process: subprocess.Popen | None, wait: float = 15) -> None:
    if process is None:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _wait_port(port: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return True
        time.sleep(0.1)
    return False


class ThrowawayRedis:
    """redis-server on a free loopback port, no persistence: a stop loses its queue."""

    def __init__(self, tmp: Path) -> None:
        if shutil.which("redis-server") is None:
            raise BenchError("redis-server is not installed (apt-get install -y redis-server)")
        self.port = free_port()
        self.log = tmp / "redis.log"
        self.dir = tmp
        self.process: subprocess.Popen | None = None

    def start(self) -> ThrowawayRedis:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                 "--save", "", "--appendonly", "no", "--dir", str(self.dir)],
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        if not _wait_port(self.port, 20):
            raise BenchError(f"redis-server did not start:\n{tail(self.log)}")
        return self

    def stop(self) -> None:
        _stop_group(self.process)
        self.process = None

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"


class ThrowawayPostgres:
    """A PostgreSQL cluster of its own: initdb in a temporary directory, a free port, the
    socket in that directory. Run as `postgres` when this process is root."""

    def __init__(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                       key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit()
                       else 0)
        if not found:
            raise BenchError("PostgreSQL server binaries not found "
                             "(/usr/lib/postgresql/*/bin/initdb)")
        self.bin = Path(found[-1]).parent
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="iok-faults-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
            self.root.chmod(0o700)

    def _run(self, *command: str, timeout: float = 120) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_postgres else []
        done = subprocess.run([*prefix, *command], capture_output=True, text=True,
                              timeout=timeout, check=False)
        if done.returncode != 0:
            server_log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise BenchError(f"{' '.join(command[:2])} failed ({done.returncode}):\n"
                             f"{done.stdout}{done.stderr}\n{server_log}")
        return done

    def _options(self) -> str:
        return (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                f"-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                f"-c max_connections=100")

    def start(self) -> ThrowawayPostgres:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust",
                  "-U", "postgres", "-E", "UTF8", "--no-sync")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", self._options(),
                  "-l", str(self.log), "-w", "-t", "60", "start")
        return self

    def restart(self) -> None:
        """`pg_ctl restart -m fast`: every connection is cut, the server comes back."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", self._options(),
                  "-l", str(self.log), "-m", "fast", "-w", "-t", "60", "restart")

    def halt(self) -> None:
        """`pg_ctl stop -m fast`: down until start_again()."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w",
                  "-t", "60", "stop")

    def start_again(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", self._options(),
                  "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self) -> None:
        with contextlib.suppress(BenchError, subprocess.TimeoutExpired, OSError):
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                      "-w", "-t", "30", "stop", timeout=60)
        shutil.rmtree(self.root, ignore_errors=True)

    def owner_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{DATABASE}"


# --- signing in ----------------------------------------------------------------------------------

def _cookie_of(response) -> str | None:
    cookies = SimpleCookie()
    for header in response.headers.getlist("Set-Cookie"):
        cookies.load(header)
    if SESSION_COOKIE in cookies:
        return f"{SESSION_COOKIE}={cookies[SESSION_COOKIE].value}"
    return None


def _second_step(app, host: str, cookie: str) -> str:
    """Staff must pass the second factor: the demo staff's authenticator code (each tenant's
    admin is another member, so one code serves each once)."""
    from iok_saas.demo import STAFF_TOTP_SECRET
    from iok_saas.modules.mfa import totp
    from iok_saas.timeutil import utcnow

    code = totp.code_for_step(STAFF_TOTP_SECRET, totp.step_at(utcnow()))
    response = app.test_client(use_cookies=False).post(
        "/logowanie/drugi-krok/", base_url=f"http://{host}", headers={"Cookie": cookie},
        data={"code": code})
    signed_in = _cookie_of(response) or cookie
    if response.status_code != 302 or not response.headers["Location"].endswith("/staff/"):
        raise BenchError(f"staff second step at {host} answered {response.status_code} "
                         f"({response.headers.get('Location')})")
    return signed_in


def sign_in(app_url: str, residents: list[Resident], password: str, staff_password: str,
            base_domain: str) -> dict[str, str]:
    """Residents and each STAFF_TENANTS admin sign in through the real forms, in-process
    (sessions are database rows; the cookie is signed with the same development key the
    server uses). Returns {tenant host: staff cookie}."""
    from iok_saas import create_app
    from iok_saas.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": app_url, "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_ENABLED": False})
    for resident in residents:
        response = app.test_client(use_cookies=False).post(
            "/logowanie", base_url=f"http://{resident.host}",
            data={"login": resident.login, "password": password})
        resident.cookie = _cookie_of(response)
        if response.status_code != 302 or resident.cookie is None:
            raise BenchError(f"login of {resident.login} at {resident.host} answered "
                             f"{response.status_code}")
    staff = {}
    for slug in STAFF_TENANTS:
        host = f"{slug}.{base_domain}"
        response = app.test_client(use_cookies=False).post(
            "/staff/logowanie", base_url=f"http://{host}",
            data={"login": "admin", "password": staff_password})
        cookie = _cookie_of(response)
        if response.status_code != 302 or cookie is None:
            raise BenchError(f"staff login at {host} answered {response.status_code}")
        staff[host] = _second_step(app, host, cookie)
    with app.app_context():
        db.engine.dispose()
    return staff


def fault_ids(owner_url: str) -> dict[str, int]:
    """{slug: the newest fault report there}: the one staff comment on."""
    from sqlalchemy import create_engine, text

    engine = create_engine(owner_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT t.slug, max(f.id) FROM fault_report f JOIN tenant t "
                "ON t.id = f.tenant_id WHERE t.slug = ANY(:slugs) GROUP BY t.slug"),
                {"slugs": list(STAFF_TENANTS)}).all()
    finally:
        engine.dispose()
    found = {slug: fid for slug, fid in rows if fid is not None}
    if set(found) != set(STAFF_TENANTS):
        raise BenchError(f"no fault report to comment on at {set(STAFF_TENANTS) - set(found)}")
    return found


# --- the traffic -------------------------------------------------------------------------------

@dataclass
class Answer:
    at: float  # time.monotonic() when the answer (or the failure) came
    kind: str  # page | post | mail | login
    outcome: str  # ok | clean_503 | unclean_5xx | unexpected | socket_error
    status: int
    ms: float
    detail: str = ""


class Traffic:
    """Client threads: residents' pages and POSTs, staff comments at a fixed rate, a failed
    login every few seconds. Every answer is classified and kept with its time."""

    def __init__(self, port: int, targets: list[Target], staff: dict[str, str],
                 faults: dict[str, int], clients: int, mail_rate: float,
                 base_domain: str) -> None:
        self.port, self.targets, self.clients = port, targets, clients
        self.staff = [(host, cookie, faults[host.split(".")[0]])
                      for host, cookie in staff.items()]
        self.mail_rate = mail_rate
        self.login_host = f"{STAFF_TENANTS[0]}.{base_domain}"
        self.answers: list[Answer] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []
        self.serial = 0

    def start(self) -> Traffic:
        self.stopping.clear()
        for number in range(self.clients):
            self.threads.append(threading.Thread(target=self._resident, args=(number,),
                                                 daemon=True))
        self.threads.append(threading.Thread(target=self._comments, daemon=True))
        self.threads.append(threading.Thread(target=self._login_probe, daemon=True))
        for thread in self.threads:
            thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(REQUEST_TIMEOUT + 5)
        self.threads = []

    def _keep(self, answer: Answer) -> None:
        with self.lock:
            self.answers.append(answer)

    def _call(self, kind: str, method: str, host: str, path: str, cookie: str | None,
              body: str | None, expect) -> Answer:
        """One request; ``expect(status, headers)`` says whether the answer is the normal
        one."""
        headers = ({"Cookie": cookie} if cookie else {}) | (FORM if body is not None else {})
        began = time.monotonic()
        try:
            status, response_headers, content = _request(self.port, method, path, host,
                                                          body, headers)
        except OSError as error:
            return Answer(time.monotonic(), kind, "socket_error", 0,
                          (time.monotonic() - began) * 1000, f"{method} {path}: {error!r}")
        ms = (time.monotonic() - began) * 1000
        if expect(status, response_headers):
            outcome, detail = "ok", ""
        elif status == 503 and UNAVAILABLE in content.decode(errors="replace") \
                and response_headers.get("Retry-After", "").isdigit():
            outcome, detail = "clean_503", ""
        elif status >= 500:
            outcome, detail = "unclean_5xx", f"{method} {host}{path}: {status}"
        else:
            outcome = "unexpected"
            detail = (f"{method} {host}{path}: {status} "
                      f"{response_headers.get('Location', '')}")
        return Answer(time.monotonic(), kind, outcome, status, ms, detail)

    def _resident(self, number: int) -> None:
        index = number * 7919 % len(self.targets)
        while not self.stopping.is_set():
            target = self.targets[index]
            index = (index + 1) % len(self.targets)
            if target.method == "GET":
                answer = self._call("page", "GET", target.host, target.path, target.cookie,
                                    None, lambda status, _h: status == 200)
            else:
                pattern = POST_REDIRECTS[target.path].replace("%d", r"\d")
                answer = self._call(
                    "post", "POST", target.host, target.path, target.cookie, target.body,
                    lambda status, h, p=pattern: status == 302
                    and re.search(p, h.get("Location", "")) is not None)
            self._keep(answer)

    def _comments(self) -> None:
        """Staff comments at ``mail_rate`` a second, round robin over the staff tenants."""
        spacing = 1 / self.mail_rate
        next_at = time.monotonic()
        while not self.stopping.is_set():
            self.stopping.wait(max(0.0, next_at - time.monotonic()))
            if self.stopping.is_set():
                return
            next_at += spacing
            host, cookie, fault = self.staff[self.serial % len(self.staff)]
            self.serial += 1
            body = urlencode({"status": "", "comment": f"Komentarz nr {self.serial} "
                              f"z testu awarii: technik jest w drodze."})
            self._keep(self._call("mail", "POST", host, f"/staff/usterki/{fault}", cookie,
                                  body, lambda status, h: status == 302 and STAFF_REDIRECT
                                  .search(h.get("Location", "")) is not None))

    def _login_probe(self) -> None:
        """A failed login now and then: the rate-limited path (200 = the form again, 429 =
        the limit; both normal)."""
        while not self.stopping.wait(LOGIN_PROBE_SECONDS):
            body = urlencode({"login": "000000", "password": "Niepoprawne-2026"})
            self._keep(self._call("login", "POST", self.login_host, "/logowanie", None, body,
                                  lambda status, _h: status in (200, 429)))

    def since(self, mark: int) -> list[Answer]:
        with self.lock:
            return list(self.answers[mark:])

    def mark(self) -> int:
        with self.lock:
            return len(self.answers)


def _request(port: int, method: str, path: str, host: str, body: str | None,
             headers: dict[str, str]):
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    try:
        connection.request(method, path, body=body, headers={"Host": host} | headers)
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


# --- the outbox ----------------------------------------------------------------------------------

class Outbox:
    def __init__(self, owner_url: str) -> None:
        from sqlalchemy import create_engine

        self.engine = create_engine(owner_url, pool_pre_ping=True)

    def last_id(self) -> int:
        from sqlalchemy import text

        with self.engine.connect() as conn:
            return conn.scalar(text("SELECT coalesce(max(id), 0) FROM outbox_message"))

    def rows_after(self, last_id: int) -> dict[str, str]:
        """{delivery key: state} of the rows written after ``last_id``."""
        from sqlalchemy import text

        with self.engine.connect() as conn:
            return dict(conn.execute(text(
                "SELECT delivery_key, state FROM outbox_message WHERE id > :id"),
                {"id": last_id}).all())

    def keys_written_between(self, last_id: int, began: float, ended: float) -> set[str]:
        """Delivery keys of the rows (after ``last_id``) created between two wall-clock
        times (time.time())."""
        from sqlalchemy import text

        with self.engine.connect() as conn:
            return set(conn.scalars(text(
                "SELECT delivery_key FROM outbox_message WHERE id > :id "
                "AND created_at >= to_timestamp(:began) AND created_at < to_timestamp(:ended)"),
                {"id": last_id, "began": began, "ended": ended}))

    def dispose(self) -> None:
        self.engine.dispose()


def _key_of(message_id: str, domain: str) -> str | None:
    match = re.fullmatch(rf"<([0-9a-f]+)@{re.escape(domain)}>", message_id)
    return match[1] if match else None


def message_keys(mail: MailSink, domain: str) -> list[str]:
    """The delivery keys of the Message-IDs received so far (with repeats)."""
    return [key for item in mail.snapshot()
            if (key := _key_of(item.message_id, domain)) is not None]


# --- one fault -----------------------------------------------------------------------------------

@dataclass
class FaultResult:
    name: str
    seconds_before: float = 0.0
    outage_seconds: float = 0.0  # how long the service was actually away
    seconds_after: float = 0.0
    requests: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    recovery_seconds: float | None = None  # from the service's return to the last non-ok
    mail_posts_ok: int = 0
    mail_posts_max_ms: float = 0.0
    # A staff comment's response time (p50 / max, ms) in each phase: the publish to a
    # stopped broker must not hold the request.
    mail_post_ms: dict[str, list[float]] = field(default_factory=dict)
    mails_written_during: int = 0  # outbox rows committed while the service was away
    mails_written_during_delivered: int = 0
    mails_expected: int = 0  # outbox rows written (one per comment saved)
    mails_delivered: int = 0
    mails_duplicated: int = 0  # received more than once (same Message-ID; not a loss)
    # From the service's return to the arrival of the last e-mail written while it was away
    # (those wait for the sweeper: their publish failed, or their queued task was lost).
    outage_mails_in_seconds: float | None = None
    rows_by_state: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _tally(answers: list[Answer]) -> dict[str, dict[str, int]]:
    table: dict[str, dict[str, int]] = {}
    for answer in answers:
        row = table.setdefault(answer.kind, {})
        row[answer.outcome] = row.get(answer.outcome, 0) + 1
    return table


def run_fault(name: str, traffic: Traffic, outbox: Outbox, mail: MailSink, domain: str,
              args: argparse.Namespace, take_down, bring_back) -> FaultResult:
    """Load, take the service down (``take_down`` returns when it is down), wait the
    outage, ``bring_back`` (returns when it is back), load on, then wait for the e-mails."""
    result = FaultResult(name)
    first_row = outbox.last_id()
    before = max(3.0, (args.seconds - args.outage) / 2)
    after = max(3.0, args.seconds - args.outage - before)
    start_mark = traffic.mark()
    traffic.start()
    began = time.monotonic()
    time.sleep(before)
    down_at, down_wall = time.monotonic(), time.time()
    take_down()
    time.sleep(max(0.0, args.outage - (time.monotonic() - down_at)))
    bring_back()
    back_at, back_wall, back_perf = time.monotonic(), time.time(), time.perf_counter()
    print(f"  {name}: down {back_at - down_at:.1f} s; loading on for {after:.0f} s …",
          flush=True)
    time.sleep(after)
    traffic.stop()
    ended = time.monotonic()
    answers = traffic.since(start_mark)
    result.seconds_before = round(down_at - began, 1)
    result.outage_seconds = round(back_at - down_at, 1)
    result.seconds_after = round(ended - back_at, 1)
    result.requests = {
        "before": _tally([a for a in answers if a.at < down_at]),
        "during": _tally([a for a in answers if down_at <= a.at < back_at]),
        "after": _tally([a for a in answers if a.at >= back_at]),
    }
    bad = [a for a in answers if a.outcome != "ok"]
    late = [a for a in bad if a.at >= back_at]
    result.recovery_seconds = round(max(a.at for a in late) - back_at, 2) if late else 0.0
    mails = [a for a in answers if a.kind == "mail"]
    result.mail_posts_ok = sum(a.outcome == "ok" for a in mails)
    result.mail_posts_max_ms = round(max((a.ms for a in mails), default=0.0), 1)
    result.examples = sorted({a.detail for a in bad if a.detail})[:10]
    for phase, chosen in (("before", [a for a in mails if a.at < down_at]),
                          ("during", [a for a in mails if down_at <= a.at < back_at]),
                          ("after", [a for a in mails if a.at >= back_at])):
        times = sorted(a.ms for a in chosen)
        if times:
            result.mail_post_ms[phase] = [round(times[len(times) // 2], 1),
                                          round(times[-1], 1)]

    # Every comment saved has its row; every row reaches the SMTP server.
    deadline = time.monotonic() + args.mail_timeout
    while True:
        rows = outbox.rows_after(first_row)
        received = message_keys(mail, domain)
        delivered = set(rows) & set(received)
        if len(delivered) == len(rows) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    # Then until every row reads `sent`: a row whose e-mail went out but whose "sent" mark
    # was lost (the database restarted in between) stays `sending` until its lease ends,
    # and the sweeper sends it again, with the same Message-ID.
    settle = time.monotonic() + float(LEASE_SECONDS) + 30
    while time.monotonic() < min(deadline, settle) and any(
            state != "sent" for state in outbox.rows_after(first_row).values()):
        time.sleep(0.5)
    time.sleep(1)  # a duplicate would come late
    received = message_keys(mail, domain)
    result.mails_expected = len(rows)
    result.mails_delivered = len(set(rows) & set(received))
    result.mails_duplicated = sum(received.count(key) > 1 for key in rows)
    during = outbox.keys_written_between(first_row, down_wall, back_wall)
    result.mails_written_during = len(during)
    result.mails_written_during_delivered = len(during & set(received))
    arrivals = [item.at for item in mail.snapshot()
                if _key_of(item.message_id, domain) in during]
    if arrivals:
        result.outage_mails_in_seconds = round(max(arrivals) - back_perf, 1)
    states: dict[str, int] = {}
    for state in outbox.rows_after(first_row).values():
        states[state] = states.get(state, 0) + 1
    result.rows_by_state = states
    return result


def judge_redis(result: FaultResult) -> None:
    """Redis away: the user notices nothing. No 5xx, no clean 503 even, every POST saved."""
    bad = {phase: {kind: {o: n for o, n in row.items() if o != "ok"}
                   for kind, row in table.items()}
           for phase, table in result.requests.items()}
    bad = {phase: {k: v for k, v in table.items() if v} for phase, table in bad.items()}
    bad = {phase: table for phase, table in bad.items() if table}
    if bad:
        result.problems.append(f"{result.name}: answers other than the normal one: {bad} "
                               f"(e.g. {result.examples[:3]})")
    _judge_mail(result)


def judge_postgres(result: FaultResult, recovery_limit: float) -> None:
    """PostgreSQL away: only clean 503s while it is, none long after, nothing else ever."""
    unclean = {phase: {kind: {o: n for o, n in row.items() if o not in ("ok", "clean_503")}
                       for kind, row in table.items()}
               for phase, table in result.requests.items()}
    unclean = {phase: {k: v for k, v in table.items() if v} for phase, table in unclean.items()}
    unclean = {phase: table for phase, table in unclean.items() if table}
    if unclean:
        result.problems.append(f"{result.name}: unclean answers: {unclean} "
                               f"(e.g. {result.examples[:3]})")
    if result.recovery_seconds is not None and result.recovery_seconds > recovery_limit:
        result.problems.append(f"{result.name}: requests still failed "
                               f"{result.recovery_seconds:.1f} s after the restart "
                               f"(limit {recovery_limit:g} s)")
    _judge_mail(result)


def _judge_mail(result: FaultResult) -> None:
    if result.mails_expected < result.mail_posts_ok:
        result.problems.append(f"{result.name}: {result.mail_posts_ok} comments saved but "
                               f"only {result.mails_expected} outbox rows")
    if result.mails_delivered < result.mails_expected:
        result.problems.append(f"{result.name}: {result.mails_expected - result.mails_delivered}"
                               f" of {result.mails_expected} e-mails not delivered "
                               f"(rows by state {result.rows_by_state})")
    if not result.mail_posts_ok:
        result.problems.append(f"{result.name}: no staff comment was saved at all")


# --- the run -----------------------------------------------------------------------------------

def export_environment(app_url: str, tmp: Path, redis: ThrowawayRedis, mail: MailSink) -> None:
    """What gunicorn, the worker and beat share (deployment settings, through IOK_*)."""
    os.environ.update({
        "IOK_DATABASE_URL": app_url, "IOK_VAR_DIR": str(tmp), "IOK_ENV": "development",
        "IOK_REDIS_URL": redis.url(0), "IOK_RATELIMIT_STORAGE_URL": redis.url(1),
        "IOK_RATELIMIT_ENABLED": "1",
        "IOK_MAIL_TRANSPORT": "smtp", "IOK_SMTP_HOST": "127.0.0.1",
        "IOK_SMTP_PORT": str(mail.port), "IOK_SMTP_SECURITY": "none",
        "IOK_OUTBOX_SWEEP_SECONDS": SWEEP_SECONDS,
        "IOK_OUTBOX_SWEEP_GRACE_SECONDS": SWEEP_GRACE_SECONDS,
        "IOK_OUTBOX_LEASE_SECONDS": LEASE_SECONDS,
    })


def wait_ready(process: subprocess.Popen, port: int, host: str, log: Path) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"gunicorn exited with {process.returncode}:\n{tail(log)}")
        try:
            status, _h, _b = http_request(port, "GET", "/", host)
        except OSError:
            time.sleep(0.3)
            continue
        if status == 200:
            return
        raise BenchError(f"GET / at {host} answered {status}:\n{tail(log)}")
    raise BenchError(f"gunicorn did not answer within {READY_SECONDS} s:\n{tail(log)}")


def traceback_lines(log: Path) -> list[str]:
    lines = log.read_text(errors="replace").splitlines()
    found = []
    for number, line in enumerate(lines):
        if line.startswith("Traceback"):
            block = lines[number:number + 40]
            last = next((b for b in block[1:] if b and not b.startswith(" ")), block[-1])
            found.append(last[:300])
    return found


def run(args: argparse.Namespace, tmp: Path) -> dict:
    from iok_saas.demo import RESIDENT_PASSWORD, STAFF_PASSWORD

    busy = cpu_busy()
    warn_if_busy(busy)
    postgres = redis = None
    mail = None
    celery: list[CeleryProcess] = []
    server = None
    outbox = None
    results: list[FaultResult] = []
    log = tmp / "gunicorn-faults.log"
    try:
        print("starting a throwaway PostgreSQL cluster and redis-server …", flush=True)
        postgres = ThrowawayPostgres().start()
        owner_url, app_url = urls(postgres.owner_url())
        recreate_database(owner_url)
        print(f"building the data: 5 + {args.tenants} tenants …", flush=True)
        data = build(owner_url, args.tenants, args.residents)
        residents = pick_residents(owner_url, args.per_tenant)
        from iok_saas import create_app

        base_domain = create_app({"SQLALCHEMY_DATABASE_URI": owner_url}).config[
            "IOK_BASE_DOMAIN"]
        print(f"signing in {len(residents)} residents and {len(STAFF_TENANTS)} staff …",
              flush=True)
        staff = sign_in(app_url, residents, RESIDENT_PASSWORD, STAFF_PASSWORD, base_domain)
        redis = ThrowawayRedis(tmp).start()
        mail = MailSink().start()
        export_environment(app_url, tmp, redis, mail)
        domain = os.environ.get("IOK_MAIL_DOMAIN", "iok.localhost")

        celery.append(CeleryProcess(
            "faults-worker", ["worker", "--pool=prefork", "--concurrency=1",
                              "--loglevel=INFO", "--without-gossip", "--without-mingle",
                              "--hostname", "faults-worker@%h"], tmp,
            r"faults-worker@\S+ ready\.").start())
        celery.append(CeleryProcess(
            "faults-beat", ["beat", "--loglevel=INFO", "--schedule",
                            str(tmp / "beat-schedule")], tmp, r"beat: Starting").start())
        port = free_port()
        server = start_gunicorn(SERVED_APP, REPO, port, args.workers, log)
        wait_ready(server, port, residents[0].host, log)
        for process in celery:
            process.wait_ready(time.monotonic() + READY_SECONDS)
        check_targets(port, residents)
        targets = mix(residents, args.post_share)
        faults = fault_ids(owner_url)
        outbox = Outbox(owner_url)
        traffic = Traffic(port, targets, staff, faults, args.clients, args.mail_rate,
                          base_domain)

        # Warm-up: every worker serves, every process has its connections.
        mark = outbox.last_id()
        traffic.start()
        time.sleep(3)
        traffic.stop()
        warm_rows = outbox.rows_after(mark)
        deadline = time.monotonic() + 60
        while not set(warm_rows) <= set(message_keys(mail, domain)):
            if time.monotonic() > deadline:
                raise BenchError("the warm-up's e-mails did not arrive within 60 s:\n"
                                 f"{tail(celery[0].log)}")
            time.sleep(0.3)

        print(f"fault 1: Redis stopped for {args.outage:g} s during "
              f"{args.seconds:g} s of load …", flush=True)
        redis_result = run_fault("redis stopped", traffic, outbox, mail, domain, args,
                                 redis.stop, redis.start)
        judge_redis(redis_result)
        results.append(redis_result)

        pg_args = argparse.Namespace(**vars(args))
        pg_args.outage = args.pg_outage
        if args.pg_outage > 0:
            print(f"fault 2: PostgreSQL stopped for {args.pg_outage:g} s (pg_ctl stop -m "
                  f"fast, start) during {args.seconds:g} s of load …", flush=True)
            pg_result = run_fault("postgresql stopped and started", traffic, outbox, mail,
                                  domain, pg_args, postgres.halt, postgres.start_again)
        else:
            print(f"fault 2: PostgreSQL restarted (pg_ctl restart -m fast) during "
                  f"{args.seconds:g} s of load …", flush=True)
            pg_args.outage = 0.0  # the restart itself is the outage
            pg_result = run_fault("postgresql restarted", traffic, outbox, mail, domain,
                                  pg_args, postgres.restart, lambda: None)
        judge_postgres(pg_result, args.recovery_limit)
        results.append(pg_result)
    finally:
        if server is not None:
            stop_gunicorn(server)
        for process in celery:
            process.stop()
        if mail is not None:
            mail.stop()
        if outbox is not None:
            outbox.dispose()
        if redis is not None:
            redis.stop()
        if postgres is not None:
            postgres.stop()
    return {
        "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": {"nproc": os.cpu_count(), "cpu_busy_before": busy},
        "settings": {"seconds": args.seconds, "outage": args.outage, "clients": args.clients,
                     "mail_rate": args.mail_rate, "workers": args.workers,
                     "extra_tenants": args.tenants, "extra_residents": args.residents,
                     "post_share": args.post_share, "recovery_limit": args.recovery_limit,
                     "pg_outage": args.pg_outage or None,
                     "mail_timeout": args.mail_timeout, "served_app": SERVED_APP,
                     "rate_limits": True, "csrf": False, "sweep_seconds": SWEEP_SECONDS,
                     "sweep_grace_seconds": SWEEP_GRACE_SECONDS,
                     "lease_seconds": LEASE_SECONDS, "ci": args.ci},
        "data": asdict(data),
        "residents": len(residents),
        "faults": [asdict(result) for result in results],
        # The after-commit hook's warning for each publish that failed (broker away).
        "publish_failures_logged": log.read_text(errors="replace").count(
            "not handed to the broker") if log.exists() else 0,
        "server_tracebacks": traceback_lines(log) if log.exists() else [],
        "worker_tracebacks": [line for process in celery
                              for line in traceback_lines(process.log)][:20],
    }


def print_report(report: dict) -> None:
    print(f"\n{report['data']['tenants']} tenants, {report['residents']} residents signed "
          f"in; {report['settings']['clients']} resident clients, staff comments at "
          f"{report['settings']['mail_rate']:g}/s")
    for fault in report["faults"]:
        print(f"\n== {fault['name']}: {fault['seconds_before']} s before, "
              f"{fault['outage_seconds']} s away, {fault['seconds_after']} s after")
        print(f"{'phase':<8}{'kind':<7}{'ok':>7}{'clean 503':>11}{'5xx':>6}{'other':>7}"
              f"{'socket':>8}")
        for phase in ("before", "during", "after"):
            for kind, row in sorted(fault["requests"][phase].items()):
                print(f"{phase:<8}{kind:<7}{row.get('ok', 0):>7}{row.get('clean_503', 0):>11}"
                      f"{row.get('unclean_5xx', 0):>6}{row.get('unexpected', 0):>7}"
                      f"{row.get('socket_error', 0):>8}")
        print(f"recovery: last abnormal answer {fault['recovery_seconds']} s after the "
              f"service returned; slowest staff comment {fault['mail_posts_max_ms']:.0f} ms")
        print("staff comment response p50 / max ms: " + ", ".join(
            f"{phase} {p50:.0f} / {top:.0f}" for phase, (p50, top)
            in fault["mail_post_ms"].items()))
        in_by = fault["outage_mails_in_seconds"]
        print(f"e-mails written while the service was away: "
              f"{fault['mails_written_during']}, delivered "
              f"{fault['mails_written_during_delivered']}"
              + (f" (the last {in_by} s after the service returned)" if in_by is not None
                 else ""))
        print(f"e-mails: {fault['mail_posts_ok']} comments saved, {fault['mails_expected']} "
              f"queued, {fault['mails_delivered']} delivered ({fault['mails_duplicated']} "
              f"received twice); rows {fault['rows_by_state']}")
        for example in fault["examples"]:
            print(f"  e.g. {example}")
    print(f"\npublishes that failed and were left to the sweeper (server log): "
          f"{report['publish_failures_logged']}")
    for line in report["server_tracebacks"][:10]:
        print(f"server log traceback: {line}")
    for line in report["worker_tracebacks"][:10]:
        print(f"worker log traceback: {line}")


def problems_of(report: dict) -> list[str]:
    return [problem for fault in report["faults"] for problem in fault["problems"]]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, help="load per fault (default 40; 15 with "
                        "--ci)")
    parser.add_argument("--outage", type=float, help="how long Redis stays stopped "
                        "(default 10; 5 with --ci)")
    parser.add_argument("--clients", type=int, default=4, help="resident client threads")
    parser.add_argument("--mail-rate", type=float, default=2.0,
                        help="staff comments (each one e-mail) per second")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--tenants", type=int, default=3,
                        help="generated tenants besides the five shipped ones")
    parser.add_argument("--residents", type=int, default=1,
                        help="extra active residents per tenant")
    parser.add_argument("--per-tenant", type=int, default=None,
                        help="sign in at most this many residents per tenant")
    parser.add_argument("--post-share", type=float, default=0.05,
                        help="the share of resident POSTs among their requests")
    parser.add_argument("--pg-outage", type=float, default=0.0,
                        help="instead of `pg_ctl restart`, stop PostgreSQL for this many "
                        "seconds and start it again (0 = restart)")
    parser.add_argument("--recovery-limit", type=float, default=10.0,
                        help="seconds after PostgreSQL's return by which every answer "
                        "must be normal again")
    parser.add_argument("--mail-timeout", type=float, default=180.0,
                        help="how long to wait for the e-mails after each fault")
    parser.add_argument("--ci", action="store_true", help="short: ~15 s of load per fault")
    parser.add_argument("--keep-logs", type=Path, metavar="DIR",
                        help="copy the gunicorn, Celery and Redis logs into DIR at the end")
    args = parser.parse_args()
    if args.seconds is None:
        args.seconds = 15.0 if args.ci else 40.0
    if args.outage is None:
        args.outage = 5.0 if args.ci else 10.0
    if args.seconds < max(args.outage, args.pg_outage) + 6:
        parser.error("--seconds must leave at least 6 s around the outages")
    if args.clients < 1 or args.mail_rate <= 0:
        parser.error("--clients must be at least 1 and --mail-rate above 0")
    return args


def _terminate(signum, _frame) -> None:
    raise SystemExit(128 + signum)  # runs the finally blocks that stop every process


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, _terminate)
    return bench_main("faults", run, problems_of, print_report, args, needs_wrk=False,
                      keep_logs=args.keep_logs)


if __name__ == "__main__":
    sys.exit(main())
