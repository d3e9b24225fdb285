"""Polish wording of the kinds of legal title to a unit."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

TITLE_LABELS = {
    "owner": _l("właściciel"),
    "tenant": _l("najemca"),
    "member": _l("członek spółdzielni"),
}
