"""Which units a resident may see: those they hold a current title to, nothing else."""

from __future__ import annotations

from flask import g
from flask_login import current_user

from iok_saas.domain import NotFound
from iok_saas.modules.housing.held import HeldUnit, held_units
from iok_saas.timeutil import warsaw_today


def resident_units() -> list[HeldUnit]:
    """The signed-in resident's units (current titles), each once, in address order.

    Asked once per request: navigation, the page and its panels all share the answer;
    between requests the answer is memoised until the tenant's housing data change
    (``housing.held``)."""
    if "iok_resident_units" not in g:
        g.iok_resident_units = held_units(current_user.person_id, warsaw_today(),
                                          current_user.housing_stamp)
    return g.iok_resident_units


def unit_or_404(unit_id: int) -> HeldUnit:
    """The resident's unit with this id; another resident's or tenant's id is a 404."""
    for unit in resident_units():
        if unit.id == unit_id:
            return unit
    raise NotFound
