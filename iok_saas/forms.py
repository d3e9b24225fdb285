"""The base of every form of the app, and the one check of query strings.

Text that the database, an e-mail or a PDF cannot carry, and numbers or dates no column or
date arithmetic can hold, are refused here before any validator, service or query sees
them: a NUL byte is a psycopg ``DataError`` on PostgreSQL (and stored as-is on SQLite), a
lone surrogate has no UTF-8 encoding, ``Decimal('sNaN')`` makes WTForms' ``NumberRange``
raise. Every form derives from :class:`BaseForm` (ruff's banned-api rule keeps it so), and
:func:`refuse_unsafe_query` checks every query-string and URL parameter of every request.
"""

from __future__ import annotations

import math
import re
from datetime import date
from decimal import Decimal

from flask import Flask, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm  # noqa: TID251 - the one place that subclasses it
from werkzeug.exceptions import BadRequest

# Characters outside XML 1.0's ``Char`` production: the C0 controls but tab, LF and CR (NUL
# among them), lone surrogates and U+FFFE/U+FFFF. HTML, PDF and mail layers cannot carry
# them either, and no person types them.
_UNSAFE_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

# PostgreSQL's ``integer``: every id and count column of the app fits in it, and a larger
# parameter compared with such a column is an error on PostgreSQL and an overflow on SQLite.
MAX_INTEGER = 2 ** 31 - 1
# Decimals: at most 20 digits before the point and 20 after (amounts, meter readings and
# areas need far fewer); beyond that a value overflows a ``numeric`` column or its scale.
MAX_DECIMAL_EXPONENT = 20
# Dates: a cooperative's records start long after 1900; the bounds keep month arithmetic
# and time-zone conversion away from year 1 and 9999, where Python's dates end.
FIRST_YEAR, LAST_YEAR = 1900, 2199

UNSAFE_TEXT_MESSAGE = _l("Pole zawiera niedozwolone znaki.")


def has_unsafe_text(value: object) -> bool:
    return isinstance(value, str) and _UNSAFE_TEXT.search(value) is not None


def problem_with(field) -> str | None:
    """Why a bound field's input cannot be taken at all, or None."""
    raw = field.raw_data or ()
    if any(has_unsafe_text(value) for value in raw):
        return str(UNSAFE_TEXT_MESSAGE)
    values = field.data if isinstance(field.data, list | tuple) else [field.data]
    for value in values:
        problem = _problem_with_value(value)
        if problem:
            return problem
    return None


def _problem_with_value(value: object) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, Decimal | float):
        if isinstance(value, Decimal) and not value.is_finite() or \
                isinstance(value, float) and not math.isfinite(value):
            return _("Podaj liczbę, np. 12,5.")
        if isinstance(value, Decimal) and not _decimal_in_range(value):
            return _("Liczba jest poza dozwolonym zakresem.")
        if isinstance(value, float) and abs(value) >= 10 ** MAX_DECIMAL_EXPONENT:
            return _("Liczba jest poza dozwolonym zakresem.")
    elif isinstance(value, int) and abs(value) > MAX_INTEGER:
        return _("Liczba jest poza dozwolonym zakresem.")
    elif isinstance(value, date) and not FIRST_YEAR <= value.year <= LAST_YEAR:
        return _("Podaj datę z lat %(first)s–%(last)s.", first=FIRST_YEAR, last=LAST_YEAR)
    return None


def _decimal_in_range(value: Decimal) -> bool:
    return value.adjusted() < MAX_DECIMAL_EXPONENT and \
        value.as_tuple().exponent >= -MAX_DECIMAL_EXPONENT


class BaseForm(FlaskForm):
    """FlaskForm that refuses unusable input on the field before any validator runs.

    Validators can query the database with the value (a login taken, a person's id), so a
    refused field stops the whole validation: the form is invalid, the field shows why.
    """

    def validate(self, extra_validators=None) -> bool:
        refused = False
        for field in self:
            problem = problem_with(field)
            if problem:
                field.errors = [problem]
                refused = True
        if refused:
            self._errors = None
            return False
        return super().validate(extra_validators)


class UnsafeQuery(BadRequest):
    """A 400 whose description is a sentence for the user (the error page shows it)."""

    api_message = ("the URL contains characters that are not allowed (control characters, "
                   "lone surrogates)")


def refuse_unsafe_query() -> None:
    """A ``before_request`` hook: a query-string or URL parameter with characters no page
    can take (``?q=%00`` in a search) is a 400 with the Polish error page (the API's JSON
    error under /api/), before any view reads it."""
    values = [*request.args.keys(), *request.args.values(), *(
        value for value in (request.view_args or {}).values() if isinstance(value, str))]
    if any(has_unsafe_text(value) for value in values):
        raise UnsafeQuery(_("Adres strony zawiera niedozwolone znaki."))


def init_app(app: Flask) -> None:
    # Installed after the tenancy hook (the error page is the tenant's) and before the
    # blueprints' hooks and views, which read the parameters.
    app.before_request(refuse_unsafe_query)
