"""What bench/web.py and bench/login.py share: a throwaway database, gunicorn, wrk, the report.

Not a benchmark by itself. Both scripts serve their apps with identical gunicorn settings
(sync workers on 127.0.0.1, a free port, their own process group) and load them with
`wrk --latency`, so their figures can be compared.
"""

from __future__ import annotations

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
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"
RESULTS_DIR = BENCH / "results"
READY_SECONDS = 30  # importing the real app and its first request take a few seconds
STOP_SECONDS = 10
WARMUP_SECONDS = 2
WRK_TIMEOUT = "2s"  # a response slower than this counts as a socket error (a failure)
WRK_MISSING = ("wrk is not installed (or not on PATH). Install it with:\n"
               "    sudo apt-get update && sudo apt-get install -y wrk")
BUSY_THRESHOLD = 0.15  # CPU busy before a run above which the figures are not trustworthy
OTHER_LOAD_THRESHOLD = 0.1  # cores used by other processes during a measurement
STEAL_THRESHOLD = 0.05  # share of CPU time taken by the hypervisor during a measurement
LOG_ALARMS = ("Traceback", "[ERROR]", "[CRITICAL]", "WORKER TIMEOUT", "Exception")

# The real app's package lives at the repository root, which is not installed in the venv.
sys.path.insert(0, str(REPO))


class BenchError(RuntimeError):
    """The benchmark could not run (not: it ran and measured something bad)."""


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
    other_load_cores: float | None = None  # CPU used by other processes meanwhile
    cpu_steal: float | None = None  # share of CPU time the hypervisor gave to other guests

    @property
    def errors(self) -> int:
        return sum(self.socket_errors.values()) + self.non_2xx_3xx


# --- the throwaway database -------------------------------------------------------------------

def database_url(given: str | None, tmp: Path) -> str:
    return given or f"sqlite:///{tmp / 'bench.sqlite3'}"


def recreate_postgres_database(url: str) -> None:
    """DROP (terminating its sessions) and CREATE the database of a PostgreSQL ``url``."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    except OperationalError as error:
        raise BenchError(f"PostgreSQL at {target.host}:{target.port} is not usable: "
                         f"{str(error).splitlines()[0]}") from error
    finally:
        admin.dispose()


def export_server_environment(url: str, tmp: Path) -> None:
    """What the gunicorn servers inherit: the bench database and a throwaway var dir.

    Development env keeps cookies plain-HTTP friendly (production would require a secret
    and set Secure cookies, which have nothing to do with throughput).
    """
    os.environ.update({"IOK_DATABASE_URL": url, "IOK_VAR_DIR": str(tmp),
                       "IOK_ENV": "development"})


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
        db.session.commit()  # services leave the commit to their caller
        db.engine.dispose()  # no connection of ours stays open while gunicorn serves
    report = asdict(report)
    if report["invalid_policies"]:
        print(f"warning: tenants with invalid policies: {report['invalid_policies']}",
              file=sys.stderr)
    return report


# --- gunicorn ---------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(app: str, chdir: Path, port: int, workers: int,
                   log: Path) -> subprocess.Popen:
    """`gunicorn --chdir CHDIR APP` (APP = gunicorn's APP_MODULE) with sync workers."""
    # Its own session (process group), so that stopping it also stops every worker.
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn), "--chdir", str(chdir), "--worker-class", "sync",
               "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
               "--error-logfile", "-", app]
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


