"""`flask db distribution-check`: what blocks Citus create_distributed_table(…, 'tenant_id')."""

from __future__ import annotations

import pytest
from sqlalchemy import (
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    create_engine,
)

from iok_saas.config import REPO_ROOT
from iok_saas.distribution import distribution_report


def run(app, *args):
    return app.test_cli_runner().invoke(args=["db", "distribution-check", *args])


def test_the_report_names_todays_blockers_and_the_reference_tables(app):
    result = run(app)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    # Primary keys are `id` alone, delivery keys unique across tenants.
    assert "  unit: primary key (id) does not include tenant_id" in lines
    assert ("  outbox_message: unique uq_outbox_message_delivery_key (delivery_key) does not "
            "include tenant_id") in lines
    # Every key between tenant tables is co-located: (tenant_id, x_id) -> x(tenant_id, id).
    assert not any(": foreign key " in line for line in lines)
    assert not any(line.startswith("  fault_photo: unique") for line in lines)
    assert any(line.startswith("  tenant: referenced by ") for line in lines)
    # Platform tables are never offered for distribution, even those with a tenant_id.
    assert not any(line.startswith(("  tenant_host:", "  platform_audit_event:"))
                   for line in lines)
    assert lines[-1].startswith("Summary: ") and "blocked" in lines[-1]


def test_the_deploy_readme_quotes_the_report_as_it_is(app):
    """deploy/README.md quotes the report for its migration path: a new table or key that
    changes it must change the quote too."""
    readme = (REPO_ROOT / "deploy" / "README.md").read_text(encoding="utf-8")
    quoted = readme.split("Today it says:\n\n```\n", 1)[1].split("```", 1)[0]
    assert quoted == run(app).output


def test_strict_fails_while_anything_blocks(app):
    result = run(app, "--strict")
    assert result.exit_code == 1
    assert "Blockers (" in result.output


def _schema(citus_ready: bool) -> tuple[MetaData, list[str]]:
    """A platform table, two tenant tables and a child with a foreign key: in the shape
    Citus needs (composite keys, co-located foreign key) or in today's shape."""
    metadata = MetaData()
    Table("tenant", metadata, Column("id", Integer, primary_key=True))
    Table("tenant_setting", metadata, Column("id", Integer, primary_key=True),
          Column("tenant_id", ForeignKey("tenant.id")))  # platform data with a tenant_id
    key = ("tenant_id", "id") if citus_ready else ("id",)
    Table("unit", metadata,
          Column("tenant_id", ForeignKey("tenant.id"), nullable=not citus_ready,
                 primary_key=citus_ready),
          Column("id", Integer, primary_key=True),
          Column("number", String(10)),
          UniqueConstraint(*(("tenant_id", "number") if citus_ready else ("number",)),
                           name="uq_unit_number"))
    Table("meter", metadata,
          Column("tenant_id", ForeignKey("tenant.id"), nullable=False,
                 primary_key=citus_ready),
          Column("id", Integer, primary_key=True),
          Column("unit_id", Integer),
          ForeignKeyConstraint(["tenant_id", "unit_id"] if citus_ready else ["unit_id"],
                               [f"unit.{column}" for column in key]))
    if not citus_ready:  # a platform table pointing into tenant data
        Table("tenant_flag", metadata, Column("id", Integer, primary_key=True),
              Column("unit_id", ForeignKey("unit.id")))
    return metadata, ["unit", "meter"]


@pytest.mark.parametrize("citus_ready", [True, False])
def test_each_kind_of_blocker_is_found_and_a_ready_schema_passes(citus_ready):
    engine = create_engine("sqlite://")
    metadata, tenant_tables = _schema(citus_ready)
    metadata.create_all(engine)
    with engine.connect() as conn:
        report = distribution_report(conn, tenant_tables)
    assert report.distributed == ["meter", "unit"]
    if citus_ready:
        assert report.blockers == []
        assert report.reference == {"tenant": ["meter", "unit"]}
        assert report.local == ["tenant_setting"]
        assert report.lines()[-1].startswith("Summary: ready")
        return
    assert sorted((b.table, b.kind) for b in report.blockers) == [
        ("meter", "foreign key"), ("meter", "primary key"),
        ("tenant_flag", "platform foreign key"),
        ("unit", "nullable"), ("unit", "primary key"), ("unit", "unique")]
    assert report.lines()[-1].startswith("Summary: 2 of 2 tables to distribute are blocked")


def test_an_empty_database_is_not_reported_ready(tmp_path):
    from iok_saas import create_app

    empty = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'empty.db'}"})
    result = empty.test_cli_runner().invoke(args=["db", "distribution-check", "--strict"])
    assert result.exit_code == 1
    assert "no tenant tables" in result.output
    assert "ready" not in result.output
