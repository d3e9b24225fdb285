"""The operator console on the admin host: login, onboarding, policy edits, suspension."""

from __future__ import annotations

import base64
import html
import io
import re
import zlib

import pytest
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.audit.models import PlatformAuditEvent
from iok_saas.modules.staff.models import StaffMember
from iok_saas.modules.tenants.models import Tenant
from iok_saas.tenancy import cross_tenant

from .factories import operator, sign_in_operator

pytestmark = pytest.mark.usefixtures("ctx")

PASSWORD = "operator-secret-123"

NEW_POLICY = """\
extends: base
tabs: [ledger, water_meters]
password:
  min_length: 10
  require: {digits: 2}
"""


@pytest.fixture
def console(synced, host_client):
    with synced.app_context():
        operator("ops@example.com", PASSWORD)
        client = host_client("admin.localhost")
        sign_in_operator(client, "ops@example.com", PASSWORD)
    return client


def department_rows(*rows):
    """Form data of department rows: each (key, name[, room, phone, email])."""
    data = {}
    for index, row in enumerate(rows):
        for part, value in zip(("key", "name", "room", "phone", "email"), row, strict=False):
            data[f"departments-{index}-{part}"] = value
    return data


def onboarding_form(departments=(("finance", "Dział Finansowy"), ("board", "Zarząd"),
                                 ("secretariat", "Sekretariat")), **overrides):
    data = {
        "slug": "lesna-polana", "short_name": "SM Leśna Polana",
        "legal_name": "Spółdzielnia Mieszkaniowa „Leśna Polana”", "kind": "housing_cooperative",
        "hosts": "iok.lesna-polana.example", "street": "ul. Sosnowa 1", "postal_code": "00-950",
        "city": "Warszawa", "email": "biuro@lesna-polana.example", "phone": "22 000 00 00",
        "primary_color": "#2d5a27", "accent_color": "#e0a800", "logo_text": "LP",
        "regulations_version": "2026-11-01", "regulations_title": "Regulamin IOK",
        "regulations_text": "## Zasady\n\n1. Dostęp mają właściciele lokali.",
        "policy_preset": "base", "policy_source": NEW_POLICY,
    }
    data.update(department_rows(*departments))
    data.update(overrides)
    return data


def test_console_requires_an_operator_login(synced, host_client):
    client = host_client("admin.localhost")
    assert "/operator/login" in client.get("/operator/").headers["Location"]
    bad = client.post("/operator/login", data={"email": "nobody@example.com",
                                               "password": "whatever-123456"})
    assert "Nieprawidłowy e-mail lub hasło" in bad.get_data(as_text=True)


def test_console_lists_the_eight_cooperatives(console):
    text = console.get("/operator/").get_data(as_text=True)
    for name in ("MZMK Brzeg", "Siarkowiec", "Gdyni", "Zielone Wzgórza", "Kuźniki",
                 "w Tczewie", "Sosnowiecka", "Skarbek"):
        assert name in text


def test_onboarding_a_sixth_cooperative_serves_its_host_at_once(console, host_client):
    before = host_client("lesna-polana.localhost").get("/")
    assert before.status_code == 404
    page = console.post("/operator/tenants/new", data=onboarding_form())
    assert page.status_code == 302, page.get_data(as_text=True)
    for host in ("lesna-polana.localhost", "iok.lesna-polana.example"):
        assert "Leśna Polana" in host_client(host).get("/").get_data(as_text=True)
    css = host_client("lesna-polana.localhost").get("/branding.css").get_data(as_text=True)
    assert "#2d5a27" in css
    event = db.session.scalar(select(PlatformAuditEvent).where(
        PlatformAuditEvent.action == "tenant.create"
    ).order_by(PlatformAuditEvent.id.desc()))
    assert event.actor == "operator:ops@example.com"
    assert event.after["policy_source"] == NEW_POLICY


def test_onboarding_accepts_an_uploaded_policy_file(console, host_client):
    data = onboarding_form(policy_source="")
    data["policy_file"] = (io.BytesIO(NEW_POLICY.encode()), "lesna.yaml")
    page = console.post("/operator/tenants/new", data=data,
                        content_type="multipart/form-data")
    assert page.status_code == 302
    assert host_client("lesna-polana.localhost").get("/").status_code == 200


