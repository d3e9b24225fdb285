"""Import errors as stable codes with parameters, and their wording in the back office.

Every error an import reports carries a machine ``code`` (stable, documented in
docs/import-format.md), JSON ``params`` for the parts that vary (a column, a limit, an
external id) and the English ``message`` that the command line and the API show. The staff
back office renders the code and params through gettext — the msgids below are Polish — so
a stored run reads in the language of the page that shows it.

``Coded`` is how a code travels with an English message through marshmallow: it is a
``str`` (marshmallow stores and merges it like any message) whose ``format`` keeps the code
and records the named values as params, so coded ``error_messages`` and validator messages
come out of ``make_error``/``_format_error`` still coded.
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import get_locale, get_translations
from flask_babel import gettext as _

FALLBACK = "invalid"  # a message that came without a code (never expected; kept readable)


def N_(msgid: str) -> str:  # noqa: N802 (the usual marker name, known to pybabel)
    """Marks a msgid for extraction; it is translated when an error is shown."""
    return msgid


class Coded(str):
    """An English error message that knows its code and parameters."""

    code: str
    params: dict
    keep: tuple[str, ...]

    def __new__(cls, code: str, text: str, *keep: str, params: dict | None = None):
        message = super().__new__(cls, text)
        message.code = code
        message.keep = keep
        message.params = dict(params or {})
        return message

    def format(self, *args, **kwargs) -> Coded:  # noqa: A003 (str.format, kept coded)
        params = self.params | {key: plain(value) for key, value in kwargs.items()
                                if key in self.keep}
        return Coded(self.code, str.format(self, *args, **kwargs), *self.keep, params=params)

    def __reduce_ex__(self, protocol):  # copies (marshmallow deep-copies fields) stay coded
        return _rebuild, (self.code, str(self), self.keep, self.params)


def _rebuild(code: str, text: str, keep: tuple[str, ...], params: dict) -> Coded:
    return Coded(code, text, *keep, params=params)


def coded(code: str, text: str, **params) -> Coded:
    """A finished message with its parameters (made JSON-safe)."""
    return Coded(code, text, params={key: plain(value) for key, value in params.items()})


def plain(value):
    """A parameter as a JSON value: numbers and text as they are, lists of those, else text."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(item) for item in value]
    return str(value)


def code_of(message) -> tuple[str, dict]:
    """The code and params of a message (a plain message gets the fallback code)."""
    if isinstance(message, Coded):
        return message.code, dict(message.params)
    return FALLBACK, {"detail": str(message)}


# --- Polish wording, one msgid per code ---------------------------------------------------

