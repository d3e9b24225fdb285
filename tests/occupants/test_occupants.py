"""Change of the number of occupants: Kuźniki only; declarations, the staff desk."""

from __future__ import annotations

import html
from datetime import date

import pytest
from sqlalchemy import select

from iok_saas.domain import NotFound
from iok_saas.extensions import db
from iok_saas.modules.audit.models import AuditEvent
from iok_saas.modules.occupants import services
from iok_saas.modules.occupants.models import CONFIRMED, REJECTED, SUBMITTED, OccupantsChange
from iok_saas.tenancy import tenant_scope

from ..factories import tenant

KU = "kuzniki"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def months() -> list[date]:
    with tenant_scope(tenant(KU)):
        return services.effective_months()


def changes(unit_id: int) -> list[OccupantsChange]:
    with tenant_scope(tenant(KU)):
        rows = list(db.session.scalars(select(OccupantsChange).where(
            OccupantsChange.unit_id == unit_id).order_by(OccupantsChange.id)))
        db.session.expunge_all()
        return rows


def declare(client, unit_id, occupants="3", effective: date | None = None, note=""):
    return client.post("/konto/liczba-osob/", data={
        "unit": unit_id, "occupants": occupants,
        "effective_from": (effective or months()[1]).isoformat(), "note": note})


@pytest.mark.parametrize("slug, status", [
    ("brzeg", 404), ("siarkowiec", 404), ("gdynia", 404), ("zielone-wzgorza", 404),
    (KU, 200),
])
def test_tab_and_desk_only_where_the_policy_shows_them(resident_client, office_client, slug,
                                                      status):
    client, _ = resident_client(slug)
    assert client.get("/konto/liczba-osob/").status_code == status
    assert office_client(slug).get("/staff/liczba-osob/").status_code == status


def test_declare_confirm_and_resident_is_told(resident_client, office_client, mail):
    client, res = resident_client(KU, email="lokator@example.com")
    page = text(client.get("/konto/liczba-osob/"))
    assert "Brak potwierdzonej deklaracji" in page
    assert "od pierwszego dnia miesiąca" in page  # the help text explains the limits
    first = months()[0]
    assert declare(client, res.unit_id, "4", first, "Wprowadziła się córka.").status_code == 302
    page = text(client.get("/konto/liczba-osob/"))
    assert "oczekuje na decyzję" in page and "Wprowadziła się córka." in page

    staff = office_client(KU, "sekretariat")
    desk = text(staff.get("/staff/liczba-osob/"))
    assert "Anna Nowicka" in desk and "Wprowadziła się córka." in desk
    change_id = changes(res.unit_id)[-1].id
    assert staff.post(f"/staff/liczba-osob/{change_id}",
                      data={"comment": "", "confirm": "Potwierdź deklarację"}).status_code == 302

    assert changes(res.unit_id)[-1].state == CONFIRMED
    page = text(client.get("/konto/liczba-osob/"))
    assert f"Obecnie zadeklarowana liczba osób: 4 (od {first:%d.%m.%Y})" in page
    assert "potwierdzona" in page
    messages = mail.wait_for(1)
    found = [m for m in messages if "Zmiana liczby osób została potwierdzona" in m["Subject"]]
    assert found, [m["Subject"] for m in messages]
    assert found[0]["To"].addresses[0].addr_spec == "lokator@example.com"
    assert "Liczba osób: 4" in found[0].get_body(preferencelist=("plain",)).get_content()
    with tenant_scope(tenant(KU)):
        assert db.session.scalar(select(AuditEvent.actor).where(
            AuditEvent.subject_type == "OccupantsChange", AuditEvent.subject_id == change_id,
            AuditEvent.action == "occupants_change.confirmed")) == "staff:sekretariat"


def test_a_declaration_that_changes_nothing_is_refused(resident_client, office_client):
    client, res = resident_client(KU)
    first, later = months()[0], months()[1]
    assert declare(client, res.unit_id, "4", first).status_code == 302
    change_id = changes(res.unit_id)[-1].id
    assert office_client(KU).post(f"/staff/liczba-osob/{change_id}", data={
        "comment": "", "confirm": "Potwierdź deklarację"}).status_code == 302

    same = declare(client, res.unit_id, "4", later)
    assert same.status_code == 200
    assert "obowiązuje już liczba osób 4" in text(same) and "niczego by nie zmieniła" in text(same)
    assert len(changes(res.unit_id)) == 1  # nothing filed, nothing for the office to decide
    assert declare(client, res.unit_id, "3", later).status_code == 302