def test_onboarding_with_a_broken_policy_writes_nothing_and_says_why(console, host_client):
    broken = "extends: base\npassword:\n  min_lenght: 10\n"
    page = console.post("/operator/tenants/new", data=onboarding_form(policy_source=broken))
    text = html.unescape(page.get_data(as_text=True))
    assert page.status_code == 422
    assert "Nie zapisano" in text
    assert "wiersz 3, password.min_lenght:" in text and "Nieznany klucz" in text
    assert 'value="SM Leśna Polana"' in text  # what was typed is kept
    assert db.session.scalar(select(Tenant).where(Tenant.slug == "lesna-polana")) is None
    assert host_client("lesna-polana.localhost").get("/").status_code == 404


def test_onboarding_refuses_a_host_that_belongs_to_another_tenant(console):
    page = console.post("/operator/tenants/new", data=onboarding_form(hosts="iok.mzmk-brzeg.pl"))
    text = html.unescape(page.get_data(as_text=True))
    assert "Domena iok.mzmk-brzeg.pl należy już do spółdzielni „brzeg”." in text
    assert "already belongs" not in text
    assert db.session.scalar(select(Tenant).where(Tenant.slug == "lesna-polana")) is None


def test_policy_edit_is_validated_and_takes_effect_without_restart(console, host_client):
    bad = console.post("/operator/tenants/kuzniki/policy",
                       data={"policy_source": "extends: nowhere\n"})
    assert bad.status_code == 422
    assert "nowhere" in bad.get_data(as_text=True)
    typo = console.post("/operator/tenants/kuzniki/policy",
                        data={"policy_source": "extends: base\npassword:\n  min_lenght: 10\n"})
    text = html.unescape(typo.get_data(as_text=True))
    assert typo.status_code == 422 and "Nieznany klucz" in text   # Polish, as in onboarding
    assert "password.min_lenght" in text
    assert host_client("kuzniki.localhost").get("/").status_code == 200
    good = console.post("/operator/tenants/kuzniki/policy",
                        data={"policy_source": NEW_POLICY.replace("10", "12")})
    assert good.status_code == 302
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "kuzniki"))
    assert "min_length: 12" in tenant.policy_source


def test_suspend_and_resume_from_the_console_are_audited(console, host_client):
    console.post("/operator/tenants/siarkowiec/status/suspend", data={"reason": "Awaria"})
    assert host_client("siarkowiec.localhost").get("/").status_code == 503
    console.post("/operator/tenants/siarkowiec/status/resume", data={"reason": "Naprawione"})
    assert host_client("siarkowiec.localhost").get("/").status_code == 200
    actions = db.session.scalars(select(PlatformAuditEvent.action).order_by(
        PlatformAuditEvent.id)).all()
    assert actions[-2:] == ["tenant.suspend", "tenant.resume"]
    last = db.session.scalar(select(PlatformAuditEvent).order_by(PlatformAuditEvent.id.desc()))
    assert last.before == {"status": "suspended"}
    assert last.after == {"status": "active", "reason": "Naprawione"}


def _cookie_payload(cookie: str) -> str:
    """What anyone holding the cookie can read: Flask signs its session but only
    base64-encodes (and maybe compresses) the payload."""
    payload = cookie.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    return (zlib.decompress(raw) if cookie.startswith(".") else raw).decode()


def test_first_staff_administrator_gets_a_one_time_password_shown_once(console):
    page = console.post("/operator/tenants/gdynia/first-admin", data={
        "login": "k.nowak", "full_name": "Katarzyna Nowak", "email": "",
        "department": "accounting"})
    # Post/redirect/get: reloading the page cannot create a second administrator.
    assert page.status_code == 302 and page.location.endswith("/operator/tenants/gdynia")
    cookie = console.get_cookie("iok_session", domain="admin.localhost").value
    # Another tenant's page neither shows nor uses it up.
    assert "Hasło jednorazowe" not in console.get("/operator/tenants/brzeg").get_data(
        as_text=True)
    text = console.get(page.location).get_data(as_text=True)
    assert "k.nowak" in text and "Hasło jednorazowe" in text
    password = re.search(r'id="new-admin-password">([^<]+)<', text)[1]
    assert password not in _cookie_payload(cookie)         # sealed, not just signed
    with cross_tenant("test"):
        member = db.session.scalar(select(StaffMember).where(StaffMember.login == "k.nowak"))
    assert member.role == "admin" and member.must_change_password
    assert member.password_hash.startswith("$argon2id$")
    assert "Hasło jednorazowe" not in console.get("/operator/tenants/gdynia").get_data(
        as_text=True)


