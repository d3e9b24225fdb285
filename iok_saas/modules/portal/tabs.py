"""Tabs per policy: navigation for residents and staff, Home panels, and the 404 for a
hidden tab. Features declare their tabs, desks and panels (iok_saas.features); this module
only decides, from the tenant's policy, which of them a request sees."""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from flask import abort

from iok_saas.features import ALWAYS, Tab, features
from iok_saas.modules.auth.guards import resident_required
from iok_saas.tenancy import current_tenant

HOME_TEMPLATE_LINK_ONLY = "portal/_home_link.html"


def resident_tabs() -> dict[str, Tab]:
    """Every resident tab any feature declares, by policy key."""
    return {tab.key: tab for tab in features.collect("tabs")}


def staff_desks() -> list[Tab]:
    """Every staff desk any feature declares, in their declared order."""
    return sorted(features.collect("desks"), key=lambda desk: (desk.order, desk.key))


def _shown(key: str) -> bool:
    policy = current_tenant.policy
    if key == "home":
        return "home" in policy.navigation
    if "." in key:  # a desk shown where a policy switch is on
        return policy.switch(key)
    return key == ALWAYS or policy.shows(key)


def resident_nav() -> list[Tab]:
    """The tabs of the top navigation, in the policy's order.

    Features listed under ``home`` are panels of the Home page, not tabs of their own.
    """
    by_key = resident_tabs()
    return [by_key[key] for key in current_tenant.policy.navigation if key in by_key]


def staff_nav() -> list[Tab]:
    return [desk for desk in staff_desks() if _shown(desk.key)]


@dataclass(frozen=True)
class PanelView:
    template: str
    data: object


def home_panels(person_id: int, units) -> dict[str, PanelView]:
    """The Home page's panels, in the order the policy lists them under ``home``; a key no
    feature gives a panel for is a link to its tab."""
    declared = {panel.key: (feature, panel)
                for feature in features for panel in feature.home_panels}
    panels = {}
    for key in current_tenant.policy.home:
        feature, panel = declared.get(key, (None, None))
        if panel is None:
            panels[key] = PanelView(HOME_TEMPLATE_LINK_ONLY, None)
            continue
        data = feature.resolve(panel.data)(person_id, units) if panel.data else None
        panels[key] = PanelView(panel.template, data)
    return panels


def tab_required(key: str):
    """Resident signed in and the tenant's policy shows ``key``; a hidden tab is a 404."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not _shown(key):
                abort(404)
            return view(*args, **kwargs)

        return resident_required(wrapped)

    return decorate


def desk_guard(key: str):
    """A before_request for a staff desk: 404 when the tenant's policy hides ``key``."""

    def guard():
        if not _shown(key):
            abort(404)

    return guard
