"""IDOR matrix (ASVS V4.2.1, V4.1.3): every route that takes an id, requested with resident
A's / tenant A's ids by resident B of the same tenant and by a resident, staff member or API
token of another tenant, answers 404 and changes nothing.

``ROUTES`` is the explicit table "endpoint -> how to build its id"; ``NOT_SECRET`` lists the
id-taking routes whose ids are not secrets (with the reason). A new id-taking route that is in
neither fails ``test_every_id_taking_route_is_in_the_matrix`` until it is covered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from flask import url_for

from .conftest import World, changed_tables, snapshot

RESIDENT, STAFF, API = "resident", "staff", "api"


@dataclass(frozen=True)
class Case:
    kind: str                      # who owns the page: a resident, the staff, the API
    owner: str                     # tenant A (where the object is built)
    other: str                     # tenant B (its resident / staff / token attacks)
    ids: Callable[[World, str], dict]  # url values of A's object
    methods: tuple[str, ...] = ("GET",)
    form: Callable[[dict], dict] = field(default=lambda ids: {})
    refused: tuple[int, ...] = (404,)  # what an attacker may be answered


def _fault(w, s):
    return {"fault_id": w.fault(s)}


def _application(w, s):
    return {"application_id": w.application(s)}


def _person(w, s):
    return {"person_id": w.resident_a(s)[1].person_id}


def _session(w, s):
    """The handle of resident A's open session (what the security page shows of it)."""
    from sqlalchemy import select

    from iok_saas.extensions import db
    from iok_saas.modules.auth.models import UserSession
    from iok_saas.modules.security.services import session_handle
    from iok_saas.tenancy import tenant_scope

    from ..factories import tenant

    account_id = w.resident_a(s)[1].account_id
    with tenant_scope(tenant(s)):
        sid = db.session.scalar(select(UserSession.id).where(
            UserSession.user_kind == "resident", UserSession.user_id == account_id,
            UserSession.ended_at.is_(None)))
    return {"handle": session_handle(sid)}


def _activation_code(w, s):
    """An active activation code of tenant ``s`` (its staff desk lists and revokes it)."""
    from sqlalchemy import select

    from iok_saas.extensions import db
    from iok_saas.modules.activation.models import ActivationCode
    from iok_saas.tenancy import tenant_scope

    from ..activation.helpers import issue, make_holder
    from ..factories import tenant

    def make():
        issue(make_holder(s), s)
        with tenant_scope(tenant(s)):
            return db.session.scalar(select(ActivationCode.id).order_by(
                ActivationCode.id.desc()))
    return {"code_id": w._once(("activation_code", s), make)}


def _account(w, s):
    return {"account_id": w.resident_a(s)[1].account_id}


def _passkey_row(slug, kind, user_id) -> int:
    from iok_saas.extensions import db
    from iok_saas.modules.mfa.models import Passkey
    from iok_saas.tenancy import tenant_scope

    from ..factories import tenant

    with tenant_scope(tenant(slug)):
        row = Passkey(user_kind=kind, user_id=user_id, name="Telefon",
                      credential_id=f"{kind}-{user_id}".encode(), public_key=b"key",
                      sign_count=0, transports=[])
        db.session.add(row)
        db.session.commit()
        return row.id


def _passkey(w, s):
    """Resident A's passkey."""
    return {"passkey_id": w._once(("passkey", s), lambda: _passkey_row(
        s, "resident", w.resident_a(s)[1].account_id))}


def _staff_passkey(w, s):
    """The passkey of the staff member behind ``w.staff(s)``."""
    from sqlalchemy import select

    from iok_saas.extensions import db
    from iok_saas.modules.staff.models import StaffMember
    from iok_saas.tenancy import tenant_scope

    from ..factories import tenant

    def make():
        w.staff(s)
        with tenant_scope(tenant(s)):
            member_id = db.session.scalar(select(StaffMember.id).where(
                StaffMember.login == "biuro"))
        return _passkey_row(s, "staff", member_id)
    return {"passkey_id": w._once(("staff_passkey", s), make)}


