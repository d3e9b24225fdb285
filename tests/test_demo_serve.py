"""`make demo`'s last step: the server listens, then the URLs and logins are printed last,
and the printed tenant address answers."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys

from iok_saas.config import REPO_ROOT

from .mailserver import free_port


def flask(*args, env) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "iok_saas", *args],
                            cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def test_demo_serve_prints_the_urls_last_and_serves_them(tmp_path):
    port = free_port()
    env = {**os.environ, "IOK_VAR_DIR": str(tmp_path), "IOK_PUBLIC_PORT": str(port),
           "IOK_MIGRATIONS_QUIET": "1"}
    env.pop("IOK_DATABASE_URL", None)
    for step in (("db", "upgrade"), ("tenants", "sync")):
        done = flask(*step, env=env)
        output = done.communicate(timeout=300)[0]
        assert done.returncode == 0, output
        assert "Running upgrade" not in output  # quiet migrations
    server = flask("demo", "serve", "--port", str(port), env=env)
    try:
        lines = []
        for line in server.stdout:
            lines.append(line)
            if line.startswith("Serving on"):
                break
        printed = "".join(lines)
        assert f"http://gdynia.localhost:{port}/" in printed, printed
        assert printed.rstrip().splitlines()[-1].startswith("Serving on")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", "/", headers={"Host": f"gdynia.localhost:{port}"})
        page = connection.getresponse()
        assert page.status == 200 and "Gdyni" in page.read().decode()
        connection.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
