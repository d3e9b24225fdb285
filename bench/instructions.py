"""CPU instructions per request of the signed-in pages, counted by valgrind: a meter that
does not move with the machine's load.

    .venv/bin/python bench/instructions.py [--requests 50] [--pages in-app ledger dashboard]

It needs valgrind (Debian's package) and the 1-tenant database that bench/ledger.py builds
(same --tenants/--rows/--units; run that bench once first). Each page is requested in its
own process under ``valgrind --tool=callgrind --instr-atstart=no``: the app (bench_app.py,
connected as the app role under row-level security) signs a resident in through the Flask
test client, serves the page 30 times to warm up, then counts the instructions of
--requests requests only (``callgrind_control -i on/off`` around them). What runs in
PostgreSQL is not counted: this is the web worker's own share, which wrk's figures blur
with the database's and the noise of a shared machine. The same code, data and Python give
the same count to a fraction of a per cent, so a change of 1 % is visible.

Prints instructions per request and the ledger page's ratio to the in-app one-query page
(in-app ÷ ledger: the throughput ratio if the web worker's CPU were all that counted), and
writes bench/results/instructions-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from common import REPO, BenchError, bench_main, machine
from ledger import (
    DASHBOARD_PATH,
    DEFAULT_DATABASE_URL,
    LOGIN_PATH,
    database_urls,
    existing_shape,
    in_app_baseline_path,
    ledger_path,
    pick_residents,
    shapes_of,
)

PAGES = ("in-app", "ledger", "dashboard")
WARM_UP = 30


def page_path(page: str, resident, month) -> str:
    if page == "in-app":
        return in_app_baseline_path(resident, month)
    if page == "ledger":
        return ledger_path(resident, month)
    return DASHBOARD_PATH


def child(page: str, requests: int, host: str, login: str, path: str) -> None:
    """Runs under valgrind: sign in, warm up, count ``requests`` GETs of ``path``."""
    import bench_app

    from iok_saas.demo import RESIDENT_PASSWORD

    client = bench_app.app.test_client()
    base_url = f"http://{host}"
    signed_in = client.post(LOGIN_PATH, data={"login": login, "password": RESIDENT_PASSWORD},
                            base_url=base_url)
    if signed_in.status_code != 302:
        raise SystemExit(f"login answered {signed_in.status_code}")
    for _ in range(WARM_UP):
        if client.get(path, base_url=base_url).status_code != 200:
            raise SystemExit(f"{path} did not answer 200")
    toggle = ["callgrind_control", "-i"]
    subprocess.run([*toggle, "on", str(os.getpid())], check=True, capture_output=True)
    for _ in range(requests):
        client.get(path, base_url=base_url)
    subprocess.run([*toggle, "off", str(os.getpid())], check=True, capture_output=True)


def count(page: str, requests: int, resident, path: str, app_url: str, tmp: Path) -> int:
    """Instructions per request of ``path``, from callgrind's totals."""
    out = tmp / f"callgrind-{page}.out"
    env = os.environ | {"IOK_DATABASE_URL": app_url, "IOK_ENV": "development",
                        "IOK_VAR_DIR": str(tmp)}
    process = subprocess.run(
        ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
         sys.executable, __file__, "--child", page, str(requests), resident.host,
         resident.login, path], env=env, cwd=REPO / "bench", capture_output=True, text=True)
    if process.returncode != 0:
        raise BenchError(f"{page}: valgrind run failed\n{process.stderr[-2000:]}")
    total = 0  # each dump ends with its "totals:" line (its "summary:" may say 0)
    for part in tmp.glob(f"callgrind-{page}.out*"):
        totals = [line for line in part.read_text().splitlines() if line.startswith("totals:")]
        total += int(totals[-1].split()[1]) if totals else 0
    if not total:
        raise BenchError(f"{page}: callgrind counted nothing\n{process.stderr[-2000:]}")
    return round(total / requests)


def run(args: argparse.Namespace, tmp: Path) -> dict:
    wanted = shapes_of(args)[0]
    owner_url, app_url = database_urls(args.database_url, wanted)
    shape = existing_shape(owner_url)
    if not wanted.same_data(shape):
        raise BenchError(f"no 1-tenant database of that shape at {owner_url}: run "
                         "bench/ledger.py (with the same --tenants/--rows/--units) first")
    resident = pick_residents(owner_url, shape, 1)[0]
    counts = {}
    for page in args.pages:
        path = page_path(page, resident, shape.last_month)
        counts[page] = count(page, args.requests, resident, path, app_url, tmp)
        print(f"  {page:<10} {counts[page]:>12,} instructions per request  ({path})",
              flush=True)
    ratio = None
    if "in-app" in counts and "ledger" in counts:
        ratio = counts["in-app"] / counts["ledger"]
    return {"timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "machine": machine(), "database": owner_url.rsplit("/", 1)[-1],
            "requests": args.requests, "warm_up": WARM_UP, "instructions": counts,
            "in_app_to_ledger": ratio}


def print_report(report: dict) -> None:
    if report["in_app_to_ledger"] is not None:
        print(f"\nin-app one-query page ÷ ledger page (instructions): "
              f"{report['in_app_to_ledger']:.3f}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=50, help="counted requests per page")
    parser.add_argument("--pages", nargs="+", choices=PAGES, default=list(PAGES))
    parser.add_argument("--tenants", type=int, default=200, help="as bench/ledger.py")
    parser.add_argument("--rows", type=int, default=20_000_000, help="as bench/ledger.py")
    parser.add_argument("--units", type=int, default=400, help="as bench/ledger.py")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    return parser.parse_args()


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        page, requests, host, login, path = sys.argv[2:7]
        child(page, int(requests), host, login, path)
        return 0
    for tool in ("valgrind", "callgrind_control"):
        if shutil.which(tool) is None:
            print(f"{tool} is missing: apt-get install -y valgrind", file=sys.stderr)
            return 2
    return bench_main("instructions", run, lambda report: [], print_report, parse_args(),
                      needs_wrk=False)


if __name__ == "__main__":
    sys.exit(main())
