"""Import benchmark: a million-row ledger CSV through `import_data` into PostgreSQL,
beside a raw COPY of the same rows.

Run from the repository root (PostgreSQL on 127.0.0.1:5432, user postgres, trust):

    .venv/bin/python bench/import_ledger.py [--rows 1000000] [--units 20000]
                                            [--database-url postgresql+psycopg://…]
    .venv/bin/python bench/import_ledger.py --ci      # 100 000 rows, for .ci/run

One run:
1. drops and creates its own database (default iok_bench_import) as the owner: tables from
   `db.create_all()`, row-level security on every tenant table and the grants of a
   non-owner app role (``iok_bench_import_app``, NOBYPASSRLS), the five cooperatives
   loaded as `flask tenants sync` does; everything after this runs as the app role;
2. writes associations.csv, units.csv and ledger.csv (--rows lines, every unit a share,
   charges, payments, corrections and interest with the documented signs) into a temporary
   folder, streaming, with a seeded random generator;
3. imports associations and units, then the ledger, exactly as `flask imports load` does
   (`import_file`: on PostgreSQL the COPY path of bulk.py, in one transaction), and times
   the ledger;
4. imports the same ledger again: every row must come out unchanged;
5. the limit, in the same run: the stored rows are written out in COPY's own format and
   COPY'd into a copy of the ledger table (same columns, defaults and indexes; no
   row-level security, which COPY FROM refuses, and no foreign keys), timed; then into a
   second copy that has the ledger's foreign keys too, timed;
6. checks the stored row count, distinct external ids and the exact sum of amounts against
   the generated file, and the copy's row count.
It reports rows/s of both imports, the ratio first import / COPY, and the process's peak
RSS, writes bench/results/import_ledger-<timestamp>.json and exits 1 if a check failed
(a row lost or doubled, a rejected import), 2 if it could not run. See bench/README.md.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

# bench/ is sys.path[0] when this file is run as a script.
from common import REPO, BenchError, OtherLoad, bench_main, cpu_busy, prepare_database, warn_if_busy

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/iok_bench_import"
APP_ROLE = "iok_bench_import_app"  # owns nothing, cannot bypass RLS: what the app connects as
COPY_TABLE = "ledger_entry_copy"  # the same columns, defaults and indexes
COPY_FK_TABLE = "ledger_entry_copy_fk"  # and the same foreign keys
COPY_COLUMNS = ("tenant_id", "external_id", "unit_id", "booking_date", "period", "kind",
                "component", "title", "amount")
CI_ROWS, CI_UNITS = 100_000, 2_000
TENANT = "gdynia"
COMPONENTS = ("eksploatacja", "fundusz remontowy", "woda", "wywóz odpadów")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB


def current_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def recreate_database(url: str) -> str:
    """A fresh database and the app role; returns the app role's URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    if not target.drivername.startswith("postgresql"):
        raise BenchError("this bench measures PostgreSQL: give a postgresql+psycopg:// URL")
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
            if not conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"),
                               {"r": APP_ROLE}):
                conn.execute(text(f"CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS"))
    except Exception as error:  # noqa: BLE001 — any connection failure means "cannot run"
        raise BenchError(f"PostgreSQL at {target.render_as_string()} is not usable: "
                         f"{error}") from error
    finally:
        admin.dispose()
    return target.set(username=APP_ROLE, password=None).render_as_string(hide_password=False)


