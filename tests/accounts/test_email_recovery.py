"""Self-service recovery by e-mail link: works once, expires, and is bound to its tenant."""

from __future__ import annotations

import re

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.accounts.models import ResidentAccount
from iok_saas.modules.accounts.recovery import SALT
from iok_saas.modules.audit.services import Actor
from iok_saas.modules.tenants.models import Tenant
from iok_saas.modules.tenants.services import update_policy
from iok_saas.tenancy import cross_tenant

from ..factories import credentials, resident

pytestmark = pytest.mark.usefixtures("ctx")


def enable_email_recovery(slug):
    source = db.session.scalar(select(Tenant.policy_source).where(Tenant.slug == slug))
    start = source.index("\nrecovery:")
    edited = source[:start] + re.sub(r"methods: \[\w+\]", "methods: [email]", source[start:],
                                     count=1)
    update_policy(slug, edited, Actor.cli("test"))
    db.session.commit()


@pytest.fixture
def kuzniki_resident(synced, app, mail):
    enable_email_recovery("kuzniki")
    account_id = resident("kuzniki", "Irena", "Sowa")
    login, _ = credentials("kuzniki", account_id)
    return login


def request_link(client, login, email):
    return client.post("/nie-pamietam-hasla", data={"login": login, "email": email})


def link_from(message) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"http://\S+/nowe-haslo/\S+", text).group(0)


def path_of(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def test_the_link_sets_a_new_password_once(kuzniki_resident, mail, host_client):
    client = host_client("kuzniki.localhost")
    page = request_link(client, kuzniki_resident, mail_address(kuzniki_resident).upper())
    assert page.status_code == 302
    [message] = mail.wait_for(1)
    link = link_from(message)
    assert link.startswith("http://kuzniki.localhost/nowe-haslo/")
    form = client.get(path_of(link))
    assert form.status_code == 200 and "Ustaw nowe hasło" in form.get_data(as_text=True)
    done = client.post(path_of(link), data={"new": "Sosnowa-4521-x", "repeat": "Sosnowa-4521-x"})
    assert done.status_code == 302
    assert client.post("/logowanie", data={"login": kuzniki_resident,
                                           "password": "Sosnowa-4521-x"}).status_code == 302
    assert host_client("kuzniki.localhost").get(path_of(link)).status_code == 410  # used


def test_wrong_email_sends_nothing_but_answers_the_same(kuzniki_resident, mail, host_client):
    page = request_link(host_client("kuzniki.localhost"), kuzniki_resident, "obcy@example.com")
    assert page.status_code == 302
    assert mail.wait_for(1, timeout=1) == []


def test_tampered_expired_and_foreign_links_are_refused(kuzniki_resident, mail, host_client,
                                                        app):
    client = host_client("kuzniki.localhost")
    request_link(client, kuzniki_resident, mail_address(kuzniki_resident))
    link = path_of(link_from(mail.wait_for(1)[0]))
    assert client.get(link[:-3] + "abc").status_code == 410
    enable_email_recovery("gdynia")
    assert host_client("gdynia.localhost").get(link).status_code == 410
    token = link.rsplit("/", 1)[1]
    payload = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=SALT).loads(token)
    signed_earlier = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=SALT,
                                            signer=TwoHoursAgoSigner)
    assert client.get(f"/nowe-haslo/{signed_earlier.dumps(payload)}").status_code == 410
    assert client.get(link).status_code == 200  # the genuine link still works


def test_tenants_without_email_recovery_explain_their_way(synced, host_client):
    page = host_client("zielone-wzgorza.localhost").get("/nie-pamietam-hasla")
    assert "dokumentem, który otrzymałeś(-aś)" in page.get_data(as_text=True)
    page = host_client("siarkowiec.localhost").get("/nie-pamietam-hasla")
    assert "nowy identyfikator" in page.get_data(as_text=True)
    assert host_client("brzeg.localhost").get("/nowe-haslo/abc").status_code == 404


class TwoHoursAgoSigner(TimestampSigner):
    def get_timestamp(self):
        return super().get_timestamp() - 7200


def mail_address(login):
    with cross_tenant("test: look up the resident's address"):
        account = db.session.scalar(select(ResidentAccount).where(ResidentAccount.login == login))
        return account.person.email
