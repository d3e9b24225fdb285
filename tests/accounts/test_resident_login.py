"""Resident login, first-login gate, lockout, blocking and sessions, through the browser
routes, with each tenant's policy deciding the rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from iok_saas import create_app
from iok_saas.extensions import db
from iok_saas.modules.accounts import services as accounts
from iok_saas.modules.accounts.models import ResidentAccount
from iok_saas.modules.auth.models import UserSession
from iok_saas.modules.staff.models import StaffMember
from iok_saas.tenancy import cross_tenant, tenant_scope
from iok_saas.timeutil import utcnow

from ..factories import credentials, resident, tenant

pytestmark = pytest.mark.usefixtures("ctx")


def log_in(client, login, password):
    return client.post("/logowanie", data={"login": login, "password": password})


def first_login(client, current, new):
    return client.post("/pierwsze-logowanie", data={
        "pw-current": current, "pw-new": new, "pw-repeat": new, "pw-submit": "1"})


def accept_terms(client):
    return client.post("/pierwsze-logowanie", data={"reg-accept": "y", "reg-submit": "1"})


@pytest.fixture
def zielone(synced, host_client):
    """A Zielone Wzgórza resident holding fresh credentials, and a browser on that host."""
    account_id = resident("zielone-wzgorza", "Zofia", "Wiśniewska")
    login, password = credentials("zielone-wzgorza", account_id)
    return host_client("zielone-wzgorza.localhost"), account_id, login, password


def activate(client, login, password, new="nowe1haslo"):
    assert log_in(client, login, password).status_code == 302
    assert first_login(client, password, new).status_code == 302
    assert accept_terms(client).status_code == 302
    return new


def test_first_login_gate_cannot_be_bypassed_by_url(zielone):
    client, _, login, password = zielone
    page = log_in(client, login, password)
    assert page.headers["Location"].endswith("/konto")
    for path in ("/konto", "/konto/haslo", "/konto/zablokuj", "/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].endswith("/pierwsze-logowanie")
    assert client.get("/regulamin").status_code == 200  # the terms stay readable


def test_new_password_must_follow_the_tenant_rules_in_polish(zielone):
    client, _, login, password = zielone
    log_in(client, login, password)
    page = first_login(client, password, "abcdef")
    text = page.get_data(as_text=True)
    assert "Hasło nie zostało zmienione" in text
    assert "co najmniej 1 cyfrę" in text


def test_full_first_login_then_the_one_time_password_is_dead(zielone, host_client):
    client, account_id, login, password = zielone
    new = activate(client, login, password)
    assert "Witaj, Zofia" in client.get("/konto").get_data(as_text=True)
    other = host_client("zielone-wzgorza.localhost")
    assert "Nieprawidłowy identyfikator lub hasło" in log_in(
        other, login, password).get_data(as_text=True)
    assert log_in(other, login, new).headers["Location"].endswith("/konto")
    with tenant_scope(tenant("zielone-wzgorza")):
        assert accounts.get_account(account_id).state == "active"


def test_expired_initial_password_is_refused(zielone):
    client, account_id, login, password = zielone
    with tenant_scope(tenant("zielone-wzgorza")):
        db.session.execute(update(ResidentAccount).where(ResidentAccount.id == account_id)
                           .values(initial_password_expires_at=utcnow() - timedelta(days=1)))
        db.session.commit()
    assert "Hasło początkowe wygasło" in log_in(client, login, password).get_data(as_text=True)


def test_lockout_after_the_policy_threshold_survives_a_restart(zielone, database_url, tmp_path):
    client, _, login, password = zielone
    rule = tenant("zielone-wzgorza").policy.blocking.rule("failed_logins")
    for _ in range(rule.threshold):
        log_in(client, login, "wrong-password-1")
    assert "Zbyt wiele nieudanych prób" in log_in(client, login, password).get_data(
        as_text=True)
    restarted = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True,
                            "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
                            "IOK_VAR_DIR": tmp_path})
    browser = restarted.test_client()
    page = browser.post("/logowanie", data={"login": login, "password": password},
                        base_url="http://zielone-wzgorza.localhost")
    assert "Zbyt wiele nieudanych prób" in page.get_data(as_text=True)


def test_unknown_login_and_wrong_password_answer_alike(zielone):
    client, _, login, _ = zielone
    wrong = log_in(client, login, "wrong-password-1").get_data(as_text=True)
    unknown = log_in(client, "999999", "wrong-password-1").get_data(as_text=True)
    assert "Nieprawidłowy identyfikator lub hasło" in wrong
    assert "Nieprawidłowy identyfikator lub hasło" in unknown


def test_a_blocked_residents_open_session_is_refused_on_the_next_request(zielone):
    client, account_id, login, password = zielone
    activate(client, login, password)
    assert client.get("/konto").status_code == 200
    with tenant_scope(tenant("zielone-wzgorza")):
        staff = StaffMember(login="tech", full_name="T", department="board",
                            password_hash="x", must_change_password=False)
        db.session.add(staff)
        db.session.commit()
        accounts.block(accounts.get_account(account_id), "misuse", "phone", "test", staff)
        db.session.commit()
    assert client.get("/konto").status_code == 302
    assert "Konto jest zablokowane" in log_in(client, login, "nowe1haslo").get_data(
        as_text=True)


def test_only_the_deciding_department_may_block(zielone):
    _, account_id, _, _ = zielone
    with tenant_scope(tenant("zielone-wzgorza")):
        clerk = StaffMember(login="fin", full_name="F", department="finance",
                            password_hash="x", must_change_password=False)
        db.session.add(clerk)
        db.session.commit()
        with pytest.raises(accounts.AccountError) as refused:
            accounts.block(accounts.get_account(account_id), "misuse", None, "x", clerk)
            db.session.commit()
        assert refused.value.code == "not_allowed"
        assert accounts.get_account(account_id).state == "must_change"


def test_logout_ends_the_session_server_side(zielone, host_client):
    client, _, login, password = zielone
    activate(client, login, password)
    stolen = client.get_cookie("iok_session", domain="zielone-wzgorza.localhost").value
    client.post("/wyloguj")
    replay = host_client("zielone-wzgorza.localhost")
    replay.set_cookie("iok_session", stolen, domain="zielone-wzgorza.localhost")
    assert replay.get("/konto").status_code == 302


def test_idle_sessions_expire(zielone):
    client, _, login, password = zielone
    activate(client, login, password)
    idle = tenant("zielone-wzgorza").policy.session.idle_timeout
    with cross_tenant("test: age every session"):
        db.session.execute(update(UserSession).values(
            last_seen_at=utcnow() - idle - timedelta(minutes=1)))
        db.session.commit()
    assert client.get("/konto").status_code == 302


def test_password_change_ends_the_other_sessions(zielone, host_client):
    client, _, login, password = zielone
    new = activate(client, login, password)
    laptop = host_client("zielone-wzgorza.localhost")
    log_in(laptop, login, new)
    assert laptop.get("/konto").status_code == 200
    page = client.post("/konto/haslo", data={"current": new, "new": "inne2haslo",
                                             "repeat": "inne2haslo"})
    assert page.status_code == 302
    assert client.get("/konto").status_code == 200
    assert laptop.get("/konto").status_code == 302


def test_self_block_takes_effect_at_once(zielone):
    client, account_id, login, password = zielone
    activate(client, login, password)
    page = client.post("/konto/zablokuj", data={"reason": "zgubiłem", "confirm": "y"})
    assert page.status_code == 302
    assert client.get("/konto").status_code == 302
    with tenant_scope(tenant("zielone-wzgorza")):
        assert accounts.get_account(account_id).state == "blocked"


def test_a_brzeg_account_cannot_log_in_at_gdynia(synced, host_client):
    account_id = resident("brzeg")
    login, password = credentials("brzeg", account_id)
    assert "Nieprawidłowy identyfikator lub hasło" in log_in(
        host_client("gdynia.localhost"), login, password).get_data(as_text=True)
    brzeg = host_client("brzeg.localhost")
    assert log_in(brzeg, login, password).status_code == 302
    cookie = brzeg.get_cookie("iok_session", domain="brzeg.localhost").value
    gdynia = host_client("gdynia.localhost")
    gdynia.set_cookie("iok_session", cookie, domain="gdynia.localhost")
    assert gdynia.get("/konto").status_code == 302
    assert gdynia.get("/konto").headers["Location"].startswith("/logowanie")


def test_a_staff_session_does_not_open_resident_pages(office_client):
    office = office_client("gdynia", "kasia")  # password and second factor
    assert office.get("/staff/").status_code == 200
    page = office.get("/konto")
    assert page.status_code == 302 and page.headers["Location"].startswith("/logowanie")


def test_a_mismatched_repeat_also_names_the_rules_the_new_password_breaks(zielone):
    client, _, login, password = zielone
    log_in(client, login, password)
    page = client.post("/pierwsze-logowanie", data={
        "pw-current": password, "pw-new": "abcdef", "pw-repeat": "abcdeg", "pw-submit": "1"})
    text = page.get_data(as_text=True)
    assert "Hasła nie są takie same." in text
    assert "co najmniej 1 cyfrę" in text  # said now, not after the repeat is fixed
