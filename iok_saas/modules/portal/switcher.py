"""The flat switcher every portal page shows to a resident with more than one flat: the
choice is kept in the session and every tab follows it (``access.chosen_unit``)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import HiddenField, IntegerField
from wtforms.validators import Optional

from iok_saas.forms import BaseForm
from iok_saas.modules.housing.held import HeldUnit

from .access import chosen_unit, resident_units
from .tabs import resident_tabs

HOME = "home"


class UnitSwitchForm(BaseForm):
    unit = IntegerField(_l("Lokal"), validators=[Optional()])
    back = HiddenField()


@dataclass(frozen=True)
class UnitSwitch:
    """What the layout renders: the flats grouped by association (one group: no headings),
    the chosen one (None: all flats), and the page to come back to."""

    groups: list[tuple[str, list[HeldUnit]]]
    chosen: HeldUnit | None
    back: str
    form: UnitSwitchForm


def _return_endpoints() -> dict[str, str]:
    """Pages the switcher may return to (a resident tab), by blueprint: never a URL
    from the request, so it cannot redirect anywhere else."""
    return {tab.endpoint: tab.endpoint.partition(".")[0] for tab in resident_tabs().values()}


def back_endpoint(endpoint: str | None, blueprint: str | None) -> str:
    """The tab to return to: this one, the tab of this page's feature, or Home."""
    endpoints = _return_endpoints()
    if endpoint in endpoints:
        return endpoint
    same = sorted(e for e, bp in endpoints.items() if bp == blueprint)
    return same[0] if same else resident_tabs()[HOME].endpoint


def unit_switch() -> UnitSwitch | None:
    """The switcher for this page, or None: not a signed-in resident, or one flat at most."""
    if not current_user.is_authenticated or not current_user.get_id().startswith("resident:"):
        return None
    units = resident_units()
    if len(units) < 2:
        return None
    groups: dict[int, tuple[str, list[HeldUnit]]] = {}
    for unit in units:
        heading = f"{unit.association.street}, {unit.association.city}"
        groups.setdefault(unit.association_id, (heading, []))[1].append(unit)
    back = back_endpoint(request.endpoint, request.blueprint)
    return UnitSwitch(list(groups.values()), chosen_unit(), back,
                      UnitSwitchForm(formdata=None, back=back))