def _document(w, s):
    return {"document_id": w.document(s)[0]}


def _document_version(w, s):
    document_id, version_id = w.document(s)
    return {"document_id": document_id, "version_id": version_id}


ZW, KU, SI, GD = "zielone-wzgorza", "kuzniki", "siarkowiec", "gdynia"
BR = "brzeg"
ENROLMENT_FORM = {  # a superset of every staff enrolment action's fields
    "approve-version": "1", "approve-person_id": "1", "reject-version": "1",
    "reject-reason": "Brak tytułu prawnego.", "ask-version": "1", "ask-note": "Popraw adres.",
    "fix-version": "1", "fix-first_name": "X", "fix-last_name": "Y", "schedule-version": "1",
    "schedule-when": "jutro 10:00", "pickup-version": "1", "pickup-identity_checked": "y",
    "decide-version": "1", "version": "1"}

ROUTES: dict[str, Case] = {
    # --- resident pages ------------------------------------------------------------------
    "faults.show": Case(RESIDENT, ZW, KU, _fault),
    "faults.photo": Case(RESIDENT, ZW, KU, _fault),
    "meters.meter": Case(RESIDENT, ZW, GD, lambda w, s: {"meter_id": w.meter(s)}),
    "announcements.show": Case(RESIDENT, ZW, SI,
                               lambda w, s: {"announcement_id": w.announcement(s)}),
    "notices.show": Case(RESIDENT, ZW, KU, lambda w, s: {"notice_id": w.notice(s)}),
    "security.end_session": Case(RESIDENT, ZW, KU, _session, ("POST",)),
    "passkeys.remove": Case(RESIDENT, ZW, KU, _passkey, ("GET", "POST"),
                            lambda ids: {"password": "x"}),
    "documents.show": Case(RESIDENT, ZW, BR, _document),
    "documents.download": Case(RESIDENT, ZW, BR, _document_version),
    "voting.show": Case(RESIDENT, BR, ZW, lambda w, s: {"vote_id": w.vote(s)[0]}),
    "occupants.withdraw": Case(RESIDENT, KU, ZW,
                               lambda w, s: {"change_id": w.occupants_change(s)}, ("POST",)),
    "voting.cast": Case(RESIDENT, BR, ZW, lambda w, s: {"vote_id": w.vote(s)[0]}, ("POST",),
                        lambda ids: {"elector": "1", "choice": "for"}),
    # --- staff desks (every staff member of a tenant may see its rows: attackers are the
    # staff of another tenant; resident A of the same tenant is sent to the staff login) --
    "faults_staff.detail": Case(STAFF, ZW, KU, _fault, ("GET", "POST"),
                                lambda ids: {"status": "in_progress", "comment": "Zrobione"}),
    "faults_staff.photo": Case(STAFF, ZW, KU, _fault),
    "meters_staff.reading": Case(STAFF, ZW, KU, lambda w, s: {"reading_id": w.reading(s)},
                                 ("GET", "POST"), lambda ids: {"accept": "Przyjmij"}),
    "occupants_staff.change": Case(STAFF, KU, ZW,
                                   lambda w, s: {"change_id": w.occupants_change(s)},
                                   ("GET", "POST"), lambda ids: {"confirm": "Potwierdź"}),
    "announcements_staff.edit": Case(
        STAFF, ZW, SI, lambda w, s: {"announcement_id": w.announcement(s)}, ("GET", "POST"),
        lambda ids: {"title": "Podmienione", "body": "Treść", "publish_at": "2025-01-01T10:00"}),
    "announcements_staff.delete": Case(
        STAFF, ZW, SI, lambda w, s: {"announcement_id": w.announcement(s)}, ("GET", "POST")),
    "contact_staff.correction": Case(
        STAFF, SI, GD, lambda w, s: {"correction_id": w.correction(s)}, ("GET", "POST"),
        lambda ids: {"comment": "OK", "apply": "Wprowadź zmiany"}),
    "enrolment_staff.detail": Case(STAFF, ZW, KU, _application),
    **{f"enrolment_staff.{name}": Case(STAFF, ZW, KU, _application, ("POST",),
                                       lambda ids: ENROLMENT_FORM)
       for name in ("approve", "reject", "ask_correction", "enter_correction", "schedule",
                    "pickup", "decide_revocation")},
    "backoffice.person": Case(STAFF, ZW, KU, _person),
    "backoffice.create_account": Case(STAFF, ZW, KU, _person, ("POST",)),
    "backoffice.issue_credentials": Case(STAFF, ZW, KU, _person, ("POST",),
                                         lambda ids: {"issue-reason": "Zgubione pismo"}),
    "backoffice.block": Case(STAFF, ZW, KU, _person, ("POST",),
                             lambda ids: {"block-trigger": "owner_request",
                                          "block-reason": "Na prośbę właściciela"}),
    "backoffice.unblock": Case(STAFF, ZW, KU, _person, ("POST",),
                               lambda ids: {"unblock-evidence": "L-1"}),
    "backoffice.lift_lock": Case(STAFF, ZW, KU, _person, ("POST",)),
    "backoffice.reset": Case(STAFF, ZW, KU, _person, ("POST",),
                             lambda ids: {"reset-request_note": "telefon",
                                          "reset-identity_checked": "y"}),
    "backoffice.revoke": Case(STAFF, ZW, KU, _person, ("POST",),
                              lambda ids: {"revoke-reason": "Sprzedaż lokalu",
                                           "revoke-confirm": "y"}),
    "mfa_staff.reset": Case(STAFF, ZW, KU, _account, ("GET", "POST"),
                            lambda ids: {"request_note": "Zgubiony telefon",
                                         "document": "DO 1234567"}),
    "passkeys_staff.remove": Case(STAFF, ZW, KU, _staff_passkey, ("GET", "POST"),
                                  lambda ids: {"password": "x"}),
    "backoffice.task_done": Case(STAFF, ZW, KU, lambda w, s: {"task_id": w.task(s)}, ("POST",)),
    "documents_staff.detail": Case(
        STAFF, ZW, BR, _document, ("GET", "POST"),
        lambda ids: {"title": "Podmieniony", "category": "regulations", "audience": "public",
                     "association_id": "None", "published_at": "2025-01-01T10:00"}),
    "documents_staff.add_version": Case(STAFF, ZW, BR, _document, ("POST",),
                                        lambda ids: {"note": "Podmieniona"}),
    "documents_staff.download": Case(STAFF, ZW, BR, _document_version),
    "voting_staff.detail": Case(STAFF, BR, ZW, lambda w, s: {"vote_id": w.vote(s)[0]}),
    "voting_staff.protocol": Case(STAFF, BR, ZW, lambda w, s: {"vote_id": w.vote(s)[0]}),
    "voting_staff.paper": Case(STAFF, BR, ZW, lambda w, s: {"vote_id": w.vote(s)[0]},
                               ("POST",), lambda ids: {"elector": "1", "choice": "for"}),
    "voting_staff.close": Case(STAFF, BR, ZW, lambda w, s: {"vote_id": w.vote(s)[0]},
                               ("POST",)),
    "voting_staff.scan": Case(STAFF, BR, ZW, lambda w, s: dict(zip(
        ("vote_id", "event_id"), w.paper_scan(s), strict=True))),
    "activation_staff.revoke": Case(STAFF, KU, ZW, _activation_code, ("POST",)),
    "imports_staff.run": Case(STAFF, ZW, KU, lambda w, s: {"run_id": w.import_run(s)}),
    "imports_staff.apply": Case(STAFF, ZW, KU, lambda w, s: {"run_id": w.import_run(s)},
                                ("POST",)),
    "imports_staff.revoke": Case(STAFF, ZW, KU, lambda w, s: {"token_id": w.api_token_id(s)},
                                 ("POST",)),
    # --- the API: tenant B's token with tenant A's run id ------------------------------------
    "api_v1.get_import": Case(API, ZW, KU, lambda w, s: {"run_id": w.import_run(s)}),
}