def http_request(port: int, method: str, path: str, host: str | None,
                 body: str | None = None, headers: dict[str, str] | None = None,
                 ) -> tuple[int, http.client.HTTPMessage, bytes]:
    """One request to 127.0.0.1:port: (status, response headers, body). No redirects."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=body,
                           headers=({"Host": host} if host else {}) | (headers or {}))
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def probe(port: int, host: str | None) -> tuple[int, int]:
    """One GET / : (status, body length)."""
    status, _headers, body = http_request(port, "GET", "/", host)
    return status, len(body)


def wait_until_ready(process: subprocess.Popen, port: int, host: str | None, log: Path) -> int:
    """Poll until the server answers 200 (a redirect or an error page would skew the run)."""
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"gunicorn exited with {process.returncode}:\n{tail(log)}")
        try:
            status, size = probe(port, host)
        except OSError:
            time.sleep(0.2)
            continue
        if status != 200:
            raise BenchError(f"GET / (Host: {host}) answered {status}:\n{tail(log)}")
        return size
    raise BenchError(f"gunicorn did not answer within {READY_SECONDS} s:\n{tail(log)}")


def tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def log_alarms(log: Path) -> list[str]:
    """Server log lines that betray trouble under load (tracebacks, worker timeouts)."""
    return [line for line in log.read_text(errors="replace").splitlines()
            if any(alarm in line for alarm in LOG_ALARMS)][:20]


# --- wrk ---------------------------------------------------------------------------------------

def run_wrk(url: str, host: str | None, seconds: int, connections: int, threads: int,
            timeout: str = WRK_TIMEOUT, headers: tuple[str, ...] = (),
            script: Path | None = None, script_args: tuple[str, ...] = ()) -> str:
    """`wrk --latency`; `script` (Lua) gets `script_args` after `--`."""
    command = ["wrk", "--latency", "--threads", str(threads), "--connections", str(connections),
               "--duration", f"{seconds}s", "--timeout", timeout]
    for header in ((f"Host: {host}",) if host else ()) + headers:
        command += ["--header", header]
    if script is not None:
        command += ["--script", str(script)]
    command.append(url)
    if script_args:
        command += ["--", *script_args]
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


def find(pattern: str, text: str) -> re.Match:
    match = re.search(pattern, text, re.MULTILINE)
    if not match:
        raise BenchError(f"wrk output lacks /{pattern}/:\n{text}")
    return match


def parse_wrk(output: str, measurement: Measurement) -> None:
    """Fill in throughput, latency percentiles and errors from `wrk --latency` output."""
    measurement.requests = int(find(r"(\d+) requests in", output)[1])
    measurement.requests_per_s = float(find(r"^Requests/sec:\s+([\d.]+)", output)[1])
    measurement.p50_ms = _duration_ms(find(r"^\s+50%\s+(\S+)", output)[1])
    measurement.p99_ms = _duration_ms(find(r"^\s+99%\s+(\S+)", output)[1])
    # Both lines are printed only when their counts are not zero.
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                        output)
    counts = [int(n) for n in sockets.groups()] if sockets else [0, 0, 0, 0]
    measurement.socket_errors = dict(zip(("connect", "read", "write", "timeout"), counts,
                                         strict=True))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    measurement.non_2xx_3xx = int(non_2xx[1]) if non_2xx else 0


# --- the report --------------------------------------------------------------------------------

def cpu_busy(seconds: float = 1.0) -> float | None:
    """The fraction of all CPUs busy over `seconds` (from /proc/stat), None where unknown.

    Taken before a run starts, it tells whether something else is using the machine: every
    figure here assumes the bench has the CPUs to itself.
    """
    def sample() -> tuple[int, int]:
        fields = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        return sum(fields[:8]), idle

    try:
        total_before, idle_before = sample()
        time.sleep(seconds)
        total_after, idle_after = sample()
    except (OSError, ValueError, IndexError):
        return None
    total = total_after - total_before
    return 1 - (idle_after - idle_before) / total if total else None


class OtherLoad:
    """CPU used by processes that are not this bench while something is measured.

    Every figure assumes the bench has the machine to itself; another test run or build on
    the same cores lowers it. start() and stop() snapshot each process's CPU time from
    /proc; the bench's own processes (this one, its children such as wrk, the server's
    session) are left out. A process that starts and ends between the snapshots is missed,
    so this is a lower bound. stop() returns the others' average load in cores.
    `own_pids` are further processes that work for the bench although they are in no
    session of its own (e.g. the PostgreSQL backends serving the bench's database).
    With `database`, the PostgreSQL server's processes that work for it are the bench's
    too, found by their titles at stop(): the backends connected to that database
    (including ones opened after start()) and the server's background writers (WAL
    writer, checkpointer, background writer, autovacuum), which flush the bench's writes.
    After stop(), ``steal`` is the share of the CPUs' time a hypervisor gave to other
    guests meanwhile (/proc/stat): on a shared VM that lowers every figure too, and no
    process list shows it.
    """

    def __init__(self, own_sessions: tuple[int, ...] = (),
                 own_pids: tuple[int, ...] = (), database: str | None = None) -> None:
        self.own_sessions = set(own_sessions)
        self.own_pids = set(own_pids)
        self.database = database
        self.before: dict[int, tuple[float, int, int]] = {}
        self.started = 0.0
        self.steal: float | None = None
        self._times_before: tuple[int, int] | None = None

    def start(self) -> OtherLoad:
        self.before, self.started = _process_cpu(), time.monotonic()
        self._times_before = _stolen_and_total()
        return self

    def stop(self) -> float | None:
        # Titles first: a backend that exits meanwhile is then either known or gone.
        own = self.own_pids | (postgres_pids(self.database) if self.database else set())
        after, elapsed = _process_cpu(), time.monotonic() - self.started
        times_after = _stolen_and_total()
        if self._times_before and times_after and times_after[1] > self._times_before[1]:
            self.steal = round((times_after[0] - self._times_before[0])
                               / (times_after[1] - self._times_before[1]), 3)
        if not after or elapsed <= 0:
            return None
        me = os.getpid()
        seconds = sum(cpu - self.before.get(pid, (0.0, 0, 0))[0]
                      for pid, (cpu, ppid, sid) in after.items()
                      if pid != me and ppid != me and sid not in self.own_sessions
                      and pid not in own)
        return round(max(seconds, 0.0) / elapsed, 3)


# Process titles of a PostgreSQL server's background processes ("postgres: 15/main: walwriter").
POSTGRES_HELPERS = ("checkpointer", "background writer", "walwriter", "autovacuum")


def postgres_pids(database: str) -> set[int]:
    """PostgreSQL server processes working for `database`: its backends, whose titles read
    "postgres: <cluster>: <user> <database> <client> …", the background processes, and
    backends exiting (no title any more: a connection the bench just closed)."""
    pids = set()
    for entry in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            title = entry.read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if not title and "(postgres)" in Path(entry.parent, "stat").read_text():
                pids.add(int(entry.parent.name))
        except OSError:
            continue  # it ended meanwhile
        if not title.startswith("postgres: "):
            continue
        role = title.split(": ", 2)[-1]  # "<user> <database> …" or a background process
        words = role.split()
        if role.startswith(POSTGRES_HELPERS) or (len(words) > 1 and words[1] == database):
            pids.add(int(entry.parent.name))
    return pids


def _stolen_and_total() -> tuple[int, int] | None:
    """(steal, all) CPU ticks so far, from the first line of /proc/stat."""
    try:
        fields = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    return (fields[7] if len(fields) > 7 else 0), sum(fields[:8])


def _process_cpu() -> dict[int, tuple[float, int, int]]:
    """pid -> (CPU seconds so far, parent pid, session id), for every process in /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    processes = {}
    try:
        entries = list(os.scandir("/proc"))
    except OSError:
        return {}
    for entry in entries:
        if not entry.name.isdigit():
            continue
        try:
            text = Path(entry.path, "stat").read_text()
        except OSError:
            continue  # it ended meanwhile
        # After "pid (comm) ": state ppid pgrp session ... utime(12th) stime(13th).
        fields = text[text.rindex(")") + 2:].split()
        processes[int(entry.name)] = ((int(fields[11]) + int(fields[12])) / ticks,
                                      int(fields[1]), int(fields[3]))
    return processes


