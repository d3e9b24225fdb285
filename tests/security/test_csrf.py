"""CSRF (ASVS V4.2.2, V3.5): with CSRF protection on, as in production, every POST route of the
tenant and admin hosts answers 400 to a signed-in browser's request that carries no token and
changes nothing. The API (/api/v1) is exempt because it never accepts a cookie session: only a
bearer token opens it."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from flask import url_for

from iok_saas import create_app

from ..conftest import HostClient
from ..factories import OPERATOR, RESIDENT_PASSWORD, sign_in_operator
from ..factories import operator as make_operator
from .conftest import changed_tables, snapshot
from .test_idor import KU, ROUTES, SI, ZW

# Which tenant each blueprint's POSTs are sent to (one whose policy shows the feature).
TENANT_OF_BLUEPRINT = {"occupants": KU, "occupants_staff": KU, "contact": SI,
                       "contact_staff": SI, "notices": KU, "notices_staff": KU,
                       "activation": KU, "activation_staff": KU}
PUBLIC_ENDPOINTS = {"accounts.login", "accounts.forgot_password", "accounts.recover",
                    "enrolment.apply", "enrolment.correct", "enrolment.confirm",
                    "enrolment.revocation", "staff.login", "operator.login",
                    "mfa.challenge", "mfa.enrol", "security.block_by_link",
                    "mfa.passkey_options", "mfa.passkey_answer",
                    "passkeys_sign_in.sign_in_options", "passkeys_sign_in.sign_in",
                    "passkeys_staff_sign_in.sign_in_options", "passkeys_staff_sign_in.sign_in",
                    "activation.register", "activation.confirm", "activation.resend",
                    "accounts.confirm_email_change"}
RESIDENT_BLUEPRINTS = {"accounts", "ledger", "meters", "faults", "occupants",
                       "announcements", "contact", "records", "notices", "documents", "voting",
                       "mfa_account", "passkeys",
                       "security", "portal"}
ADMIN_BLUEPRINTS = {"operator", "mfa_operator", "passkeys_operator", "offboarding"}


def _notice_zip(world) -> bytes:
    """A valid archive of one notice PDF for resident A's unit in Kuźniki."""
    from sqlalchemy import select

    from iok_saas.extensions import db
    from iok_saas.modules.housing.models import Unit
    from iok_saas.tenancy import tenant_scope

    from ..documents.pdfs import pdf_bytes
    from ..factories import tenant

    with tenant_scope(tenant(KU)):
        key = db.session.scalar(select(Unit.external_id).where(
            Unit.id == world.resident_a(KU)[1].unit_id))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr(f"{key}.pdf", pdf_bytes("Zawiadomienie"))
    return buffer.getvalue()


