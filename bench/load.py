"""Mixed resident traffic across many tenants on PostgreSQL with row-level security.

Run from the repository root (PostgreSQL on 127.0.0.1:5432, user postgres, trust auth):

    .venv/bin/python bench/load.py [--seconds 60] [--tenants 20] [--residents 4]
        [--connections 32] [--workers 2] [--post-share 0.05]
    .venv/bin/python bench/load.py --seconds 15 --ci      # the CI variant
    .venv/bin/python bench/load.py --seconds 15 --ci --tenants 20 --pgbouncer 4

One run:
1. recreates its own database (``iok_bench_load`` on the server of --database-url) and
   builds the schema as tests/conftest.py::build_schema does: the owner creates the tables
   and switches row-level security on, the served app connects as a role that owns nothing
   and cannot bypass RLS;
2. loads the five shipped cooperatives (``tenants/`` + ``policies/``) and --tenants more,
   each a copy of a shipped manifest and policy (round robin, so every policy's tabs are
   in the mix); runs ``flask demo load`` (staff, demo residents in every state, and every
   module's demo data: two years of ledger, charges, meters and readings through the
   import path, faults, announcements…), adds --residents more active residents per
   tenant and runs the import and meter seeders again so that they get ledgers and meters;
3. gunicorn serves bench/bench_app.py (CSRF and rate limiting off); every active resident
   logs in over HTTP (a session cookie per tenant host) and every target is checked once;
4. wrk, with bench/load.lua, rotates through (Host, Cookie, method, path) targets: the
   dashboard /konto, the ledger, the water meters, the announcements and the faults list
   where the tenant's policy shows them, the anonymous start page, and --post-share POSTs
   (a fault report; the announcements e-mail switch). Every response must be the expected
   one: 200 for a page, 302 to the new report or back to the announcements for a POST.
With --pgbouncer N the served app reaches PostgreSQL through a private PgBouncer in
transaction mode (bench/pgbouncer.py) whose pool of N server connections every tenant
shares, as production runs it; psycopg's server-side prepares are off
(IOK_DATABASE_PREPARED_STATEMENTS=off).
It prints req/s, p50/p99 and the responses by status, writes
bench/results/load-<timestamp>.json and exits 1 if any request failed or the server
logged a traceback, 2 if it could not run. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import re
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

# bench/ is sys.path[0] when this file is run as a script.
from common import (
    BENCH,
    REPO,
    WARMUP_SECONDS,
    BenchError,
    Measurement,
    OtherLoad,
    bench_main,
    cpu_busy,
    export_server_environment,
    find,
    free_port,
    http_request,
    log_alarms,
    machine,
    parse_wrk,
    run_wrk,
    start_gunicorn,
    stop_gunicorn,
    tail,
    wait_until_ready,
    warn_if_busy,
    warn_if_loaded,
)

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/iok_bench_load"
APP_ROLE = "iok_bench_load_app"  # owns nothing, cannot bypass RLS: what gunicorn uses
SERVED_APP = "bench_app:app"  # bench/bench_app.py: create_app() with CSRF and limiter off
SCRIPT = BENCH / "load.lua"
SESSION_COOKIE = "iok_session"  # SESSION_COOKIE_NAME in iok_saas/config.py
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
LOGIN_PATH = "/logowanie"
DASHBOARD_PATH = "/konto"
# The busy shared machine: a response slower than this is an error (a real one, not noise).
WRK_TIMEOUT = "10s"
LOGIN_THREADS = 4
# Resident pages per tab the policy may show: (tab, path, a text the page must contain).
PAGES = (
    (None, "/konto", "Witaj"),
    ("ledger", "/konto/saldo/", "<h1"),
    ("water_meters", "/konto/wodomierze/", "<h1"),
    ("announcements", "/konto/ogloszenia/", "<h1"),
    ("faults", "/konto/usterki/", "<h1"),
)
START_PAGE = "/"
FAULT_POST = "/konto/usterki/nowe"
OPT_IN_POST = "/konto/ogloszenia/powiadomienia"
# Where a successful POST redirects, as Lua patterns (load.lua accepts a 302 only to these;
# the pre-check reads them as regular expressions, hence no pattern item but %d).
POST_REDIRECTS = {FAULT_POST: "/konto/usterki/%d+$", OPT_IN_POST: "/konto/ogloszenia/$"}
EXTRA_SLUG = "load{:02d}"
# `flask demo load` runs every module's demo seeder for the demo residents. For the extra
# residents added after it, only the seeders that are idempotent run again: the import
# (rows matched on their external ids: the demo residents' rows are matched, the extras'
# added) and the meter readings (a meter that already has one waiting is skipped).
SEEDERS = ("imports", "meters")


# --- the database --------------------------------------------------------------------------------

def urls(base: str, name: str | None = None) -> tuple[str, str]:
    """(owner URL, app-role URL) for the bench database on the server of ``base``."""
    from sqlalchemy.engine import make_url

    owner = make_url(base)
    if name:
        owner = owner.set(database=name)
    app = owner.set(username=APP_ROLE, password=None)
    return (owner.render_as_string(hide_password=False),
            app.render_as_string(hide_password=False))


def recreate_database(owner_url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    url = make_url(owner_url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{url.database}"'))
            if not conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"),
                               {"r": APP_ROLE}):
                conn.execute(text(f"CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS"))
    except OperationalError as error:
        raise BenchError(f"PostgreSQL at {url.host}:{url.port} is not usable: "
                         f"{str(error).splitlines()[0]}") from error
    finally:
        admin.dispose()


@dataclass
class DataReport:
    tenants: int = 0
    residents: int = 0  # active accounts that can log in
    accounts: int = 0
    ledger_entries: int = 0
    meters: int = 0
    faults: int = 0
    announcements: int = 0
    seeder_failures: list[str] = field(default_factory=list)
    seconds: float = 0.0


def build(owner_url: str, extra_tenants: int, extra_residents: int) -> DataReport:
    """Schema + RLS as the owner, the tenants, demo data and seeders (see the docstring)."""
    from sqlalchemy import text

    from iok_saas import create_app
    from iok_saas.extensions import db
    from iok_saas.modules.audit.services import Actor
    from iok_saas.modules.tenants.manifest import load_manifest_dir
    from iok_saas.modules.tenants.services import create_tenant, sync_from_files
    from iok_saas.tenancy import rls, tenant_table_names

    began = time.perf_counter()
    report = DataReport()
    app = create_app({"SQLALCHEMY_DATABASE_URI": owner_url})
    with app.app_context():
        db.create_all()
        with db.engine.begin() as conn:
            rls.enable(conn, tenant_table_names())
            for statement in rls.grant_statements(APP_ROLE):
                conn.execute(text(statement))
        synced = sync_from_files(REPO / "tenants", REPO / "policies", Actor.cli("bench"))
        if synced.invalid_policies:
            raise BenchError(f"shipped tenants with invalid policies: {synced.invalid_policies}")
        shipped = load_manifest_dir(REPO / "tenants")
        for number in range(1, extra_tenants + 1):
            template = shipped[(number - 1) % len(shipped)]
            source = (REPO / "policies" / f"{template.policy}.yaml").read_text(encoding="utf-8")
            create_tenant(dataclasses.replace(
                template, slug=EXTRA_SLUG.format(number), short_name=f"Obciążenie {number:02d}",
                legal_name=f"Spółdzielnia testowa obciążenia nr {number}", hosts=()),
                source, Actor.cli("bench"))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    if result.exit_code != 0:
        raise BenchError(f"flask demo load exited with {result.exit_code}:\n{result.output}"
                         f"{result.exception!r}")
    with app.app_context():
        _residents_and_seeders(extra_residents, report)
        _count(report)
        db.engine.dispose()  # no connection of ours stays open while gunicorn serves
    report.seconds = round(time.perf_counter() - began, 1)
    return report


def _residents_and_seeders(extra_residents: int, report: DataReport) -> None:
    from importlib import import_module

    from iok_saas.demo import RESIDENT_PASSWORD
    from iok_saas.extensions import db
    from iok_saas.modules.auth.passwords import hash_password
    from iok_saas.tenancy import directory, tenant_scope
    from iok_saas.timeutil import WARSAW, utcnow

    shared_hash = hash_password(RESIDENT_PASSWORD)  # one Argon2id hash for every extra
    today = utcnow().astimezone(WARSAW).date()
    for tenant in directory().all():
        if tenant.policy is None:
            continue
        with tenant_scope(tenant):
            _add_residents(tenant, extra_residents, shared_hash)
            db.session.commit()
            for name in SEEDERS:
                seed = import_module(f"iok_saas.modules.{name}.demo").seed_demo
                try:
                    seed(today)
                    db.session.commit()
                except Exception as error:  # noqa: BLE001 - reported; the bench goes on
                    db.session.rollback()
                    report.seeder_failures.append(f"{tenant.slug}: {name}: {error!r}"[:300])


def _add_residents(tenant, count: int, shared_hash: str) -> None:
    """``count`` more demo-like residents (DEMO-U100…), each with an active account, on the
    first demo association, so that the import seeder gives them ledgers and meters."""
    from sqlalchemy import select

    from iok_saas.extensions import db
    from iok_saas.modules.accounts.models import ACTIVE, ResidentAccount
    from iok_saas.modules.accounts.services import new_login
    from iok_saas.modules.housing.models import Association, Person, Title, Unit
    from iok_saas.timeutil import utcnow

    association = db.session.scalar(select(Association).where(
        Association.external_id == "DEMO-A1"))
    if association is None:
        return
    city = association.city
    regulations = (tenant.info("regulations") or {}).get("version")
    for k in range(count):
        index = 100 + k  # past every number the demo loader uses
        unit = Unit(external_id=f"DEMO-U{index}", association=association,
                    street="ul. Lipowa", building_number="3", unit_number=str(20 + k),
                    city=city, bank_account=f"{index % 100:02d}" + "1020" * 6)
        person = Person(external_id=f"DEMO-P{index}", first_name="Mieszkaniec",
                        last_name=f"Obciążeniowy {k + 1}",
                        email=f"mieszkaniec{k + 1}.{tenant.slug}@example.com")
        db.session.add_all([unit, person])
        db.session.flush()
        db.session.add(Title(external_id=f"DEMO-T{index}", person_id=person.id,
                             unit_id=unit.id, kind="owner",
                             valid_from=date(2019, 5, 1)))
        db.session.add(ResidentAccount(
            login=new_login(), person_id=person.id, state=ACTIVE, password_hash=shared_hash,
            password_changed_at=utcnow(), regulations_version=regulations,
            letter_number=f"DEMO-{person.id}"))
        db.session.flush()


def _count(report: DataReport) -> None:
    from sqlalchemy import func, select

    from iok_saas.extensions import db

    # On a plain engine connection as the owner: no tenant scoping, no row-level security.
    with db.engine.connect() as conn:
        for name, table in (("tenants", "tenant"), ("accounts", "resident_account"),
                            ("ledger_entries", "ledger_entry"), ("meters", "meter"),
                            ("faults", "fault_report"), ("announcements", "announcement")):
            if table in db.metadata.tables:
                setattr(report, name, conn.scalar(
                    select(func.count()).select_from(db.metadata.tables[table])))


# --- residents and targets ---------------------------------------------------------------------

@dataclass
class Resident:
    slug: str
    host: str
    login: str
    unit_id: int
    tabs: tuple[str, ...]  # the policy's tabs this bench visits
    cookie: str | None = None  # "iok_session=…" once logged in


def pick_residents(owner_url: str, per_tenant: int | None) -> list[Resident]:
    """Every active, unlocked demo resident with their own password (at most ``per_tenant``
    per tenant), and the tabs their tenant shows."""
    from sqlalchemy import select

    from iok_saas import create_app
    from iok_saas.extensions import db
    from iok_saas.modules.accounts.models import ACTIVE, ResidentAccount
    from iok_saas.modules.housing.models import Person, Title
    from iok_saas.tenancy import directory, tenant_scope

    app = create_app({"SQLALCHEMY_DATABASE_URI": owner_url})
    base = app.config["IOK_BASE_DOMAIN"]
    residents = []
    with app.app_context():
        for tenant in directory().all():
            if tenant.policy is None:
                continue
            tabs = tuple(tab for tab, _path, _marker in PAGES
                         if tab is not None and tenant.policy.shows(tab))
            with tenant_scope(tenant):
                rows = db.session.execute(
                    select(ResidentAccount.login, Title.unit_id)
                    .join(Person, Person.id == ResidentAccount.person_id)
                    .join(Title, Title.person_id == Person.id)
                    .where(ResidentAccount.state == ACTIVE,
                           ResidentAccount.locked_until.is_(None),
                           ResidentAccount.password_changed_at.is_not(None),
                           Person.external_id.like("DEMO-%"), Person.email.is_not(None))
                    .order_by(ResidentAccount.id)).all()
            for login, unit_id in rows[:per_tenant]:
                residents.append(Resident(tenant.slug, f"{tenant.slug}.{base}", login,
                                          unit_id, tabs))
        db.engine.dispose()
    if not residents:
        raise BenchError("no active demo resident to log in")
    return residents


def _session_cookie(headers, current: str | None) -> str | None:
    cookies = SimpleCookie()
    for header in headers.get_all("Set-Cookie") or ():
        cookies.load(header)
    if SESSION_COOKIE in cookies:
        return f"{SESSION_COOKIE}={cookies[SESSION_COOKIE].value}"
    return current


def log_in(port: int, resident: Resident, password: str) -> None:
    """POST the login form over HTTP; keeps the session cookie on ``resident``."""
    status, headers, _body = http_request(port, "POST", LOGIN_PATH, resident.host,
                                          urlencode({"login": resident.login,
                                                     "password": password}), FORM)
    location = headers.get("Location", "")
    if status != 302 or not location.endswith(DASHBOARD_PATH):
        raise BenchError(f"POST {LOGIN_PATH} at {resident.host} as {resident.login} "
                         f"answered {status} (Location: {location or '-'})")
    resident.cookie = _session_cookie(headers, None)
    if resident.cookie is None:
        raise BenchError(f"the login at {resident.host} set no {SESSION_COOKIE} cookie")


def log_in_all(port: int, residents: list[Resident], password: str) -> float:
    began = time.perf_counter()
    with ThreadPoolExecutor(LOGIN_THREADS) as pool:
        list(pool.map(lambda r: log_in(port, r, password), residents))
    return time.perf_counter() - began


@dataclass(frozen=True)
class Target:
    host: str
    cookie: str | None
    method: str
    path: str
    body: str | None = None

    def line(self) -> str:
        """host TAB cookie TAB method TAB path TAB body (load.lua's format)."""
        return "\t".join((self.host, self.cookie or "-", self.method, self.path,
                          self.body or "-")) + "\n"


def page_targets(resident: Resident) -> list[Target]:
    shown = [(path, marker) for tab, path, marker in PAGES
             if tab is None or tab in resident.tabs]
    return [Target(resident.host, resident.cookie, "GET", path) for path, _m in shown]


def post_targets(resident: Resident, serial: int) -> list[Target]:
    """The resident's possible POSTs: a fault report, the announcements e-mail switch."""
    posts = []
    if "faults" in resident.tabs:
        posts.append(Target(resident.host, resident.cookie, "POST", FAULT_POST, urlencode({
            "unit_id": resident.unit_id, "category": "plumbing", "place": "flat",
            "description": f"Kapie kran w łazience (zgłoszenie obciążeniowe {serial})."})))
    if "announcements" in resident.tabs:
        # Alternating on and off (an unticked checkbox is simply absent from the form).
        posts.append(Target(resident.host, resident.cookie, "POST", OPT_IN_POST,
                            "wanted=y" if serial % 2 else "submit=Zapisz"))
    return posts


def mix(residents: list[Resident], post_share: float) -> list[Target]:
    """Every resident's pages and the start page, with POSTs spread evenly among them so
    that they make up ``post_share`` of the requests."""
    gets: list[Target] = []
    for resident in residents:
        gets += page_targets(resident)
        gets.append(Target(resident.host, None, "GET", START_PAGE))
    candidates = [post for n, r in enumerate(residents) for post in post_targets(r, n)]
    if not candidates or post_share <= 0:
        return gets
    wanted = max(1, round(len(gets) * post_share / (1 - post_share)))
    posts = [candidates[k % len(candidates)] for k in range(wanted)]
    targets: list[Target] = []
    every, due, done = len(gets) / wanted, len(gets) / wanted, 0
    for number, target in enumerate(gets, start=1):
        targets.append(target)
        while done < wanted and number >= due:
            targets.append(posts[done])
            done, due = done + 1, due + every
    targets += posts[done:]
    return targets


def check_targets(port: int, residents: list[Resident]) -> tuple[dict[str, int],
                                                                  dict[str, float]]:
    """Every page once (exactly 200 and its marker), one POST of each kind (302 to where a
    success goes). Returns the bytes of each page path (the largest seen) and the median
    time of one such request, one at a time (what one resident waits on an idle server)."""
    sizes: dict[str, int] = {}
    times: dict[str, list[float]] = {}
    for resident in residents:
        for tab, path, marker in PAGES:
            if tab is not None and tab not in resident.tabs:
                continue
            began = time.perf_counter()
            size, resident.cookie = _check_get(port, resident.host, path, resident.cookie,
                                               marker)
            times.setdefault(path, []).append((time.perf_counter() - began) * 1000)
            sizes[path] = max(sizes.get(path, 0), size)
    size, _cookie = _check_get(port, residents[0].host, START_PAGE, None, "<h1")
    sizes[START_PAGE] = size
    checked = set()
    for serial, resident in enumerate(residents):
        for post in post_targets(resident, serial):
            if post.path in checked:
                continue
            status, headers, _body = http_request(port, "POST", post.path, post.host,
                                                  post.body, FORM | {"Cookie": post.cookie})
            location = headers.get("Location", "")
            if status != 302 or not re.search(POST_REDIRECTS[post.path].replace("%d", r"\d"),
                                                         location):
                raise BenchError(f"POST {post.path} at {post.host} answered {status} "
                                 f"(Location: {location or '-'})")
            checked.add(post.path)
    return sizes, {path: round(statistics.median(ms), 1) for path, ms in times.items()}


def _check_get(port: int, host: str, path: str, cookie: str | None,
               marker: str) -> tuple[int, str | None]:
    status, headers, body = http_request(port, "GET", path, host,
                                         headers={"Cookie": cookie} if cookie else None)
    if status != 200 or marker not in body.decode(errors="replace"):
        raise BenchError(f"GET {path} at {host} answered {status} (Location: "
                         f"{headers.get('Location', '-')}), expected 200 with {marker!r}")
    return len(body), _session_cookie(headers, cookie)


def write_targets(path: Path, targets: list[Target]) -> Path:
    path.write_text("".join(target.line() for target in targets), encoding="utf-8")
    return path


# --- measuring ---------------------------------------------------------------------------------

@dataclass
class LoadMeasurement(Measurement):
    expected: int = 0
    unexpected_status: int = 0
    last_unexpected: str | None = None
    by_status: dict[str, int] = field(default_factory=dict)
    targets: int = 0
    posts_in_mix: int = 0
    tenants: int = 0
    residents: int = 0

    @property
    def errors(self) -> int:
        return super().errors + self.unexpected_status


def parse_checks(output: str, row: LoadMeasurement) -> None:
    match = find(r"^status-check: expected (\d+) unexpected (\d+) last-unexpected (\d+) (\S+)",
                 output)
    row.expected, row.unexpected_status = int(match[1]), int(match[2])
    if row.unexpected_status:
        row.last_unexpected = f"{match[3]} {match[4]}"
    counts = find(r"^status-counts: (.*)$", output)[1]
    row.by_status = {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", counts)}


def wrk_args(targets: Path) -> tuple[str, ...]:
    return (str(targets), *(f"{path}={pattern}" for path, pattern in POST_REDIRECTS.items()))


def measure(args: argparse.Namespace, tmp: Path, owner_url: str, residents: list[Resident],
            password: str) -> tuple[LoadMeasurement, dict]:
    from sqlalchemy.engine import make_url

    port = free_port()
    log = tmp / "gunicorn-load.log"
    server = start_gunicorn(SERVED_APP, BENCH, port, args.workers, log)
    try:
        wait_until_ready(server, port, residents[0].host, log)
        print(f"logging in {len(residents)} residents over HTTP …", flush=True)
        try:
            login_seconds = log_in_all(port, residents, password)
            sizes, sequential_ms = check_targets(port, residents)
        except OSError as error:
            raise BenchError(f"pre-check failed: {error!r}\n{tail(log)}") from error
        targets = mix(residents, args.post_share)
        path = write_targets(tmp / "load-targets.tsv", targets)
        url = f"http://127.0.0.1:{port}/"
        run_wrk(url, None, WARMUP_SECONDS, args.connections, args.threads,
                timeout=WRK_TIMEOUT, script=SCRIPT, script_args=wrk_args(path))
        print(f"loading for {args.seconds} s: {len(targets)} targets, "
              f"{len({r.slug for r in residents})} tenants …", flush=True)
        others = OtherLoad((server.pid,), database=make_url(owner_url).database).start()
        output = run_wrk(url, None, args.seconds, args.connections, args.threads,
                         timeout=WRK_TIMEOUT, script=SCRIPT, script_args=wrk_args(path))
        row = LoadMeasurement("mixed resident traffic", url, None,
                              round(sum(sizes.values()) / len(sizes)),
                              other_load_cores=others.stop(), targets=len(targets),
                              posts_in_mix=sum(t.method == "POST" for t in targets),
                              tenants=len({r.slug for r in residents}),
                              residents=len(residents))
        parse_wrk(output, row)
        parse_checks(output, row)
    finally:
        stop_gunicorn(server)
    row.log_alarms = log_alarms(log)
    return row, {"login_seconds": round(login_seconds, 1), "page_bytes": sizes,
                 "sequential_ms": sequential_ms}


# --- the report --------------------------------------------------------------------------------

def print_report(report: dict) -> None:
    row, data = report["load"], report["data"]
    pooled = report["settings"]["pgbouncer"]
    if pooled:
        print(f"\nthrough PgBouncer {pooled['version']}, {pooled['pool_mode']} mode, "
              f"{pooled['pool_size']} server connections shared by every tenant")
    print(f"\ndata: {data['tenants']} tenants, {data['accounts']} resident accounts "
          f"({row['residents']} logged in), {data['ledger_entries']} ledger entries, "
          f"{data['meters']} meters, {data['faults']} fault reports, "
          f"{data['announcements']} announcements; built in {data['seconds']} s")
    for failure in data["seeder_failures"]:
        print(f"warning: seeder failed: {failure}")
    print(f"\n{'scenario':<28}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'requests':>10}"
          f"{'errors':>8}")
    print(f"{row['scenario']:<28}{row['requests_per_s']:>10.1f}{row['p50_ms']:>10.1f}"
          f"{row['p99_ms']:>10.1f}{row['requests']:>10}{row['errors']:>8}")
    print(f"\nresponses by status: {row['by_status']}; socket errors {row['socket_errors']}; "
          f"{row['posts_in_mix']} POSTs among {row['targets']} targets")
    print("one request at a time (pre-check, median ms): " + ", ".join(
        f"{path} {ms:g}" for path, ms in report["sequential_ms"].items()))
    for line in row["log_alarms"]:
        print(f"server log: {line}")
    warn_if_loaded(row["scenario"], row["other_load_cores"])


def problems_of(report: dict) -> list[str]:
    row = report["load"]
    problems = []
    if row["errors"] or not row["requests"]:
        problems.append(f"{row['errors']} failed requests of {row['requests']} (socket "
                        f"{row['socket_errors']}, non-2xx/3xx {row['non_2xx_3xx']}, "
                        f"unexpected {row['unexpected_status']}, last: "
                        f"{row['last_unexpected']})")
    if row["log_alarms"]:
        problems.append(f"the server logged trouble: {row['log_alarms'][0]}")
    return problems


def run(args: argparse.Namespace, tmp: Path) -> dict:
    from iok_saas.demo import RESIDENT_PASSWORD

    busy = cpu_busy()
    warn_if_busy(busy)
    owner_url, app_url = urls(args.database_url)
    print(f"building {owner_url.rsplit('/', 1)[-1]}: 5 + {args.tenants} tenants, "
          f"+{args.residents} residents each …", flush=True)
    recreate_database(owner_url)
    data = build(owner_url, args.tenants, args.residents)
    residents = pick_residents(owner_url, args.per_tenant)
    with contextlib.ExitStack() as stack:
        pooled = None
        if args.pgbouncer:
            from pgbouncer import PrivatePgBouncer

            pooled = stack.enter_context(PrivatePgBouncer(args.pgbouncer, ("postgres", APP_ROLE)))
            app_url = pooled.url(APP_ROLE, owner_url.rsplit("/", 1)[-1])
            os.environ["IOK_DATABASE_PREPARED_STATEMENTS"] = "off"
            print(f"through PgBouncer {'.'.join(map(str, pooled.version))} (transaction mode, "
                  f"{args.pgbouncer} server connections for every tenant)", flush=True)
        export_server_environment(app_url, tmp)  # gunicorn connects as the app role
        row, extra = measure(args, tmp, owner_url, residents, RESIDENT_PASSWORD)
    return {
        "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": machine() | {"cpu_busy_before": busy},
        "settings": {"seconds": args.seconds, "connections": args.connections,
                     "threads": args.threads, "workers": args.workers, "worker_class": "sync",
                     "database": "postgresql", "app_role": APP_ROLE, "rls": True,
                     "extra_tenants": args.tenants, "extra_residents": args.residents,
                     "post_share": args.post_share, "served_app": f"bench/{SERVED_APP}",
                     "csrf": False, "rate_limits": False, "wrk_timeout": WRK_TIMEOUT,
                     "ci": args.ci,
                     "pgbouncer": None if pooled is None else {
                         "version": ".".join(map(str, pooled.version)),
                         "pool_mode": "transaction", "pool_size": args.pgbouncer,
                         "server_prepared_statements": False}},
        "data": asdict(data),
        "load": asdict(row) | {"errors": row.errors},
        **extra,
    }


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60, help="wrk duration")
    parser.add_argument("--tenants", type=int, help="generated tenants besides the five "
                        "shipped ones (default 20; 8 with --ci)")
    parser.add_argument("--residents", type=int, help="extra active residents per tenant "
                        "(default 4; 2 with --ci)")
    parser.add_argument("--per-tenant", type=int, default=None,
                        help="log in at most this many residents per tenant (default all)")
    parser.add_argument("--connections", type=int, default=32, help="wrk open connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--post-share", type=float, default=0.05,
                        help="the share of POSTs among the requests (0 to 0.5)")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL,
                        help="owner URL of the bench database (recreated at every run)")
    parser.add_argument("--ci", action="store_true",
                        help="the CI variant: a smaller data set; exit 1 on any failure")
    parser.add_argument("--keep-logs", type=Path, metavar="DIR",
                        help="copy the gunicorn log into DIR at the end")
    parser.add_argument("--pgbouncer", type=int, metavar="POOL", default=0,
                        help="serve through a private PgBouncer (transaction mode) with this "
                        "many server connections shared by all tenants (0 = direct)")
    args = parser.parse_args()
    if args.tenants is None:
        args.tenants = 8 if args.ci else 20
    if args.residents is None:
        args.residents = 2 if args.ci else 4
    if not 0 <= args.post_share <= 0.5:
        parser.error("--post-share must be between 0 and 0.5")
    args.threads = max(1, min(args.threads, args.connections))
    return args


def main() -> int:
    args = parse_args()
    return bench_main("load", run, problems_of, print_report, args, keep_logs=args.keep_logs)


if __name__ == "__main__":
    sys.exit(main())