# Staff routes that a signed-in resident of the same tenant gets as a 404 (not a sign-in).
NOT_FOUND_FOR_RESIDENTS = {"voting_staff.scan"}

# Id-taking routes whose ids are not secrets or not per-tenant objects.
NOT_SECRET = {
    "static": "public static files (path)",
    "bootstrap.static": "public Bootstrap files (path)",
    "site.set_language": "a language code; its next= is checked in test_redirects.py",
    "api_v1.import_dataset": "a dataset name from the published OpenAPI document",
    "notices_staff.period": "a month (YYYY-MM); a tenant's staff see all its periods",
    # Operators are platform-wide by design: every tenant's page is theirs to see.
    "operator.tenant": "tenant slug; operators only (admin host)",
    "operator.first_admin": "tenant slug; operators only (admin host)",
    "operator.update_policy": "tenant slug; operators only (admin host)",
    "operator.change_status": "tenant slug and action; operators only (admin host)",
    "operator.policy_history": "tenant slug; operators only (admin host)",
    "operator.policy_version": "tenant slug and a platform audit event id; operators only "
                               "(admin host); another tenant's event is a 404 "
                               "(tests/operator/test_overview.py)",
    "operator.restore_policy": "tenant slug and a platform audit event id; operators only "
                               "(admin host); another tenant's event is a 404 "
                               "(tests/operator/test_overview.py)",
    "offboarding.export": "tenant slug; operators only (admin host)",
    "offboarding.schedule": "tenant slug; operators only (admin host)",
    "offboarding.cancel": "tenant slug; operators only (admin host)",
    "passkeys_operator.remove": "an operator's own passkey; another operator's is a 404 "
                                "(tests/auth/test_passkeys.py)",
    # Unguessable signed tokens (the secret is the token itself); cross-tenant use is
    # checked in test_tokens_do_not_cross_tenants below.
    "accounts.recover": "password recovery token",
    "accounts.unlock": "unlock link token (tenant-bound: tests/accounts/test_policy_v2.py)",
    "security.block_by_link": "signed account-blocking link token from a security e-mail",
    "accounts.confirm_email_change": "e-mail change link token (random, stored hashed; "
                                     "tests/accounts/test_email_change.py)",
    "enrolment.correct": "application correction link token",
    "enrolment.confirm": "e-mail confirmation link token",
    "activation.confirm": "activation e-mail confirmation link token (tenant-bound: "
                          "tests/activation/test_services.py)",
    # Public documents are public; any other id (another audience, another tenant) is a
    # 404 there, see tests/documents/test_documents.py::test_audiences_owners_members_and_public.
    "documents_public.show": "a public document's id (public pages)",
    "documents_public.download": "a public document's file (public pages)",
}

