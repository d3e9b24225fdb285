"""The staff queue: ageing in working days, filters, refusals of replayed and stale actions,
and the checks on the person staff match an application to."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from iok_saas.extensions import db
from iok_saas.modules.enrolment import services
from iok_saas.modules.enrolment.models import Application
from iok_saas.tenancy import tenant_scope

from .conftest import (
    all_applications,
    applicant_form,
    application,
    make_person,
    prefixed,
    tenant,
    text,
    version_on,
)

pytestmark = pytest.mark.usefixtures("ctx")


@pytest.mark.parametrize(("start", "end", "days"), [
    (date(2026, 3, 2), date(2026, 3, 2), 0),     # Monday, same day
    (date(2026, 3, 2), date(2026, 3, 6), 4),     # Monday -> Friday
    (date(2026, 3, 6), date(2026, 3, 9), 1),     # Friday -> Monday
    (date(2026, 3, 7), date(2026, 3, 8), 0),     # Saturday -> Sunday
    (date(2026, 3, 2), date(2026, 3, 16), 10),   # two weeks
    (date(2026, 3, 4), date(2026, 3, 20), 12),
])
def test_working_days_count_monday_to_friday(start, end, days):
    assert services.working_days_between(start, end) == days


@pytest.mark.parametrize(("days_back", "expected"), [
    (0, "złożony dziś"),
    (1, "złożony 1 dzień roboczy temu"),
    (4, "złożony 4 dni robocze temu"),
    (5, "złożony 5 dni roboczych temu"),
    (12, "złożony 12 dni roboczych temu"),
    (22, "złożony 22 dni robocze temu"),
])
def test_ageing_uses_polish_plural_forms(app, days_back, expected):
    today = date(2026, 6, 30)   # a Tuesday
    filed = today
    while services.working_days_between(filed, today) < days_back:
        filed -= timedelta(days=1)
    moment = datetime(filed.year, filed.month, filed.day, 10, tzinfo=UTC)
    with app.test_request_context():
        assert services.ageing_text(moment, today) == expected


def file_at_gdynia(client, **fields):
    sent = client.post("/wniosek", data=applicant_form(accept_regulations="y", **fields))
    assert sent.status_code == 302
    return application("gdynia")


def test_queue_filters_by_state_and_shows_working_days(synced, host_client, staff_client):
    resident = host_client("gdynia.localhost")
    older = file_at_gdynia(resident, first="Stara", last="Sprawa")
    newer = file_at_gdynia(resident, first="Nowa", last="Sprawa")
    with tenant_scope(tenant("gdynia")):
        row = db.session.get(Application, older.id)
        row.submitted_at = datetime.now(UTC) - timedelta(days=14)
        db.session.commit()
    staff = staff_client("gdynia", "k.nowak", "accounting")
    page = text(staff.get("/staff/wnioski/"))
    assert page.index(older.number) < page.index(newer.number)   # oldest first
    assert "dni roboczych temu" in page and "złożony dziś" in page
    assert "Księgowość" in page                                  # who acts on the review
    page = text(staff.get("/staff/wnioski/", query_string={"stan": "in_person_pickup"}))
    assert older.number not in page and "Brak wniosków." in page
    staff_page = text(staff.get("/staff/"))
    assert 'href="/staff/wnioski/"' in staff_page                # the back-office nav links it


def test_a_second_click_and_a_stale_form_change_nothing(synced, host_client, staff_client):
    person_id = make_person("gdynia", "Anna", "Lis", building="3", flat="12")
    filed = file_at_gdynia(host_client("gdynia.localhost"))
    staff = staff_client("gdynia", "k.nowak", "accounting")
    page = text(staff.get(f"/staff/wnioski/{filed.id}"))
    approve = prefixed("approve", {"person_id": person_id,
                                   "version": version_on(page, "approve")})
    reject = prefixed("reject", {"reason": "dane się nie zgadzają",
                                 "version": version_on(page, "reject")})
    assert staff.post(f"/staff/wnioski/{filed.id}/zatwierdz", data=approve).status_code == 302
    after = application("gdynia")
    second = staff.post(f"/staff/wnioski/{filed.id}/zatwierdz", data=approve)
    assert second.status_code == 409
    assert "Tej czynności nie można teraz wykonać" in text(second)
    assert "Czeka na odbiór osobisty" in text(second)
    late = staff.post(f"/staff/wnioski/{filed.id}/odrzuc", data=reject)
    assert late.status_code == 409
    unchanged = application("gdynia")
    assert (unchanged.state, unchanged.version) == (after.state, after.version)

    # A form opened before a colleague's change (same step, older version) is refused too.
    second_app = file_at_gdynia(host_client("gdynia.localhost"), first="Ewa", last="Kos")
    page = text(staff.get(f"/staff/wnioski/{second_app.id}"))
    stale_version = version_on(page, "ask")
    assert staff.post(f"/staff/wnioski/{second_app.id}/do-poprawy", data=prefixed("ask", {
        "note": "popraw numer lokalu", "version": stale_version})).status_code == 302
    staff.post(f"/staff/wnioski/{second_app.id}/poprawa", data=prefixed("fix", {
        **applicant_form(first="Ewa", last="Kos", email=None),
        "version": str(application("gdynia", second_app.number).version)}))
    assert application("gdynia", second_app.number).state == "staff_review"
    stale = staff.post(f"/staff/wnioski/{second_app.id}/odrzuc", data=prefixed("reject", {
        "reason": "x", "version": stale_version}))
    assert stale.status_code == 409 and "zmienił się w międzyczasie" in text(stale)
    assert application("gdynia", second_app.number).state == "staff_review"


def test_staff_must_pick_a_person_with_a_current_eligible_title_to_that_unit(
        synced, host_client, staff_client):
    elsewhere = make_person("siarkowiec", "Anna", "Lis", building="4", flat="12")
    former = make_person("siarkowiec", "Anna", "Lis", building="3", flat="12",
                         valid_to=date(2021, 1, 1))
    member_only = make_person("siarkowiec", "Anna", "Lis", building="5", flat="12",
                              kind="member")
    staff = staff_client("siarkowiec", "sekretariat", "secretariat")
    for building in ("3", "4", "5"):
        staff.post("/staff/wnioski/nowy", data=applicant_form(building=building,
                                                              channel="paper"))
    at_3, at_4, at_5 = all_applications("siarkowiec")

    def approve(app_row, person_id):
        page = text(staff.get(f"/staff/wnioski/{app_row.id}"))
        return staff.post(f"/staff/wnioski/{app_row.id}/zatwierdz", data=prefixed(
            "approve", {"person_id": person_id, "version": version_on(page, "approve")}))

    wrong_unit = approve(at_3, elsewhere)
    assert wrong_unit.status_code == 409 and "nie ma obecnie tytułu" in text(wrong_unit)
    ended = approve(at_3, former)
    assert ended.status_code == 409 and "nie ma obecnie tytułu" in text(ended)
    not_eligible = approve(at_5, member_only)                # Siarkowiec: owner or tenant
    assert not_eligible.status_code == 409 and "nie uprawnia" in text(not_eligible)
    assert approve(at_4, elsewhere).status_code == 302
    page = text(staff.get(f"/staff/wnioski/{at_3.id}"))
    assert "brak tytułu do tego lokalu" in page
    assert [a.state for a in all_applications("siarkowiec")] == \
        ["staff_review", "in_person_pickup", "staff_review"]
