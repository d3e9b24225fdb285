"""Browser tests: the real app served over HTTP on loopback, driven by Debian's Chromium
through Playwright, with axe-core checking every page visited.

Skipped with the reason when Chromium or axe-core (``npm ci`` here) is missing; a failure
instead when IOK_REQUIRE_SERVICES=1, as in CI."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from ..mailserver import MailServer
from ..services import require_service
from .support import Visitor

CHROMIUM_ARGS = [
    "--no-sandbox",                 # CI runs as root
    "--disable-dev-shm-usage",      # containers often have a tiny /dev/shm
    # *.localhost resolves to loopback in Chromium anyway; say it explicitly all the same.
    "--host-resolver-rules=MAP *.localhost 127.0.0.1",
]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    return require_service("chromium")


@pytest.fixture(scope="session")
def axe_source() -> str:
    return Path(require_service("axe-core")).read_text(encoding="utf-8")


@pytest.fixture(autouse=True)
def _browser_tools(chromium_path, axe_source):
    """Skip (or fail in CI) before any set-up when Chromium or axe-core is missing."""


@pytest.fixture(scope="session")
def browser(chromium_path, axe_source):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def app(app):
    """The suite's app, with CSRF protection back on: real forms in a real browser."""
    app.config["WTF_CSRF_ENABLED"] = True
    return app


@dataclass
class LiveServer:
    port: int
    mail: MailServer

    def url(self, slug: str, path: str = "/") -> str:
        return f"http://{slug}.localhost:{self.port}{path}"


@pytest.fixture
def live_server(synced, mail):
    """The app with the shipped tenants, served by werkzeug on 127.0.0.1 (a free port) in a
    thread; e-mail goes to the loopback SMTP server ``mail``; links in e-mails and letters
    name this server's port."""
    app = synced
    requests_log = logging.getLogger("werkzeug")
    level = requests_log.level
    requests_log.setLevel(logging.WARNING)    # no line per request in the test output
    server = make_server("127.0.0.1", 0, app, threaded=True)
    app.config["IOK_PUBLIC_PORT"] = str(server.server_port)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(server.server_port, mail)
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()
        requests_log.setLevel(level)


@pytest.fixture
def visitor(browser, axe_source, request):
    """visitor(scenario) -> a Visitor: screenshots under test-artifacts/browser/<scenario>/
    and axe-core on every page; ``visitor.new_page()`` opens a separate browser (cookies)."""
    made: list[Visitor] = []

    def make(scenario: str) -> Visitor:
        found = Visitor(browser, axe_source, scenario)
        made.append(found)
        return found

    yield make
    for found in made:
        found.close()
