"""A private PgBouncer in transaction mode on a free loopback port, for tests and benches.

    .venv/bin/python bench/pgbouncer.py [--pool-size 2] [--user iok_app ...]
    .venv/bin/python bench/pgbouncer.py --pool-size 2 --user iok_app_test -- \
        env IOK_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:{port}/iok_ci \
        .venv/bin/python -m pytest tests/test_row_level_security.py

The first prints the port and waits (Ctrl-C stops it); the second runs the command after
``--`` with ``{port}`` in its arguments replaced by PgBouncer's port (also in the
environment as IOK_PGBOUNCER_PORT, with IOK_DATABASE_PREPARED_STATEMENTS=off), stops
PgBouncer and exits with the command's status. It writes its own pgbouncer.ini, user list,
pid file and log into a temporary directory, points every database name at the PostgreSQL
server on 127.0.0.1:5432 and touches neither that server's configuration nor the system's
PgBouncer (/etc/pgbouncer). ``pgbouncer`` comes from Debian (`apt-get install -y pgbouncer`).
Tests and benches use ``PrivatePgBouncer`` (a context manager) from here.

The settings are production's (deploy/pgbouncer/pgbouncer.ini): pool_mode = transaction,
a small default_pool_size shared by every client. PgBouncer refuses to run as root; as root
it is started with ``-u postgres``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SERVER_HOST, SERVER_PORT = "127.0.0.1", 5432
READY_SECONDS = 15


def pgbouncer_binary() -> str | None:
    """The pgbouncer executable (PATH, or Debian's /usr/sbin), or None."""
    return shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin:/sbin")


def version(binary: str) -> tuple[int, ...]:
    out = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout
    found = re.search(r"PgBouncer (\d+)\.(\d+)", out)
    return tuple(int(part) for part in found.groups()) if found else (0, 0)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivatePgBouncer:
    """Start on enter, stop (SIGTERM, then SIGKILL) on exit; ``url(...)`` gives a client URL."""

    def __init__(self, pool_size: int = 2, users: tuple[str, ...] = ("postgres",),
                 max_client_conn: int = 400) -> None:
        binary = pgbouncer_binary()
        if binary is None:
            raise RuntimeError("pgbouncer is not installed (apt-get install -y pgbouncer)")
        self.binary, self.version = binary, version(binary)
        self.pool_size, self.users, self.max_client_conn = pool_size, users, max_client_conn
        self.port = 0
        self.directory: Path | None = None
        self.process: subprocess.Popen | None = None

    @property
    def log(self) -> Path:
        return self.directory / "pgbouncer.log"

    def config(self) -> str:
        lines = [
            "[databases]",
            f"* = host={SERVER_HOST} port={SERVER_PORT}",
            "[pgbouncer]",
            "listen_addr = 127.0.0.1",
            f"listen_port = {self.port}",
            f"unix_socket_dir = {self.directory}",
            f"logfile = {self.log}",
            f"pidfile = {self.directory / 'pgbouncer.pid'}",
            # Local tests and benches: PostgreSQL trusts loopback, so PgBouncer does too,
            # for the users listed (production: scram-sha-256, see deploy/pgbouncer).
            "auth_type = trust",
            f"auth_file = {self.directory / 'userlist.txt'}",
            "pool_mode = transaction",
            f"default_pool_size = {self.pool_size}",
            "min_pool_size = 0",
            "reserve_pool_size = 0",
            f"max_client_conn = {self.max_client_conn}",
            "server_reset_query =",
            "ignore_startup_parameters = extra_float_digits",
            "admin_users = postgres",
        ]
        if self.version >= (1, 21):
            lines.append("max_prepared_statements = 200")
        return "\n".join(lines) + "\n"

    def url(self, user: str, database: str) -> str:
        return f"postgresql+psycopg://{user}@127.0.0.1:{self.port}/{database}"

    def __enter__(self) -> PrivatePgBouncer:
        self.directory = Path(tempfile.mkdtemp(prefix="iok-pgbouncer-"))
        self.port = _free_port()
        (self.directory / "pgbouncer.ini").write_text(self.config())
        (self.directory / "userlist.txt").write_text(
            "".join(f'"{user}" ""\n' for user in self.users))
        command = [self.binary, str(self.directory / "pgbouncer.ini")]
        if os.geteuid() == 0:  # it will not run as root
            shutil.chown(self.directory, "postgres")
            for path in self.directory.iterdir():
                shutil.chown(path, "postgres")
            command[1:1] = ["-u", "postgres"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self._wait_ready()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"pgbouncer exited with {self.process.returncode}:\n"
                                   f"{self.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"pgbouncer did not listen within {READY_SECONDS} s:\n"
                           f"{self.log_tail()}")

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def __exit__(self, *_exc) -> None:
        if self.process is not None and self.process.poll() is None:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                os.killpg(self.process.pid, sig)
                try:
                    self.process.wait(10)
                    break
                except subprocess.TimeoutExpired:
                    continue
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pool-size", type=int, default=2,
                        help="server connections per (database, user) pair")
    parser.add_argument("--user", action="append", default=[],
                        help="a role clients log in as (postgres is always there)")
    parser.add_argument("command", nargs=argparse.REMAINDER,
                        help="after --: a command to run while PgBouncer is up")
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop PgBouncer on the way out
    with PrivatePgBouncer(args.pool_size, ("postgres", *args.user)) as bouncer:
        if command:
            env = {**os.environ, "IOK_PGBOUNCER_PORT": str(bouncer.port),
                   "IOK_DATABASE_PREPARED_STATEMENTS": "off"}
            print(f"PgBouncer {'.'.join(map(str, bouncer.version))} on 127.0.0.1:"
                  f"{bouncer.port}, pool size {args.pool_size}", flush=True)
            return subprocess.run([part.replace("{port}", str(bouncer.port))
                                   for part in command], env=env).returncode
        print(f"PgBouncer {'.'.join(map(str, bouncer.version))} in transaction mode on "
              f"127.0.0.1:{bouncer.port} (pool size {args.pool_size}) -> "
              f"{SERVER_HOST}:{SERVER_PORT}; files in {bouncer.directory}", flush=True)
        print(f"e.g. {bouncer.url('postgres', 'postgres')}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()
    return 0


if __name__ == "__main__":
    sys.exit(main())
