"""The demo a newcomer runs: residents in every state, staff, a waiting application, logins
printed — and loading twice changes nothing."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from iok_saas.demo import INITIAL_PASSWORD, RESIDENT_PASSWORD
from iok_saas.extensions import db
from iok_saas.modules.enrolment.models import Application
from iok_saas.modules.housing.models import Person
from iok_saas.tenancy import tenant_scope

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
    assert page.status_code == 302
    assert console.get("/operator/").status_code == 200
