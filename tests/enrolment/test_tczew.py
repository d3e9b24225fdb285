"""SM w Tczewie (policies/tczew.yaml): owners apply, staff review, the applicant is e-mailed
the time and the place of pickup, and collects the credentials there."""

from __future__ import annotations

import pytest

from .conftest import (
    applicant_form,
    application,
    body,
    make_person,
    prefixed,
    text,
    version_on,
    wait_for_subject,
)

pytestmark = pytest.mark.usefixtures("ctx")


def test_only_owners_may_apply(synced, host_client):
    client = host_client("tczew.localhost")
    refused = client.post("/wniosek", data=applicant_form(applicant_type="tenant",
                                                          accept_regulations="y"))
    assert refused.status_code == 422 and application("tczew") is None
    sent = client.post("/wniosek", data=applicant_form(accept_regulations="y"))
    assert sent.status_code == 302
    assert application("tczew").state == "staff_review"


def test_the_applicant_is_emailed_when_and_where_to_collect(synced, mail, host_client,
                                                             staff_client):
    person_id = make_person("tczew", "Anna", "Lis", building="3", flat="12")
    host_client("tczew.localhost").post("/wniosek", data=applicant_form(accept_regulations="y"))
    filed = application("tczew")
    staff = staff_client("tczew", "biuro", "secretariat")
    page = text(staff.get(f"/staff/wnioski/{filed.id}"))
    staff.post(f"/staff/wnioski/{filed.id}/zatwierdz", data=prefixed("approve", {
        "person_id": person_id, "version": version_on(page, "approve")}))
    assert application("tczew").state == "schedule_pickup"
    page = text(staff.get(f"/staff/wnioski/{filed.id}"))
    assert '<option value="secretariat">Siedziba Spółdzielni</option>' in page
    sent = staff.post(f"/staff/wnioski/{filed.id}/termin", data=prefixed("schedule", {
        "when": "15.07.2026, 10:00", "department": "secretariat",
        "version": version_on(page, "schedule")}))
    assert sent.status_code == 302
    message = wait_for_subject(mail, "Termin odbioru danych dostępowych", 2)
    assert "anna.lis@example.com" in message["To"]
    assert "15.07.2026, 10:00, Siedziba Spółdzielni" in body(message)
    assert application("tczew").state == "in_person_pickup"
