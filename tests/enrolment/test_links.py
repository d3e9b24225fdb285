"""Links e-mailed to applicants: signed, expiring, single use, bound to their tenant and to
the step they are for; a refused link changes nothing."""

from __future__ import annotations

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from iok_saas.modules.enrolment import tokens

from .conftest import (
    applicant_form,
    application,
    link_in,
    make_person,
    prefixed,
    text,
    version_on,
    wait_for_subject,
)

pytestmark = pytest.mark.usefixtures("ctx")


class FourDaysAgoSigner(TimestampSigner):
    def get_timestamp(self):
        return super().get_timestamp() - 4 * 86400


def file_online(client, **fields):
    sent = client.post("/wniosek", data=applicant_form(accept_regulations="y", **fields))
    assert sent.status_code == 302


@pytest.fixture
def confirmation_link(synced, mail, host_client):
    file_online(host_client("zielone-wzgorza.localhost"))
    return link_in(wait_for_subject(mail, "Potwierdź adres e-mail", 1), "/wniosek/potwierdz/")


def test_the_confirmation_link_works_once(confirmation_link, host_client):
    client = host_client("zielone-wzgorza.localhost")
    assert client.post(confirmation_link).status_code == 200
    assert application("zielone-wzgorza").state == "staff_review"
    replay = host_client("zielone-wzgorza.localhost")
    assert replay.get(confirmation_link).status_code == 410
    again = replay.post(confirmation_link)
    assert again.status_code == 410 and "Niczego nie zmieniono" in text(again)
    assert application("zielone-wzgorza").state == "staff_review"


def test_tampered_expired_and_foreign_links_are_refused(confirmation_link, host_client, app):
    client = host_client("zielone-wzgorza.localhost")
    token = confirmation_link.rsplit("/", 1)[1]
    tampered = confirmation_link[:-3] + ("abc" if not confirmation_link.endswith("abc")
                                         else "xyz")
    assert client.get(tampered).status_code == 410
    assert client.post(tampered).status_code == 410

    serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=tokens.SALT)
    payload = serializer.loads(token)
    expired = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=tokens.SALT,
                                     signer=FourDaysAgoSigner).dumps(payload)
    assert client.post(f"/wniosek/potwierdz/{expired}").status_code == 410

    wrong_purpose = serializer.dumps({**payload, "p": tokens.CORRECT})
    assert client.post(f"/wniosek/poprawa/{wrong_purpose}").status_code == 410
    assert client.post(f"/wniosek/potwierdz/{wrong_purpose}").status_code == 410

    other_salt = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="iok-password-recovery")
    assert client.post(f"/wniosek/potwierdz/{other_salt.dumps(payload)}").status_code == 410

    # The same link on another cooperative's host: refused there, nothing changes anywhere.
    assert host_client("gdynia.localhost").post(confirmation_link).status_code == 410
    assert application("zielone-wzgorza").state == "confirm_email"

    assert client.post(confirmation_link).status_code == 200     # the genuine link works


def test_the_correction_link_works_once_and_only_while_correction_is_asked(
        confirmation_link, host_client, staff_client, mail):
    person_id = make_person("zielone-wzgorza", "Anna", "Lis", building="3", flat="12")
    resident = host_client("zielone-wzgorza.localhost")
    resident.post(confirmation_link)
    filed = application("zielone-wzgorza")
    staff = staff_client("zielone-wzgorza", "k.nowak", "board")
    page = text(staff.get(f"/staff/wnioski/{filed.id}"))
    asked = staff.post(f"/staff/wnioski/{filed.id}/do-poprawy", data=prefixed("ask", {
        "note": "Podaj numer budynku z aktu notarialnego.",
        "version": version_on(page, "ask")}))
    assert asked.status_code == 302
    message = wait_for_subject(mail, "Wniosek wymaga poprawienia", 3)
    link = link_in(message, "/wniosek/poprawa/")
    form = resident.get(link)
    assert form.status_code == 200
    assert "Podaj numer budynku z aktu notarialnego." in text(form)
    assert 'value="Lis"' in text(form)                          # prefilled with the data

    bad = resident.post(link, data=applicant_form(building="", email=None))
    assert bad.status_code == 422 and "Podaj numer budynku." in text(bad)
    fixed = resident.post(link, data=applicant_form(building="3", email=None))
    assert fixed.status_code == 200 and "wrócił do spółdzielni" in text(fixed)
    assert application("zielone-wzgorza").state == "staff_review"
    assert resident.post(link, data=applicant_form(building="99", email=None)) \
        .status_code == 410                                      # used
    assert application("zielone-wzgorza").building_number == "3"
    assert host_client("gdynia.localhost").get(link).status_code == 410

    page = text(staff.get(f"/staff/wnioski/{filed.id}"))
    approved = staff.post(f"/staff/wnioski/{filed.id}/zatwierdz", data=prefixed("approve", {
        "person_id": person_id, "version": version_on(page, "approve")}))
    assert approved.status_code == 302
    assert application("zielone-wzgorza").state == "in_person_pickup"