# Ids that travel in the query string or a form field rather than the path.
QUERY_IDS = {
    "meters.index?lokal": (ZW, GD, "GET", lambda w, r: ({"lokal": r.unit_id}, {})),
    "meters.submit?licznik": (ZW, KU, "GET", lambda w, r: ({"licznik": w.meter(ZW)}, {})),
    "meters.submit[meter]": (ZW, KU, "POST", lambda w, r: ({}, {
        "meter": w.meter(ZW), "read_on": "2026-01-02", "value": "11,5", "confirm": "y"})),
    "occupants.index?lokal": (KU, ZW, "GET", lambda w, r: ({"lokal": r.unit_id}, {})),
    "occupants.index[unit]": (KU, ZW, "POST", lambda w, r: ({}, {
        "unit": r.unit_id, "occupants": "2", "effective_from": "2030-01-01"})),
    "ledger.index?unit": (ZW, KU, "GET", lambda w, r: ({"unit": r.unit_id}, {})),
    # Only Brzeg's policy has residents choose the association first (elsewhere the
    # parameter is ignored), so there is no second tenant to attack from.
    "ledger.index?association": ("brzeg", None, "GET",
                                 lambda w, r: ({"association": r.association_id}, {})),
    "ledger.statement_csv?unit": (ZW, KU, "GET", lambda w, r: ({"unit": r.unit_id}, {})),
    "ledger.statement_pdf_download?unit": (ZW, KU, "GET",
                                           lambda w, r: ({"unit": r.unit_id}, {})),
    "ledger.payment_qr?unit": (ZW, KU, "GET", lambda w, r: ({"unit": r.unit_id}, {})),
    # The flat switcher: only a flat the resident holds a title to can be chosen.
    "portal.switch_unit[unit]": (ZW, KU, "POST", lambda w, r: ({}, {"unit": r.unit_id})),
    "faults.new[unit_id]": (ZW, KU, "POST", lambda w, r: ({}, {
        "unit_id": r.unit_id, "category": "plumbing", "place": "flat",
        "description": "Cieknie kran w łazience."})),
}


