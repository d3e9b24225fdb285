"""The resident portal's shape: which tabs a tenant shows, and which units a resident sees.

Feature blueprints lean on these faces and never re-check policy or titles themselves:
``tab_required(tab)`` (resident signed in and the tab shown, else 404), ``unit_or_404``,
``shown_units``/``chosen_unit`` (the flat the switcher chose; every tab follows it),
``remember_unit`` (a page's own picker moves the switcher too) and ``desk_guard(tab)`` for
the staff desk of a feature. Tabs, desks and Home panels are what the features declare
(iok_saas.features), filtered by the tenant's policy.
"""

from .access import (
    chosen_unit,
    forget_unit,
    remember_unit,
    resident_units,
    shown_units,
    unit_or_404,
)
from .tabs import (
    desk_guard,
    home_panels,
    resident_nav,
    resident_tabs,
    staff_desks,
    staff_nav,
    tab_required,
)

__all__ = ["chosen_unit", "desk_guard", "forget_unit", "home_panels", "remember_unit",
           "resident_nav", "resident_tabs", "resident_units", "shown_units", "staff_desks",
           "staff_nav", "tab_required", "unit_or_404"]
