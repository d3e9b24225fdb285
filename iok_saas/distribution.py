"""Would the schema distribute by tenant_id? What blocks Citus today, table by table.

Citus shards a distributed table by one column (here ``tenant_id``) and then requires, for
each distributed table, that:
- the primary key and every unique constraint or unique index contain ``tenant_id``
  (uniqueness is enforced per shard only);
- ``tenant_id`` is NOT NULL (a row needs a shard);
- a foreign key to another distributed table includes ``tenant_id`` on both sides, at the
  same position (the rows must live on the same shard: co-location);
- a foreign key to a table that is not distributed points at a *reference table*
  (replicated to every node).
A table that is not distributed (reference or local) may not have a foreign key to a
distributed table.

``distribution_report`` reads the live database's constraints (SQLAlchemy's inspector, on
PostgreSQL or SQLite) and sorts its tables into those to distribute (the tenant tables: the
models that mix in ``TenantScoped``), those that must become reference tables (platform
tables a distributed table refers to) and those that stay local to the coordinator.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import inspect
from sqlalchemy.engine import Connection

COLUMN = "tenant_id"


@dataclass
class Blocker:
    table: str
    kind: str  # primary key | unique | nullable | foreign key | platform foreign key
    detail: str

    def __str__(self) -> str:
        return f"{self.table}: {self.detail}"


@dataclass
class DistributionReport:
    distributed: list[str] = field(default_factory=list)
    reference: dict[str, list[str]] = field(default_factory=dict)  # table -> referenced by
    local: list[str] = field(default_factory=list)
    blockers: list[Blocker] = field(default_factory=list)

    def blocked_tables(self) -> list[str]:
        return sorted({b.table for b in self.blockers})

    def count(self, kind: str) -> int:
        return sum(1 for b in self.blockers if b.kind == kind)

    def lines(self) -> list[str]:
        """The report as the CLI prints it."""
        out = [f"Citus distribution check: distribution column {COLUMN}; "
               f"{len(self.distributed)} tables to distribute, {len(self.reference)} reference "
               f"tables, {len(self.local)} local tables", ""]
        out.append(f"Blockers ({len(self.blockers)}):")
        out += [f"  {blocker}" for blocker in self.blockers] or ["  none"]
        out += ["", "Reference tables (create_reference_table before distributing):"]
        out += [f"  {table}: referenced by {len(by)} distributed table(s)"
                for table, by in sorted(self.reference.items())] or ["  none"]
        out += ["", "Local tables (platform data no distributed table refers to):",
                f"  {', '.join(self.local) or 'none'}", ""]
        blocked = [t for t in self.blocked_tables() if t in self.distributed]
        out.append(
            f"Summary: {len(blocked)} of {len(self.distributed)} tables to distribute are "
            f"blocked: {self.count('primary key')} primary keys, {self.count('unique')} "
            f"unique constraints/indexes, {self.count('foreign key')} foreign keys without "
            f"{COLUMN}, {self.count('nullable')} nullable {COLUMN} columns; "
            f"{self.count('platform foreign key')} foreign keys from a platform table to a "
            f"distributed table." if self.blockers else
            f"Summary: ready; every one of the {len(self.distributed)} tables can be "
            f"distributed by {COLUMN}.")
        return out


def distribution_report(connection: Connection, tenant_tables: list[str]) -> DistributionReport:
    """``tenant_tables``: the tables to distribute (tenancy.tenant_table_names())."""
    inspector = inspect(connection)
    tables = sorted(inspector.get_table_names())
    columns = {t: {c["name"]: c for c in inspector.get_columns(t)} for t in tables}
    distributed = [t for t in tables if t in set(tenant_tables)]
    report = DistributionReport(distributed=distributed)
    # Sorted: PostgreSQL and SQLite reflect them in different orders.
    foreign_keys = {t: sorted(inspector.get_foreign_keys(t),
                              key=lambda fk: (fk["constrained_columns"], fk["referred_table"]))
                    for t in tables}
    for table in distributed:
        _check_keys(inspector, table, columns[table], report)
        for fk in foreign_keys[table]:
            target = fk["referred_table"]
            if target in distributed:
                if not _colocated(fk):
                    report.blockers.append(Blocker(
                        table, "foreign key",
                        f"foreign key ({', '.join(fk['constrained_columns'])}) -> "
                        f"{target}({', '.join(fk['referred_columns'])}) does not include "
                        f"{COLUMN} on both sides"))
            else:
                report.reference.setdefault(target, []).append(table)
    for table in tables:
        for fk in foreign_keys[table] if table not in distributed else []:
            if fk["referred_table"] in distributed:
                report.blockers.append(Blocker(
                    table, "platform foreign key",
                    f"platform table has a foreign key ({', '.join(fk['constrained_columns'])})"
                    f" -> {fk['referred_table']}, a distributed table"))
    report.local = [t for t in tables if t not in distributed and t not in report.reference
                    and t != "alembic_version"]
    return report


def _check_keys(inspector, table: str, columns: dict, report: DistributionReport) -> None:
    if COLUMN not in columns:
        report.blockers.append(Blocker(table, "nullable", f"no {COLUMN} column"))
        return
    if columns[COLUMN].get("nullable", True):
        report.blockers.append(Blocker(table, "nullable", f"{COLUMN} may be NULL"))
    primary = inspector.get_pk_constraint(table).get("constrained_columns") or []
    if COLUMN not in primary:
        report.blockers.append(Blocker(
            table, "primary key", f"primary key ({', '.join(primary) or 'none'}) does not "
            f"include {COLUMN}"))
    uniques = [(u.get("name"), u["column_names"]) for u in inspector.get_unique_constraints(table)]
    seen = {tuple(cols) for _, cols in uniques}
    for index in inspector.get_indexes(table):
        if index.get("unique") and tuple(index["column_names"]) not in seen:
            uniques.append((index.get("name"), index["column_names"]))
    for name, cols in uniques:
        if COLUMN not in cols:
            report.blockers.append(Blocker(
                table, "unique", f"unique {name or 'constraint'} ({', '.join(cols)}) does not "
                f"include {COLUMN}"))


def _colocated(fk: dict) -> bool:
    """tenant_id on both sides, at the same position: (tenant_id, x) -> (tenant_id, id)."""
    mine, theirs = fk["constrained_columns"], fk["referred_columns"]
    return COLUMN in mine and COLUMN in theirs and mine.index(COLUMN) == theirs.index(COLUMN)
