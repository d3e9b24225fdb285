"""A resident changes their own e-mail address: the password again, a single-use expiring
link to the new address, notices with the block link to the old one, and the address
changes only when the link is confirmed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.accounts import email_change
from iok_saas.modules.accounts import services as accounts
from iok_saas.modules.audit.models import AuditEvent
from iok_saas.modules.housing.models import Person
from iok_saas.modules.notifications.models import OutboxMessage
from iok_saas.tenancy import tenant_scope

from ..factories import RESIDENT_PASSWORD, active_resident, sign_in_resident, tenant

pytestmark = pytest.mark.usefixtures("ctx")
ZW = "zielone-wzgorza"
NEW = "nowy.adres@example.org"


@dataclass(frozen=True)
class Mail:
    to_address: str
    text_body: str


def _mail(kind: str) -> list[Mail]:
    with tenant_scope(tenant(ZW)):
        rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)
                                  .order_by(OutboxMessage.id)).all()
        return [Mail(row.to_address, row.text_body) for row in rows]


def _email_of(resident) -> str | None:
    with tenant_scope(tenant(ZW)):
        return db.session.get(Person, resident.person_id).email


def _link_path(mail: Mail) -> str:
    link = re.search(r"(http://\S+/konto/email/\S+)", mail.text_body).group(1)
    return link.split("localhost", 1)[1]


def _ask(client, email=NEW, password=RESIDENT_PASSWORD):
    return client.post("/konto/email", data={"new_email": email, "password": password})


def test_the_new_address_confirms_by_link_and_the_old_one_is_told(synced, host_client):
    resident = active_resident(ZW)
    old = _email_of(resident)
    client = sign_in_resident(host_client(f"{ZW}.localhost"), resident.login)
    assert "Zmień adres e-mail" in client.get("/konto/bezpieczenstwo/").get_data(as_text=True)

    response = _ask(client)
    assert response.status_code == 302
    assert _email_of(resident) == old  # nothing changes before the link
    [confirm] = _mail("email_change_confirm")
    assert confirm.to_address == NEW and "jeden raz" in confirm.text_body
    [notice] = _mail("email_change_requested")
    assert notice.to_address == old and NEW in notice.text_body
    assert "/konto/bezpieczenstwo/zablokuj/" in notice.text_body  # the block link
    page = client.get("/konto/email").get_data(as_text=True)
    assert "Czeka na potwierdzenie" in page and NEW in page

    # Opened on another device, not signed in: a page first (mail scanners open links),
    # the button changes the address.
    phone = host_client(f"{ZW}.localhost")
    path = _link_path(confirm)
    shown = phone.get(path)
    assert shown.status_code == 200 and NEW in shown.get_data(as_text=True)
    assert _email_of(resident) == old
    assert phone.post(path).status_code == 302
    assert _email_of(resident) == NEW
    [changed] = _mail("email_changed")
    assert changed.to_address == old and NEW in changed.text_body
    assert "/konto/bezpieczenstwo/zablokuj/" in changed.text_body
    # Single use.
    assert phone.get(path).status_code == 410
    assert phone.post(path).status_code == 410
    with tenant_scope(tenant(ZW)):
        actions = db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.subject_type == "ResidentAccount",
            AuditEvent.subject_id == resident.account_id)).all()
    assert "account.email_change_requested" in actions and "account.email_changed" in actions
    # The resident's copy of their data lists the change (never the link's token).
    [row] = client.get("/konto/dane/eksport.json").get_json()["email_changes"]
    assert row["old_email"] == old and row["new_email"] == NEW and row["confirmed_at"]
    assert "token_hash" not in row


def test_a_wrong_password_or_the_same_address_sends_nothing(synced, host_client):
    resident = active_resident(ZW)
    client = sign_in_resident(host_client(f"{ZW}.localhost"), resident.login)
    wrong = _ask(client, password="nie-to-haslo")
    assert wrong.status_code == 422
    assert "Obecne hasło jest nieprawidłowe" in wrong.get_data(as_text=True)
    same = _ask(client, email=_email_of(resident).upper())
    assert same.status_code == 422 and "obecny adres" in same.get_data(as_text=True)
    assert _ask(client, email="to nie adres").status_code == 422
    assert _mail("email_change_confirm") == [] and _mail("email_change_requested") == []


def test_a_newer_request_voids_the_older_link(synced, host_client):
    resident = active_resident(ZW)
    client = sign_in_resident(host_client(f"{ZW}.localhost"), resident.login)
    _ask(client, email="pierwszy@example.org")
    _ask(client, email="drugi@example.org")
    first, second = _mail("email_change_confirm")
    assert client.post(_link_path(first)).status_code == 410
    assert client.post(_link_path(second)).status_code == 302
    assert _email_of(resident) == "drugi@example.org"


def test_blocking_the_account_voids_the_waiting_link(synced, host_client):
    """Whoever asked for the change may not be the resident: the block link in the old
    address's e-mail stops the change too."""
    resident = active_resident(ZW)
    old = _email_of(resident)
    client = sign_in_resident(host_client(f"{ZW}.localhost"), resident.login)
    _ask(client)
    [confirm] = _mail("email_change_confirm")
    [notice] = _mail("email_change_requested")
    block = re.search(r"http://\S+(/konto/bezpieczenstwo/zablokuj/\S+)", notice.text_body)
    stranger = host_client(f"{ZW}.localhost")
    assert stranger.post(block.group(1)).status_code == 302
    assert stranger.post(_link_path(confirm)).status_code == 410
    assert _email_of(resident) == old


