"""Passkeys (WebAuthn), verified by py_webauthn against a software authenticator: residents,
staff and operators register named passkeys and use them instead of a code; a challenge is
answered once, from the right origin; wrong answers lock like wrong codes; removal needs the
password and sends an e-mail; the passwordless sign-in exists only where the policy says."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.audit.models import AuditEvent
from iok_saas.modules.audit.services import Actor
from iok_saas.modules.housing.models import Person
from iok_saas.modules.mfa import services as mfa
from iok_saas.modules.mfa.models import OperatorPasskey, Passkey, PasskeyChallenge
from iok_saas.modules.notifications.models import OutboxMessage
from iok_saas.modules.staff.models import StaffMember
from iok_saas.modules.tenants.services import get_tenant, update_policy
from iok_saas.policy import PolicyError, compile_policy
from iok_saas.tenancy import tenant_scope

from ..factories import (
    RESIDENT_PASSWORD,
    STAFF_PASSWORD,
    operator,
    sign_in_operator,
    tenant,
)
from .authenticator import SoftAuthenticator

pytestmark = pytest.mark.usefixtures("ctx")
ZW = "zielone-wzgorza"
ORIGIN = f"http://{ZW}.localhost"
MINE = "/konto/bezpieczenstwo/klucze-dostepu"
STEP = "/logowanie/drugi-krok"
SIGN_IN = "/logowanie/klucz-dostepu"


def _options(client, url: str) -> dict:
    response = client.post(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    return json.loads(response.get_json()["json_text"])


def _register(client, prefix: str, key: SoftAuthenticator, name: str = "Telefon"):
    options = _options(client, f"{prefix}/opcje")
    return client.post(f"{prefix}/dodaj", json={"name": name, "credential": key.create(options)})


def _set_passkeys(slug: str, use: str) -> None:
    source = get_tenant(slug).policy_source + f"\nsecond_factor:\n  passkeys: {use}\n"
    update_policy(slug, source, Actor.cli("test"))
    db.session.commit()


def _password(client, login: str, password: str = RESIDENT_PASSWORD, path="/logowanie"):
    return client.post(path, data={"login": login, "password": password})


def _answer_step(client, key: SoftAuthenticator, origin: str | None = None):
    options = _options(client, f"{STEP}/klucz/opcje")
    return client.post(f"{STEP}/klucz", json={"credential": key.get(options, origin)})


def _passkeys(slug: str, kind: str, user_id: int) -> list[Passkey]:
    db.session.expire_all()  # the app changed them in its own requests
    with tenant_scope(tenant(slug)):
        return list(db.session.scalars(select(Passkey).where(
            Passkey.user_kind == kind, Passkey.user_id == user_id)))


def _mail(slug: str, kind: str) -> list[str]:
    with tenant_scope(tenant(slug)):
        return list(db.session.scalars(select(OutboxMessage.to_address).where(
            OutboxMessage.kind == kind)))


def test_a_resident_registers_a_passkey_and_confirms_sign_in_with_it(resident_client,
                                                                     host_client):
    client, resident = resident_client(ZW)
    key = SoftAuthenticator(ORIGIN)
    added = _register(client, MINE, key, "Telefon Anny")
    assert added.status_code == 200 and added.get_json()["redirect"].endswith(MINE + "/")
    page = client.get(MINE + "/").get_data(as_text=True)
    assert "Telefon Anny" in page and "jeszcze nie" in page
    (row,) = _passkeys(ZW, "resident", resident.account_id)
    assert bytes(row.credential_id) == key.credential_id
    with tenant_scope(tenant(ZW)):
        address = db.session.get(Person, resident.person_id).email
    assert _mail(ZW, "passkey_added") == [address]

    # The passkey is now a second factor: a password alone opens nothing.
    other = host_client(f"{ZW}.localhost")
    assert _password(other, resident.login).headers["Location"].endswith(STEP + "/")
    step_page = other.get(STEP + "/").get_data(as_text=True)
    assert "Użyj klucza dostępu" in step_page and 'name="code"' not in step_page
    assert "Ta przeglądarka nie obsługuje kluczy dostępu" in step_page   # until JS hides it
    assert other.get("/konto").status_code == 302
    signed_in = _answer_step(other, key)
    assert signed_in.status_code == 200, signed_in.get_data(as_text=True)
    assert signed_in.get_json()["redirect"].endswith("/konto")
    assert other.get("/konto").status_code == 200
    (row,) = _passkeys(ZW, "resident", resident.account_id)
    assert row.last_used_at is not None and row.sign_count == 1
    with tenant_scope(tenant(ZW)):
        actions = set(db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.subject_id == resident.account_id)))
    assert {"passkey.register", "passkey.second_step"} <= actions


class BrokenKeyAuthenticator(SoftAuthenticator):
    """An authenticator whose public key is no COSE key at all."""

    def _cose_key(self) -> bytes:
        return b"\xa1\x01\x63abc"


def test_a_malformed_authenticator_answer_is_refused_in_polish(resident_client):
    client, resident = resident_client(ZW)
    refused = _register(client, MINE, BrokenKeyAuthenticator(ORIGIN))
    assert refused.status_code == 422
    assert "Nie udało się dodać klucza" in refused.get_json()["error"]
    assert _passkeys(ZW, "resident", resident.account_id) == []


def test_a_challenge_is_answered_once_and_only_from_the_tenant_origin(resident_client,
                                                                      host_client):
    client, resident = resident_client(ZW)
    key = SoftAuthenticator(ORIGIN)
    _register(client, MINE, key)
    other = host_client(f"{ZW}.localhost")
    _password(other, resident.login)
    # An answer signed for another origin (a look-alike site) is refused.
    assert _answer_step(other, key, origin="http://zielone-wzgorza.example").status_code == 422
    # A correct answer posted twice: the second finds its challenge spent.
    options = _options(other, f"{STEP}/klucz/opcje")
    answer = key.get(options)
    replay = host_client(f"{ZW}.localhost")
    with other.session_transaction() as saved:
        replay_session = dict(saved)
    assert other.post(f"{STEP}/klucz", json={"credential": answer}).status_code == 200
    with replay.session_transaction() as forged:
        forged.update(replay_session)
    assert replay.post(f"{STEP}/klucz", json={"credential": answer}).status_code in (409, 422)
    assert replay.get("/konto").status_code == 302
    assert db.session.scalar(select(PasskeyChallenge).where(
        PasskeyChallenge.challenge == options["challenge"])) is None


def test_wrong_passkey_answers_lock_the_second_step(resident_client, host_client):
    client, resident = resident_client(ZW)
    key = SoftAuthenticator(ORIGIN)
    _register(client, MINE, key)
    stranger = SoftAuthenticator(ORIGIN)  # a passkey this account never registered
    other = host_client(f"{ZW}.localhost")
    _password(other, resident.login)
    answers = [_answer_step(other, stranger) for _ in range(5)]
    assert all(a.status_code == 422 for a in answers)
    assert "wstrzymane" in answers[-1].get_json()["error"]
    assert _answer_step(other, key).status_code == 422  # locked: even the right one waits


def test_removal_needs_the_password_and_sends_an_email(resident_client):
    client, resident = resident_client(ZW)
    _register(client, MINE, SoftAuthenticator(ORIGIN), "Laptop")
    (row,) = _passkeys(ZW, "resident", resident.account_id)
    url = f"{MINE}/{row.id}/usun"
    assert client.get(url).status_code == 200
    wrong = client.post(url, data={"password": "nie-to-haslo"})
    assert wrong.status_code == 422 and "Hasło jest nieprawidłowe" in wrong.get_data(
        as_text=True)
    assert len(_passkeys(ZW, "resident", resident.account_id)) == 1
    assert client.post(url, data={"password": RESIDENT_PASSWORD}).status_code == 302
    assert _passkeys(ZW, "resident", resident.account_id) == []
    assert len(_mail(ZW, "passkey_removed")) == 1
    assert client.get(url).status_code == 404


def test_staff_may_meet_the_platform_floor_with_a_passkey_alone(office_client, host_client):
    office = office_client(ZW, "ola")
    with tenant_scope(tenant(ZW)):
        member_id = db.session.scalar(select(StaffMember.id).where(StaffMember.login == "ola"))
    key = SoftAuthenticator(ORIGIN)
    assert _register(office, "/staff/klucze-dostepu", key).status_code == 200
    (row_id,) = [row.id for row in _passkeys(ZW, "staff", member_id)]
    # The only passkey of someone who must have a factor stays while it is the only one.
    with tenant_scope(tenant(ZW)):
        db.session.delete(mfa.factor_of(db.session.get(StaffMember, member_id)))
        db.session.commit()
    last = office.post(f"/staff/klucze-dostepu/{row_id}/usun",
                       data={"password": STAFF_PASSWORD})
    assert last.status_code == 422 and "jedyny drugi składnik" in last.get_data(as_text=True)
    # With a second passkey the first may go; the member is told at their work address.
    with tenant_scope(tenant(ZW)):
        db.session.get(StaffMember, member_id).email = "ola@example.com"
        db.session.commit()
    spare = SoftAuthenticator(ORIGIN)
    assert _register(office, "/staff/klucze-dostepu", spare, "Klucz USB").status_code == 200
    assert _mail(ZW, "passkey_added") == ["ola@example.com"]     # a new key is news first
    assert office.post(f"/staff/klucze-dostepu/{row_id}/usun",
                       data={"password": STAFF_PASSWORD}).status_code == 302
    assert _mail(ZW, "passkey_removed") == ["ola@example.com"]

    again = host_client(f"{ZW}.localhost")
    response = _password(again, "ola", STAFF_PASSWORD, "/staff/logowanie")
    assert response.headers["Location"].endswith(STEP + "/")  # not the forced set-up
    assert _answer_step(again, spare).get_json()["redirect"].endswith("/staff/")
    assert again.get("/staff/").status_code == 200


def test_an_operator_keeps_passkeys_of_their_own(synced, host_client):
    operator()
    console = host_client("admin.localhost")
    sign_in_operator(console)
    key = SoftAuthenticator("http://admin.localhost")
    assert _register(console, "/operator/klucze-dostepu", key).status_code == 200
    row = db.session.scalar(select(OperatorPasskey))
    assert "Telefon" in console.get("/operator/klucze-dostepu/").get_data(as_text=True)
    operator("second@example.com", "second-secret-123", "Second")
    colleague = host_client("admin.localhost")
    sign_in_operator(colleague, "second@example.com", "second-secret-123")
    assert colleague.get(f"/operator/klucze-dostepu/{row.id}/usun").status_code == 404
    assert colleague.post(f"/operator/klucze-dostepu/{row.id}/usun",
                          data={"password": "second-secret-123"}).status_code == 404
    assert db.session.get(OperatorPasskey, row.id) is not None
    # A passkey registered on the admin host is no factor on a tenant's site and back.
    assert host_client(f"{ZW}.localhost").get("/operator/klucze-dostepu/").status_code == 404


def test_passwordless_sign_in_only_where_the_policy_allows(resident_client, host_client):
    client, resident = resident_client(ZW)
    key = SoftAuthenticator(ORIGIN)
    _register(client, MINE, key)
    visitor = host_client(f"{ZW}.localhost")
    assert "Zaloguj się kluczem dostępu" not in visitor.get("/logowanie").get_data(as_text=True)
    assert visitor.post(f"{SIGN_IN}/opcje").status_code == 404

    _set_passkeys(ZW, "passwordless")
    assert "Zaloguj się kluczem dostępu" in visitor.get("/logowanie").get_data(as_text=True)
    options = _options(visitor, f"{SIGN_IN}/opcje")
    assert options.get("allowCredentials", []) == []  # the browser offers its own passkeys
    assert options["userVerification"] == "required"
    response = visitor.post(f"{SIGN_IN}/", json={"credential": key.get(options)})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["redirect"].endswith("/konto")
    assert visitor.get("/konto").status_code == 200


def test_passwordless_needs_the_authenticator_to_verify_its_user(resident_client,
                                                                 host_client):
    client, _ = resident_client(ZW)
    key = SoftAuthenticator(ORIGIN, verifies_user=False)  # presence only: no PIN, no finger
    _register(client, MINE, key)
    _set_passkeys(ZW, "passwordless")
    visitor = host_client(f"{ZW}.localhost")
    options = _options(visitor, f"{SIGN_IN}/opcje")
    assert visitor.post(f"{SIGN_IN}/", json={"credential": key.get(options)}).status_code == 422
    assert visitor.get("/konto").status_code == 302


def test_policy_off_hides_passkeys(resident_client):
    client, _ = resident_client(ZW)
    _set_passkeys(ZW, "'off'")
    assert client.get(MINE + "/").status_code == 404


def test_the_checker_refuses_an_unknown_passkey_use(tmp_path):
    from pathlib import Path
    from shutil import copy

    copy(Path(__file__).resolve().parents[2] / "policies" / "base.yaml", tmp_path)
    with pytest.raises(PolicyError) as caught:
        compile_policy("extends: base\nsecond_factor:\n  passkeys: always\n",
                       "policies/x.yaml", tmp_path)
    (message,) = caught.value.messages
    assert message.startswith("policies/x.yaml:3: second_factor.passkeys: Must be one of:")
