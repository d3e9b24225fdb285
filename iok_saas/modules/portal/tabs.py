"""Tabs per policy: navigation for residents and staff, and the 404 for a hidden tab."""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from flask import abort
from flask_babel import lazy_gettext as _l

from iok_saas.tenancy import current_tenant


@dataclass(frozen=True)
class Tab:
    key: str          # the policy's name (policy.TABS)
    endpoint: str
    label: str


RESIDENT_TABS = (
    Tab("home", "accounts.dashboard", _l("Strona główna")),
    Tab("ledger", "ledger.index", _l("Saldo rozrachunków")),
    Tab("water_meters", "meters.index", _l("Wodomierze")),
    Tab("meter_submission", "meters.submit", _l("Podaj odczyt")),
    Tab("faults", "faults.index", _l("Zgłoszenia usterek")),
    Tab("occupants", "occupants.index", _l("Liczba osób")),
    Tab("announcements", "announcements.index", _l("Ogłoszenia")),
    Tab("contact", "contact.index", _l("Dane kontaktowe")),
    Tab("membership", "records.membership", _l("Członkostwo")),
    Tab("court_cases", "records.court_cases", _l("Sprawy sądowe")),
    Tab("land_costs", "records.land_costs", _l("Koszty zakupu gruntu")),
    Tab("services", "records.services", _l("Inne usługi")),
    Tab("documents", "documents.index", _l("Dokumenty")),
)

# Staff desks follow the resident features they serve; imports are always there.
STAFF_DESKS = (
    Tab("meter_submission", "meters_staff.readings", _l("Odczyty")),
    Tab("faults", "faults_staff.index", _l("Usterki")),
    Tab("occupants", "occupants_staff.index", _l("Liczba osób")),
    Tab("announcements", "announcements_staff.index", _l("Ogłoszenia")),
    Tab("contact", "contact_staff.index", _l("Korekty danych")),
    Tab("documents", "documents_staff.index", _l("Dokumenty")),
    Tab("imports", "imports_staff.index", _l("Import danych")),
)


def _shown(key: str) -> bool:
    policy = current_tenant.policy
    if key == "home":
        return "home" in policy.navigation
    return key == "imports" or policy.shows(key)


def resident_nav() -> list[Tab]:
    """The tabs of the top navigation, in the policy's order.

    Features listed under ``home`` are panels of the Home page, not tabs of their own.
    """
    by_key = {tab.key: tab for tab in RESIDENT_TABS}
    return [by_key[key] for key in current_tenant.policy.navigation if key in by_key]


def staff_nav() -> list[Tab]:
    return [desk for desk in STAFF_DESKS if _shown(desk.key)]


def tab_required(key: str):
    """Resident signed in and the tenant's policy shows ``key``; a hidden tab is a 404."""
    from iok_saas.modules.accounts.blueprint import resident_required

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
