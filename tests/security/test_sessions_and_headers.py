"""Session management (ASVS V3), cookie flags, security headers on every kind of page
(V14.4) and rate limits (V2.2.1) — only what tests/test_sessions.py,
tests/test_security_headers.py, tests/accounts/test_resident_login.py and
tests/accounts/test_rate_limits.py do not cover already."""

from __future__ import annotations

from http.cookies import SimpleCookie

import pytest

from iok_saas import create_app
from iok_saas.extensions import db
from iok_saas.modules.accounts import services as accounts
from iok_saas.modules.accounts.models import ResidentAccount
from iok_saas.modules.audit.services import Actor
from iok_saas.modules.staff.models import StaffMember
from iok_saas.tenancy import tenant_scope

from ..factories import STAFF_PASSWORD, sign_in_operator, sign_in_staff, staff, tenant
from ..factories import operator as make_operator
from .test_idor import GD, KU, SI, ZW


def _cookie(client, host: str) -> str:
    return client.get_cookie("iok_session", domain=host).value


def _replay(host_client, host: str, value: str):
    thief = host_client(host)
    thief.set_cookie("iok_session", value, domain=host)
    return thief


def _operator_login(host_client):
    client = host_client("admin.localhost")
    return client, sign_in_operator(client)


# --- session invalidation -------------------------------------------------------------------

def test_an_operator_cookie_copied_before_logout_is_dead_after_it(synced, host_client, ctx):
    make_operator()
    client, _ = _operator_login(host_client)
    stolen = _cookie(client, "admin.localhost")
    assert client.post("/operator/logout").status_code == 302
    thief = _replay(host_client, "admin.localhost", stolen)
    response = thief.get("/operator/")
    assert response.status_code == 302 and "/operator/login" in response.headers["Location"]
    # Logging in again works, and that new session is valid.
    again, _ = _operator_login(host_client)
    assert again.get("/operator/").status_code == 200


def test_an_operator_switched_off_loses_the_open_session(synced, host_client, ctx):
    from iok_saas.modules.operator.models import Operator

    operator = make_operator()
    client, _ = _operator_login(host_client)
    db.session.get(Operator, operator.id).active = False
    db.session.commit()
    assert client.get("/operator/").status_code == 302


def test_a_staff_cookie_copied_before_logout_is_dead_after_it(office_client, host_client):
    client = office_client(ZW)
    stolen = _cookie(client, f"{ZW}.localhost")
    client.post("/staff/wyloguj")
    response = _replay(host_client, f"{ZW}.localhost", stolen).get("/staff/")
    assert response.status_code == 302 and "/staff/logowanie" in response.headers["Location"]


def test_a_switched_off_staff_member_loses_the_open_session(office_client):
    client = office_client(ZW, login="ewa")
    assert client.get("/staff/").status_code == 200
    with tenant_scope(tenant(ZW)):
        from sqlalchemy import select
        member = db.session.scalar(select(StaffMember).where(StaffMember.login == "ewa"))
        member.active = False
        db.session.commit()
    assert client.get("/staff/").status_code == 302


def test_a_staff_password_change_ends_the_other_sessions(synced, host_client, ctx):
    staff(ZW, "marek")
    first = sign_in_staff(host_client(f"{ZW}.localhost"), "marek")
    second = sign_in_staff(host_client(f"{ZW}.localhost"), "marek")
    response = first.post("/staff/haslo", data={
        "current": STAFF_PASSWORD, "new": "Zupelnie-Nowe-Haslo-77", "repeat":
        "Zupelnie-Nowe-Haslo-77"})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert first.get("/staff/").status_code == 200
    assert second.get("/staff/").status_code == 302


