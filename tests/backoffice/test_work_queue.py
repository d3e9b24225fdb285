"""The staff start page is a work queue: each desk the tenant's policy enables says how
many items wait and since when, links to them, and the member's own department comes first."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest

from iok_saas.extensions import db
from iok_saas.modules.faults.models import NEW, FaultReport
from iok_saas.modules.notifications.models import StaffTask
from iok_saas.modules.portal.queues import queues_for
from iok_saas.modules.staff.models import StaffMember
from iok_saas.tenancy import tenant_scope
from iok_saas.timeutil import utcnow

from ..factories import active_resident, tenant

pytestmark = pytest.mark.usefixtures("ctx")


def new_faults(slug: str, ages_in_days: list[int]) -> None:
    resident = active_resident(slug, first="Usterka", last="Zgłaszająca")
    with tenant_scope(tenant(slug)):
        for days in ages_in_days:
            db.session.add(FaultReport(
                unit_id=resident.unit_id, account_id=resident.account_id, category="plumbing",
                place="flat", description="Cieknie kran.", status=NEW,
                created_at=utcnow() - timedelta(days=days)))
        db.session.commit()


def start_page(client) -> str:
    return html.unescape(client.get("/staff/").get_data(as_text=True))


def test_new_faults_show_their_count_age_and_link(office_client):
    new_faults("zielone-wzgorza", [3, 1])
    page = start_page(office_client("zielone-wzgorza", "biuro"))
    queue = page.split('id="queue-faults_staff-index-new"')[1].split("</li>")[0]
    assert "Nowe zgłoszenia usterek" in queue and ">2<" in queue
    assert 'href="/staff/usterki/?stan=new"' in queue
    assert "najstarsze: 3 dni temu" in queue
    # A desk the policy enables with nothing waiting says so, below the busy ones.
    readings = page.split('id="queue-meters_staff-readings"')[1].split("</li>")[0]
    assert ">0<" in readings and "nic nie czeka" in readings
    assert page.index("queue-faults_staff") < page.index("queue-meters_staff")


def test_only_the_desks_the_policy_enables_have_a_queue(office_client):
    new_faults("brzeg", [2])  # Brzeg's residents report no faults in the portal
    page = start_page(office_client("brzeg", "biuro"))
    assert "Nowe zgłoszenia usterek" not in page
    assert "Wnioski o dostęp do rozpatrzenia" not in page  # the manager creates accounts
    page = start_page(office_client("zielone-wzgorza", "biuro"))
    assert "Wnioski o dostęp do rozpatrzenia" in page  # its procedure has a staff review


def test_what_the_members_department_decides_comes_first(synced):
    slug = "siarkowiec"
    fallback = tenant(slug).policy.notifications.phone_fallback
    other = next(d["key"] for d in tenant(slug).info("departments") if d["key"] != fallback)
    with tenant_scope(tenant(slug)):
        db.session.add_all([
            StaffTask(department=other, kind="call:test", title="Starsze", details="-",
                      created_at=utcnow() - timedelta(days=9)),
            StaffTask(department=fallback, kind="call:test", title="Nowsze", details="-",
                      created_at=utcnow() - timedelta(days=1))])
        db.session.commit()
        member = StaffMember(login="x", full_name="X", password_hash="x", department=fallback)
        first, second = [q for q in queues_for(member) if q.endpoint == "backoffice.tasks"]
        assert (first.department, first.count) == (fallback, 1)
        assert second.department == other
        # Without a department of their own, the longest wait leads.
        member.department = "nobody"
        assert [q.department for q in queues_for(member)
                if q.endpoint == "backoffice.tasks"] == [other, fallback]
        db.session.rollback()


def test_a_contact_correction_waits_for_the_department_the_policy_names(office_client,
                                                                         resident_client):
    """Gdynia gives contact corrections to its accounting department."""
    client, _resident = resident_client("gdynia")
    asked = client.post("/konto/dane/korekta", data={
        "email": "", "phone": "600 700 800", "correspondence_address": "", "note": ""})
    assert asked.status_code == 302
    page = start_page(office_client("gdynia", "ksiegowa", "accounting"))
    queue = page.split('id="queue-contact_staff-index-accounting"')[1].split("</li>")[0]
    assert "Prośby o korektę danych kontaktowych" in queue and ">1<" in queue
    assert "(Twój dział)" in queue
