"""Which units a resident may see: those they hold a current title to, nothing else."""

from __future__ import annotations

from flask import abort, g
from flask_login import current_user

from iok_saas.modules.housing.models import Unit


def resident_units() -> list[Unit]:
    """The signed-in resident's units (current titles), each once, in address order.

    Asked once per request: navigation, the page and its panels all share the answer."""
    from iok_saas.modules.accounts.services import current_units

    if "iok_resident_units" not in g:
        g.iok_resident_units = sorted(current_units(current_user), key=lambda unit: (
            unit.street, unit.building_number, unit.unit_number or ""))
    return g.iok_resident_units


def unit_or_404(unit_id: int) -> Unit:
    """The resident's unit with this id; another resident's or tenant's id is a 404."""
    for unit in resident_units():
        if unit.id == unit_id:
            return unit
    abort(404)
