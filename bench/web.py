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
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

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
    database_url,
    export_server_environment,
    free_port,
    log_alarms,
    machine,
    parse_wrk,
    prepare_database,
    run_wrk,
    start_gunicorn,
    stop_gunicorn,
    wait_until_ready,
    warn_if_busy,
    warn_if_loaded,
)

TENANT_HOST = "brzeg.localhost"
QUERY_SAMPLE = 100


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


# --- database and the in-process query count ------------------------------------------------

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


# --- one scenario, the report ----------------------------------------------------------------

def measure(scenario: Scenario, args: argparse.Namespace, tmp: Path) -> Measurement:
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    log = tmp / f"gunicorn-{scenario.app.split(':')[0]}.log"
    process = start_gunicorn(scenario.app, scenario.chdir, port, args.workers, log)
    try:
        size = wait_until_ready(process, port, scenario.host, log)
        # Every worker imports the app and compiles its templates on its first requests.
        run_wrk(url, scenario.host, WARMUP_SECONDS, args.connections, args.threads)
        others = OtherLoad((process.pid,)).start()
        output = run_wrk(url, scenario.host, args.seconds, args.connections, args.threads)
        measurement = Measurement(scenario.name, url, scenario.host, size,
                                  other_load_cores=others.stop())
        parse_wrk(output, measurement)
    finally:
        stop_gunicorn(process)
    measurement.log_alarms = log_alarms(log)
    return measurement


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
        warn_if_loaded(row["scenario"], row["other_load_cores"])


def problems_of(report: dict) -> list[str]:
    problems = [f"{row['scenario']}: {row['errors']} failed requests "
                f"(socket {row['socket_errors']}, non-2xx/3xx {row['non_2xx_3xx']})"
                for row in report["scenarios"] if row["errors"] or not row["requests"]]
    if report["queries_per_request"]:
        problems.append(f"a known host cost {report['queries_per_request']:g} queries per "
                        f"request, expected 0: {report['sample_statements']}")
    return problems


def run(args: argparse.Namespace, tmp: Path) -> dict:
    url = database_url(args.database_url, tmp)
    export_server_environment(url, tmp)  # inherited by the gunicorn servers
    prepare_database(url)
    queries, sample = count_queries(url, QUERY_SAMPLE)
    busy = cpu_busy()
    warn_if_busy(busy)
    rows = [measure(scenario, args, tmp) for scenario in SCENARIOS]
    return {
        "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": machine() | {"cpu_busy_before": busy},
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
    return bench_main("web", run, problems_of, print_report, parse_args())


if __name__ == "__main__":
    sys.exit(main())
