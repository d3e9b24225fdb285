"""The resident's own security: sign-in history, open sessions they can end, e-mails on a
new device and on security changes, and the e-mailed link that blocks the account."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.accounts.models import BLOCKED, ResidentAccount
from iok_saas.modules.notifications.models import OutboxMessage
from iok_saas.modules.security.devices import device_label
from iok_saas.tenancy import tenant_scope

from ..factories import RESIDENT_PASSWORD, active_resident, sign_in_resident, tenant

pytestmark = pytest.mark.usefixtures("ctx")
ZW = "zielone-wzgorza"
FIREFOX_WINDOWS = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 "
                   "Firefox/121.0")
CHROME_ANDROID = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like "
                  "Gecko) Chrome/120.0.0.0 Mobile Safari/537.36")
PAGE = "/konto/bezpieczenstwo/"


def _browser(host_client, agent: str):
    client = host_client(f"{ZW}.localhost")
    client.environ_base["HTTP_USER_AGENT"] = agent
    return client


def _mail(kind: str) -> list[OutboxMessage]:
    with tenant_scope(tenant(ZW)):
        return db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)
                                  .order_by(OutboxMessage.id)).all()


@pytest.mark.parametrize(("agent", "label"), [
    (FIREFOX_WINDOWS, "Firefox, Windows"),
    (CHROME_ANDROID, "Chrome, Android"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.1 Safari/605.1.15", "Safari, macOS"),
    ("Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/120.0 Safari/537.36 "
     "Edg/120.0", "Edge, Windows"),
    ("curl/8.4", "nieznane urządzenie"),
    (None, "nieznane urządzenie"),
])
def test_the_device_is_named_from_the_user_agent(agent, label):
    assert device_label(agent) == label


def test_the_history_lists_sign_ins_and_failures_with_the_device(synced, host_client):
    resident = active_resident(ZW)
    laptop = _browser(host_client, FIREFOX_WINDOWS)
    wrong = laptop.post("/logowanie", data={"login": resident.login, "password": "zle-haslo"})
    assert "Nieprawidłowy identyfikator lub hasło" in wrong.get_data(as_text=True)
    sign_in_resident(laptop, resident.login)
    page = laptop.get(PAGE).get_data(as_text=True)
    history = page.split('id="sign-in-history"')[1].split("</table>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", history, re.S)[1:]
    assert len(rows) == 2
    assert "zalogowano" in rows[0] and "Firefox, Windows" in rows[0]
    assert "błędne hasło" in rows[1]
    # Another resident's page shows none of it.
    other = active_resident(ZW, first="Ewa", last="Inna", flat="3")
    theirs = sign_in_resident(host_client(f"{ZW}.localhost"), other.login).get(PAGE)
    assert "błędne hasło" not in theirs.get_data(as_text=True)


def test_a_resident_ends_another_session_or_all_others(synced, host_client):
    resident = active_resident(ZW)
    laptop = sign_in_resident(_browser(host_client, FIREFOX_WINDOWS), resident.login)
    phone = sign_in_resident(_browser(host_client, CHROME_ANDROID), resident.login)
    tablet = sign_in_resident(host_client(f"{ZW}.localhost"), resident.login)
    page = laptop.get(PAGE).get_data(as_text=True)
    sessions = page.split('id="sessions"')[1].split("</table>")[0]
    assert sessions.count("<tr") == 4  # the header and three sessions
    assert "Chrome, Android" in sessions and "(ta sesja)" in sessions
    assert "iok_sid" not in page
    phone_row = next(row for row in sessions.split("<tr")[1:] if "Chrome, Android" in row)
    action = re.search(r'action="([^"]+)"', phone_row).group(1)
    assert laptop.post(action).status_code == 302
    assert phone.get("/konto").status_code == 302  # signed out on its next request
    assert laptop.post(action).status_code == 404  # gone
    assert tablet.get("/konto").status_code == 200
    assert laptop.post(PAGE + "sesje/zakoncz-pozostale").status_code == 302
    assert tablet.get("/konto").status_code == 302
    assert laptop.get("/konto").status_code == 200


def test_a_sign_in_from_a_new_device_sends_an_email_with_a_block_link(synced, host_client):
    resident = active_resident(ZW)
    laptop = _browser(host_client, FIREFOX_WINDOWS)
    sign_in_resident(laptop, resident.login)
    assert _mail("security_new_device") == []  # the first sign-in ever is not news
    laptop.post("/wyloguj")
    sign_in_resident(laptop, resident.login)
    assert _mail("security_new_device") == []  # a browser used before
    sign_in_resident(_browser(host_client, CHROME_ANDROID), resident.login)
    [mail] = _mail("security_new_device")
    assert "Chrome, Android" in mail.text_body
    link = re.search(r"(http://\S+/konto/bezpieczenstwo/zablokuj/\S+)", mail.text_body).group(1)
    # The link works without signing in, in a browser that has never seen the account.
    stranger = host_client(f"{ZW}.localhost")
    path = link.split("localhost", 1)[1]
    assert "Zablokuj konto" in stranger.get(path).get_data(as_text=True)
    assert stranger.post(path).status_code == 302
    with tenant_scope(tenant(ZW)):
        assert db.session.get(ResidentAccount, resident.account_id).state == BLOCKED
    assert laptop.get("/konto").status_code == 302  # every session ended
    assert 'id="already-blocked"' in stranger.get(path).get_data(as_text=True)


def test_block_links_are_worthless_when_forged_or_on_another_tenant(synced, host_client):
    resident = active_resident(ZW)
    with tenant_scope(tenant(ZW)):
        from flask import current_app
        from itsdangerous import URLSafeTimedSerializer

        from iok_saas.modules.security.services import BLOCK_SALT

        token = URLSafeTimedSerializer(current_app.config["SECRET_KEY"],
                                       salt=BLOCK_SALT).dumps(
            {"t": tenant(ZW).id, "a": resident.account_id})
    forged = host_client(f"{ZW}.localhost").post(f"{PAGE}zablokuj/{token}x")
    assert forged.status_code == 410
    elsewhere = host_client("kuzniki.localhost").post(f"{PAGE}zablokuj/{token}")
    assert elsewhere.status_code == 410
    with tenant_scope(tenant(ZW)):
        assert db.session.get(ResidentAccount, resident.account_id).state != BLOCKED


def test_a_password_change_email_carries_the_block_link(synced, host_client):
    resident = active_resident(ZW)
    client = sign_in_resident(host_client(f"{ZW}.localhost"), resident.login)
    changed = client.post("/konto/haslo", data={
        "current": RESIDENT_PASSWORD, "new": "Zupelnie-Nowe-Haslo-77",
        "repeat": "Zupelnie-Nowe-Haslo-77"})
    assert changed.status_code == 302, changed.get_data(as_text=True)
    [mail] = _mail("password_changed")
    assert "/konto/bezpieczenstwo/zablokuj/" in mail.text_body