def _forms(world) -> dict:
    """Plausible bodies: without the CSRF check each of these would do something."""
    login = world.resident_a(ZW)[1].login
    return {
        "accounts.login": {"login": login, "password": RESIDENT_PASSWORD},
        "staff.login": {"login": "biuro", "password": "Biuro-haslo-2026!"},
        "operator.login": {"email": OPERATOR[0], "password": OPERATOR[1]},
        "accounts.forgot_password": {"login": login},
        "accounts.change_password": {"current": RESIDENT_PASSWORD, "new": "Nowe-Haslo-2099!",
                                     "repeat": "Nowe-Haslo-2099!"},
        "accounts.self_block": {"confirm": "y", "password": RESIDENT_PASSWORD},
        "accounts.change_email": {"new_email": "inny@example.org",
                                  "password": RESIDENT_PASSWORD},
        "portal.switch_unit": {"unit": world.resident_a(ZW)[1].unit_id},
        "faults.new": {"unit_id": world.resident_a(ZW)[1].unit_id, "category": "plumbing",
                       "place": "flat", "description": "Cieknie kran w łazience."},
        "meters.submit": {"meter": world.meter(ZW), "read_on": "2026-01-02", "value": "11,5",
                          "confirm": "y"},
        "occupants.index": {"unit": world.resident_a(KU)[1].unit_id, "occupants": "4"},
        "announcements.email_opt_in": {"wanted": "y"},
        "notices.consent": {"agree": "y"},
        "notices_staff.publish": {"period": world.notice_period(KU), "confirm": "y"},
        "notices_staff.upload_pdfs": {"pdf-period": "2027-03", "pdf-archive": (
            io.BytesIO(_notice_zip(world)), "okres.zip")},
        "contact.correct": {"email": "inny@example.com", "note": "Zmiana"},
        "enrolment.apply": {"first_name": "Ewa", "last_name": "Nowa", "street": "ul. Lipowa",
                            "building_number": "3", "city": "Miasto", "email": "ewa@example.com",
                            "accept_regulations": "y"},
        "activation.register": {"code": "ABCD-EFGH-JKLM", "flat_number": "12",
                                "amount": "368,56", "email": "ewa@example.com",
                                "new": "Sosna-2026-Polana", "repeat": "Sosna-2026-Polana"},
        "activation.resend": {"login": "123456", "password": "Sosna-2026-Polana",
                              "email": "ewa@example.com"},
        "activation_staff.issue": {"format": "csv", "everyone": "y"},
        "announcements_staff.new": {"title": "Nowe", "body": "Treść",
                                    "publish_at": "2025-01-01T10:00"},
        "imports_staff.tokens": {"name": "Obcy token"},
        "voting_staff.new": {"title": "Obca", "resolution": "Treść", "association_id": "None",
                             "starts_at": "2030-01-01T10:00", "ends_at": "2030-02-01T10:00"},
        "documents_staff.new": {"title": "Nowy", "category": "statute", "audience": "public",
                                "association_id": "None", "published_at": "2025-01-01T10:00"},
        "backoffice.staff": {"login": "intruz", "full_name": "Intruz", "role": "admin"},
        "operator.new_tenant": {"slug": "intruz", "name": "Intruz"},
        "operator.update_policy": {"policy": "extends: base"},
        "operator.first_admin": {"login": "intruz", "full_name": "Intruz"},
        "offboarding.schedule": {"confirm_slug": "zielone-wzgorza"},
        "offboarding.restore": {"slug": "intruz"},
        "mfa.challenge": {"code": "123456"},
        "mfa.enrol": {"code": "123456"},
        "mfa_operator.challenge": {"code": "123456"},
        "mfa_operator.enrol": {"code": "123456"},
        "mfa_account.turn_on": {"code": "123456"},
        "mfa_account.turn_off": {"password": RESIDENT_PASSWORD, "code": "123456"},
    }


@pytest.fixture
def csrf_app(app, database_url, tmp_path):
    """A second app on the same database, with CSRF protection switched on."""
    protected = create_app({
        "SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "WTF_CSRF_ENABLED": True,
        "IOK_VAR_DIR": tmp_path, "RATELIMIT_ENABLED": False,
        "IOK_TENANT_CACHE_SECONDS": 3600})
    protected.test_client_class = HostClient
    yield protected
    with protected.app_context():
        from iok_saas.extensions import db
        db.session.remove()
        db.engine.dispose()


def _protected_twin(csrf_app, signed_in: HostClient | None, host: str) -> HostClient:
    """A browser of the CSRF-protected app carrying the same session cookie."""
    client = csrf_app.test_client(host=host)
    if signed_in is not None:
        cookie = signed_in.get_cookie("iok_session", domain=host)
        assert cookie is not None, host
        client.set_cookie("iok_session", cookie.value, domain=host)
    return client


def _operator(host_client):
    make_operator()
    client = host_client("admin.localhost")
    sign_in_operator(client)
    return client


def _post_rules(app):
    return sorted((rule for rule in app.url_map.iter_rules() if "POST" in rule.methods),
                  key=lambda rule: rule.endpoint)