@pytest.mark.parametrize("action", ["credentials_reissued", "revoked"])
def test_a_resident_session_ends_when_staff_reissue_or_revoke_access(action, resident_client):
    client, resident = resident_client(ZW)
    assert client.get("/konto").status_code == 200
    with tenant_scope(tenant(ZW)):
        account = db.session.get(ResidentAccount, resident.account_id)
        if action == "revoked":
            accounts.revoke(account, "staff:test", "sprzedaż lokalu")
            db.session.commit()
        else:
            accounts.issue_credentials(account, "staff:test", "zgubione pismo")
        db.session.commit()
    response = client.get("/konto")
    assert response.status_code == 302 and "/logowanie" in response.headers["Location"]


# --- cookie flags ---------------------------------------------------------------------------

def _session_cookie(response):
    header = next(h for h in response.headers.getlist("Set-Cookie")
                  if h.startswith("iok_session="))
    return SimpleCookie(header)["iok_session"], header


@pytest.mark.parametrize("path, kind", [("/logowanie", "resident"),
                                        ("/staff/logowanie", "staff")])
def test_tenant_login_cookies_are_host_only_httponly_samesite(path, kind, resident_client,
                                                              host_client, ctx):
    from ..factories import RESIDENT_PASSWORD

    _, resident = resident_client(GD)
    staff(GD, "ola")
    client = host_client(f"{GD}.localhost")
    data = {"login": resident.login, "password": RESIDENT_PASSWORD} if kind == "resident" \
        else {"login": "ola", "password": STAFF_PASSWORD}
    response = client.post(path, data=data)
    assert response.status_code == 302
    cookie, header = _session_cookie(response)
    assert cookie["domain"] == "" and "Domain=" not in header
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/"
    assert "Secure" not in header  # plain-HTTP development; production: next test


@pytest.fixture
def production(database_url, tmp_path, monkeypatch, synced):
    monkeypatch.setenv("IOK_ENV", "production")
    monkeypatch.setenv("IOK_SECRET_KEY", "p" * 48)
    monkeypatch.setenv("IOK_CUSTOM_HOSTS_CANONICAL", "0")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "IOK_VAR_DIR": tmp_path,
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
                      "IOK_TENANT_CACHE_SECONDS": 3600})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_production_cookies_are_secure_and_pages_carry_hsts(production, resident_client):
    from ..factories import RESIDENT_PASSWORD

    _, resident = resident_client(SI)
    client = production.test_client()
    response = client.post("/logowanie", data={"login": resident.login,
                                               "password": RESIDENT_PASSWORD},
                           base_url=f"https://{SI}.localhost")
    assert response.status_code == 302
    cookie, header = _session_cookie(response)
    assert cookie["secure"] is True and cookie["httponly"] is True
    assert cookie["samesite"] == "Lax" and cookie["domain"] == ""
    for path in ("/", "/konto", "/nie-ma-takiej-strony", "/static/css/iok.css"):
        page = client.get(path, base_url=f"https://{SI}.localhost")
        assert page.headers["Strict-Transport-Security"].startswith("max-age=31536000"), path


# --- security headers on every kind of page -------------------------------------------------

def _assert_protective_headers(response, where):
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    directives = dict((part.strip().split(" ", 1) + [""])[:2] for part in csp.split(";")
                      if part.strip())
    assert "'unsafe-inline'" not in directives.get("script-src", "x"), where
    assert "'unsafe-eval'" not in csp, where
    assert directives.get("script-src") == "'self'", where
    assert directives.get("default-src") == "'self'", where
    assert directives.get("frame-ancestors") == "'none'", where
    assert directives.get("object-src") == "'none'", where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("Referrer-Policy") in ("same-origin", "no-referrer",
                                              "strict-origin-when-cross-origin"), where
    assert headers.get("X-Frame-Options") == "DENY", where


