"""Policy language v2 in the resident's browser: counter reset after recovery, self-service
unlock by e-mail link, the lock message, and eligibility in the back office."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.accounts.models import AccountBlock
from iok_saas.modules.audit.services import Actor
from iok_saas.modules.tenants.models import Tenant
from iok_saas.modules.tenants.services import update_policy
from iok_saas.tenancy import tenant_scope

from ..backoffice.conftest import make_person
from ..factories import RESIDENT_PASSWORD, active_resident, tenant
from .test_email_recovery import mail_address

pytestmark = pytest.mark.usefixtures("ctx")

PASSWORD = "Tromb-Kawa!Lipa7"


def edit_policy(slug: str, old: str, new: str) -> None:
    source = db.session.scalar(select(Tenant.policy_source).where(Tenant.slug == slug))
    assert old in source
    update_policy(slug, source.replace(old, new), Actor.cli("test"))
    db.session.commit()


def log_in(client, login, password):
    return client.post("/logowanie", data={"login": login, "password": password})


def link_in(message, path: str) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    return "/" + re.search(rf"http://\S+/{path}/\S+", text).group(0).split("/", 3)[3]


def test_recovery_resets_the_failed_login_counter(synced, host_client, mail):
    edit_policy("kuzniki", "methods: [written_request]", "methods: [email, written_request]")
    person = active_resident("kuzniki", email="irena.sowa@example.com")
    client = host_client("kuzniki.localhost")
    for _ in range(4):                       # one short of the threshold of 5
        assert "Nieprawidłowy" in log_in(client, person.login, "zle").get_data(as_text=True)
    client.post("/nie-pamietam-hasla", data={"login": person.login,
                                              "email": mail_address(person.login)})
    [message] = mail.wait_for(1)
    assert "Hasło może mieć najwyżej 128 znaków." in message.get_body(
        preferencelist=("plain",)).get_content()
    path = link_in(message, "nowe-haslo")
    done = client.post(path, data={"new": PASSWORD, "repeat": PASSWORD})
    assert done.status_code == 302
    page = log_in(client, person.login, "literowka").get_data(as_text=True)
    assert "Nieprawidłowy identyfikator lub hasło." in page
    assert log_in(client, person.login, PASSWORD).status_code == 302


def test_self_service_unlock_by_email_link_keeps_the_password(synced, host_client, mail):
    edit_policy("kuzniki", "{trigger: failed_logins, threshold: 5, within: 15m, lock_for: 30m}",
                "{trigger: failed_logins, threshold: 3, lock_for: until_unlocked, "
                "unblock: [email_link, new_password_on_written_request]}")
    edit_policy("kuzniki", "blocking:\n", "blocking:\n  unlock_link: {valid: 1h, "
                "new_password: false}\n")
    person = active_resident("kuzniki", email="jan.lis@example.com")
    client = host_client("kuzniki.localhost")
    for _ in range(2):
        log_in(client, person.login, "zle")
    page = log_in(client, person.login, "zle").get_data(as_text=True)
    assert "Konto jest zablokowane." in page
    assert 'href="/odblokuj"' in page and "pisemny wniosek o nowe hasło" in page
    assert client.get("/odblokuj").status_code == 200
    client.post("/odblokuj", data={"login": person.login, "email": "jan.lis@example.com"})
    messages = mail.wait_for(2)                     # account_blocked, then the link
    path = link_in(messages[-1], "odblokuj")
    form = client.get(path)
    assert "hasło się nie zmieni" in form.get_data(as_text=True)
    assert client.post(path, data={"submit": "1"}).status_code == 302
    assert client.post(path, data={"submit": "1"}).status_code == 410   # used once
    assert log_in(client, person.login, "zle").status_code == 200        # counter restarted
    assert log_in(client, person.login, RESIDENT_PASSWORD).status_code == 302   # unchanged


def test_guessing_on_at_a_blocked_account_does_not_block_it_again(synced, host_client):
    # Found by tests/conformance: each further wrong password added another open block
    # (and e-mail); the newest one's unblock methods then applied to the older block.
    edit_policy("kuzniki", "{trigger: failed_logins, threshold: 5, within: 15m, lock_for: 30m}",
                "{trigger: failed_logins, threshold: 2, lock_for: until_unlocked}")
    person = active_resident("kuzniki")
    client = host_client("kuzniki.localhost")
    for _ in range(4):
        log_in(client, person.login, "zle")
    with tenant_scope(tenant("kuzniki")):
        blocks = db.session.scalars(select(AccountBlock).where(
            AccountBlock.account_id == person.account_id)).all()
    assert [b.lifted_at for b in blocks] == [None]


def test_guessing_at_an_account_the_office_blocked_offers_that_blocks_way_out(
        synced, host_client, office_client):
    edit_policy("kuzniki", "{trigger: failed_logins, threshold: 5, within: 15m, lock_for: 30m}",
                "{trigger: failed_logins, threshold: 2, lock_for: until_unlocked, "
                "unblock: [email_link]}")
    edit_policy("kuzniki", "blocking:\n", "blocking:\n  unlock_link: {valid: 1h, "
                "new_password: false}\n")
    person = active_resident("kuzniki", email="ola.bor@example.com")
    board = office_client("kuzniki", "z.prezes", "board")
    assert board.post(f"/staff/osoby/{person.person_id}/blokada", data={
        "block-trigger": "misuse", "block-reason": "Naruszenie regulaminu"}).status_code == 302
    client = host_client("kuzniki.localhost")
    log_in(client, person.login, "zle")
    page = log_in(client, person.login, "zle").get_data(as_text=True)
    assert "Konto jest zablokowane." in page
    assert 'href="/odblokuj"' not in page      # the e-mail link cannot lift the office's block


def test_a_lock_ending_another_day_gives_the_date(synced, host_client):
    edit_policy("kuzniki", "threshold: 5, within: 15m, lock_for: 30m",
                "threshold: 2, within: 15m, lock_for: 3d")
    person = active_resident("kuzniki")
    client = host_client("kuzniki.localhost")
    log_in(client, person.login, "zle")
    page = log_in(client, person.login, "zle").get_data(as_text=True)
    assert re.search(r"zablokowane do \d\d\.\d\d\.\d{4} \d\d:\d\d", page)
    assert "pisemny wniosek o nowe hasło" in page      # kuzniki: new password on request


def test_unblock_link_is_404_where_the_policy_does_not_offer_it(synced, host_client):
    assert host_client("kuzniki.localhost").get("/odblokuj").status_code == 404


def test_back_office_refuses_an_account_the_policy_does_not_admit(synced, office_client):
    edit_policy("brzeg", "eligible: [association_owner]", "eligible: [commercial]")
    client = office_client("brzeg", "a.nowak", "finance")
    person_id = make_person("brzeg", "Olga", "Mazur")      # an owner of a residential unit
    page = client.post(f"/staff/osoby/{person_id}/konto", data={"create-submit": "1"})
    assert page.status_code == 409
    assert "nie przewidują konta dla tej osoby" in page.get_data(as_text=True)


def change_password(client, current, new):
    return client.post("/konto/haslo", data={"current": current, "new": new, "repeat": new})


def password_changed_mail(slug, host_client, mail) -> str:
    person = active_resident(slug, email="zmiana@example.com")
    client = host_client(f"{slug}.localhost")
    assert log_in(client, person.login, RESIDENT_PASSWORD).status_code == 302
    assert change_password(client, RESIDENT_PASSWORD, PASSWORD).status_code == 302
    [message] = mail.wait_for(1)
    return message.get_body(preferencelist=("plain",)).get_content()


def test_password_changed_mail_offers_self_blocking_where_the_policy_does(synced, host_client,
                                                                          mail):
    text = password_changed_mail("kuzniki", host_client, mail)     # base: self_block true
    assert "zablokuj konto tutaj" in text and "/konto/bezpieczenstwo/zablokuj/" in text


def test_password_changed_mail_without_self_blocking_names_the_report_channels(
        synced, host_client, mail):
    edit_policy("kuzniki", "blocking:\n", "blocking:\n  self_block: false\n")
    text = password_changed_mail("kuzniki", host_client, mail)
    assert "zablokuj" not in text.lower().replace("zablokowało", "")
    assert "/konto/zablokuj" not in text
    assert "e-mailem, osobiście, telefonicznie, pisemnie" in text    # kuzniki §10 channels


def test_credentials_open_the_next_day_where_the_policy_says_so(synced, host_client):
    from datetime import timedelta

    from iok_saas.modules.accounts.models import ResidentAccount
    from iok_saas.tenancy import tenant_scope

    from ..factories import credentials, resident, tenant

    edit_policy("kuzniki", "regulations:\n", "initial_password:\n  usable_from: next_day\n"
                "regulations:\n")
    account_id = resident("kuzniki", "Ewa", "Jutrzejsza")
    login, password = credentials("kuzniki", account_id)
    client = host_client("kuzniki.localhost")
    page = log_in(client, login, password)
    assert page.status_code == 200
    assert "Dane dostępowe działają od następnego dnia" in page.get_data(as_text=True)
    with tenant_scope(tenant("kuzniki")):
        account = db.session.get(ResidentAccount, account_id)
        account.initial_password_expires_at -= timedelta(days=1)   # issued yesterday
        db.session.commit()
    assert log_in(client, login, password).status_code == 302


def test_a_written_request_block_is_not_taken_by_phone(synced, office_client):
    person_id = make_person("kuzniki", "Piotr", "Pisemny")
    client = office_client("kuzniki", "zarzad", "board")
    assert client.post(f"/staff/osoby/{person_id}/konto", data={"create-submit": "1"}) \
        .status_code == 302
    by_phone = client.post(f"/staff/osoby/{person_id}/blokada", data={
        "block-trigger": "written_request", "block-channel": "phone", "block-reason": "x"})
    assert by_phone.status_code == 409
    assert "nie przewidują zgłoszenia tą drogą" in by_phone.get_data(as_text=True)
    written = client.post(f"/staff/osoby/{person_id}/blokada", data={
        "block-trigger": "written_request", "block-channel": "written", "block-reason": "x"})
    assert written.status_code == 302


def test_an_unlock_link_does_not_cross_tenants(synced, host_client, mail):
    for slug in ("kuzniki", "gdynia"):
        edit_policy(slug, "{trigger: failed_logins, threshold: 5, within: 15m, lock_for: 30m}",
                    "{trigger: failed_logins, threshold: 1, lock_for: until_unlocked, "
                    "unblock: [email_link]}")
    person = active_resident("kuzniki", email="ala.kot@example.com")
    client = host_client("kuzniki.localhost")
    log_in(client, person.login, "zle")
    client.post("/odblokuj", data={"login": person.login, "email": "ala.kot@example.com"})
    path = link_in(mail.wait_for(2)[-1], "odblokuj")
    assert host_client("gdynia.localhost").get(path).status_code == 410
    assert client.get(path).status_code == 200


def test_a_policy_allowing_long_passwords_is_honoured_by_every_password_form(synced,
                                                                            host_client):
    edit_policy("gdynia", "  min_length: 6 ", "  max_length: 400\n  min_length: 6 ")
    long_password = "Dluga-2026-" + "fraza" * 60                      # 311 characters
    person = active_resident("gdynia")
    client = host_client("gdynia.localhost")
    assert log_in(client, person.login, RESIDENT_PASSWORD).status_code == 302
    assert change_password(client, RESIDENT_PASSWORD, long_password).status_code == 302

    again = host_client("gdynia.localhost")
    assert log_in(again, person.login, long_password).status_code == 302
    too_long = change_password(again, long_password, long_password + "x" * 90)
    assert too_long.status_code == 200
    assert "400" in too_long.get_data(as_text=True)                   # the policy's limit named
