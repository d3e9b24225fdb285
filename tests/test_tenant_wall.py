"""The ORM wall on every database: bulk UPDATE/DELETE given lists of parameters, and textual
SQL run through the session, are scoped to the current tenant or refused, on SQLite (which
has no second wall) exactly as on PostgreSQL as the row-level-security-bound app role."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import bindparam, column, delete, literal_column, select, table, text, update
from sqlalchemy.engine import make_url

from iok_saas import create_app
from iok_saas.extensions import db
from iok_saas.modules.audit.services import Actor
from iok_saas.modules.housing.models import Unit
from iok_saas.modules.imports import services as imports
from iok_saas.modules.staff.models import StaffMember
from iok_saas.modules.tenants.services import sync_from_files
from iok_saas.tenancy import TenantRequired, cross_tenant, tenant_scope

from .conftest import APP_ROLE, TENANT_SLUGS, build_schema, ensure_postgres_database
from .factories import tenant


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def wall_database(request, tmp_path_factory) -> str:
    """A schema on each database; on PostgreSQL the app connects as the RLS-bound role."""
    if request.param == "sqlite":
        return build_schema(f"sqlite:///{tmp_path_factory.mktemp('wall') / 'wall.sqlite3'}")
    from .services import require_service, worker_database

    owner = make_url(require_service("postgres")).set(
        database=worker_database("iok_tenant_wall_test"))
    rendered = owner.render_as_string(hide_password=False)
    ensure_postgres_database(rendered)
    url = build_schema(rendered)
    assert make_url(url).username == APP_ROLE
    return url


@pytest.fixture
def staff_of_two(wall_database, tmp_path):
    """Two tenants' staff members: (brzeg, gdynia, {slug: staff id})."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": wall_database, "TESTING": True,
                      "IOK_VAR_DIR": tmp_path})
    with app.app_context():
        with cross_tenant("test set-up: start from empty tables"):
            for table in reversed(db.metadata.sorted_tables):
                db.session.execute(table.delete())
            db.session.commit()
        sync_from_files(app.config["IOK_TENANTS_DIR"], app.config["IOK_POLICIES_DIR"],
                        Actor.cli("test"))
        ids = {}
        for slug, name in (("brzeg", "Anna Brzeska"), ("gdynia", "Inna Gdyńska")):
            with tenant_scope(tenant(slug)):
                member = StaffMember(login="anna", full_name=name, department="finance",
                                     password_hash="x")
                db.session.add(member)
                db.session.commit()
                ids[slug] = member.id
        db.session.expunge_all()
        yield tenant("brzeg"), tenant("gdynia"), ids
        db.session.remove()
        db.engine.dispose()


def _names() -> dict[int, str]:
    with cross_tenant("test: read both tenants' rows"):
        rows = db.session.execute(select(StaffMember.id, StaffMember.full_name)).all()
        db.session.rollback()
    return dict(rows)


def _unchanged(ids) -> None:
    assert _names() == {ids["brzeg"]: "Anna Brzeska", ids["gdynia"]: "Inna Gdyńska"}


def test_bulk_update_by_primary_key_refuses_another_tenants_row(staff_of_two):
    brzeg, _gdynia, ids = staff_of_two
    with tenant_scope(brzeg), pytest.raises(TenantRequired, match="StaffMember"):
        db.session.execute(update(StaffMember), [
            {"id": ids["brzeg"], "full_name": "Zmieniona"},
            {"id": ids["gdynia"], "full_name": "Przejęta"}])
    db.session.rollback()
    _unchanged(ids)


def test_bulk_update_by_primary_key_of_own_rows_still_works(staff_of_two):
    brzeg, _gdynia, ids = staff_of_two
    with tenant_scope(brzeg):
        mine = db.session.get(StaffMember, ids["brzeg"])
        db.session.execute(update(StaffMember), [{"id": ids["brzeg"], "full_name": "Nowa"}])
        assert mine.full_name == "Nowa"  # the loaded object follows, as SQLAlchemy promises
        db.session.commit()
    assert _names() == {ids["brzeg"]: "Nowa", ids["gdynia"]: "Inna Gdyńska"}


def test_bulk_update_by_primary_key_with_more_criteria_refuses_another_tenants_row(
        staff_of_two):
    brzeg, _gdynia, ids = staff_of_two
    statement = update(StaffMember).where(StaffMember.department == "finance")
    with tenant_scope(brzeg), pytest.raises(TenantRequired, match="StaffMember"):
        db.session.execute(statement, [{"id": ids["gdynia"], "full_name": "Przejęta"}],
                           execution_options={"synchronize_session": None})
    db.session.rollback()
    _unchanged(ids)


def test_bulk_update_without_a_tenant_is_refused(staff_of_two):
    _brzeg, _gdynia, ids = staff_of_two
    with pytest.raises(TenantRequired):
        db.session.execute(update(StaffMember), [{"id": ids["gdynia"], "full_name": "X"}])
    db.session.rollback()
    _unchanged(ids)


@pytest.mark.parametrize("strategy", ["core_only", "orm"])
def test_executemany_update_with_where_is_scoped_to_the_tenant(staff_of_two, strategy):
    brzeg, _gdynia, ids = staff_of_two
    statement = (update(StaffMember).where(StaffMember.id == bindparam("member"))
                 .values(full_name=bindparam("name")))
    with tenant_scope(brzeg):
        db.session.execute(statement, [{"member": ids["brzeg"], "name": "Zmieniona"},
                                       {"member": ids["gdynia"], "name": "Przejęta"}],
                           execution_options={"dml_strategy": strategy})
        db.session.commit()
    assert _names() == {ids["brzeg"]: "Zmieniona", ids["gdynia"]: "Inna Gdyńska"}