def test_every_kind_of_page_carries_the_protective_headers(world, host_client, app, ctx):
    resident, _ = world.resident_a(ZW)
    office = world.staff(ZW)
    fault_id = world.fault(ZW)
    api, token = world.api(ZW)
    anonymous = host_client(f"{ZW}.localhost")
    make_operator()
    operator, _ = _operator_login(host_client)
    pages = {
        "public start page": anonymous.get("/"),
        "public form": anonymous.get("/logowanie"),
        "regulations": anonymous.get("/regulamin"),
        "branding CSS": anonymous.get("/branding.css"),
        "static file": anonymous.get("/static/css/iok.css"),
        "unknown host": host_client("nieznana.localhost").get("/"),
        "404 page": anonymous.get("/nie-ma-takiej-strony"),
        "405 page": anonymous.put("/logowanie"),
        "resident dashboard": resident.get("/konto"),
        "resident tab": resident.get("/konto/usterki/"),
        "resident photo": resident.get(f"/konto/usterki/{fault_id}/zdjecie"),
        "resident CSV download": resident.get("/konto/saldo/wyciag.csv"),
        "resident JSON export": resident.get("/konto/dane/eksport.json"),
        "resident hidden tab (404)": resident.get("/konto/liczba-osob/"),
        "staff desk": office.get("/staff/usterki/"),
        "staff photo": office.get(f"/staff/usterki/{fault_id}/zdjecie"),
        "API JSON": api.get("/api/v1/openapi.json"),
        "API 401": api.get("/api/v1/imports/1"),
        "API answer": api.post("/api/v1/imports/associations", json=[], headers=token),
        "operator console": operator.get("/operator/"),
        "operator login": host_client("admin.localhost").get("/operator/login"),
    }
    for where, response in pages.items():
        assert response.status_code < 500, where
        _assert_protective_headers(response, where)
    assert pages["resident photo"].status_code == 200
    assert pages["resident photo"].headers["Content-Type"] == "image/png"
    assert "private" in pages["resident photo"].headers["Cache-Control"]


def test_suspended_tenant_page_carries_the_headers(synced, host_client, ctx):
    from iok_saas.modules.tenants import services as tenants

    tenants.set_status(KU, "suspended", Actor.cli("test"), "przegląd")
    db.session.commit()
    response = host_client(f"{KU}.localhost").get("/")
    assert response.status_code == 503
    _assert_protective_headers(response, "suspended tenant")


# --- rate limits ----------------------------------------------------------------------------

def _limited_app(database_url, tmp_path):
    return create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True,
                       "WTF_CSRF_ENABLED": False, "IOK_VAR_DIR": tmp_path,
                       "RATELIMIT_STORAGE_URI": "memory://", "RATELIMIT_ENABLED": True,
                       "IOK_TENANT_CACHE_SECONDS": 3600})


RATE_LIMITED = {  # (host, path, form, allowed per minute)
    # 10 a minute per identifier (any address): the other client tries another login.
    "staff login": (f"{GD}.localhost", "/staff/logowanie",
                    {"login": "nikt", "password": "zle"}, 10),
    "operator login": ("admin.localhost", "/operator/login",
                       {"email": "nikt@example.com", "password": "zle"}, 10),
    # 10 a minute per user waiting for the second step (here: per address, nobody waits).
    "second step": (f"{GD}.localhost", "/logowanie/drugi-krok/", {"code": "000000"}, 10),
    "second-factor set-up": (f"{GD}.localhost", "/logowanie/drugi-krok/konfiguracja",
                             {"code": "000000"}, 10),
    "operator second step": ("admin.localhost", "/operator/drugi-krok/",
                             {"code": "000000"}, 10),
    "second step with a passkey": (f"{GD}.localhost", "/logowanie/drugi-krok/klucz",
                                   {"credential": "{}"}, 10),
    # 10 a minute per address (whether or not the policy offers it there).
    "passwordless sign-in": (f"{ZW}.localhost", "/logowanie/klucz-dostepu/",
                             {"credential": "{}"}, 10),
    "password recovery": (f"{SI}.localhost", "/nie-pamietam-hasla",
                          {"login": "123456", "email": "nikt@example.com"}, 10),
    "enrolment form": (f"{ZW}.localhost", "/wniosek", {"first_name": "Ewa"}, 10),
    "revocation form": (f"{ZW}.localhost", "/wniosek/rezygnacja", {"reason": "x"}, 10),
    "activation code": (f"{KU}.localhost", "/aktywacja", {"code": "ABCD-EFGH-JKLM"}, 10),
    "e-mail change link": (f"{ZW}.localhost", "/konto/email/nieznany-odnosnik", {}, 10),
}


