"""Real services for tests: skipped with a reason on a machine that lacks them,
mandatory (a failure) when IOK_REQUIRE_SERVICES=1, as .ci/run sets it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

DEFAULTS = {
    "postgres": ("IOK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
    "redis": ("IOK_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
    # Debian's Chromium (apt-get install -y chromium) for the browser tests (tests/browser).
    "chromium": ("IOK_TEST_CHROMIUM", "/usr/bin/chromium"),
    # Debian's PgBouncer (apt-get install -y pgbouncer) for the pooled-connection tests.
    "pgbouncer": ("IOK_TEST_PGBOUNCER", "pgbouncer"),
    # axe-core from the npm registry (`npm ci` in tests/browser), injected into the pages.
    "axe-core": ("IOK_TEST_AXE_CORE",
                 str(Path(__file__).parent / "browser/node_modules/axe-core/axe.min.js")),
}


def xdist_worker() -> int:
    """The pytest-xdist worker running this process (0 when the suite runs in one process).
    Each worker gets databases of its own, so parallel workers never meet."""
    return int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))


def worker_database(name: str) -> str:
    """``name`` for the first (or only) worker, ``name_gwN`` for worker N."""
    worker = xdist_worker()
    return name if worker == 0 else f"{name}_gw{worker}"


def worker_redis(purpose: int = 0) -> str:
    """The Redis URL a test may flush: database 15 - 2 * worker - purpose (purpose 0 or 1),
    so up to four workers each own two of Redis's sixteen databases."""
    base = require_service("redis").rsplit("/", 1)[0]
    number = 15 - 2 * xdist_worker() - purpose
    if number < 8:
        pytest.fail(f"worker {xdist_worker()} has no Redis database of its own: run at most "
                    "four pytest-xdist workers")
    return f"{base}/{number}"


def require_service(name: str) -> str:
    variable, default = DEFAULTS[name]
    url = os.environ.get(variable, default)
    problem = _probe(name, url)
    if problem is None:
        return url
    message = f"{name} is not reachable at {url} ({problem}); set {variable}"
    if os.environ.get("IOK_REQUIRE_SERVICES") == "1":
        pytest.fail(f"required service missing: {message}")
    pytest.skip(message)


def _probe(name: str, url: str) -> str | None:
    if name == "chromium":
        if shutil.which(url) is None:
            return "no such executable; install it with `apt-get install -y chromium`"
        return None
    if name == "pgbouncer":
        if not (shutil.which(url) or shutil.which(url, path="/usr/sbin:/sbin")):
            return "no such executable; install it with `apt-get install -y pgbouncer`"
        return None
    if name == "axe-core":
        if not Path(url).is_file():
            return "no such file; run `npm ci` in tests/browser"
        return None
    try:
        if name == "postgres":
            engine = create_engine(url, connect_args={"connect_timeout": 3})
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            engine.dispose()
        else:
            import redis

            redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except Exception as exc:  # noqa: BLE001 - any failure means "not usable here"
        return f"{type(exc).__name__}: {exc}".splitlines()[0]
    return None
