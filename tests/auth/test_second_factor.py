"""The second sign-in factor: staff and operators cannot sign in on a password alone, codes are
single-use, wrong codes lock, residents follow their tenant's policy, turning it off needs the
password and a code and sends an e-mail, staff resets follow the recovery rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.accounts.models import ResidentAccount
from iok_saas.modules.audit.models import AuditEvent
from iok_saas.modules.audit.services import Actor
from iok_saas.modules.housing.models import Person
from iok_saas.modules.mfa import services as mfa
from iok_saas.modules.mfa import totp
from iok_saas.modules.mfa.flow import PENDING_KEY
from iok_saas.modules.mfa.models import SecondFactor
from iok_saas.modules.notifications.models import OutboxMessage
from iok_saas.modules.security.models import SignInEvent
from iok_saas.modules.staff.models import StaffMember
from iok_saas.modules.tenants.services import get_tenant, update_policy
from iok_saas.tenancy import tenant_scope
from iok_saas.timeutil import utcnow

from ..factories import (
    RESIDENT_PASSWORD,
    STAFF_PASSWORD,
    STAFF_TOTP_SECRET,
    active_resident,
    enrol_when_asked,
    fresh_code,
    operator,
    sign_in_operator,
    sign_in_resident,
    staff,
    tenant,
)

pytestmark = pytest.mark.usefixtures("ctx")
ZW, GD = "zielone-wzgorza", "gdynia"
STEP = "/logowanie/drugi-krok/"


def _factor(slug: str, kind: str, user_id: int) -> SecondFactor:
    with tenant_scope(tenant(slug)):
        return db.session.scalar(select(SecondFactor).where(
            SecondFactor.user_kind == kind, SecondFactor.user_id == user_id))


def _member(slug: str, login: str) -> StaffMember:
    with tenant_scope(tenant(slug)):
        return db.session.scalar(select(StaffMember).where(StaffMember.login == login))


def _code_now(offset: int = 0) -> str:
    return totp.code_for_step(STAFF_TOTP_SECRET, totp.step_at(utcnow()) + offset)


def _password(client, login: str):
    return client.post("/staff/logowanie", data={"login": login, "password": STAFF_PASSWORD})


def _set_policy(slug: str, addition: str) -> None:
    update_policy(slug, get_tenant(slug).policy_source + "\n" + addition, Actor.cli("test"))
    db.session.commit()


# --- staff: the platform floor -------------------------------------------------------------

def test_a_staff_password_alone_opens_nothing(synced, host_client):
    staff(ZW, "ola")
    client = host_client(f"{ZW}.localhost")
    response = _password(client, "ola")
    assert response.headers["Location"].endswith(STEP)
    assert "/staff/logowanie" in client.get("/staff/").headers["Location"]
    wrong = client.post(STEP, data={"code": "000000" if _code_now() != "000000" else "111111"})
    assert wrong.status_code == 422
    assert "Kod jest nieprawidłowy" in wrong.get_data(as_text=True)
    assert "/staff/logowanie" in client.get("/staff/").headers["Location"]
    right = client.post(STEP, data={"code": fresh_code(_factor(ZW, "staff", _member(
        ZW, "ola").id))})
    assert right.headers["Location"].endswith("/staff/")
    assert client.get("/staff/").status_code == 200


def test_staff_without_a_factor_set_one_up_at_their_next_sign_in(synced, host_client):
    member_id = staff(ZW, "ewa")
    with tenant_scope(tenant(ZW)):
        db.session.delete(mfa.factor_of(db.session.get(StaffMember, member_id)))
        db.session.commit()
    client = host_client(f"{ZW}.localhost")
    assert _password(client, "ewa").headers["Location"].endswith(STEP + "konfiguracja")
    assert client.get(STEP).headers["Location"].endswith(STEP + "konfiguracja")
    page = client.get(STEP + "konfiguracja").get_data(as_text=True)
    assert "<svg" in page and "otpauth" not in page  # the QR code, not the raw URI
    # The same secret on reload: a code from the app scanned first keeps working.
    assert page.split('data-secret="')[1][:32] == client.get(
        STEP + "konfiguracja").get_data(as_text=True).split('data-secret="')[1][:32]
    codes_page = enrol_when_asked(client).get_data(as_text=True)
    codes = codes_page.split('id="recovery-codes">')[1].split("</ul>")[0]
    shown = [line.strip()[4:-5] for line in codes.strip().splitlines()]
    assert len(shown) == tenant(ZW).policy.second_factor.recovery_codes
    assert client.get("/staff/").status_code == 200
    factor = _factor(ZW, "staff", member_id)
    assert factor.active and len(factor.recovery_hashes) == len(shown)
    assert all(code not in str(factor.recovery_hashes) for code in shown)  # hashed only
    assert factor.recovery_hashes[0].startswith("$argon2id$")


def test_a_code_is_accepted_only_once(synced, host_client):
    staff(ZW, "jan")
    first, second = host_client(f"{ZW}.localhost"), host_client(f"{ZW}.localhost")
    code = fresh_code(_factor(ZW, "staff", _member(ZW, "jan").id))
    _password(first, "jan")
    assert first.post(STEP, data={"code": code}).status_code == 302
    _password(second, "jan")
    replay = second.post(STEP, data={"code": code})
    assert replay.status_code == 422
    assert "/staff/logowanie" in second.get("/staff/").headers["Location"]


def test_a_recovery_code_works_once(synced, host_client):
    member_id = staff(ZW, "iga")
    with tenant_scope(tenant(ZW)):
        codes = mfa.new_recovery_codes(db.session.get(StaffMember, member_id))
        db.session.commit()
    client = host_client(f"{ZW}.localhost")
    _password(client, "iga")
    used = client.post(STEP, data={"code": codes[0].upper().replace("-", " ")})
    assert used.status_code == 302
    assert client.get("/staff/").status_code == 200
    assert len(_factor(ZW, "staff", member_id).recovery_hashes) == len(codes) - 1
    again = host_client(f"{ZW}.localhost")
    _password(again, "iga")
    assert again.post(STEP, data={"code": codes[0]}).status_code == 422


def test_wrong_codes_lock_the_second_step_and_the_password_step(synced, host_client):
    member_id = staff(GD, "kasia")
    rule = tenant(GD).policy.blocking.rule("failed_logins")
    client = host_client(f"{GD}.localhost")
    _password(client, "kasia")
    wrong = str((int(_code_now()) + 500000) % 1000000).zfill(6)
    answers = [client.post(STEP, data={"code": wrong}) for _ in range(rule.threshold)]
    assert [a.status_code for a in answers] == [422] * rule.threshold
    assert "Logowanie jest wstrzymane do" in answers[-1].get_data(as_text=True)
    # Locked: the right code is refused too, and so is the password step.
    code = fresh_code(_factor(GD, "staff", member_id))
    assert client.post(STEP, data={"code": code}).status_code == 422
    page = _password(host_client(f"{GD}.localhost"), "kasia")
    assert "Zbyt wiele nieudanych prób" in page.get_data(as_text=True)
    with tenant_scope(tenant(GD)):
        attempts = db.session.scalars(select(SignInEvent.outcome).where(
            SignInEvent.user_kind == "staff", SignInEvent.user_id == member_id)).all()
    assert attempts == ["wrong_code"] * rule.threshold


def test_the_wait_for_the_second_step_expires(synced, host_client):
    staff(ZW, "max")
    client = host_client(f"{ZW}.localhost")
    _password(client, "max")
    with client.session_transaction() as sess:
        pending = dict(sess[PENDING_KEY])
        pending["at"] = (utcnow() - timedelta(minutes=11)).isoformat()
        sess[PENDING_KEY] = pending
    code = fresh_code(_factor(ZW, "staff", _member(ZW, "max").id))
    response = client.post(STEP, data={"code": code})
    assert response.status_code == 302 and "/logowanie" in response.headers["Location"]
    assert "/staff/logowanie" in client.get("/staff/").headers["Location"]


def test_a_remembered_device_skips_the_code_until_forgotten(synced, host_client):
    member_id = staff(ZW, "ula")
    client = host_client(f"{ZW}.localhost")
    _password(client, "ula")
    page = client.get(STEP).get_data(as_text=True)
    assert "Zapamiętaj to urządzenie" in page and "30 dni" in page
    code = fresh_code(_factor(ZW, "staff", member_id))
    response = client.post(STEP, data={"code": code, "remember": "y"})
    cookie = next(h for h in response.headers.getlist("Set-Cookie")
                  if h.startswith("iok_device="))
    assert "HttpOnly" in cookie and f"Max-Age={30 * 24 * 3600}" in cookie
    client.post("/staff/wyloguj")
    assert _password(client, "ula").headers["Location"].endswith("/staff/")
    # Another browser without the cookie still needs the code.
    assert _password(host_client(f"{ZW}.localhost"), "ula").headers["Location"].endswith(STEP)
    with tenant_scope(tenant(ZW)):
        mfa.forget_devices(db.session.get(StaffMember, member_id))
        db.session.commit()
    client.post("/staff/wyloguj")
    assert _password(client, "ula").headers["Location"].endswith(STEP)


def test_operators_need_the_second_factor_too(synced, host_client):
    operator()
    console = host_client("admin.localhost")
    page = console.post("/operator/login", data={"email": "ops@example.com",
                                                 "password": "operator-secret-123"})
    assert page.headers["Location"].endswith("/operator/drugi-krok/")
    assert "/operator/login" in console.get("/operator/").headers["Location"]
    assert "Zapamiętaj" not in console.get("/operator/drugi-krok/").get_data(as_text=True)
    sign_in_operator(console)
    assert console.get("/operator/").status_code == 200
    # The second step of the admin host does not exist on a tenant's site and vice versa.
    assert host_client(f"{ZW}.localhost").get("/operator/drugi-krok/").status_code == 404
    assert console.get(STEP).status_code == 404


def test_an_operator_without_a_factor_sets_one_up(synced, host_client):
    from iok_saas.modules.operator.services import create_operator

    create_operator("new@example.com", "New", "operator-secret-456", Actor.cli("test"))
    db.session.commit()
    console = host_client("admin.localhost")
    page = console.post("/operator/login", data={"email": "new@example.com",
                                                 "password": "operator-secret-456"})
    assert page.headers["Location"].endswith("/operator/drugi-krok/konfiguracja")
    enrol_when_asked(console, "/operator/drugi-krok")
    assert console.get("/operator/").status_code == 200


# --- residents: the tenant's policy ---------------------------------------------------------

def _turn_on(client) -> list[str]:
    page = client.get("/konto/bezpieczenstwo/drugi-skladnik/wlacz").get_data(as_text=True)
    secret = page.split('data-secret="')[1].split('"')[0]
    done = client.post("/konto/bezpieczenstwo/drugi-skladnik/wlacz",
                       data={"code": totp.code_for_step(secret, totp.step_at(utcnow()))})
    assert done.status_code == 200
    assert 'id="recovery-codes"' in done.get_data(as_text=True)
    return secret


def test_a_resident_turns_the_factor_on_and_then_needs_it(resident_client, host_client):
    client, resident = resident_client(ZW)
    page = client.get("/konto/bezpieczenstwo/drugi-skladnik/").get_data(as_text=True)
    assert "Wyłączony" in page
    secret = _turn_on(client)
    assert "Włączony" in client.get("/konto/bezpieczenstwo/drugi-skladnik/").get_data(
        as_text=True)
    other = host_client(f"{ZW}.localhost")
    response = other.post("/logowanie", data={"login": resident.login,
                                              "password": RESIDENT_PASSWORD})
    assert response.headers["Location"].endswith(STEP)
    assert other.get("/konto").status_code == 302
    code = totp.code_for_step(secret, totp.step_at(utcnow()) + 1)
    assert other.post(STEP, data={"code": code}).headers["Location"].endswith("/konto")
    assert other.get("/konto").status_code == 200


def test_turning_it_off_needs_password_and_code_and_sends_an_email(resident_client):
    client, resident = resident_client(ZW)
    secret = _turn_on(client)
    url = "/konto/bezpieczenstwo/drugi-skladnik/wylacz"
    code = totp.code_for_step(secret, totp.step_at(utcnow()) + 1)
    wrong_password = client.post(url, data={"password": "nie-to-haslo", "code": code})
    assert wrong_password.status_code == 422
    assert "Hasło jest nieprawidłowe" in wrong_password.get_data(as_text=True)
    assert _factor(ZW, "resident", resident.account_id) is not None
    done = client.post(url, data={"password": RESIDENT_PASSWORD, "code": code})
    assert done.status_code == 302
    assert _factor(ZW, "resident", resident.account_id) is None
    with tenant_scope(tenant(ZW)):
        mail = db.session.scalars(select(OutboxMessage.to_address).where(
            OutboxMessage.kind == "second_factor_disabled")).all()
        address = db.session.get(Person, resident.person_id).email
        actions = db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.subject_id == resident.account_id)).all()
    assert mail == [address]
    assert "second_factor.enrol" in actions and "second_factor.disable" in actions


def test_where_the_policy_requires_it_residents_set_it_up_and_cannot_turn_it_off(
        synced, host_client):
    _set_policy(ZW, "second_factor:\n  residents: required\n  remember_device: null\n"
                    "  recovery_codes: 8\n")
    resident = active_resident(ZW)
    client = host_client(f"{ZW}.localhost")
    response = client.post("/logowanie", data={"login": resident.login,
                                               "password": RESIDENT_PASSWORD})
    assert response.headers["Location"].endswith(STEP + "konfiguracja")
    codes = enrol_when_asked(client).get_data(as_text=True)
    assert codes.count("<li>") >= 8
    assert client.get("/konto").status_code == 200
    assert client.get("/konto/bezpieczenstwo/drugi-skladnik/wylacz").status_code == 404
    assert "Zapamiętaj" not in client.get(STEP).get_data(as_text=True)


def test_where_the_policy_says_off_residents_sign_in_with_the_password(synced, host_client):
    _set_policy(ZW, "second_factor:\n  residents: 'off'\n  remember_device: null\n"
                    "  recovery_codes: 10\n")
    resident = active_resident(ZW)
    client = sign_in_resident(host_client(f"{ZW}.localhost"), resident.login)
    assert client.get("/konto").status_code == 200
    assert client.get("/konto/bezpieczenstwo/drugi-skladnik/").status_code == 404


# --- staff reset of a resident's factor -----------------------------------------------------

def test_staff_reset_follows_the_recovery_rules_and_is_audited(resident_client, office_client):
    client, resident = resident_client(ZW)
    _turn_on(client)
    office = office_client(ZW, "biuro")
    url = f"/staff/drugi-skladnik/{resident.account_id}"
    page = office.get(url).get_data(as_text=True)
    assert tenant(ZW).policy.recovery.identity_document
    assert "Sprawdzony dokument tożsamości" in page
    missing = office.post(url, data={"request_note": "Zgubiony telefon, telefonicznie"})
    assert missing.status_code == 422
    assert "jaki dokument tożsamości sprawdzono" in missing.get_data(as_text=True)
    assert _factor(ZW, "resident", resident.account_id) is not None
    done = office.post(url, data={"request_note": "Zgubiony telefon, w biurze",
                                  "document": "dowód osobisty ABC123456"})
    assert done.status_code == 302
    assert _factor(ZW, "resident", resident.account_id) is None
    with tenant_scope(tenant(ZW)):
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "second_factor.reset"))
        assert event.actor == "staff:biuro" and event.subject_id == resident.account_id
        assert event.after["document"] == "dowód osobisty ABC123456"
        assert db.session.scalar(select(OutboxMessage).where(
            OutboxMessage.kind == "second_factor_reset")) is not None
        account = db.session.get(ResidentAccount, resident.account_id)
        assert account is not None


def test_only_the_recovery_department_or_an_administrator_may_reset(resident_client,
                                                                    office_client):
    assert tenant("brzeg").policy.recovery.department is None  # then administrators reset
    client, resident = resident_client("brzeg")
    _turn_on(client)
    office = office_client("brzeg", "referent", role="staff")
    url = f"/staff/drugi-skladnik/{resident.account_id}"
    assert "usuwa administrator" in office.get(url).get_data(as_text=True)
    refused = office.post(url, data={"request_note": "x", "document": "y"})
    assert refused.status_code == 403
    assert _factor("brzeg", "resident", resident.account_id) is not None
    # Gdynia names its accounting department: a non-administrator there may reset.
    assert tenant(GD).policy.recovery.department == "accounting"
    client, resident = resident_client(GD)
    _turn_on(client)
    office = office_client(GD, "ksiegowa", department="accounting", role="staff")
    done = office.post(f"/staff/drugi-skladnik/{resident.account_id}",
                       data={"request_note": "Zgubiony telefon", "document": "DO 1"})
    assert done.status_code == 302
    assert _factor(GD, "resident", resident.account_id) is None