def secure_schema(owner_url: str) -> None:
    """As the owner: row-level security on every tenant table, the app role's grants,
    and the copy of the ledger table that the raw COPY fills."""
    from sqlalchemy import create_engine, text

    from iok_saas.tenancy import rls, tenant_table_names

    owner = create_engine(owner_url)
    with owner.begin() as conn:
        rls.enable(conn, tenant_table_names())
        for table in (COPY_TABLE, COPY_FK_TABLE):
            conn.execute(text(f"CREATE TABLE {table} (LIKE ledger_entry INCLUDING DEFAULTS "
                              "INCLUDING INDEXES INCLUDING CONSTRAINTS)"))
        for (definition,) in conn.execute(text(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = 'ledger_entry'::regclass AND contype = 'f'")):
            conn.execute(text(f"ALTER TABLE {COPY_FK_TABLE} ADD {definition}"))
        for statement in rls.grant_statements(APP_ROLE):
            conn.execute(text(statement))
    owner.dispose()


def write_files(folder: Path, rows: int, units: int) -> tuple[dict[str, Path], Decimal]:
    """associations.csv, units.csv, ledger.csv; returns the paths and the ledger's sum."""
    rng = random.Random(20261121)  # noqa: S311 — test data, not secrets
    paths = {name: folder / f"{name}.csv" for name in ("associations", "units", "ledger")}
    buildings = max(1, units // 40)
    with paths["associations"].open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["external_id", "name", "street", "postal_code", "city"])
        for b in range(buildings):
            writer.writerow([f"A{b}", f"Wspólnota Kwiatowa {b + 1}", f"ul. Kwiatowa {b + 1}",
                             "81-001", "Gdynia"])
    with paths["units"].open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["external_id", "association", "street", "building_number",
                         "unit_number", "city", "kind", "bank_account"])
        for u in range(units):
            writer.writerow([f"U{u}", f"A{u % buildings}", "ul. Kwiatowa",
                             str(u % buildings + 1), str(u // buildings + 1), "Gdynia",
                             "residential", f"{u:026d}"])
    total_grosze = 0
    with paths["ledger"].open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["external_id", "unit", "booking_date", "period", "kind",
                         "component", "title", "amount"])
        for i in range(rows):
            unit = i % units
            month = (i // units) % 120
            year, month0 = 2016 + month // 12, month % 12
            period = f"{year}-{month0 + 1:02d}"
            pick = rng.random()
            if pick < 0.70:
                kind, component = "charge", COMPONENTS[i % len(COMPONENTS)]
                grosze = rng.randint(1_000, 60_000)
                title = f"{component.capitalize()} {month0 + 1:02d}/{year}"
            elif pick < 0.95:
                kind, component, title = "payment", "", "Wpłata"
                grosze = -rng.randint(1_000, 150_000)
            elif pick < 0.98:
                kind, component, title = "correction", "", "Korekta"
                grosze = rng.choice((-1, 1)) * rng.randint(1, 20_000)
            else:
                kind, component, title = "interest", "", "Odsetki za zwłokę"
                grosze = rng.randint(1, 5_000)
            total_grosze += grosze
            amount = f"{'-' if grosze < 0 else ''}{abs(grosze) // 100}.{abs(grosze) % 100:02d}"
            writer.writerow([f"L{i}", f"U{unit}", f"{period}-{rng.randint(1, 28):02d}",
                             period, kind, component, title, amount])
    return paths, Decimal(total_grosze) / 100


def backend_cpu_seconds(pid: int) -> float | None:
    """CPU time used so far by the PostgreSQL backend serving us (None if not visible)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed_import(path: Path, dataset: str) -> tuple[dict, dict]:
    """Import one file; its wall time, this process's CPU time and the server backend's."""
    from sqlalchemy import text

    from iok_saas.extensions import db
    from iok_saas.modules.imports import services

    backend = db.session.scalar(text("SELECT pg_backend_pid()"))
    server_before = backend_cpu_seconds(backend)
    started, cpu_started = time.perf_counter(), time.process_time()
    run = services.import_file(path, "csv", dataset, source="cli", actor="cli:bench")
    db.session.commit()  # as `flask imports load` does: services leave the commit to it
    times = {"seconds": time.perf_counter() - started,
             "client_cpu_seconds": time.process_time() - cpu_started}
    server_after = backend_cpu_seconds(backend)
    times["server_cpu_seconds"] = None if server_before is None or server_after is None \
        else server_after - server_before
    return services.run_as_dict(run), times


def raw_copy(folder: Path, app_url: str, tenant_id: int, table: str) -> tuple[float, int]:
    """The limit: the stored rows, written out in COPY's text format, COPY'd into a copy
    of the table as the app role (its own connection); returns (seconds, rows in the
    copy)."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(app_url)
    dump = folder / "ledger.copy"
    columns = ", ".join(COPY_COLUMNS)
    with psycopg.connect(host=url.host, port=url.port, user=url.username,
                         dbname=url.database) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT set_config('iok.tenant_id', %s, true)", (str(tenant_id),))
        with dump.open("wb") as out, cursor.copy(
                f"COPY (SELECT {columns} FROM ledger_entry ORDER BY id) TO STDOUT",  # noqa: S608
        ) as copy:
            for block in copy:
                out.write(block)
        conn.commit()
        started = time.perf_counter()
        with dump.open("rb") as source, cursor.copy(
                f"COPY {table} ({columns}) FROM STDIN") as copy:
            for block in iter(lambda: source.read(1 << 20), b""):
                copy.write(block)
        conn.commit()
        seconds = time.perf_counter() - started
        copied = cursor.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
    return seconds, copied


def run(args: argparse.Namespace, tmp: Path) -> dict:
    from sqlalchemy import func, select
    from sqlalchemy.engine import make_url

    from iok_saas import create_app
    from iok_saas.extensions import db
    from iok_saas.modules.ledger.models import LedgerEntry
    from iok_saas.tenancy import directory, tenant_scope

    busy = cpu_busy()
    warn_if_busy(busy)
    app_url = recreate_database(args.database_url)
    prepare_database(args.database_url)
    secure_schema(args.database_url)
    print(f"writing {args.rows} ledger rows for {args.units} units …", flush=True)
    started = time.perf_counter()
    paths, expected_sum = write_files(tmp, args.rows, args.units)
    generate_seconds = time.perf_counter() - started
    size_mb = paths["ledger"].stat().st_size / 1e6
    problems: list[str] = []
    app = create_app({"SQLALCHEMY_DATABASE_URI": app_url})
    database = make_url(app_url).database
    with app.app_context():
        tenant = next(t for t in directory().all() if t.slug == TENANT)
        with tenant_scope(tenant):
            for dataset in ("associations", "units"):
                report, _times = timed_import(paths[dataset], dataset)
                if report["status"] != "applied":
                    raise BenchError(f"{dataset} rejected: {report['errors'][:3]}")
            rss_before = current_rss_mb()
            print(f"importing ledger.csv ({size_mb:.0f} MB) …", flush=True)
            others = OtherLoad(database=database).start()
            first, first_times = timed_import(paths["ledger"], "ledger")
            first_load = others.stop()
            peak_first = peak_rss_mb()
            print("importing the same file again …", flush=True)
            others = OtherLoad(database=database).start()
            second, second_times = timed_import(paths["ledger"], "ledger")
            second_load = others.stop()
            count, distinct, total = db.session.execute(
                select(func.count(), func.count(LedgerEntry.external_id.distinct()),
                       func.sum(LedgerEntry.amount))).one()
            print("COPY of the same rows into a copy of the table …", flush=True)
            others = OtherLoad(database=database).start()
            copy_seconds, copied = raw_copy(tmp, app_url, tenant.id, COPY_TABLE)
            copy_load = others.stop()
            print("… and into a copy with the foreign keys too …", flush=True)
            others = OtherLoad(database=database).start()
            fk_seconds, fk_copied = raw_copy(tmp, app_url, tenant.id, COPY_FK_TABLE)
            fk_load = others.stop()
        db.engine.dispose()
    if first["status"] != "applied" or first["rows"]["created"] != args.rows:
        problems.append(f"first import: {first['status']}, {first['rows']}, "
                        f"errors {first['errors'][:3]}")
    if second["status"] != "applied" or second["rows"]["unchanged"] != args.rows:
        problems.append(f"second import not all unchanged: {second['rows']}")
    if count != args.rows or distinct != args.rows or Decimal(total) != expected_sum:
        problems.append(f"stored {count} rows ({distinct} distinct external ids) summing "
                        f"{total}; expected {args.rows} rows summing {expected_sum}")
    if copied != args.rows or fk_copied != args.rows:
        problems.append(f"the raw COPYs stored {copied} and {fk_copied} rows, not {args.rows}")
    first_figures = _figures(args.rows, first_times)
    copy_rate, fk_rate = args.rows / copy_seconds, args.rows / fk_seconds
    return {
        "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": {"cpu_busy_before": busy, "python": sys.version.split()[0]},
        "settings": {"rows": args.rows, "units": args.units, "tenant": TENANT,
                     "database": args.database_url.split("@")[-1], "file_mb": round(size_mb, 1),
                     "generate_seconds": round(generate_seconds, 1)},
        "first": first_figures | {"rows": first["rows"], "other_load_cores": first_load},
        "second": _figures(args.rows, second_times) | {"rows": second["rows"],
                                                       "other_load_cores": second_load},
        "copy": {"seconds": round(copy_seconds, 2), "rows_per_s": round(copy_rate),
                 "other_load_cores": copy_load,
                 "ratio_first_import": round(first_figures["rows_per_s"] / copy_rate, 2)},
        "copy_with_foreign_keys": {
            "seconds": round(fk_seconds, 2), "rows_per_s": round(fk_rate),
            "other_load_cores": fk_load,
            "ratio_first_import": round(first_figures["rows_per_s"] / fk_rate, 2)},
        "memory": {"rss_before_ledger_mb": round(rss_before), "peak_rss_after_first_mb":
                   round(peak_first), "peak_rss_mb": round(peak_rss_mb())},
        "check": {"stored_rows": count, "stored_sum": str(total),
                  "expected_sum": str(expected_sum)},
        "problems": problems,
    }


def _figures(rows: int, times: dict) -> dict:
    """Wall-clock rows/s, and rows per CPU second of client + server: the rate the import
    would reach with the CPUs to itself (the client and its backend take turns)."""
    cpu = times["client_cpu_seconds"] + (times["server_cpu_seconds"] or 0)
    return {"seconds": round(times["seconds"], 2), "rows_per_s": round(rows / times["seconds"]),
            "client_cpu_seconds": round(times["client_cpu_seconds"], 1),
            "server_cpu_seconds": None if times["server_cpu_seconds"] is None
            else round(times["server_cpu_seconds"], 1),
            "rows_per_cpu_s": round(rows / cpu) if cpu else None}


def print_report(report: dict) -> None:
    s, f, g, m = report["settings"], report["first"], report["second"], report["memory"]
    c, k = report["copy"], report["copy_with_foreign_keys"]
    print(f"\nledger import into PostgreSQL ({s['rows']} rows, {s['file_mb']} MB CSV, "
          f"{s['units']} units, tenant {s['tenant']})")
    rows = [("first import (all created) s", f"{f['seconds']:.1f}"),
            ("first import rows/s", f"{f['rows_per_s']:,}"),
            ("  CPU s client / server", f"{f['client_cpu_seconds']} / {f['server_cpu_seconds']}"),
            ("  rows per CPU second", f"{f['rows_per_cpu_s']:,}"),
            ("second import (all unchanged) s", f"{g['seconds']:.1f}"),
            ("second import rows/s", f"{g['rows_per_s']:,}"),
            ("  CPU s client / server", f"{g['client_cpu_seconds']} / {g['server_cpu_seconds']}"),
            ("  rows per CPU second", f"{g['rows_per_cpu_s']:,}"),
            ("raw COPY of the same rows s", f"{c['seconds']:.1f}"),
            ("raw COPY rows/s", f"{c['rows_per_s']:,}"),
            ("ratio first import / COPY", f"{c['ratio_first_import']:.2f}"),
            ("raw COPY, foreign keys too, rows/s", f"{k['rows_per_s']:,}"),
            ("ratio first import / that COPY", f"{k['ratio_first_import']:.2f}"),
            ("RSS before the ledger (MB)", f"{m['rss_before_ledger_mb']}"),
            ("peak RSS (MB)", f"{m['peak_rss_mb']}"),
            ("stored rows / sum", f"{report['check']['stored_rows']} / "
                                  f"{report['check']['stored_sum']}")]
    for name, value in rows:
        print(f"{name:<40}{value:>24}")
    for label, load in (("the first import", f["other_load_cores"]),
                        ("the second import", g["other_load_cores"]),
                        ("the raw COPY", c["other_load_cores"]),
                        ("the raw COPY with foreign keys", k["other_load_cores"])):
        if load is not None and load > 0.1:
            print(f"warning: other processes used {load:.2f} cores during {label}; "
                  "its figures are low and noisy", file=sys.stderr)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="ledger rows")
    parser.add_argument("--units", type=int, default=20_000, help="units they belong to")
    parser.add_argument("--database-url", default=DEFAULT_URL,
                        help="PostgreSQL database to drop, create and fill")
    parser.add_argument("--ci", action="store_true",
                        help=f"the short variant for CI: {CI_ROWS} rows, {CI_UNITS} units")
    args = parser.parse_args()
    if args.ci:
        args.rows, args.units = CI_ROWS, CI_UNITS
    if args.rows < 1 or args.units < 1:
        parser.error("--rows and --units must be at least 1")
    return args


def main() -> int:
    args = parse_args()
    return bench_main("import_ledger", run, lambda report: report["problems"], print_report,
                      args, needs_wrk=False)


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    sys.exit(main())
