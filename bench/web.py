"""Web benchmark: a tenant's start page against a bare Flask "hello", both under gunicorn.

Run from the repository root:

    .venv/bin/python bench/web.py [--seconds 15] [--connections 32] [--workers 2]

One run prepares a throwaway database with the five shipped tenants, counts the SQL
statements a known host costs per request (in-process), then serves the hello app and the
real app in turn with identical gunicorn settings on 127.0.0.1 and loads each with wrk.
It prints a table, writes bench/results/web-<timestamp>.json, and exits 1 if any request
failed or the query count is not zero. See bench/README.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"
RESULTS_DIR = BENCH / "results"
TENANT_HOST = "brzeg.localhost"
QUERY_SAMPLE = 100
READY_SECONDS = 30  # importing the real app and its first request take a few seconds
STOP_SECONDS = 10
WARMUP_SECONDS = 2
WRK_TIMEOUT = "2s"  # a response slower than this counts as a socket error (a failure)
WRK_MISSING = ("wrk is not installed (or not on PATH). Install it with:\n"
               "    sudo apt-get update && sudo apt-get install -y wrk")
LOG_ALARMS = ("Traceback", "[ERROR]", "[CRITICAL]", "WORKER TIMEOUT", "Exception")

# The real app's package lives at the repository root, which is not installed in the venv.
sys.path.insert(0, str(REPO))


class BenchError(RuntimeError):
    """The benchmark could not run (not: it ran and measured something bad)."""


@dataclass(frozen=True)
class Scenario:
    name: str
    app: str  # gunicorn's APP_MODULE
    chdir: Path  # so that APP_MODULE imports, and nothing else differs between runs
    host: str | None  # the Host header; None = the plain 127.0.0.1 URL


SCENARIOS = (
    Scenario("hello", "hello_app:app", BENCH, None),
    Scenario("tenant start page", "iok_saas:create_app()", REPO, TENANT_HOST),
)


@dataclass
class Measurement:
    scenario: str
    url: str
    host: str | None
    response_bytes: int
    requests: int = 0
    requests_per_s: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    socket_errors: dict[str, int] = field(default_factory=dict)
    non_2xx_3xx: int = 0
    log_alarms: list[str] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(self.socket_errors.values()) + self.non_2xx_3xx


# --- database and the in-process query count ------------------------------------------------

def prepare_database(url: str) -> dict:
    """Create the tables and load tenants/ + policies/, exactly as `flask tenants sync`."""
    from iok_saas import create_app
    from iok_saas.extensions import db
    from iok_saas.modules.audit.services import Actor
    from iok_saas.modules.tenants.services import sync_from_files

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.create_all()
        report = sync_from_files(REPO / "tenants", REPO / "policies", Actor.cli("bench"))
        db.engine.dispose()  # no connection of ours stays open while gunicorn serves
    return asdict(report)


def count_queries(url: str, requests: int) -> tuple[int, list[str]]:
    """SQL statements issued by `requests` GETs of a known host's start page.

    The tenant directory promises zero: hosts resolve from process memory. One warm-up
    request first loads the directory (and compiles templates), as any worker's first does.
    """
    from sqlalchemy import event

    from iok_saas import create_app
    from iok_saas.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    client = app.test_client()
    base_url = f"http://{TENANT_HOST}"
    _expect_ok(client.get("/", base_url=base_url).status_code, "warm-up request")
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        for _ in range(requests):
            _expect_ok(client.get("/", base_url=base_url).status_code, "counted request")
    finally:
        event.remove(engine, "before_cursor_execute", record)
        engine.dispose()
    return len(statements), statements[:5]


def _expect_ok(status: int, what: str) -> None:
    if status != 200:
        raise BenchError(f"{what} to {TENANT_HOST}/ answered {status}, expected 200")


# --- gunicorn ---------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(scenario: Scenario, port: int, workers: int, log: Path) -> subprocess.Popen:
    # Its own session (process group), so that stopping it also stops every worker.
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn), "--chdir", str(scenario.chdir), "--worker-class", "sync",
               "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
               "--error-logfile", "-", scenario.app]
    with log.open("wb") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def stop_gunicorn(process: subprocess.Popen) -> None:
    """SIGTERM the server's process group, then SIGKILL if it is still there after a while."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(STOP_SECONDS)
            return
        except subprocess.TimeoutExpired:
            continue


