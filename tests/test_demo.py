"""The demo a newcomer runs: residents in every state, staff, a waiting application, logins
printed — and loading twice changes nothing."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from iok_saas.demo import INITIAL_PASSWORD, RESIDENT_PASSWORD, STAFF_PASSWORD
from iok_saas.extensions import db
from iok_saas.modules.enrolment.models import Application
from iok_saas.modules.housing.models import Person
from iok_saas.modules.mfa import totp
from iok_saas.tenancy import tenant_scope
from iok_saas.timeutil import utcnow

from .conftest import TENANT_SLUGS
from .factories import tenant

pytestmark = pytest.mark.usefixtures("ctx")


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args), catch_exceptions=False)


def test_demo_loads_once_and_its_printed_logins_work(synced, host_client):
    assert run(synced, "demo", "load").exit_code == 0
    assert run(synced, "demo", "load").exit_code == 0
    with tenant_scope(tenant("gdynia")):
        assert db.session.scalar(select(func.count(Person.id))) == 6
        assert db.session.scalar(select(func.count(Application.id))) == 1
    with tenant_scope(tenant("brzeg")):
        assert db.session.scalar(select(func.count(Application.id))) == 0
    printed = run(synced, "demo", "urls").output
    assert "operator@iok.localhost" in printed and "Biuro-2026-Demo" in printed
    gdynia = printed.split("MSM Gdynia")[1].split("\n  SM")[0]
    active = re.search(r"resident (\d+)\s+Anna Nowicka\s+active", gdynia).group(1)
    fresh = re.search(r"resident (\d+)\s+Piotr Zalewski", gdynia).group(1)
    client = host_client("gdynia.localhost")
    page = client.post("/logowanie", data={"login": active, "password": RESIDENT_PASSWORD})
    assert page.headers["Location"].endswith("/konto")
    other = host_client("gdynia.localhost")
    other.post("/logowanie", data={"login": fresh, "password": INITIAL_PASSWORD})
    assert other.get("/konto").headers["Location"].endswith("/pierwsze-logowanie")


def test_the_printed_operator_login_opens_the_console(synced, host_client):
    from iok_saas.demo import DEMO_OPERATOR

    assert run(synced, "demo", "load").exit_code == 0
    console = host_client("admin.localhost")
    email, _, password = DEMO_OPERATOR
    page = console.post("/operator/login", data={"email": email, "password": password})
    assert page.headers["Location"].endswith("/operator/drugi-krok/")
    printed = run(synced, "demo", "urls").output
    code = re.search(r"Operator console.*?code now: (\d{6})", printed, re.S).group(1)
    page = console.post("/operator/drugi-krok/", data={"code": code})
    assert page.status_code == 302, page.get_data(as_text=True)
    assert console.get("/operator/").status_code == 200


def test_the_printed_staff_second_factor_opens_the_back_office(synced, host_client):
    assert run(synced, "demo", "load").exit_code == 0
    printed = run(synced, "demo", "urls").output
    gdynia = printed.split("MSM Gdynia")[1].split("\n  SM")[0]
    secret = re.search(r"authenticator secret ([A-Z2-7]+)", gdynia).group(1)
    office = host_client("gdynia.localhost")
    office.post("/staff/logowanie", data={"login": "admin", "password": STAFF_PASSWORD})
    code = totp.code_for_step(secret, totp.step_at(utcnow()))
    assert office.post("/logowanie/drugi-krok/", data={"code": code}).status_code == 302
    assert office.get("/staff/").status_code == 200


def _demo_login(printed: str, short_name: str, name: str) -> str:
    section = printed.split(short_name, 1)[1].split("\n\n")[0]
    return re.search(rf"resident (\d+)\s+{name}\s+active", section).group(1)


def test_every_tab_each_tenant_shows_has_demo_data(synced, host_client):
    """One demo load (every tenant) checked tenant by tenant: loading is the slow part."""
    from flask import url_for

    from iok_saas.modules.portal import resident_tabs

    assert run(synced, "demo", "load").exit_code == 0
    printed = run(synced, "demo", "urls").output
    evidence = {"ledger": "data-balance", "water_meters": "<svg",
                "announcements": "<article", "faults": "/konto/usterki/",
                "meter_submission": "<option", "occupants": "<table",
                "contact": "@example.com", "membership": "<table",
                "court_cases": "<table", "land_costs": "<table", "services": "<table",
                "charge_notices": "Pobierz PDF",
                "documents": "class=\"list-group-item\"",
                "voting": "class=\"list-group-item\""}
    for slug in TENANT_SLUGS:
        snapshot = tenant(slug)
        login = _demo_login(printed, snapshot.short_name, "Anna Nowicka")
        client = host_client(f"{slug}.localhost")
        client.post("/logowanie", data={"login": login, "password": RESIDENT_PASSWORD})
        for tab in resident_tabs().values():
            if tab.key == "home" or not snapshot.policy.shows(tab.key):
                continue
            with synced.test_request_context():
                path = url_for(tab.endpoint)
            page = client.get(path, follow_redirects=True)
            assert page.status_code == 200, (slug, tab.key)
            assert evidence[tab.key] in page.get_data(as_text=True), (slug, tab.key)


def test_the_printed_activation_code_and_two_flat_resident_work(synced, host_client):
    """Kuźniki's policy enables activation codes: `demo urls` prints a working one; a
    Zielone Wzgórza resident with two flats is printed as such and gets the switcher."""
    assert run(synced, "demo", "load").exit_code == 0
    printed = run(synced, "demo", "urls").output
    found = re.search(r"code (\S+)  flat (\S+)  amount (\S+)", printed)
    assert found, printed
    code, flat, amount = found.groups()
    client = host_client("kuzniki.localhost")
    answer = client.post("/aktywacja", data={
        "code": code, "flat_number": flat, "amount": amount, "email": "marek@example.com",
        "new": "Sosna-2026-Polana", "repeat": "Sosna-2026-Polana"})
    assert answer.headers["Location"].endswith("/aktywacja/wyslano")
    assert "activation code" not in run(synced, "demo", "urls").output  # used now

    section = printed.split("Zielone Wzgórza", 1)[1].split("\n\n")[0]
    login = re.search(r"resident (\d+)\s+Magdalena Kurowska\s+active, 2 flats", section)[1]
    client = host_client("zielone-wzgorza.localhost")
    client.post("/logowanie", data={"login": login, "password": RESIDENT_PASSWORD})
    page = client.get("/konto/wodomierze/").get_data(as_text=True)
    switcher = page.split('id="unit-switcher"')[1].split("</form>")[0]
    assert "ul. Klonowa 8/7" in switcher and "ul. Lipowa 3/16" in switcher
