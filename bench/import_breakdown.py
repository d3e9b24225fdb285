"""Where a first ledger import's time goes: its staging COPY and its INSERT, timed alone.

Run after `bench/import_ledger.py` (it uses that run's database, default iok_bench_import):

    .venv/bin/python bench/import_breakdown.py [--rows 1000000] [--units 20000] [--repeat 3]

(--units as in that run: the flats the file refers to must be stored; `--ci` stores 2 000).

Connects as the `postgres` superuser (no row-level security) and, in a transaction that is
rolled back each time: stages the generated ledger.csv as the import does (a temporary
table, bulk.Staging), then runs one INSERT into ledger_entry. Four
INSERTs: the import's own first-import statement (bulk.py, checks included) and a bare one
that only casts the cells and joins the flat, each with and without the foreign key's
trigger (`session_replication_role = replica`, for this measurement only). The tenant's
stored ledger is emptied first (TRUNCATE): this is a scratch database. Prints seconds.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from pathlib import Path

import psycopg
from common import REPO  # noqa: F401  (puts the repository on sys.path)
from import_ledger import TENANT, write_files

from iok_saas import create_app
from iok_saas.modules.imports import bulk
from iok_saas.modules.imports.formats import DATASETS, read_csv

DSN = "host=127.0.0.1 user=postgres dbname=iok_bench_import"
# Names from this module only, no input.
BARE = ("INSERT INTO ledger_entry (tenant_id, external_id, unit_id, booking_date, period, "  # noqa: S608
        "kind, component, title, amount) SELECT %(tenant)s, r_external_id, u.id, "
        "r_booking_date::date, (r_period || '-01')::date, r_kind, r_component, r_title, "
        f"r_amount::numeric FROM {bulk.STAGE} LEFT JOIN unit u ON u.tenant_id = %(tenant)s "
        "AND u.external_id = r_unit")


def first_import_statement() -> tuple[str, dict]:
    """bulk.py's first-import INSERT, in psycopg's placeholder style, and its parameters."""
    with create_app().app_context():
        plan = bulk.plan_for(DATASETS["ledger"])
        statement, values = bulk._insert(
            plan, f"({bulk.checked_select(plan, 'true')}) c",
            f"CASE WHEN {bulk._good(plan)} THEN c.v_external_id END")
        params = bulk._params(plan, 0) | values
    sql = re.sub(r"(?<![:\w]):(\w+)", r"%(\1)s", str(statement).replace("%", "%%"))
    return sql, params


def stage(cursor, ledger: Path, rows: int) -> float:
    """Stages the file exactly as the import does (bulk.Staging); returns the seconds."""
    with ledger.open("rb") as stream:
        staging = bulk.Staging(bulk.plan_for(DATASETS["ledger"]), read_csv(stream, "ledger"))
        started = time.perf_counter()
        staging.load(cursor)
        elapsed = time.perf_counter() - started
    if staging.total != rows:
        raise SystemExit(f"FAILED: {staging.total} rows staged of {rows}")
    return elapsed


def timed_insert(conn, ledger: Path, sql: str, params: dict, with_key: bool,
                 rows: int) -> tuple[float, float]:
    with conn.cursor() as cursor:
        conn.execute("SET LOCAL work_mem = '256MB'")  # as bulk.run
        if not with_key:
            conn.execute("SET LOCAL session_replication_role = replica")
        staging = stage(cursor, ledger, rows)
        started = time.perf_counter()
        cursor.execute(sql, params)
        elapsed = time.perf_counter() - started
        if cursor.rowcount != rows:
            raise SystemExit(f"FAILED: {cursor.rowcount} rows written of {rows}")
    conn.rollback()
    conn.execute("TRUNCATE ledger_entry")  # dead index entries would slow the next run
    conn.commit()
    return staging, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--units", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    checked, params = first_import_statement()
    with tempfile.TemporaryDirectory() as tmp, psycopg.connect(DSN) as conn:
        ledger = write_files(Path(tmp), args.rows, args.units)[0]["ledger"]
        params["tenant"] = conn.execute("SELECT id FROM tenant WHERE slug = %s",
                                        (TENANT,)).fetchone()[0]
        conn.execute("TRUNCATE ledger_entry")
        conn.commit()
        stagings = []
        for label, sql in (("first-import INSERT", checked), ("bare INSERT", BARE)):
            for with_key in (True, False):
                runs = [timed_insert(conn, ledger, sql, params, with_key, args.rows)
                        for _ in range(args.repeat)]
                stagings += [s for s, _ in runs]
                seconds = ", ".join(f"{t:.2f}" for _, t in runs)
                key = "with" if with_key else "without"
                print(f"{label:20} {key:7} the key's check: {seconds} s", flush=True)
        print(f"{'staging COPY':20} median {statistics.median(stagings):.2f} s "
              f"({len(stagings)} runs)")


if __name__ == "__main__":
    main()
