"""Fail-closed tenant scoping: no tenant -> error; tenant A never sees or touches B's rows."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, insert, select, update

from iok_saas.extensions import db
from iok_saas.modules.staff.models import StaffMember
from iok_saas.tenancy import TenantRequired, cross_tenant, directory, tenant_scope


def _tenant(slug):
    return next(t for t in directory().all() if t.slug == slug)


def _add_staff(tenant, login):
    with tenant_scope(tenant):
        member = StaffMember(login=login, full_name=f"Pracownik {login}", department="finance",
                             password_hash="x")
        db.session.add(member)
        db.session.commit()
        return member.id


@pytest.fixture
def two_tenants(synced):
    with synced.app_context():
        brzeg, gdynia = _tenant("brzeg"), _tenant("gdynia")
        ids = {"brzeg": _add_staff(brzeg, "anna"), "gdynia": None}
        with tenant_scope(gdynia):
            db.session.add(StaffMember(login="anna", full_name="Inna Anna",
                                       department="accounting", password_hash="x"))
            db.session.commit()
            ids["gdynia"] = db.session.scalar(select(StaffMember.id))
        db.session.expunge_all()
        yield brzeg, gdynia, ids


def test_query_without_tenant_raises(two_tenants):
    with pytest.raises(TenantRequired):
        db.session.scalars(select(StaffMember)).all()
    with pytest.raises(TenantRequired):
        db.session.scalar(select(func.count(StaffMember.id)))
    with pytest.raises(TenantRequired):
        db.session.get(StaffMember, two_tenants[2]["brzeg"])


def test_write_without_tenant_raises(two_tenants):
    db.session.add(StaffMember(login="x", full_name="X", department="finance", password_hash="x"))
    with pytest.raises(TenantRequired):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(TenantRequired):
        db.session.execute(update(StaffMember).values(full_name="hacked"))


def test_tenant_a_cannot_read_tenant_b_rows(two_tenants):
    brzeg, gdynia, ids = two_tenants
    with tenant_scope(brzeg):
        rows = db.session.scalars(select(StaffMember)).all()
        assert [(r.login, r.tenant_id) for r in rows] == [("anna", brzeg.id)]
        assert db.session.get(StaffMember, ids["gdynia"]) is None
        assert db.session.scalar(select(func.count()).select_from(StaffMember)) == 1


def test_tenant_a_cannot_change_or_delete_tenant_b_rows(two_tenants):
    brzeg, gdynia, ids = two_tenants
    with tenant_scope(brzeg):
        db.session.execute(update(StaffMember).where(StaffMember.id == ids["gdynia"])
                           .values(full_name="changed"))
        db.session.execute(delete(StaffMember).where(StaffMember.id == ids["gdynia"]))
        db.session.commit()
    with tenant_scope(gdynia):
        assert db.session.get(StaffMember, ids["gdynia"]).full_name == "Inna Anna"


def test_new_rows_are_stamped_and_cannot_be_planted_elsewhere(two_tenants):
    brzeg, gdynia, _ = two_tenants
    with tenant_scope(brzeg):
        member = StaffMember(login="nowy", full_name="N", department="finance", password_hash="x")
        db.session.add(member)
        db.session.commit()
        assert member.tenant_id == brzeg.id
        db.session.add(StaffMember(login="obcy", full_name="O", department="finance",
                                   password_hash="x", tenant_id=gdynia.id))
        with pytest.raises(TenantRequired):
            db.session.flush()
        db.session.rollback()


def test_bulk_insert_rows_must_carry_the_current_tenant(two_tenants):
    brzeg, gdynia, _ = two_tenants
    row = {"login": "bulk", "full_name": "B", "department": "finance", "password_hash": "x",
           "role": "staff", "must_change_password": True, "active": True}
    with tenant_scope(brzeg), pytest.raises(TenantRequired):
        db.session.execute(insert(StaffMember), [{**row, "tenant_id": gdynia.id}])
    db.session.rollback()
    with tenant_scope(brzeg):
        db.session.execute(insert(StaffMember), [{**row, "tenant_id": brzeg.id}])
        db.session.commit()
        assert db.session.scalar(select(func.count(StaffMember.id))) == 2


def test_tenant_id_of_a_row_cannot_move(two_tenants):
    brzeg, gdynia, ids = two_tenants
    with tenant_scope(brzeg):
        member = db.session.get(StaffMember, ids["brzeg"])
        member.tenant_id = gdynia.id
        with pytest.raises(TenantRequired):
            db.session.flush()
        db.session.rollback()


def test_uniqueness_is_per_tenant(two_tenants):
    brzeg, gdynia, _ = two_tenants
    # The same login "anna" exists at both tenants (fixture); a second one at Brzeg fails.
    with tenant_scope(brzeg):
        db.session.add(StaffMember(login="anna", full_name="Dup", department="finance",
                                   password_hash="x"))
        with pytest.raises(Exception, match="(?i)unique|duplicate"):
            db.session.commit()
        db.session.rollback()


def test_explicit_cross_tenant_code_sees_everyone(two_tenants):
    with cross_tenant("test: operator report"):
        logins = sorted(db.session.scalars(select(StaffMember.tenant_id)).all())
    assert len(logins) == 2


def test_cross_tenant_needs_a_reason():
    with pytest.raises(ValueError), cross_tenant(""):
        pass