def test_reject_requires_a_comment(resident_client, office_client, mail):
    client, res = resident_client(KU)
    assert declare(client, res.unit_id, "2").status_code == 302
    change_id = changes(res.unit_id)[-1].id
    staff = office_client(KU)
    refused = staff.post(f"/staff/liczba-osob/{change_id}",
                         data={"comment": "", "reject": "Odrzuć deklarację"})
    assert refused.status_code == 200 and "Podaj powód odrzucenia" in text(refused)
    assert changes(res.unit_id)[-1].state == SUBMITTED
    assert staff.post(f"/staff/liczba-osob/{change_id}", data={
        "comment": "Prosimy o oświadczenie w biurze.",
        "reject": "Odrzuć deklarację"}).status_code == 302
    assert changes(res.unit_id)[-1].state == REJECTED
    page = text(client.get("/konto/liczba-osob/"))
    assert "odrzucona" in page and "Prosimy o oświadczenie w biurze." in page
    assert "Prosimy o oświadczenie" in text(staff.get("/staff/liczba-osob/?widok=rozpatrzone"))
    messages = mail.wait_for(1)
    assert any("Zmiana liczby osób została odrzucona" in m["Subject"] for m in messages)


@pytest.mark.parametrize("occupants, effective, message", [
    ("0", None, "Liczba osób musi być od 1 do 20."),
    ("21", None, "Liczba osób musi być od 1 do 20."),
    ("dwie", None, "Podaj liczbę osób"),
    ("3", "second-of-month", "od pierwszego dnia miesiąca"),
    ("3", "last-month", "Zmiany za wcześniejsze okresy załatwisz w biurze"),
    ("3", "too-far", "Zmiany za wcześniejsze okresy załatwisz w biurze"),
])
def test_invalid_declarations_are_refused(resident_client, occupants, effective, message):
    client, res = resident_client(KU)
    allowed = months()
    day = {None: allowed[1], "second-of-month": allowed[1].replace(day=2),
           "last-month": date(allowed[0].year - (allowed[0].month == 1),
                              (allowed[0].month - 2) % 12 + 1, 1),
           "too-far": date(allowed[-1].year + (allowed[-1].month == 12),
                           allowed[-1].month % 12 + 1, 1)}[effective]
    response = declare(client, res.unit_id, occupants, day)
    assert response.status_code == 200
    assert message in text(response)
    assert changes(res.unit_id) == []


def test_one_waiting_declaration_per_unit(resident_client):
    client, res = resident_client(KU)
    assert declare(client, res.unit_id, "3").status_code == 302
    again = declare(client, res.unit_id, "5")
    assert again.status_code == 200 and "czeka już deklaracja" in text(again)
    assert len(changes(res.unit_id)) == 1


def test_other_residents_and_tenants_ids_are_404(resident_client, office_client):
    client, res = resident_client(KU)
    other_client, other = resident_client(KU, first="Ewa", last="Obca")
    _, elsewhere = resident_client("zielone-wzgorza")
    for unit_id in (other.unit_id, elsewhere.unit_id):
        assert declare(client, unit_id, "3").status_code == 404
        assert client.get(f"/konto/liczba-osob/?lokal={unit_id}").status_code == 404
    assert changes(other.unit_id) == []

    assert declare(other_client, other.unit_id, "2").status_code == 302
    change_id = changes(other.unit_id)[-1].id
    # The first resident never sees the neighbour's declaration.
    assert "Ewa" not in text(client.get("/konto/liczba-osob/"))
    for slug in ("zielone-wzgorza", "brzeg"):
        staff = office_client(slug)
        assert staff.get(f"/staff/liczba-osob/{change_id}").status_code == 404
        assert staff.post(f"/staff/liczba-osob/{change_id}",
                          data={"confirm": "Potwierdź deklarację"}).status_code == 404
        with tenant_scope(tenant(slug)), pytest.raises(NotFound):
            services.SUBMISSIONS.row_or_404(change_id)
            db.session.commit()
    assert office_client(KU).get(f"/staff/liczba-osob/{change_id + 999}").status_code == 404
    assert changes(other.unit_id)[-1].state == SUBMITTED


