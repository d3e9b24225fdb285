"""Call tasks: a notification for a resident without e-mail lands with the department the
policy names, which sees it, phones, and closes it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.accounts import services as accounts
from iok_saas.modules.housing.models import Person
from iok_saas.modules.notifications.models import StaffTask
from iok_saas.modules.staff.models import StaffMember
from iok_saas.tenancy import tenant_scope

from .conftest import make_person, tenant

pytestmark = pytest.mark.usefixtures("ctx")


def phone_only_resident_blocked(slug: str) -> None:
    person_id = make_person(slug, "Jerzy", "Telefoniczny")
    with tenant_scope(tenant(slug)):
        person = db.session.get(Person, person_id)
        person.email, person.phone = None, "600 100 200"
        account = accounts.create_account(person, "test")
        db.session.commit()
        deciding = StaffMember(login="decyduje", full_name="D", password_hash="x",
                               department=tenant(slug).policy.blocking.decided_by,
                               must_change_password=False)
        db.session.add(deciding)
        db.session.commit()
        accounts.block(account, "misuse", None, "nadużycie", deciding)
        db.session.commit()


def test_the_named_department_sees_the_call_and_closes_it(staff_client):
    fallback = tenant("siarkowiec").policy.notifications.phone_fallback
    phone_only_resident_blocked("siarkowiec")
    office = staff_client("siarkowiec", "t.dzwoni", fallback, role="staff")
    page = office.get("/staff/zadania").get_data(as_text=True)
    assert "Jerzy Telefoniczny" in page and "600 100 200" in page
    task_id = int(page.split("/staff/zadania/")[1].split("/")[0])
    assert office.post(f"/staff/zadania/{task_id}/wykonane").status_code == 302
    assert "Brak zadań." in office.get("/staff/zadania").get_data(as_text=True)


def test_other_departments_neither_see_nor_close_it(staff_client):
    phone_only_resident_blocked("siarkowiec")
    fallback = tenant("siarkowiec").policy.notifications.phone_fallback
    other = next(d["key"] for d in tenant("siarkowiec").info("departments")
                 if d["key"] != fallback)
    office = staff_client("siarkowiec", "inny.dzial", other, role="staff")
    assert "Jerzy Telefoniczny" not in office.get("/staff/zadania").get_data(as_text=True)
    # The start page counts the other department's queue and its link shows it, read-only.
    start = office.get("/staff/").get_data(as_text=True)
    assert f"/staff/zadania?dzial={fallback}" in start
    theirs = office.get(f"/staff/zadania?dzial={fallback}").get_data(as_text=True)
    assert "Jerzy Telefoniczny" in theirs and "Zamyka je" in theirs
    assert "/wykonane" not in theirs
    with tenant_scope(tenant("siarkowiec")):
        task_id = db.session.scalar(select(StaffTask.id))
    office.post(f"/staff/zadania/{task_id}/wykonane")
    caller = staff_client("siarkowiec", "t.dzwoni", fallback, role="staff")
    assert "Jerzy Telefoniczny" in caller.get("/staff/zadania").get_data(as_text=True)