def test_an_expired_link_or_a_changed_address_is_refused(synced, host_client, app):
    resident = active_resident(ZW)
    client = sign_in_resident(host_client(f"{ZW}.localhost"), resident.login)
    app.config["IOK_EMAIL_CHANGE_VALID"] = timedelta(seconds=-1)
    _ask(client, email="za-pozno@example.org")
    app.config.pop("IOK_EMAIL_CHANGE_VALID")
    [expired] = _mail("email_change_confirm")
    assert client.get(_link_path(expired)).status_code == 410
    _ask(client)
    waiting = _mail("email_change_confirm")[-1]
    with tenant_scope(tenant(ZW)):  # the office applies another address meanwhile
        db.session.get(Person, resident.person_id).email = "z-biura@example.org"
        db.session.commit()
    assert client.post(_link_path(waiting)).status_code == 410
    assert _email_of(resident) == "z-biura@example.org"


def test_a_forged_or_other_tenants_link_is_refused(synced, host_client):
    resident = active_resident(ZW)
    client = sign_in_resident(host_client(f"{ZW}.localhost"), resident.login)
    _ask(client)
    [confirm] = _mail("email_change_confirm")
    path = _link_path(confirm)
    assert client.get(path[:-3] + "abc").status_code == 410
    other = host_client("kuzniki.localhost")
    assert other.get(path).status_code == 410
    assert other.post(path).status_code == 410
    assert _email_of(resident) != NEW


def test_the_service_stages_and_checks_the_password(synced):
    resident = active_resident(ZW)
    with tenant_scope(tenant(ZW)):
        account = accounts.get_account(resident.account_id)
        with pytest.raises(email_change.EmailChangeError) as refused:
            email_change.request_change(account, "zle", NEW)
        assert refused.value.code == "password"
        change = email_change.request_change(account, RESIDENT_PASSWORD, f"  {NEW} ")
        assert change.new_email == NEW and len(change.token_hash) == 64
        assert email_change.waiting_change(account) is change
        db.session.rollback()


def test_the_request_form_is_rate_limited_per_account(synced, database_url, tmp_path):
    """Ten requests an hour per account (each one e-mails two addresses); the eleventh is
    the Polish 429 page."""
    from iok_saas import create_app

    resident = active_resident(ZW)
    limited = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True,
                          "WTF_CSRF_ENABLED": False, "IOK_VAR_DIR": tmp_path,
                          "RATELIMIT_STORAGE_URI": "memory://", "RATELIMIT_ENABLED": True,
                          "IOK_TENANT_CACHE_SECONDS": 3600})
    client = limited.test_client()
    base = {"base_url": f"http://{ZW}.localhost"}
    client.post("/logowanie", data={"login": resident.login, "password": RESIDENT_PASSWORD},
                **base)
    codes = [client.post("/konto/email", data={"new_email": NEW, "password": "zle"},
                         **base).status_code for _ in range(11)]
    assert codes[:10] == [422] * 10 and codes[10] == 429
    with limited.app_context():
        from iok_saas.extensions import db as limited_db
        limited_db.session.remove()
        limited_db.engine.dispose()