def probe(port: int, host: str | None) -> tuple[int, int]:
    """One GET / : (status, body length)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/", headers={"Host": host} if host else {})
        response = connection.getresponse()
        return response.status, len(response.read())
    finally:
        connection.close()


def wait_until_ready(process: subprocess.Popen, port: int, host: str | None, log: Path) -> int:
    """Poll until the server answers 200 (a redirect or an error page would skew the run)."""
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"gunicorn exited with {process.returncode}:\n{_tail(log)}")
        try:
            status, size = probe(port, host)
        except OSError:
            time.sleep(0.2)
            continue
        if status != 200:
            raise BenchError(f"GET / (Host: {host}) answered {status}:\n{_tail(log)}")
        return size
    raise BenchError(f"gunicorn did not answer within {READY_SECONDS} s:\n{_tail(log)}")


def _tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def log_alarms(log: Path) -> list[str]:
    """Server log lines that betray trouble under load (tracebacks, worker timeouts)."""
    return [line for line in log.read_text(errors="replace").splitlines()
            if any(alarm in line for alarm in LOG_ALARMS)][:20]


# --- wrk ---------------------------------------------------------------------------------------

def run_wrk(url: str, host: str | None, seconds: int, connections: int, threads: int) -> str:
    command = ["wrk", "--latency", "--threads", str(threads), "--connections", str(connections),
               "--duration", f"{seconds}s", "--timeout", WRK_TIMEOUT]
    if host:
        command += ["--header", f"Host: {host}"]
    command.append(url)
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60,
                          check=False)
    if done.returncode != 0:
        raise BenchError(f"wrk failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout


_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _duration_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if not match:
        raise BenchError(f"unexpected wrk latency {text!r}")
    return float(match[1]) * _UNIT_MS[match[2]]


def _find(pattern: str, text: str) -> re.Match:
    match = re.search(pattern, text, re.MULTILINE)
    if not match:
        raise BenchError(f"wrk output lacks /{pattern}/:\n{text}")
    return match


def parse_wrk(output: str, measurement: Measurement) -> None:
    """Fill in throughput, latency percentiles and errors from `wrk --latency` output."""
    measurement.requests = int(_find(r"(\d+) requests in", output)[1])
    measurement.requests_per_s = float(_find(r"^Requests/sec:\s+([\d.]+)", output)[1])
    measurement.p50_ms = _duration_ms(_find(r"^\s+50%\s+(\S+)", output)[1])
    measurement.p99_ms = _duration_ms(_find(r"^\s+99%\s+(\S+)", output)[1])
    # Both lines are printed only when their counts are not zero.
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                        output)
    counts = [int(n) for n in sockets.groups()] if sockets else [0, 0, 0, 0]
    measurement.socket_errors = dict(zip(("connect", "read", "write", "timeout"), counts,
                                         strict=True))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    measurement.non_2xx_3xx = int(non_2xx[1]) if non_2xx else 0


# --- one scenario, the report ----------------------------------------------------------------

def measure(scenario: Scenario, args: argparse.Namespace, tmp: Path) -> Measurement:
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    log = tmp / f"gunicorn-{scenario.app.split(':')[0]}.log"
    process = start_gunicorn(scenario, port, args.workers, log)
    try:
        size = wait_until_ready(process, port, scenario.host, log)
        # Every worker imports the app and compiles its templates on its first requests.
        run_wrk(url, scenario.host, WARMUP_SECONDS, args.connections, args.threads)
        output = run_wrk(url, scenario.host, args.seconds, args.connections, args.threads)
        measurement = Measurement(scenario.name, url, scenario.host, size)
        parse_wrk(output, measurement)
    finally:
        stop_gunicorn(process)
    measurement.log_alarms = log_alarms(log)
    return measurement


def machine() -> dict:
    return {
        "nproc": os.cpu_count(),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "gunicorn": subprocess.run([str(Path(sys.executable).with_name("gunicorn")),
                                    "--version"], capture_output=True, text=True,
                                   check=False).stdout.strip(),
        "wrk": subprocess.run(["wrk", "--version"], capture_output=True, text=True,
                              check=False).stdout.splitlines()[0],
    }


def _cpu_model() -> str | None:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return None
    match = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    return match[1] if match else None


def print_report(report: dict) -> None:
    print(f"\n{'scenario':<20}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
    for row in report["scenarios"]:
        print(f"{row['scenario']:<20}{row['requests_per_s']:>10.1f}{row['p50_ms']:>10.2f}"
              f"{row['p99_ms']:>10.2f}{row['errors']:>8}")
    print(f"\nratio tenant start page / hello: {report['ratio_start_page_to_hello']:.3f}")
    print(f"database queries per request for a known host ({QUERY_SAMPLE} requests, "
          f"in-process): {report['queries_per_request']:g}")
    for row in report["scenarios"]:
        for line in row["log_alarms"]:
            print(f"server log ({row['scenario']}): {line}")


def problems_of(report: dict) -> list[str]:
    problems = [f"{row['scenario']}: {row['errors']} failed requests "
                f"(socket {row['socket_errors']}, non-2xx/3xx {row['non_2xx_3xx']})"
                for row in report["scenarios"] if row["errors"] or not row["requests"]]
    if report["queries_per_request"]:
        problems.append(f"a known host cost {report['queries_per_request']:g} queries per "
                        f"request, expected 0: {report['sample_statements']}")
    return problems


def write_json(report: dict) -> Path:
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"web-{report['timestamp'].replace(':', '')}.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    return path


def run(args: argparse.Namespace, tmp: Path) -> dict:
    url = args.database_url or f"sqlite:///{tmp / 'bench.sqlite3'}"
    # Inherited by the gunicorn servers; development env keeps cookies plain-HTTP friendly.
    os.environ.update({"IOK_DATABASE_URL": url, "IOK_VAR_DIR": str(tmp),
                       "IOK_ENV": "development"})
    sync = prepare_database(url)
    if sync["invalid_policies"]:
        print(f"warning: tenants with invalid policies: {sync['invalid_policies']}",
              file=sys.stderr)
    queries, sample = count_queries(url, QUERY_SAMPLE)
    rows = [measure(scenario, args, tmp) for scenario in SCENARIOS]
    return {
        "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": machine(),
        "settings": {"seconds": args.seconds, "connections": args.connections,
                     "threads": args.threads, "workers": args.workers,
                     "worker_class": "sync", "database": url.split(":", 1)[0]},
        "scenarios": [asdict(row) | {"errors": row.errors} for row in rows],
        "ratio_start_page_to_hello": rows[1].requests_per_s / rows[0].requests_per_s,
        "queries_per_request": queries / QUERY_SAMPLE,
        "sample_statements": sample,
    }


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=15, help="wrk duration per scenario")
    parser.add_argument("--connections", type=int, default=32, help="wrk open connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--database-url", help="use this (PostgreSQL) database instead of a "
                        "throwaway SQLite file; tables are created and tenants synced into it")
    args = parser.parse_args()
    args.threads = max(1, min(args.threads, args.connections))  # wrk needs connections >= threads
    return args


def main() -> int:
    args = parse_args()
    if shutil.which("wrk") is None:
        print(WRK_MISSING, file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="iok-bench-") as tmp:
        try:
            report = run(args, Path(tmp))
        except BenchError as error:
            print(f"bench failed: {error}", file=sys.stderr)
            return 2
    report["problems"] = problems_of(report)
    print_report(report)
    print(f"\nwritten: {write_json(report).relative_to(REPO)}")
    for problem in report["problems"]:
        print(f"FAILED: {problem}", file=sys.stderr)
    return 1 if report["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