def test_console_forms_are_protected_by_csrf(synced, host_client):
    synced.config["WTF_CSRF_ENABLED"] = True
    page = host_client("admin.localhost").post(
        "/operator/login", data={"email": "ops@example.com", "password": PASSWORD})
    assert page.status_code == 400


@pytest.mark.parametrize(("field", "value", "message"), [
    ("slug", "admin", "Skrót „admin” jest zarezerwowany dla platformy — wybierz inny."),
    ("hosts", "gdynia.localhost", "Domena gdynia.localhost leży w domenie platformy localhost"),
    ("hosts", "admin.localhost", "Domena admin.localhost leży w domenie platformy localhost"),
])
def test_onboarding_refuses_names_the_platform_keeps(console, field, value, message):
    data = onboarding_form(**{field: value})
    if field == "slug":
        data["policy_source"] = NEW_POLICY
    page = console.post("/operator/tenants/new", data=data)
    text = html.unescape(page.get_data(as_text=True))
    assert page.status_code == 422
    assert message in text
    assert "reserved for the platform" not in text and "platform's domain" not in text
    assert db.session.scalar(select(Tenant).where(Tenant.slug == "admin")) is None
    assert db.session.scalar(select(Tenant).where(Tenant.slug == "lesna-polana")) is None


def test_onboarding_needs_only_what_the_manifest_requires(console, host_client):
    """The form and a manifest file share one schema: optional keys may stay empty."""
    minimal = onboarding_form(street="", postal_code="", email="", phone="",
                              departments=[("board", "Zarząd")],   # the policy names it
                              regulations_title="", hosts="",
                              website="https://lesna-polana.example")
    page = console.post("/operator/tenants/new", data=minimal)
    assert page.status_code == 302, html.unescape(page.get_data(as_text=True))
    assert host_client("lesna-polana.localhost").get("/").status_code == 200


def test_onboarding_offers_every_documented_manifest_key(console):
    data = onboarding_form(
        website="https://lesna-polana.example", office_hours="pn–pt 8:00–15:00",
        regon="012345675", nip="",
        departments=[("finance", "Dział Finansowy", "12", "22 000 00 01",
                      "finanse@lesna.example"), ("board", "Zarząd")])
    assert console.post("/operator/tenants/new", data=data).status_code == 302
    profile = db.session.scalar(select(Tenant).where(Tenant.slug == "lesna-polana")).profile
    assert profile["contact"]["website"] == "https://lesna-polana.example"
    assert profile["contact"]["office_hours"] == "pn–pt 8:00–15:00"
    assert profile["tax_ids"] == {"regon": "012345675"}
    assert profile["departments"][0] == {"key": "finance", "name": "Dział Finansowy",
                                         "room": "12", "phone": "22 000 00 01",
                                         "email": "finanse@lesna.example"}


def test_onboarding_shows_the_manifest_schema_problems_in_polish(console):
    page = console.post("/operator/tenants/new", data=onboarding_form(
        email="", phone="", regon="012345670", city=""))
    text = html.unescape(page.get_data(as_text=True))
    assert page.status_code == 422
    assert "Podaj co najmniej jeden kontakt: e-mail, telefon lub stronę internetową." in text
    assert "REGON 012345670 ma błędną cyfrę kontrolną (literówka?)." in text
    assert "Miejscowość:</strong> To pole jest wymagane." in text
    for english in ("give at least one", "wrong check digit", "Missing data", "form:"):
        assert english not in text
    assert db.session.scalar(select(Tenant).where(Tenant.slug == "lesna-polana")) is None
