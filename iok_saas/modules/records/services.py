"""Read-only records imported from the manager's system, limited to the signed-in resident's
own units and person; and the summaries the Home page shows for them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.housing.held import HeldUnit

from .models import CourtCase, LandCost, Membership, ServiceCharge

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class UnitRows:
    """One of the resident's units with its records of one kind."""

    unit: HeldUnit
    rows: list = field(default_factory=list)

    def total(self, attribute: str) -> Decimal:
        return sum((getattr(row, attribute) for row in self.rows), ZERO)


def memberships(person_id: int) -> list[Membership]:
    return list(db.session.scalars(
        select(Membership).where(Membership.person_id == person_id)
        .order_by(Membership.member_since.desc(), Membership.id)))


def _per_unit(model, units: Sequence[HeldUnit], order) -> list[UnitRows]:
    ids = [unit.id for unit in units]
    if not ids:
        return []
    rows = db.session.scalars(select(model).where(model.unit_id.in_(ids)).order_by(*order))
    by_unit: dict[int, list] = {unit_id: [] for unit_id in ids}
    for row in rows:
        by_unit[row.unit_id].append(row)
    return [UnitRows(unit, by_unit[unit.id]) for unit in units]


def court_cases(units: Sequence[HeldUnit]) -> list[UnitRows]:
    return _per_unit(CourtCase, units, (CourtCase.filed_on.desc(), CourtCase.id))


def land_costs(units: Sequence[HeldUnit]) -> list[UnitRows]:
    return _per_unit(LandCost, units, (LandCost.due_date, LandCost.id))


def service_charges(units: Sequence[HeldUnit]) -> list[UnitRows]:
    return _per_unit(ServiceCharge, units, (ServiceCharge.issued_on.desc(), ServiceCharge.id))


def nothing_recorded(groups: list[UnitRows]) -> bool:
    return not any(group.rows for group in groups)


# --- Home page panels ------------------------------------------------------------------------

@dataclass(frozen=True)
class CountSummary:
    records: int
    open: int
    remaining: Decimal


def _summary(groups: list[UnitRows], is_open) -> CountSummary:
    rows = [row for group in groups for row in group.rows]
    return CountSummary(
        records=len(rows), open=sum(1 for row in rows if is_open(row)),
        remaining=sum((row.remaining for row in rows if hasattr(row, "remaining")), ZERO))


def services_panel(_person_id: int, units: Sequence[HeldUnit]) -> CountSummary:
    return _summary(service_charges(units), lambda row: row.remaining > 0)


def land_costs_panel(_person_id: int, units: Sequence[HeldUnit]) -> CountSummary:
    return _summary(land_costs(units), lambda row: row.remaining > 0)


def court_cases_panel(_person_id: int, units: Sequence[HeldUnit]) -> CountSummary:
    return _summary(court_cases(units), lambda row: row.is_open)


def membership_panel(person_id: int, _units: Sequence[HeldUnit]):
    return memberships(person_id)
