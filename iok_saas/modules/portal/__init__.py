"""The resident portal's shape: which tabs a tenant shows, and which units a resident sees.

Feature blueprints lean on these two faces and never re-check policy or titles themselves:
``tab_required(tab)`` (resident signed in and the tab shown, else 404), ``unit_or_404``,
and ``desk_guard(tab)`` for the staff desk of a feature.
"""

from .access import resident_units, unit_or_404
from .tabs import (
    RESIDENT_TABS,
    STAFF_DESKS,
    desk_guard,
    resident_nav,
    staff_nav,
    tab_required,
)

__all__ = ["RESIDENT_TABS", "STAFF_DESKS", "desk_guard", "resident_nav", "resident_units",
           "staff_nav", "tab_required", "unit_or_404"]