MESSAGES: dict[str, str] = {
    # marshmallow's own checks
    "required": N_("Brak wymaganej wartości."),
    "null": N_("Wartość nie może być pusta (null)."),
    "invalid_value": N_("Nieprawidłowa wartość."),
    "not_text": N_("Oczekiwano tekstu."),
    "invalid_utf8": N_("Tekst nie jest poprawnie zapisany w UTF-8."),
    "not_a_number": N_("To nie jest poprawna liczba (użyj kropki dziesiętnej, np. 1234.50)."),
    "number_too_large": N_("Liczba jest za duża."),
    "special_number": N_("Wartości specjalne (NaN, nieskończoność) są niedozwolone."),
    "not_an_integer": N_("To nie jest liczba całkowita."),
    "invalid_date": N_("Nieprawidłowa data: użyj formatu RRRR-MM-DD, np. 2025-01-31."),
    "too_short": N_("Tekst jest za krótki (najmniejsza dozwolona długość: %(min)s)."),
    "too_long": N_("Tekst jest za długi (największa dozwolona długość: %(max)s)."),
    "length_between": N_("Długość tekstu musi wynosić od %(min)s do %(max)s znaków."),
    "length_equal": N_("Tekst musi mieć długość %(equal)s."),
    "at_least": N_("Wartość musi wynosić co najmniej %(min)s."),
    "greater_than": N_("Wartość musi być większa niż %(min)s."),
    "at_most": N_("Wartość może wynosić najwyżej %(max)s."),
    "less_than": N_("Wartość musi być mniejsza niż %(max)s."),
    "between": N_("Wartość musi wynosić od %(min)s do %(max)s."),
    "out_of_range": N_("Wartość spoza dozwolonego zakresu."),
    "one_of": N_("Nieprawidłowa wartość; dozwolone: %(choices)s."),
    "invalid_email": N_("Nieprawidłowy adres e-mail."),
    "not_an_object": N_("Wiersz musi być obiektem JSON."),
    # the import format's own rules (schemas.py)
    "nul_character": N_("Wartość nie może zawierać znaku NUL."),
    "too_large": N_("Wartość bezwzględna musi być mniejsza niż %(limit)s."),
    "decimal_places": N_("Dozwolone są najwyżej %(places)s cyfry po kropce dziesiętnej "
                         "(kwoty nie są zaokrąglane)."),
    "invalid_month": N_("Nieprawidłowy miesiąc: użyj formatu RRRR-MM, np. 2025-01."),
    "invalid_bank_account": N_("Numer rachunku bankowego musi mieć dokładnie 26 cyfr "
                               "(spacje są dozwolone)."),
    "earlier_than": N_("Data nie może być wcześniejsza niż %(earlier)s."),
    "charge_not_positive": N_("Kwota opłaty (charge) musi być większa od zera (kwota "
                              "dodatnia zwiększa zadłużenie)."),
    "interest_not_positive": N_("Kwota odsetek (interest) musi być większa od zera (kwota "
                                "dodatnia zwiększa zadłużenie)."),
    "payment_not_negative": N_("Kwota wpłaty (payment) musi być ujemna (wpłata zmniejsza "
                               "zadłużenie)."),
    "correction_zero": N_("Kwota korekty (correction) nie może być zerem."),
    # rows and files (services.py, formats.py)
    "unknown_field": N_("Nieznane pole %(field)s; pola zbioru %(dataset)s to: %(fields)s."),
    "duplicate_id": N_("external_id %(external_id)s powtarza się w pliku (pierwszy raz w "
                       "wierszu %(first_row)s)."),
    "unknown_reference": N_("Brak wiersza zbioru %(dataset)s o external_id %(external_id)s "
                            "(ani w bazie danych, ani w tym imporcie)."),
    "dataset_repeated": N_("Zbiór %(dataset)s występuje w imporcie dwa razy."),
    "database_refused": N_("Baza danych odrzuciła wiersze od tego miejsca (być może inny "
                           "import zmienia te same wiersze): %(error)s."),
    "wrong_value_count": N_("Oczekiwano %(expected)s wartości, jak w nagłówku, a jest ich "
                            "%(found)s."),
    "row_not_object": N_("Wiersz musi być obiektem JSON."),
    "unknown_dataset": N_("Nieznany zbiór danych %(dataset)s; dostępne: %(known)s."),
    "dataset_not_text": N_("Nazwa zbioru danych musi być tekstem, np. „ledger”."),
    "csv_dataset_missing": N_("Plik CSV zawiera jeden zbiór danych: wskaż, który."),
    "empty_file": N_("Plik jest pusty; pierwsza linia musi zawierać nazwy kolumn."),
    "not_utf8": N_("Plik nie jest zapisany w UTF-8: linia %(line)s, bajt %(byte)s tej linii."),
    "malformed_csv": N_("Nieprawidłowy plik CSV: %(detail)s."),
    "bad_header": N_("Błędny nagłówek zbioru %(dataset)s: %(problems)s. Kolumny tego zbioru: "
                     "%(columns)s."),
    "json_not_utf8": N_("Dokument nie jest zapisany w UTF-8."),
    "json_lone_surrogate": N_("Tekst w dokumencie JSON zawiera połowę pary zastępczej (znak "
                              "z zakresu U+D800–U+DFFF), której nie da się zapisać w UTF-8."),
    "invalid_json": N_("To nie jest poprawny dokument JSON (linia %(line)s, kolumna "
                       "%(column)s)."),
    "json_too_deep": N_("Dokument JSON jest zbyt głęboko zagnieżdżony."),
    "json_number_too_long": N_("Liczba całkowita w dokumencie JSON ma %(digits)s cyfr; "
                               "dozwolone jest najwyżej %(limit)s."),
    "dataset_mismatch": N_("Dokument dotyczy zbioru %(found)s, a nie %(expected)s."),
    "expected_rows": N_('Oczekiwano {"rows": [...]} albo listy wierszy.'),
    "expected_object": N_('Oczekiwano obiektu JSON: {"dataset": ..., "rows": [...]} albo '
                          '{"datasets": {...}}.'),
    "unknown_keys": N_("Nieznane klucze obok „datasets”: %(keys)s."),
    "datasets_not_object": N_("„datasets” musi być obiektem: nazwa zbioru → lista wierszy."),
    "unexpected_keys": N_('Oczekiwano {"dataset": ..., "rows": [...]} albo '
                          '{"datasets": {...}}; znalezione klucze: %(keys)s.'),
    "rows_not_list": N_("Wiersze zbioru %(dataset)s muszą być listą JSON."),
    FALLBACK: N_("Nieprawidłowa wartość: %(detail)s."),
}

# The parts of a bad CSV header, joined into "problems" of "bad_header".
HEADER_PARTS = {
    "unknown": N_("nieznane kolumny: %(columns)s"),
    "missing": N_("brak wymaganych kolumn: %(columns)s"),
    "repeated": N_("powtórzone kolumny: %(columns)s"),
}


class _Untranslated(Exception):
    """The page's language is not Polish and the catalogue lacks the wording."""


def _translate(msgid: str, **values) -> str:
    locale = get_locale()
    if locale is not None and locale.language != "pl" \
            and get_translations().gettext(msgid) == msgid:
        raise _Untranslated
    return _(msgid, **values)


def _shown(value) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value)) if value else "—"
    return "—" if value is None else str(value)


def render_error(error: dict) -> str:
    """One stored error in the page's language (Polish msgids through gettext).

    An error without a known code (a run stored before codes existed), or one whose wording
    the page's language does not have yet, shows its English message.
    """
    code = error.get("code")
    params = error.get("params") or {}
    msgid = MESSAGES.get(code) if isinstance(code, str) else None
    if msgid is None or not isinstance(params, dict):
        return str(error.get("message") or "")
    values = {key: _shown(value) for key, value in params.items()}
    try:
        if code == "bad_header":
            values["problems"] = "; ".join(
                _translate(HEADER_PARTS[part], columns=_shown(params[part]))
                for part in HEADER_PARTS if params.get(part))
        return _translate(msgid, **values)
    except (_Untranslated, KeyError, TypeError, ValueError):
        return str(error.get("message") or "")
