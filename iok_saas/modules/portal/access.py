"""Which units a resident may see: those they hold a current title to, nothing else."""

from __future__ import annotations

from flask import abort, g
from flask_login import current_user

from iok_saas.modules.housing.models import Unit
from iok_saas.timeutil import warsaw_today


def resident_units() -> list[Unit]:
    """The signed-in resident's units (current titles), each once, in address order.

    The titles came with the account (accounts.services.SIGNED_IN_RESIDENT), so this
    costs no query; navigation, the page and its panels share the answer."""
    if "iok_resident_units" not in g:
        today = warsaw_today()
        units = {title.unit.id: title.unit for title in current_user.person.titles
                 if title.current_on(today)}
        g.iok_resident_units = sorted(units.values(), key=lambda unit: (
            unit.street, unit.building_number, unit.unit_number or ""))
    return g.iok_resident_units


def unit_or_404(unit_id: int) -> Unit:
    """The resident's unit with this id; another resident's or tenant's id is a 404."""
    for unit in resident_units():
        if unit.id == unit_id:
            return unit
    abort(404)
