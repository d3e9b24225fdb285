"""Which units a resident may see: those they hold a current title to, nothing else; and
which one of them the portal is showing (the flat switcher's choice, kept in the session)."""

from __future__ import annotations

from flask import g, session
from flask_login import current_user

from iok_saas.domain import NotFound
from iok_saas.modules.housing.held import HeldUnit, held_units
from iok_saas.timeutil import warsaw_today

CHOSEN_UNIT_KEY = "iok_unit"  # the session's chosen flat (an id, checked on every use)


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


def chosen_unit() -> HeldUnit | None:
    """The flat the portal shows: the one chosen in this session (the switcher or a page's
    own picker) while the resident still holds it; a resident's only flat; None: no choice
    yet, all flats. The session only names an id, looked up among the resident's own units
    every time, so it can never open anyone else's."""
    units = resident_units()
    if len(units) == 1:
        return units[0]
    wanted = session.get(CHOSEN_UNIT_KEY)
    return next((unit for unit in units if unit.id == wanted), None)


def shown_units() -> list[HeldUnit]:
    """What a tab lists: the chosen flat alone, or every flat while none is chosen."""
    chosen = chosen_unit()
    return [chosen] if chosen is not None else resident_units()


def remember_unit(unit_id: int) -> HeldUnit:
    """Make one of the resident's own units the chosen flat; another's id is a 404."""
    unit = unit_or_404(unit_id)
    if session.get(CHOSEN_UNIT_KEY) != unit.id:
        session[CHOSEN_UNIT_KEY] = unit.id
    return unit


def forget_unit() -> None:
    """Back to every flat (the switcher's "all flats")."""
    session.pop(CHOSEN_UNIT_KEY, None)