@pytest.mark.parametrize("name", sorted(RATE_LIMITED))
def test_forms_answer_429_with_a_polish_page(name, synced, database_url, tmp_path):
    host, path, form, allowed = RATE_LIMITED[name]
    client = _limited_app(database_url, tmp_path).test_client()
    codes = [client.post(path, data=form, base_url=f"http://{host}",
                         environ_base={"REMOTE_ADDR": "10.9.0.1"}).status_code
             for _ in range(allowed)]
    assert 429 not in codes, codes
    page = client.post(path, data=form, base_url=f"http://{host}",
                       environ_base={"REMOTE_ADDR": "10.9.0.1"})
    assert page.status_code == 429, name
    text = page.get_data(as_text=True)
    assert "Zbyt wiele prób" in text and 'lang="pl"' in text, name
    _assert_protective_headers(page, name)
    # Another client address is not affected.
    if name == "staff login":
        form = {**form, "login": "ktos-inny"}
    other = client.post(path, data=form, base_url=f"http://{host}",
                        environ_base={"REMOTE_ADDR": "10.9.0.2"})
    assert other.status_code != 429, name


def test_signed_in_pages_are_not_kept_by_the_browser(world, host_client, ctx):
    """ASVS V8.2.1: personal pages carry no-store; public pages stay cacheable."""
    resident, _ = world.resident_a(ZW)
    office = world.staff(ZW)
    make_operator()
    operator, _ = _operator_login(host_client)
    for where, response in (("resident dashboard", resident.get("/konto")),
                            ("ledger", resident.get("/konto/saldo/")),
                            ("password page", resident.get("/konto/haslo")),
                            ("staff desk", office.get("/staff/")),
                            ("staff person page", office.get(
                                f"/staff/osoby/{world.resident_a(ZW)[1].person_id}")),
                            ("operator console", operator.get("/operator/"))):
        assert response.status_code == 200, where
        assert "no-store" in response.headers.get("Cache-Control", ""), where
    public = host_client(f"{ZW}.localhost").get("/regulamin")
    assert "no-store" not in public.headers.get("Cache-Control", "")


@pytest.mark.parametrize("kind", ["resident", "staff"])
def test_tenant_logins_start_a_new_session(kind, resident_client, host_client, ctx):
    """Session fixation (V3.2.1): a value planted before login does not survive it."""
    from ..factories import RESIDENT_PASSWORD

    _, resident = resident_client(ZW)
    staff(ZW, "ola")
    client = host_client(f"{ZW}.localhost")
    client.get("/logowanie")
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
    before = _cookie(client, f"{ZW}.localhost")
    path, data = ("/logowanie", {"login": resident.login, "password": RESIDENT_PASSWORD}) \
        if kind == "resident" else ("/staff/logowanie", {"login": "ola",
                                                         "password": STAFF_PASSWORD})
    assert client.post(path, data=data).status_code == 302
    with client.session_transaction() as sess:
        assert "planted" not in sess
    assert _cookie(client, f"{ZW}.localhost") != before


def test_a_staff_cookie_copied_to_the_admin_host_opens_nothing(office_client, host_client):
    stolen = _cookie(office_client(ZW), f"{ZW}.localhost")
    thief = _replay(host_client, "admin.localhost", stolen)
    for path in ("/operator/", "/operator/tenants/zielone-wzgorza", "/operator/poczta/"):
        response = thief.get(path)
        assert response.status_code == 302 and "/operator/login" in response.headers["Location"]
