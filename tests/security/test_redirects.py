"""Open redirects (ASVS V5.1.5): no ``next=`` parameter sends a browser off-site — after a
language switch, nor after signing in as a resident, a staff member or an operator."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest

from iok_saas.extensions import db
from iok_saas.forms import has_unsafe_text
from iok_saas.modules.audit.services import Actor
from iok_saas.modules.operator.services import create_operator

from ..factories import RESIDENT_PASSWORD, STAFF_PASSWORD, staff

HOSTILE = [
    "//evil.example", "https://evil.example", "http://evil.example/konto", "/\\evil.example",
    "\\\\evil.example", "javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x",
    "/\t/evil.example", "/\n/evil.example", "/\r\n//evil.example", " //evil.example",
    "///evil.example", "https:evil.example", "//evil.example@brzeg.localhost",
    "http://brzeg.localhost@evil.example/", "/%2F/evil.example", "%2F%2Fevil.example",
    "\x00//evil.example", "/\x0b/evil.example", "／／evil.example",
]


def where_a_browser_goes(location: str, host: str) -> tuple[str, str]:
    """(scheme, host) a browser lands on: it drops tabs and newlines from a URL and reads
    a backslash as a slash (WHATWG URL parsing)."""
    cleaned = "".join(ch for ch in location if ch not in "\t\n\r").replace("\\", "/")
    cleaned = cleaned.strip("\x00 \x0b\x0c")
    target = urlsplit(urljoin(f"http://{host}/", cleaned))
    return target.scheme, target.hostname or ""


def assert_stays_on(response, host: str, payload: str) -> None:
    if response.status_code not in (301, 302, 303, 307, 308):
        return
    location = response.headers["Location"]
    scheme, landed = where_a_browser_goes(location, host)
    assert scheme in ("http", "https") and landed == host, (payload, location)


def _refused_outright(response, payload) -> bool:
    """A control character (NUL, VT…) in a query string is a 400 before any view runs
    (iok_saas/forms.py): no redirect at all, which is stronger than a safe one."""
    if not has_unsafe_text(payload):
        return False
    assert response.status_code == 400, payload
    assert "Location" not in response.headers
    return True


@pytest.mark.parametrize("payload", HOSTILE)
def test_language_switch_stays_on_site(payload, synced, host_client):
    for host in ("brzeg.localhost", "admin.localhost"):
        response = host_client(host).get("/lang/en", query_string={"next": payload})
        if _refused_outright(response, payload):
            continue
        assert response.status_code == 302
        assert_stays_on(response, host, payload)


def test_language_switch_still_returns_to_a_local_page(synced, host_client):
    response = host_client("brzeg.localhost").get("/lang/en", query_string={
        "next": "/regulamin?x=1"})
    assert response.headers["Location"].endswith("/regulamin?x=1")


def test_sign_in_pages_never_follow_an_outside_next(resident_client, host_client, ctx):
    _, resident = resident_client("gdynia")
    staff("gdynia", "ola")
    create_operator("ops@example.com", "Ops", "operator-secret-123", Actor.cli("test"))
    db.session.commit()
    logins = [
        ("gdynia.localhost", "/logowanie", {"login": resident.login,
                                            "password": RESIDENT_PASSWORD}),
        ("gdynia.localhost", "/staff/logowanie", {"login": "ola", "password": STAFF_PASSWORD}),
        ("admin.localhost", "/operator/login", {"email": "ops@example.com",
                                                "password": "operator-secret-123"}),
    ]
    tried = 0
    for host, path, form in logins:
        for payload in HOSTILE:
            client = host_client(host)
            page = client.get(path, query_string={"next": payload})
            tried += 1
            response = client.post(path, query_string={"next": payload}, data=form)
            if _refused_outright(page, payload) and _refused_outright(response, payload):
                continue
            assert page.status_code == 200
            assert "evil.example" not in page.headers.get("Location", "")
            assert response.status_code == 302, (path, payload)
            assert_stays_on(response, host, payload)
    assert tried == 3 * len(HOSTILE)


def test_pages_that_ask_to_sign_in_keep_next_local(synced, host_client):
    """The login redirects themselves carry only the local path asked for."""
    for host, path in (("gdynia.localhost", "/konto/saldo/"),
                       ("gdynia.localhost", "/staff/usterki/"),
                       ("admin.localhost", "/operator/audit")):
        response = host_client(host).get(path)
        assert response.status_code == 302
        assert_stays_on(response, host, path)
        assert "evil" not in response.headers["Location"]


# --- links in e-mails never follow the request's Host headers (reset-link poisoning) ------

def test_recovery_links_are_built_from_the_canonical_host(synced, host_client, ctx, mail):
    import re

    from sqlalchemy import select

    from iok_saas.extensions import db
    from iok_saas.modules.tenants.models import Tenant
    from iok_saas.modules.tenants.services import update_policy

    from ..factories import credentials, resident

    source = db.session.scalar(select(Tenant.policy_source).where(Tenant.slug == "kuzniki"))
    at = source.index("\nrecovery:")
    update_policy("kuzniki", source[:at] + re.sub(r"methods: \[\w+\]", "methods: [email]",
                                                  source[at:], count=1), Actor.cli("test"))
    db.session.commit()
    account_id = resident("kuzniki", "Irena", "Sowa")
    login, _ = credentials("kuzniki", account_id)
    from iok_saas.modules.accounts.models import ResidentAccount
    from iok_saas.tenancy import tenant_scope

    from ..factories import tenant
    with tenant_scope(tenant("kuzniki")):
        email = db.session.get(ResidentAccount, account_id).person.email
    poisoned = [{"X-Forwarded-Host": "evil.example"}, {"X-Host": "evil.example"},
                {"Forwarded": "host=evil.example;proto=https"},
                {"X-Forwarded-Host": "brzeg.localhost", "X-Forwarded-Proto": "https"}]
    sent = 0
    for headers in poisoned:
        response = host_client("kuzniki.localhost").post(
            "/nie-pamietam-hasla", data={"login": login, "email": email}, headers=headers)
        assert response.status_code in (302, 404), headers
        if response.status_code == 302:
            sent += 1
    assert sent >= 1
    messages = mail.wait_for(sent)
    assert len(messages) == sent
    for message in messages:
        text = message.get_body(preferencelist=("plain",)).get_content()
        links = re.findall(r"https?://[^\s/]+", text)
        assert links and all(link == "http://kuzniki.localhost" for link in links), links