def test_every_post_without_a_token_is_refused_and_changes_nothing(
        world, app, csrf_app, host_client):
    forms = _forms(world)
    operator = _operator(host_client)
    twins: dict = {}
    refused, checked = [], []
    for rule in _post_rules(app):
        endpoint = rule.endpoint
        blueprint = endpoint.split(".")[0]
        if blueprint == "api_v1":
            continue  # token-only; see test_the_api_ignores_cookie_sessions
        if blueprint in ADMIN_BLUEPRINTS:
            host, actor = "admin.localhost", ("operator", operator)
            values = {name: "zielone-wzgorza" if name == "slug" else
                      1 if name.endswith("_id") else "suspend" for name in rule.arguments}
        else:
            slug = ROUTES[endpoint].owner if endpoint in ROUTES \
                else TENANT_OF_BLUEPRINT.get(blueprint, ZW)
            host = f"{slug}.localhost"
            if endpoint in PUBLIC_ENDPOINTS:
                actor = ("anonymous", None)
            elif blueprint in RESIDENT_BLUEPRINTS:
                actor = (f"resident@{slug}", world.resident_a(slug)[0])
            else:
                actor = (f"staff@{slug}", world.staff(slug))
            if endpoint in ROUTES:
                values = ROUTES[endpoint].ids(world, slug)
            else:
                values = {name: "tok.en.x" for name in rule.arguments}
        form = ROUTES[endpoint].form(values) if endpoint in ROUTES else forms.get(endpoint, {})
        key = (actor[0], host)
        if key not in twins:
            twins[key] = _protected_twin(csrf_app, actor[1], host)
        with csrf_app.test_request_context(base_url=f"http://{host}"):
            path = url_for(endpoint, **values)
        before = snapshot()
        response = twins[key].post(path, data=form)
        changed = changed_tables(before, snapshot())
        checked.append(endpoint)
        if response.status_code != 400 or changed:
            refused.append((endpoint, actor[0], response.status_code, changed))
        else:
            assert "Nieprawidłowe żądanie" in response.get_data(as_text=True), endpoint
    assert refused == []
    print(f"CSRF: {len(checked)} POST routes refused without a token")
    assert len(checked) >= 40, checked  # every POST route of both hosts was tried


def _token_in(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)[1]


def test_the_same_post_with_the_pages_token_is_accepted(world, csrf_app):
    """Control: the refusal above is the CSRF check, not a blanket 400."""
    client = _protected_twin(csrf_app, world.resident_a(ZW)[0], "zielone-wzgorza.localhost")
    page = client.get("/konto/ogloszenia/").get_data(as_text=True)
    response = client.post("/konto/ogloszenia/powiadomienia",
                           data={"csrf_token": _token_in(page), "wanted": "y"})
    assert response.status_code == 302


def test_a_token_from_another_session_is_refused(world, csrf_app):
    a = _protected_twin(csrf_app, world.resident_a(ZW)[0], "zielone-wzgorza.localhost")
    b = _protected_twin(csrf_app, world.resident_b(ZW)[0], "zielone-wzgorza.localhost")
    token_of_b = _token_in(b.get("/konto/ogloszenia/").get_data(as_text=True))
    response = a.post("/konto/ogloszenia/powiadomienia",
                      data={"csrf_token": token_of_b, "wanted": "y"})
    assert response.status_code == 400


def test_the_api_ignores_cookie_sessions(world, csrf_app):
    """A signed-in staff browser (cookie) cannot use the API: 401 without a bearer token,
    whatever the request; the bearer token alone (no cookie, no CSRF token) works."""
    staff = _protected_twin(csrf_app, world.staff(ZW), "zielone-wzgorza.localhost")
    run_id = world.import_run(ZW)
    body = {"rows": [{"external_id": "API-A1", "name": "Wspólnota", "street": "ul. A 1",
                      "postal_code": "00-001", "city": "Miasto"}]}
    before = snapshot()
    for response in (staff.post("/api/v1/imports/associations", json=body),
                     staff.post("/api/v1/imports", json={"datasets": {"associations":
                                                                      body["rows"]}}),
                     staff.get(f"/api/v1/imports/{run_id}")):
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert changed_tables(before, snapshot()) == []
    client = csrf_app.test_client(host="zielone-wzgorza.localhost")
    response = client.post("/api/v1/imports/associations", json=body,
                           headers={"Authorization": f"Bearer {world.token(ZW)}"})
    assert response.status_code == 201, response.get_json()
    assert "Set-Cookie" not in response.headers