def test_a_statement_run_once_alone_and_then_with_a_list_stays_scoped(staff_of_two):
    """A module's prepared statement keeps one scoped twin per way of running it."""
    brzeg, _gdynia, ids = staff_of_two
    statement = (update(StaffMember).where(StaffMember.id == bindparam("member"))
                 .values(full_name=bindparam("name")))
    with tenant_scope(brzeg):
        db.session.execute(statement, {"member": ids["gdynia"], "name": "Przejęta"})
        db.session.execute(statement, [{"member": ids["gdynia"], "name": "Przejęta"}],
                           execution_options={"dml_strategy": "core_only"})
        db.session.commit()
    _unchanged(ids)


@pytest.mark.parametrize("strategy", ["core_only", "orm"])
def test_executemany_delete_with_where_is_scoped_to_the_tenant(staff_of_two, strategy):
    brzeg, _gdynia, ids = staff_of_two
    statement = delete(StaffMember).where(StaffMember.id == bindparam("member"))
    with tenant_scope(brzeg):
        db.session.execute(statement, [{"member": ids["brzeg"]}, {"member": ids["gdynia"]}],
                           execution_options={"dml_strategy": strategy})
        db.session.commit()
    assert _names() == {ids["gdynia"]: "Inna Gdyńska"}


def test_bulk_delete_by_primary_key_is_refused(staff_of_two):
    brzeg, _gdynia, ids = staff_of_two
    with tenant_scope(brzeg), pytest.raises(TenantRequired, match="StaffMember"):
        db.session.execute(delete(StaffMember), [{"id": ids["gdynia"]}])
    db.session.rollback()
    _unchanged(ids)


@pytest.mark.parametrize("sql", [
    "UPDATE staff_member SET full_name = 'Przejęta'",
    'DELETE FROM "staff_member"',
    "SELECT full_name FROM Staff_Member",
])
def test_text_naming_a_tenant_table_is_refused(staff_of_two, sql):
    brzeg, _gdynia, ids = staff_of_two
    with tenant_scope(brzeg), pytest.raises(TenantRequired, match="staff_member"):
        db.session.execute(text(sql))
    db.session.rollback()
    _unchanged(ids)


def test_orm_select_from_text_naming_a_tenant_table_is_refused(staff_of_two):
    brzeg, _gdynia, _ids = staff_of_two
    statement = select(StaffMember).from_statement(text("SELECT * FROM staff_member"))
    with tenant_scope(brzeg), pytest.raises(TenantRequired, match="staff_member"):
        db.session.scalars(statement).all()


def test_text_on_platform_tables_and_cross_tenant_text_still_run(staff_of_two):
    brzeg, _gdynia, _ids = staff_of_two
    with tenant_scope(brzeg):
        assert db.session.execute(text("SELECT 1")).scalar_one() == 1
        assert (db.session.execute(text("SELECT count(*) FROM tenant")).scalar_one()
                == len(TENANT_SLUGS))
    with cross_tenant("test: a platform report over every tenant"):
        assert db.session.execute(text("SELECT count(*) FROM staff_member")).scalar_one() == 2


def test_a_lightweight_table_or_literal_column_naming_a_tenant_table_is_refused(staff_of_two):
    brzeg, _gdynia, ids = staff_of_two
    bare = table("staff_member", column("id"), column("full_name"))
    with tenant_scope(brzeg), pytest.raises(TenantRequired, match="StaffMember"):
        db.session.execute(update(bare).values(full_name="Przejęta"))
    db.session.rollback()
    with tenant_scope(brzeg), pytest.raises(TenantRequired, match="staff_member"):
        db.session.execute(select(literal_column("staff_member.full_name")).select_from(
            text("staff_member")))
    db.session.rollback()
    _unchanged(ids)


def _import_units(slug: str, city: str):
    datasets = {
        "associations": [{"external_id": "WA1", "name": "Wspólnota Wiązowa 1",
                          "street": "ul. Wiązowa 1", "city": "Kraków"}],
        "units": [{"external_id": f"WU{n}", "association": "WA1", "street": "ul. Wiązowa",
                   "building_number": "1", "unit_number": str(n), "city": city}
                  for n in range(1, 4)],
    }
    with tenant_scope(tenant(slug)):
        run = imports.import_bytes(json.dumps({"datasets": datasets}).encode(), "json", None,
                                   source="cli", actor="cli:test")
        assert run.status == "applied", run.errors
        return sorted(db.session.scalars(select(Unit.city)))


def test_the_imports_bulk_update_and_analyze_still_run_in_the_tenants_scope(
        staff_of_two, monkeypatch):
    """The import changes stored rows by one bulk UPDATE by primary key, and on PostgreSQL
    refreshes the planner's statistics with a textual ANALYZE (here after every import)."""
    monkeypatch.setattr(imports, "ANALYZE_AFTER", 1)
    assert _import_units("brzeg", "Kraków") == ["Kraków"] * 3
    assert _import_units("gdynia", "Gdynia") == ["Gdynia"] * 3
    assert _import_units("brzeg", "Opole") == ["Opole"] * 3
    with tenant_scope(tenant("gdynia")):
        assert sorted(db.session.scalars(select(Unit.city))) == ["Gdynia"] * 3