def _url(app, endpoint: str, values: dict, host: str = "example.localhost") -> str:
    with app.test_request_context(base_url=f"http://{host}"):
        return url_for(endpoint, **values)


def _rules_with_ids(app):
    return {rule.endpoint: rule for rule in app.url_map.iter_rules() if rule.arguments}


def test_every_id_taking_route_is_in_the_matrix(app):
    rules = _rules_with_ids(app)
    missing = sorted(set(rules) - set(ROUTES) - set(NOT_SECRET))
    assert not missing, f"id-taking routes missing from the IDOR matrix: {missing}"
    stale = sorted((set(ROUTES) | set(NOT_SECRET)) - set(rules))
    assert not stale, f"matrix entries for routes that no longer exist: {stale}"
    for endpoint, case in ROUTES.items():
        declared = set(rules[endpoint].methods) - {"HEAD", "OPTIONS"}
        assert set(case.methods) == declared, (endpoint, case.methods, declared)


def _request(client, method, url, data, headers=None):
    if method == "GET":
        return client.get(url, headers=headers)
    return client.post(url, data=data, headers=headers)


@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_other_residents_and_tenants_get_404(endpoint, world, app):
    case = ROUTES[endpoint]
    ids = case.ids(world, case.owner)
    url = _url(app, endpoint, ids)
    form = case.form(ids)

    # The owner side reaches the object: the id is real and the check is not vacuous.
    if "GET" in case.methods:
        if case.kind == RESIDENT:
            owner = world.resident_a(case.owner)[0]
            assert owner.get(url).status_code == 200, endpoint
        elif case.kind == STAFF:
            assert world.staff(case.owner).get(url).status_code == 200, endpoint
        else:
            client, headers = world.api(case.owner)
            assert client.get(url, headers=headers).status_code == 200, endpoint

    attackers = []  # (who, client, headers, answers allowed)
    if case.kind == RESIDENT:
        attackers += [("resident B, same tenant", world.resident_b(case.owner)[0], None,
                       case.refused),
                      ("resident of tenant B", world.resident_a(case.other)[0], None,
                       case.refused)]
    elif case.kind == STAFF:
        attackers += [("staff of tenant B", world.staff(case.other), None, case.refused),
                      # Resident A on the staff desk of their own tenant: sent to sign in
                      # (a ballot's scan: not found at all).
                      ("resident A on the staff desk", world.resident_a(case.owner)[0], None,
                       (404,) if endpoint in NOT_FOUND_FOR_RESIDENTS else (302,))]
    else:
        client, headers = world.api(case.other)
        attackers += [("API token of tenant B", client, headers, case.refused)]
        staff_client = world.staff(case.owner)
        attackers += [("staff cookie of tenant A, no token", staff_client, None, (401,))]

    before = snapshot()
    for who, client, headers, allowed in attackers:
        for method in case.methods:
            response = _request(client, method, url, form, headers)
            assert response.status_code in allowed, (endpoint, who, method,
                                                      response.status_code)
            if response.status_code == 302:
                assert "/logowanie" in response.headers["Location"], (endpoint, who)
    assert changed_tables(before, snapshot()) == [], endpoint


