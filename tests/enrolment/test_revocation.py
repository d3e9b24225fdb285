"""Giving up access: the online form where the policy offers it (Gdynia), staff entry of paper
applications, processing by the department the policy names, and automatic revocation when
the last title to a unit has ended."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.accounts import services as accounts
from iok_saas.modules.accounts.models import ACTIVE, BLOCKED, REVOKED, AccountBlock
from iok_saas.modules.audit.services import Actor
from iok_saas.modules.enrolment import services
from iok_saas.modules.housing.models import Title
from iok_saas.modules.tenants.models import Tenant
from iok_saas.modules.tenants.services import update_policy
from iok_saas.tenancy import tenant_scope

from ..factories import credentials, resident
from .conftest import application, body, make_person, prefixed, tenant, text, version_on
from .conftest import wait_for_subject as wait_for

pytestmark = pytest.mark.usefixtures("ctx")

NEW_PASSWORD = "Kot-4821x"


def signed_in_resident(host_client, slug: str, first: str, last: str):
    """A resident past the first login (own password, regulations accepted)."""
    account_id = resident(slug, first, last)
    login, password = credentials(slug, account_id)
    client = host_client(f"{slug}.localhost")
    assert client.post("/logowanie", data={"login": login, "password": password}) \
        .status_code == 302
    assert client.post("/pierwsze-logowanie", data={
        "pw-current": password, "pw-new": NEW_PASSWORD, "pw-repeat": NEW_PASSWORD,
        "pw-submit": "1"}).status_code == 302
    assert client.post("/pierwsze-logowanie", data={"reg-accept": "y", "reg-submit": "1"}) \
        .status_code == 302
    return client, account_id


def account(slug: str, account_id: int):
    with tenant_scope(tenant(slug)):
        found = accounts.get_account(account_id)
        db.session.refresh(found)
        return found


def decide(staff, app_id: int, version: str | None = None):
    if version is None:
        version = version_on(text(staff.get(f"/staff/wnioski/{app_id}")), "decide")
    return staff.post(f"/staff/wnioski/{app_id}/rezygnacja",
                      data=prefixed("decide", {"version": version}))


def test_gdynia_resident_removes_access_by_the_online_form(synced, mail, host_client,
                                                           staff_client):
    assert host_client("gdynia.localhost").get("/wniosek/rezygnacja").status_code == 302
    client, account_id = signed_in_resident(host_client, "gdynia", "Marek", "Sprzedawca")
    form = client.get("/wniosek/rezygnacja")
    assert form.status_code == 200
    page = text(form)
    assert "Sprzedaż lokalu" in page and "Trwałe usunięcie dostępu" in page
    assert "Zablokowanie dostępu" in page
    missing = client.post("/wniosek/rezygnacja", data={"reason": "sale",
                                                       "choice": "remove_permanently"})
    assert missing.status_code == 422 and "Zaznacz potwierdzenie" in text(missing)
    sent = client.post("/wniosek/rezygnacja", data={
        "reason": "sale", "choice": "remove_permanently", "note": "sprzedaż 1.07",
        "confirm": "y"})
    assert sent.status_code == 200 and "został wysłany" in text(sent)
    filed = application("gdynia")
    assert (filed.kind, filed.channel, filed.state, filed.account_id) == \
        ("revocation", "electronic", "revocation_review", account_id)
    assert filed.number.startswith("R/")
    again = client.post("/wniosek/rezygnacja", data={
        "reason": "sale", "choice": "remove_permanently", "confirm": "y"})
    assert "czeka na rozpatrzenie" in text(again)
    assert account("gdynia", account_id).state == ACTIVE

    staff = staff_client("gdynia", "k.nowak", "accounting")
    assert filed.number in text(staff.get("/staff/wnioski/"))
    version = version_on(text(staff.get(f"/staff/wnioski/{filed.id}")), "decide")
    done = decide(staff, filed.id, version)
    assert done.status_code == 302, text(done)
    assert account("gdynia", account_id).state == REVOKED
    assert application("gdynia").state == "completed"
    message = wait_for(mail, "Dostęp do konta został wyłączony", 1)
    assert filed.number in body(message)
    replay = decide(staff, filed.id, version)                  # a second click
    assert replay.status_code == 409 and "Niczego nie zmieniono" in text(replay)


def test_gdynia_block_choice_blocks_the_account(synced, mail, host_client, staff_client):
    client, account_id = signed_in_resident(host_client, "gdynia", "Ala", "Zamienna")
    sent = client.post("/wniosek/rezygnacja", data={
        "reason": "exchange", "choice": "block", "confirm": "y"})
    assert sent.status_code == 200
    filed = application("gdynia")
    staff = staff_client("gdynia", "k.nowak", "accounting")
    assert decide(staff, filed.id).status_code == 302
    blocked = account("gdynia", account_id)
    assert blocked.state == BLOCKED
    with tenant_scope(tenant("gdynia")):
        entry = db.session.scalar(select(AccountBlock).where(
            AccountBlock.account_id == account_id))
        assert entry.trigger == "written_request" and filed.number in entry.reason
        assert entry.blocked_by == "staff:k.nowak"
    wait_for(mail, "Dostęp do konta został wyłączony", 1)


def test_gdynia_staff_may_refuse_a_revocation(synced, mail, host_client, staff_client):
    client, account_id = signed_in_resident(host_client, "gdynia", "Ola", "Pomylona")
    client.post("/wniosek/rezygnacja", data={"reason": "other", "choice": "block",
                                             "confirm": "y"})
    filed = application("gdynia")
    staff = staff_client("gdynia", "k.nowak", "accounting")
    page = text(staff.get(f"/staff/wnioski/{filed.id}"))
    refused = staff.post(f"/staff/wnioski/{filed.id}/odrzuc", data=prefixed("reject", {
        "reason": "wniosek wycofany telefonicznie", "version": version_on(page, "reject")}))
    assert refused.status_code == 302
    assert account("gdynia", account_id).state == ACTIVE
    assert "wycofany" in body(wait_for(mail, "Wniosek został odrzucony", 1))


def test_siarkowiec_paper_revocation_is_the_technical_departments(synced, host_client,
                                                                  staff_client):
    assert host_client("siarkowiec.localhost").get("/wniosek/rezygnacja").status_code == 404
    account_id = resident("siarkowiec", "Jan", "Zbywca")
    login = account("siarkowiec", account_id).login
    secretariat = staff_client("siarkowiec", "sekretariat", "secretariat")
    refused = secretariat.post("/staff/wnioski/rezygnacja", data={
        "login": login, "channel": "paper", "reason": "sale", "choice": "remove_permanently"})
    assert refused.status_code == 403 and "Dział Techniczny" in text(refused)
    technical = staff_client("siarkowiec", "technik", "technical")
    form = text(technical.get("/staff/wnioski/rezygnacja"))
    assert "Zablokowanie dostępu" not in form                   # only removal is offered
    unknown = technical.post("/staff/wnioski/rezygnacja", data={
        "login": "000000x", "channel": "paper", "reason": "sale",
        "choice": "remove_permanently"})
    assert unknown.status_code == 422 and "Nie znaleziono konta" in text(unknown)
    entered = technical.post("/staff/wnioski/rezygnacja", data={
        "login": login, "channel": "paper", "reason": "donation",
        "choice": "remove_permanently"})
    assert entered.status_code == 302
    filed = application("siarkowiec")
    read_only = text(secretariat.get(f"/staff/wnioski/{filed.id}"))
    assert "Ten krok wykonuje: Dział Techniczny" in read_only
    assert decide(technical, filed.id).status_code == 302
    assert account("siarkowiec", account_id).state == REVOKED


def end_titles(slug: str, account_id: int, valid_to: date) -> None:
    with tenant_scope(tenant(slug)):
        person_id = accounts.get_account(account_id).person_id
        for title in db.session.scalars(select(Title).where(Title.person_id == person_id)):
            title.valid_to = valid_to
        db.session.commit()


def test_accounts_of_persons_without_a_current_title_are_revoked(synced):
    today = date.today()
    ended = resident("kuzniki", "Stary", "Właściciel")
    end_titles("kuzniki", ended, today - timedelta(days=1))
    blocked = resident("kuzniki", "Zablokowany", "Były")
    end_titles("kuzniki", blocked, today - timedelta(days=30))
    ends_today = resident("kuzniki", "Dziś", "Kończący")
    end_titles("kuzniki", ends_today, today)
    current = resident("kuzniki", "Obecny", "Mieszkaniec")
    moving_in = make_person("kuzniki", "Nowy", "Nabywca", valid_from=today + timedelta(days=10))
    with tenant_scope(tenant("kuzniki")):
        from iok_saas.modules.housing.models import Person
        moving_account = accounts.create_account(db.session.get(Person, moving_in), "test").id
        board = type("Staff", (), {"login": "zarzad", "department": "board"})()
        accounts.block(accounts.get_account(blocked), "misuse", None, "x", board)
        db.session.commit()
    elsewhere = resident("gdynia", "Inna", "Spółdzielnia")
    end_titles("gdynia", elsewhere, today - timedelta(days=1))

    with tenant_scope(tenant("kuzniki")):
        revoked = services.revoke_for_ended_titles()
        db.session.commit()
        assert sorted(revoked) == sorted(account("kuzniki", a).login for a in (ended, blocked))
        assert services.revoke_for_ended_titles() == []         # idempotent
    assert account("kuzniki", ended).state == REVOKED
    assert account("kuzniki", blocked).state == REVOKED
    for untouched in (ends_today, current, moving_account):
        assert account("kuzniki", untouched).state != REVOKED
    assert account("gdynia", elsewhere).state != REVOKED        # another tenant's data


def test_no_automatic_revocation_where_the_policy_switches_it_off(synced):
    source = db.session.scalar(select(Tenant.policy_source).where(Tenant.slug == "kuzniki"))
    edited = re.sub(r"\nrevocation:\n", "\nrevocation:\n  auto_on_title_end: false\n", source) \
        if "\nrevocation:" in source else source + "\nrevocation:\n  auto_on_title_end: false\n"
    update_policy("kuzniki", edited, Actor.cli("test"))
    db.session.commit()
    gone = resident("kuzniki", "Stary", "Właściciel")
    end_titles("kuzniki", gone, date.today() - timedelta(days=1))
    with tenant_scope(tenant("kuzniki")):
        assert services.revoke_for_ended_titles() == []
    assert account("kuzniki", gone).state != REVOKED
