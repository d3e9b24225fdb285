"""Login benchmark: Argon2id verifications, resident logins, and the dashboard after login.

Run from the repository root:

    .venv/bin/python bench/login.py [--seconds 15] [--connections 32] [--workers 2]

One run measures, in this order:
1. password verifications per second in-process (`verify_password` with the configured
   Argon2id parameters), in one process and in --hash-processes processes at once;
2. resident logins per second: wrk POSTs the login form of an active demo resident of
   zielone-wzgorza.localhost to gunicorn serving bench/bench_app.py (CSRF and rate limiting
   off, for this bench only); every response must be 302 to /konto;
3. dashboard views per second after login: wrk GETs /konto with the session cookie of one
   login; every response must be 200.
It prints a table, writes bench/results/login-<timestamp>.json, and exits 1 if any
verification or request failed. See bench/README.md.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

# bench/ is sys.path[0] when this file is run as a script.
from common import (
    BENCH,
    WARMUP_SECONDS,
    WRK_TIMEOUT,
    BenchError,
    Measurement,
    OtherLoad,
    bench_main,
    cpu_busy,
    database_url,
    export_server_environment,
    find,
    free_port,
    http_request,
    log_alarms,
    machine,
    parse_wrk,
    prepare_database,
    run_wrk,
    start_gunicorn,
    stop_gunicorn,
    tail,
    wait_until_ready,
    warn_if_busy,
    warn_if_loaded,
)

TENANT_HOST = "zielone-wzgorza.localhost"
LOGIN_PATH = "/logowanie"
DASHBOARD_PATH = "/konto"
SESSION_COOKIE = "iok_session"  # SESSION_COOKIE_NAME in iok_saas/config.py
SERVED_APP = "bench_app:app"  # bench/bench_app.py: create_app() with CSRF and limiter off
SCRIPT = BENCH / "login.lua"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
# Logins queue: 32 connections share 2 workers that each need ~150 ms of CPU per login, so a
# response normally waits 2-3 s. The 2 s of bench/web.py would turn that queue into errors.
LOGIN_WRK_TIMEOUT = "15s"
IDLE_LOGINS = 5  # sequential logins on an idle server: the latency of one login
DRAIN_SECONDS_MAX = 20


# --- 1. Argon2id in-process ----------------------------------------------------------------

@dataclass
class HashMeasurement:
    scenario: str
    processes: int
    seconds: float
    verifications: int
    verifications_per_s: float
    ms_per_verification: float  # mean time of one verification in one process
    p50_ms: float
    p99_ms: float
    failures: int  # verify_password() returned False for the right password
    other_load_cores: float | None = None  # CPU used by other processes meanwhile

    @property
    def errors(self) -> int:
        return self.failures


def hasher_parameters() -> dict:
    from iok_saas.modules.auth.passwords import HASHER

    return {"type": f"argon2{HASHER.type.name.lower()}", "time_cost": HASHER.time_cost,
            "memory_cost_kib": HASHER.memory_cost, "parallelism": HASHER.parallelism,
            "hash_len": HASHER.hash_len, "salt_len": HASHER.salt_len}


def _verify_loop(seconds: float, stored_hash: str,
                 password: str) -> tuple[list[float], int, float]:
    """verify_password() over and over for `seconds`: (ms each, failures, seconds taken)."""
    from iok_saas.modules.auth.passwords import verify_password

    times: list[float] = []
    failures = 0
    start = time.perf_counter()
    while (began := time.perf_counter()) - start < seconds:
        failures += not verify_password(stored_hash, password)
        times.append((time.perf_counter() - began) * 1000)
    return times, failures, time.perf_counter() - start


def _verify_worker(barrier, results, seconds: float, stored_hash: str, password: str) -> None:
    barrier.wait()  # every process starts hashing at the same moment
    results.put(_verify_loop(seconds, stored_hash, password))


def measure_hashing(processes: int, seconds: float) -> HashMeasurement:
    from iok_saas.demo import RESIDENT_PASSWORD
    from iok_saas.modules.auth.passwords import hash_password

    stored_hash = hash_password(RESIDENT_PASSWORD)
    others = OtherLoad().start()
    if processes == 1:
        runs = [_verify_loop(seconds, stored_hash, RESIDENT_PASSWORD)]
    else:
        context = multiprocessing.get_context("fork")  # no server or database exists yet
        barrier, results = context.Barrier(processes), context.Queue()
        workers = [context.Process(target=_verify_worker,
                                   args=(barrier, results, seconds, stored_hash,
                                         RESIDENT_PASSWORD))
                   for _ in range(processes)]
        for worker in workers:
            worker.start()
        runs = [results.get(timeout=seconds + 60) for _ in workers]
        for worker in workers:
            worker.join()
    other_load_cores = others.stop()
    times = [ms for run_times, _failures, _elapsed in runs for ms in run_times]
    return HashMeasurement(
        scenario=f"argon2id verify, {processes} process{'es' if processes > 1 else ''}",
        processes=processes, seconds=seconds, verifications=len(times),
        # The processes ran side by side, so their rates add up.
        verifications_per_s=sum(len(run_times) / elapsed for run_times, _f, elapsed in runs),
        ms_per_verification=statistics.fmean(times),
        p50_ms=_percentile(times, 50), p99_ms=_percentile(times, 99),
        failures=sum(failures for _times, failures, _elapsed in runs),
        other_load_cores=other_load_cores)


def _percentile(values: list[float], percent: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(percent / 100 * (len(ordered) - 1)))]


# --- 2. the demo data ------------------------------------------------------------------------

def load_demo(url: str) -> dict:
    """`flask demo load`, then one active, unlocked resident of TENANT_HOST."""
    from sqlalchemy import select

    from iok_saas import create_app
    from iok_saas.extensions import db
    from iok_saas.modules.accounts.models import ACTIVE, ResidentAccount
    from iok_saas.modules.auth.passwords import needs_rehash
    from iok_saas.tenancy import directory, tenant_scope

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    if result.exit_code != 0:
        raise BenchError(f"flask demo load exited with {result.exit_code}:\n{result.output}"
                         f"{result.exception!r}")
    with app.app_context():
        tenant = directory().resolve(TENANT_HOST)
        if tenant is None:
            raise BenchError(f"no tenant answers to {TENANT_HOST}")
        with tenant_scope(tenant):
            account = db.session.scalars(
                select(ResidentAccount)
                .where(ResidentAccount.state == ACTIVE, ResidentAccount.locked_until.is_(None))
                .order_by(ResidentAccount.id).limit(1)).first()
            if account is None:
                raise BenchError(f"the demo loader made no active resident at {TENANT_HOST}")
            resident = {"login": account.login,
                        # True would mean every login also re-hashes (twice the cost).
                        "hash_needs_rehash": needs_rehash(account.password_hash)}
        db.engine.dispose()  # no connection of ours stays open while gunicorn serves
    return resident


# --- 3. over HTTP -----------------------------------------------------------------------------

@dataclass
class HttpMeasurement(Measurement):
    expected: int = 0  # responses with the expected status (counted by login.lua)
    unexpected_status: int = 0  # any other status, 2xx and 3xx included
    last_unexpected: str | None = None  # "status location" of the last one

    @property
    def errors(self) -> int:
        return super().errors + self.unexpected_status


def log_in(port: int, login: str, password: str) -> tuple[str, float, int]:
    """POST the login form once: (the session cookie's value, seconds taken, body length)."""
    began = time.perf_counter()
    status, headers, body = http_request(port, "POST", LOGIN_PATH, TENANT_HOST,
                                          urlencode({"login": login, "password": password}),
                                          FORM)
    took = time.perf_counter() - began
    location = headers.get("Location", "")
    if status != 302 or not location.endswith(DASHBOARD_PATH):
        raise BenchError(f"POST {LOGIN_PATH} as {login} answered {status} "
                         f"(Location: {location or '-'}), expected 302 to {DASHBOARD_PATH}")
    cookies = SimpleCookie()
    for header in headers.get_all("Set-Cookie") or ():
        cookies.load(header)
    if SESSION_COOKIE not in cookies:
        raise BenchError(f"the login set no {SESSION_COOKIE} cookie: "
                         f"{headers.get_all('Set-Cookie')}")
    return cookies[SESSION_COOKIE].value, took, len(body)


def check_dashboard(port: int, cookie: str) -> int:
    """GET /konto with the session: exactly 200 and the greeting. Returns the body length."""
    status, headers, body = http_request(port, "GET", DASHBOARD_PATH, TENANT_HOST,
                                         headers={"Cookie": cookie})
    if status != 200 or "Witaj" not in body.decode(errors="replace"):
        raise BenchError(f"GET {DASHBOARD_PATH} with the session answered {status} "
                         f"(Location: {headers.get('Location', '-')}), expected 200 with "
                         f"'Witaj'")
    return len(body)


def parse_status_check(output: str, measurement: HttpMeasurement) -> None:
    match = find(r"^status-check: expected (\d+) unexpected (\d+) last-unexpected (\d+) (\S+)",
                 output)
    measurement.expected, measurement.unexpected_status = int(match[1]), int(match[2])
    if measurement.unexpected_status:
        measurement.last_unexpected = f"{match[3]} {match[4]}"


def load_with_wrk(name: str, url: str, args: argparse.Namespace, timeout: str,
                  headers: tuple[str, ...], script_args: tuple[str, ...],
                  response_bytes: int, server: int) -> HttpMeasurement:
    others = OtherLoad((server,)).start()
    output = run_wrk(url, TENANT_HOST, args.seconds, args.connections, args.threads,
                     timeout=timeout, headers=headers, script=SCRIPT, script_args=script_args)
    measurement = HttpMeasurement(name, url, TENANT_HOST, response_bytes,
                                  other_load_cores=others.stop())
    parse_wrk(output, measurement)
    parse_status_check(output, measurement)
    return measurement


def drain(rate: float, connections: int) -> None:
    """wrk stops with up to `connections` requests queued at the server; let them finish."""
    time.sleep(min(DRAIN_SECONDS_MAX, connections / max(rate, 1.0) + 1))


def measure_http(args: argparse.Namespace, tmp: Path, login: str,
                 password: str) -> tuple[list[HttpMeasurement], dict]:
    port = free_port()
    log = tmp / "gunicorn-bench_app.log"
    process = start_gunicorn(SERVED_APP, BENCH, port, args.workers, log)
    try:
        wait_until_ready(process, port, TENANT_HOST, log)
        login_url = f"http://127.0.0.1:{port}{LOGIN_PATH}"
        dashboard_url = f"http://127.0.0.1:{port}{DASHBOARD_PATH}"
        post = ("post", login, password)
        # Warm-up (not counted): every worker imports the app and compiles its templates.
        # One connection per worker, so that no more than that is left queued at the end.
        warm = max(1, args.workers)
        run_wrk(login_url, TENANT_HOST, WARMUP_SECONDS, warm, min(warm, args.threads),
                timeout=LOGIN_WRK_TIMEOUT, script=SCRIPT, script_args=post)
        drain(1.0, warm)
        try:
            cookie_value, _took, login_bytes = log_in(port, login, password)
            idle = [log_in(port, login, password)[1] * 1000 for _ in range(IDLE_LOGINS)]
            cookie = f"{SESSION_COOKIE}={cookie_value}"
            dashboard_bytes = check_dashboard(port, cookie)
        except OSError as error:
            raise BenchError(f"pre-check failed: {error!r}\n{tail(log)}") from error

        logins = load_with_wrk(f"login POST {LOGIN_PATH}", login_url, args, LOGIN_WRK_TIMEOUT,
                               (), post, login_bytes, process.pid)
        drain(logins.requests_per_s, args.connections)

        # The session from before the login run is still valid: idle timeout 15 min.
        try:
            check_dashboard(port, cookie)
        except OSError as error:
            raise BenchError(f"pre-check failed: {error!r}\n{tail(log)}") from error
        run_wrk(dashboard_url, TENANT_HOST, WARMUP_SECONDS, args.connections, args.threads,
                headers=(f"Cookie: {cookie}",), script=SCRIPT, script_args=("get",))
        dashboard = load_with_wrk(f"dashboard GET {DASHBOARD_PATH}", dashboard_url, args,
                                  WRK_TIMEOUT, (f"Cookie: {cookie}",), ("get",),
                                  dashboard_bytes, process.pid)
    finally:
        stop_gunicorn(process)
    alarms = log_alarms(log)
    for row in (logins, dashboard):
        row.log_alarms = alarms
    return [logins, dashboard], {"idle_login_ms": idle}


# --- the report --------------------------------------------------------------------------------

def print_report(report: dict) -> None:
    params = report["argon2id"]
    print(f"\nArgon2id ({params['type']}): time_cost={params['time_cost']} "
          f"memory_cost={params['memory_cost_kib']} KiB "
          f"({params['memory_cost_kib'] / 1024:g} MiB) parallelism={params['parallelism']}")
    print(f"\n{'scenario':<32}{'per s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
    for row in report["hashing"]:
        print(f"{row['scenario']:<32}{row['verifications_per_s']:>10.2f}{row['p50_ms']:>10.1f}"
              f"{row['p99_ms']:>10.1f}{row['errors']:>8}")
    for row in report["http"]:
        print(f"{row['scenario']:<32}{row['requests_per_s']:>10.2f}{row['p50_ms']:>10.1f}"
              f"{row['p99_ms']:>10.1f}{row['errors']:>8}")
    single = report["hashing"][0]
    print(f"\none verification: {single['ms_per_verification']:.1f} ms "
          f"(mean, one process); one login on an idle server: "
          f"{statistics.median(report['idle_login_ms']):.1f} ms (median of {IDLE_LOGINS})")
    print(f"logins per second / verifications per second with {report['hashing'][-1]['processes']}"
          f" processes: {report['login_to_hashing']:.2f}")
    if report["resident"]["hash_needs_rehash"]:
        print("note: the resident's stored hash needs a rehash (every login re-hashes)")
    for line in report["http"][0]["log_alarms"]:
        print(f"server log: {line}")
    for row in report["hashing"] + report["http"]:
        warn_if_loaded(row["scenario"], row["other_load_cores"])


def problems_of(report: dict) -> list[str]:
    problems = [f"{row['scenario']}: {row['failures']} verifications of the right password "
                f"failed" for row in report["hashing"] if row["failures"]]
    for row in report["http"]:
        if row["errors"] or not row["requests"]:
            problems.append(
                f"{row['scenario']}: {row['errors']} failed requests of {row['requests']} "
                f"(socket {row['socket_errors']}, non-2xx/3xx {row['non_2xx_3xx']}, "
                f"unexpected status {row['unexpected_status']}, last: {row['last_unexpected']})")
    return problems


def run(args: argparse.Namespace, tmp: Path) -> dict:
    from iok_saas.demo import RESIDENT_PASSWORD

    params = hasher_parameters()
    busy = cpu_busy()
    warn_if_busy(busy)
    print(f"Argon2id: time_cost={params['time_cost']} memory_cost={params['memory_cost_kib']} "
          f"KiB parallelism={params['parallelism']}; hashing for {args.hash_seconds:g} s "
          f"in 1, then {args.hash_processes} processes …", flush=True)
    hashing = [measure_hashing(1, args.hash_seconds)]
    if args.hash_processes > 1:
        hashing.append(measure_hashing(args.hash_processes, args.hash_seconds))

    url = database_url(args.database_url, tmp)
    export_server_environment(url, tmp)  # inherited by the gunicorn server
    prepare_database(url)
    resident = load_demo(url)
    print(f"loading {TENANT_HOST} as resident {resident['login']} …", flush=True)
    rows, extra = measure_http(args, tmp, resident["login"], RESIDENT_PASSWORD)
    return {
        "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": machine() | {"cpu_busy_before": busy},
        "settings": {"seconds": args.seconds, "connections": args.connections,
                     "threads": args.threads, "workers": args.workers,
                     "worker_class": "sync", "database": url.split(":", 1)[0],
                     "hash_seconds": args.hash_seconds, "hash_processes": args.hash_processes,
                     "served_app": f"bench/{SERVED_APP}", "csrf": False, "rate_limits": False,
                     "login_wrk_timeout": LOGIN_WRK_TIMEOUT, "wrk_timeout": WRK_TIMEOUT},
        "argon2id": params,
        "resident": resident | {"host": TENANT_HOST},
        "hashing": [asdict(row) | {"errors": row.errors} for row in hashing],
        "http": [asdict(row) | {"errors": row.errors} for row in rows],
        "login_to_hashing": rows[0].requests_per_s / hashing[-1].verifications_per_s,
        **extra,
    }


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=15, help="wrk duration per scenario")
    parser.add_argument("--connections", type=int, default=32, help="wrk open connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--hash-seconds", type=float, default=5.0,
                        help="how long each in-process hashing measurement runs")
    parser.add_argument("--hash-processes", type=int, default=2,
                        help="processes hashing at once for the multi-core figure")
    parser.add_argument("--database-url", help="use this (PostgreSQL) database instead of a "
                        "throwaway SQLite file; tables are created, tenants synced and the "
                        "demo data loaded into it")
    args = parser.parse_args()
    args.threads = max(1, min(args.threads, args.connections))  # wrk needs connections >= threads
    return args


def main() -> int:
    return bench_main("login", run, problems_of, print_report, parse_args())


if __name__ == "__main__":
    sys.exit(main())