@pytest.mark.parametrize("name", sorted(QUERY_IDS))
def test_ids_in_query_and_form_fields_are_checked_too(name, world, app):
    owner_slug, other_slug, method, build = QUERY_IDS[name]
    endpoint = name.split("?")[0].split("[")[0]
    _, owner = world.resident_a(owner_slug)
    query, form = build(world, owner)
    url = _url(app, endpoint, query)
    owner_client = world.resident_a(owner_slug)[0]
    if method == "GET":
        assert owner_client.get(url).status_code == 200, name
    attackers = [("resident B, same tenant", world.resident_b(owner_slug)[0])]
    if other_slug is not None:
        attackers.append(("resident of tenant B", world.resident_a(other_slug)[0]))
    before = snapshot()
    for who, client in attackers:
        response = _request(client, method, url, form)
        # A form whose choice list lacks the foreign id may refuse it as an invalid choice.
        allowed = (404, 422) if method == "POST" else (404,)
        assert response.status_code in allowed, (name, who, response.status_code)
    assert changed_tables(before, snapshot()) == [], name


def test_tokens_do_not_cross_tenants(world, synced):
    """A recovery / enrolment link issued by tenant A is worthless on tenant B's host."""
    from iok_saas.modules.enrolment import tokens
    from iok_saas.modules.enrolment.models import Application
    from iok_saas.tenancy import tenant_scope

    from ..factories import tenant

    application_id = world.application(ZW)
    with tenant_scope(tenant(ZW)):
        from iok_saas.extensions import db
        application = db.session.get(Application, application_id)
        link = {kind: tokens.make_token(application, kind) for kind in (tokens.CONFIRM,
                                                                  tokens.CORRECT)}
    other = world.anonymous(KU)
    before = snapshot()
    for path in (f"/wniosek/potwierdz/{link[tokens.CONFIRM]}",
                 f"/wniosek/poprawa/{link[tokens.CORRECT]}"):
        for response in (other.get(path), other.post(path, data={"first_name": "X"})):
            assert response.status_code in (404, 410, 400, 200), path
            assert "Celina" not in response.get_data(as_text=True)
    assert changed_tables(before, snapshot()) == []


@pytest.mark.parametrize("number", ["99999999999999999999999", str(2 ** 63), str(2 ** 31), "0"])
def test_ids_out_of_range_answer_404_not_500(number, world, app):
    """An id no table can hold is a 404 like any unknown id (not a driver overflow; 2³¹
    fits a 64-bit integer but not PostgreSQL's integer keys, which refused to compare it)."""
    answers = []
    for endpoint, case in sorted(ROUTES.items()):
        rule = _rules_with_ids(app)[endpoint]
        url = _url(app, endpoint, {name: 1 for name in rule.arguments})
        url = url.replace("/1/", f"/{number}/") if "/1/" in url else url[:-1] + number
        if case.kind == RESIDENT:
            client, headers = world.resident_a(case.owner)[0], None
        elif case.kind == STAFF:
            client, headers = world.staff(case.owner), None
        else:
            client, headers = world.api(case.owner)
        for method in case.methods:
            answers.append((endpoint, method, _request(client, method, url, {},
                                                       headers).status_code))
    assert [a for a in answers if a[2] != 404] == []


def test_allow_listed_operator_routes_exist_only_on_the_admin_host(world, app):
    """The operator routes' slugs are no secret because only operators reach them: on a
    tenant host, even for its signed-in staff, they do not exist."""
    office = world.staff(ZW)
    for endpoint in sorted(e for e in NOT_SECRET if e.startswith(("operator.", "offboarding."))):
        rule = _rules_with_ids(app)[endpoint]
        url = _url(app, endpoint, {name: ZW if name == "slug" else 1 if name.endswith("_id")
                                   else "suspend" for name in rule.arguments})
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = _request(office, method, url, {"policy_source": "extends: base"})
            assert response.status_code == 404, (endpoint, method, response.status_code)