def warn_if_stolen(what: str, steal: float | None, threshold: float = STEAL_THRESHOLD) -> None:
    if steal is not None and steal > threshold:
        print(f"warning: the hypervisor took {steal:.0%} of the CPUs' time during {what}; "
              "its figures are low (a shared VM's neighbours were busy): repeat the run",
              file=sys.stderr)


def warn_if_loaded(what: str, cores: float | None,
                   threshold: float = OTHER_LOAD_THRESHOLD) -> None:
    if cores is not None and cores > threshold:
        print(f"warning: other processes used {cores:.2f} cores during {what}; "
              f"its figures are low and noisy", file=sys.stderr)


def warn_if_busy(busy: float | None, threshold: float = BUSY_THRESHOLD) -> None:
    if busy is not None and busy > threshold:
        print(f"warning: the CPUs were {busy:.0%} busy before the run started (something else "
              f"is running); the figures will be low and noisy", file=sys.stderr)


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


def write_json(report: dict, prefix: str) -> Path:
    """bench/results/<prefix>-<timestamp>.json (git-ignored)."""
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{prefix}-{report['timestamp'].replace(':', '')}.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    return path


def bench_main(name: str, run, problems_of, print_report, args, *,
               needs_wrk: bool = True, keep_logs: Path | None = None) -> int:
    """The shared ending of every bench: run in a temporary folder, report, exit status
    (0 measured, 1 a request or check failed, 2 could not run)."""
    if needs_wrk and shutil.which("wrk") is None:
        print(WRK_MISSING, file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="iok-bench-") as tmp:
        try:
            report = run(args, Path(tmp))
        except BenchError as error:
            print(f"bench failed: {error}", file=sys.stderr)
            return 2
        finally:
            if keep_logs:
                keep_logs.mkdir(parents=True, exist_ok=True)
                for log in Path(tmp).glob("*.log"):
                    shutil.copy(log, keep_logs / log.name)
    report["problems"] = problems_of(report)
    print_report(report)
    print(f"\nwritten: {write_json(report, name).relative_to(REPO)}")
    for problem in report["problems"]:
        print(f"FAILED: {problem}", file=sys.stderr)
    return 1 if report["problems"] else 0
