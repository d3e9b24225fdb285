"""The ledger's choice form (a GET form: it changes nothing, so it carries no CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField


def optional_int(value) -> int | None:
    """An id from the form; the empty "choose…" option is None."""
    return int(value) if value not in (None, "") else None


class LedgerChoiceForm(FlaskForm):
    """Association address (where the policy asks), unit and month; the view fills choices
    and drops the fields the resident has nothing to choose in."""

    class Meta:
        csrf = False

    association = SelectField(_l("Adres wspólnoty"), coerce=optional_int, validate_choice=False)
    unit = SelectField(_l("Lokal"), coerce=optional_int, validate_choice=False)
    month = SelectField(_l("Miesiąc"), validate_choice=False)