def test_confirmed_future_declaration_is_shown_as_upcoming(resident_client, office_client):
    client, res = resident_client(KU)
    later = months()[2]
    assert declare(client, res.unit_id, "5", later).status_code == 302
    change_id = changes(res.unit_id)[-1].id
    assert office_client(KU).post(f"/staff/liczba-osob/{change_id}", data={
        "confirm": "Potwierdź deklarację"}).status_code == 302
    page = text(client.get("/konto/liczba-osob/"))
    assert "Brak potwierdzonej deklaracji" in page
    assert f"Od {later:%d.%m.%Y} liczba osób wyniesie 5" in page


def test_simultaneous_decisions_leave_the_first(resident_client, office_client):
    client, res = resident_client(KU)
    assert declare(client, res.unit_id, "3").status_code == 302
    change_id = changes(res.unit_id)[-1].id
    staff = office_client(KU)
    with tenant_scope(tenant(KU)):
        stale = services.SUBMISSIONS.row_or_404(change_id)
        assert staff.post(f"/staff/liczba-osob/{change_id}", data={
            "confirm": "Potwierdź deklarację"}).status_code == 302
        assert stale.change.state == SUBMITTED  # this session has not seen the decision
        with pytest.raises(services.OccupantsError, match="już rozpatrzona"):
            services.decide(stale, False, "Za późno", "staff:drugi")
        db.session.rollback()       # the refused request ends; it had staged nothing
    assert changes(res.unit_id)[-1].state == CONFIRMED


def test_a_waiting_declaration_replaces_the_form_until_it_is_withdrawn(resident_client,
                                                                        office_client):
    client, res = resident_client(KU)
    assert declare(client, res.unit_id, "3").status_code == 302
    page = text(client.get("/konto/liczba-osob/"))
    assert f'id="pending-{res.unit_id}"' in page and "Wycofaj deklarację" in page
    # The button only asks: the form that withdraws is inside the question.
    question = page[page.index("<details"):page.index("</details>")]
    assert "/wycofaj" in question and "Tak, wycofaj deklarację" in question
    assert "Zgłoś zmianę liczby osób" not in page  # no form that could only refuse
    change_id = changes(res.unit_id)[-1].id

    done = client.post(f"/konto/liczba-osob/{change_id}/wycofaj", follow_redirects=True)
    assert "Deklaracja została wycofana" in text(done)
    assert "Zgłoś zmianę liczby osób" in text(done) and "wycofana" in text(done)
    assert changes(res.unit_id)[-1].state == "withdrawn"
    with tenant_scope(tenant(KU)):
        assert db.session.scalar(select(AuditEvent.actor).where(
            AuditEvent.action == "occupants_change.withdrawn")) == f"resident:{res.login}"
    # The staff desk no longer lists it as waiting; a new declaration can be filed.
    assert f"/staff/liczba-osob/{change_id}\"" not in text(
        office_client(KU).get("/staff/liczba-osob/"))
    assert declare(client, res.unit_id, "4").status_code == 302


def test_a_decided_declaration_cannot_be_withdrawn_nor_anothers(resident_client,
                                                                 office_client):
    client, res = resident_client(KU)
    neighbour_client, neighbour = resident_client(KU, first="Ewa", last="Obca")
    assert declare(neighbour_client, neighbour.unit_id, "2").status_code == 302
    theirs = changes(neighbour.unit_id)[-1].id
    assert client.post(f"/konto/liczba-osob/{theirs}/wycofaj").status_code == 404
    assert changes(neighbour.unit_id)[-1].state == SUBMITTED

    office_client(KU).post(f"/staff/liczba-osob/{theirs}",
                           data={"confirm": "Potwierdź deklarację"})
    late = neighbour_client.post(f"/konto/liczba-osob/{theirs}/wycofaj",
                                 follow_redirects=True)
    assert "nie można już wycofać" in text(late)
    assert changes(neighbour.unit_id)[-1].state == CONFIRMED
