"""The ledger's choice form (a GET form: it changes nothing, so it carries no CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField


class LedgerChoiceForm(FlaskForm):
    """Association address (where the policy asks), unit and month; the view fills choices
    and drops the fields the resident has nothing to choose in."""

    class Meta:
        csrf = False

    association = SelectField(_l("Adres wspólnoty"), coerce=int, validate_choice=False)
    unit = SelectField(_l("Lokal"), coerce=int, validate_choice=False)
    month = SelectField(_l("Miesiąc"), validate_choice=False)
