"""Polish texts for the problems the console shows: the manifest schema's and the policy
checker's messages (precise English, kept for the CLI and files) and the coded problems of
tenant changes. Nothing English reaches the operator as the text of a problem: a message
without a translation below reads as a generic Polish sentence, with the checker's own line
kept as a detail."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

from flask_babel import gettext as _


class Shown(NamedTuple):
    label: str          # the field or key the problem is about ('' for the whole form)
    text: str           # Polish
    details: str = ""   # the checker's precise line, for the advanced (YAML) view


Rule = tuple[re.Pattern, Callable[[re.Match], str]]


def _rules(*pairs: tuple[str, Callable[[re.Match], str]]) -> list[Rule]:
    return [(re.compile(pattern), render) for pattern, render in pairs]


def _q(text: str) -> str:
    return f"„{text}”"


# Messages of the manifest schema (tenants/manifest.py) and of marshmallow's fields.
MANIFEST_RULES = _rules(
    (r"^Missing data for required field\.$", lambda m: _("To pole jest wymagane.")),
    (r"^Shorter than minimum length 1\.$", lambda m: _("To pole jest wymagane.")),
    (r"^Longer than maximum length (\d+)\.$",
     lambda m: _("Najwyżej %(n)s znaków.", n=m[1])),
    (r"^Length must be between 1 and (\d+)\.$",
     lambda m: _("Podaj od 1 do %(n)s znaków.", n=m[1])),
    (r"^Not a valid email address\.$", lambda m: _("To nie jest poprawny adres e-mail.")),
    (r"^Not a valid URL\.$",
     lambda m: _("To nie jest poprawny adres strony (np. https://spoldzielnia.pl).")),
    (r"^Must be one of: .*\.$", lambda m: _("Wybierz jedną z dostępnych wartości.")),
    (r"^unknown key", lambda m: _("Nieznany klucz.")),
    (r"^2-40 characters of a-z",
     lambda m: _("Od 2 do 40 znaków: małe litery a–z, cyfry i „-”, bez „-” na początku "
                 "i na końcu (skrót jest też subdomeną).")),
    (r"^name a file in policies/", lambda m: _("Skrót może zawierać tylko małe litery, "
                                                "cyfry i „-”.")),
    (r"^give the bare host name, without a scheme",
     lambda m: _("Podaj samą nazwę domeny, bez https://.")),
    (r"^give the bare host name, without a path",
     lambda m: _("Podaj samą nazwę domeny, bez ścieżki po „/”.")),
    (r"^give the host name without a port", lambda m: _("Podaj nazwę domeny bez portu.")),
    (r"^write an international host name",
     lambda m: _("Domenę z polskimi znakami zapisz w postaci xn-- (punycode).")),
    (r"^host names must be lower-case", lambda m: _("Domenę zapisz małymi literami.")),
    (r"^give a fully qualified host name",
     lambda m: _("Podaj pełną nazwę domeny, np. iok.spoldzielnia.pl.")),
    (r"^'(.*)' is not a valid DNS label",
     lambda m: _("%(label)s nie jest poprawną częścią nazwy domeny (1–63 znaki a–z, 0–9 "
                 "i „-”, bez „-” na początku i na końcu).", label=_q(m[1]))),
    (r"^give a host name, not an IP address",
     lambda m: _("Podaj nazwę domeny, a nie adres IP.")),
    (r"^host (\S+) is listed twice", lambda m: _("Domena %(host)s jest podana dwa razy.",
                                                 host=m[1])),
    (r"^department key '(.*)' is used twice",
     lambda m: _("Klucz działu %(key)s występuje dwa razy.", key=_q(m[1]))),
    (r"^department keys are a-z",
     lambda m: _("Klucz działu może zawierać tylko małe litery a–z i „_”.")),
    (r"^white text on (#\w+) has contrast ([\d.]+):1",
     lambda m: _("Biały tekst na kolorze %(colour)s ma kontrast %(ratio)s:1, poniżej "
                 "wymaganego przez WCAG AA 4,5:1 — wybierz ciemniejszy kolor.",
                 colour=m[1], ratio=m[2].replace(".", ","))),
    (r"^'(.*)' is not a colour like",
     lambda m: _("%(value)s nie jest kolorem w zapisie #rrggbb, np. #1d5c8c.",
                 value=_q(m[1]))),
    (r"^not a phone number like",
     lambda m: _("To nie jest numer telefonu, np. „77 416 42 58” lub "
                 "„58-629-00-16 wew. 326”.")),
    (r"^not a postal code like", lambda m: _("Podaj kod pocztowy w postaci 49-300.")),
    (r"^a (NIP|REGON) has ([\d or]+) digits",
     lambda m: _("%(label)s ma %(digits)s cyfr.", label=m[1],
                 digits=m[2].replace(" or ", " lub "))),
    (r"^(NIP|REGON) (\d+) has a wrong check digit",
     lambda m: _("%(label)s %(number)s ma błędną cyfrę kontrolną (literówka?).",
                 label=m[1], number=m[2])),
    (r"^give at least one of email, phones or website",
     lambda m: _("Podaj co najmniej jeden kontakt: e-mail, telefon lub stronę internetową.")),
)

# Messages of the policy checker (iok_saas/policy) after 'file:line: key.path: '.
POLICY_RULES = _rules(
    (r"^Unknown field\.$",
     lambda m: _("Nieznany klucz (sprawdź pisownię; klucze opisuje policies/README.md).")),
    (r"^Not a valid integer\.$", lambda m: _("Podaj liczbę całkowitą.")),
    (r"^Not a valid boolean\.$", lambda m: _("Podaj true albo false.")),
    (r"^Not a valid (string|mapping|dict)\.$", lambda m: _("Nieprawidłowy rodzaj wartości.")),
    (r"^Not a valid list\.$", lambda m: _("Podaj listę, np. [a, b].")),
    (r"^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$",
     lambda m: _("Podaj wartość od %(min)s do %(max)s.", min=m[1], max=m[2])),
    (r"^Must be greater than or equal to (\S+)\.$",
     lambda m: _("Podaj co najmniej %(min)s.", min=m[1])),
    (r"^Must be less than or equal to (\S+)\.$",
     lambda m: _("Podaj najwyżej %(max)s.", max=m[1])),
    (r"^Must be one of: (.*)\.$",
     lambda m: _("Dozwolone wartości: %(values)s.", values=m[1])),
    (r"^Must not be blank\.$", lambda m: _("Wartość nie może być pusta.")),
    (r"^'(.*)' is listed twice\.$",
     lambda m: _("%(value)s występuje na liście dwa razy.", value=_q(m[1]))),
    (r"^Not a duration", lambda m: _("To nie jest czas trwania: wpisz np. 15m, 2h lub 7d.")),
    (r"^required key is missing after merging extends chain (.*)$",
     lambda m: _("Brak wymaganego klucza (także w szablonach: %(chain)s).", chain=m[1])),
    (r"^unknown preset '(.*?)'", lambda m: _("Nieznany szablon %(name)s.", name=_q(m[1]))),
    (r"^YAML syntax error", lambda m: _("Błąd składni YAML (wcięcia, dwukropki, nawiasy).")),
    (r"^YAML error", lambda m: _("Tekst nie jest poprawnym YAML-em.")),
    (r"^key given twice", lambda m: _("Klucz jest podany dwa razy.")),
    (r"below the platform floor of (\d+)",
     lambda m: _("Hasło krótsze niż minimum platformy (%(n)s znaków) wymaga uzasadnienia "
                 "w password.below_platform_floor.min_length.", n=m[1])),
    (r"^Shorter than minimum length 1\.$", lambda m: _("Lista nie może być pusta.")),
    (r"^(\S+) cannot come first",
     lambda m: _("Krok %(step)s nie może być pierwszy: najpierw mieszkaniec składa wniosek "
                 "(electronic_form, paper_application lub in_person_request).",
                 step=_q(m[1]))),
    (r"^(\S+) must come after (\S+)\.",
     lambda m: _("Krok %(later)s musi być po kroku %(earlier)s.", later=_q(m[1]),
                 earlier=_q(m[2]))),
    (r"^manager_creates must be the only step",
     lambda m: _("Gdy konta zakłada zarządca, nie może być innych kroków.")),
    (r"^must be empty when the manager creates accounts",
     lambda m: _("Gdy konta zakłada zarządca, mieszkańcy nie składają wniosków — "
                 "usuń kanały.")),
    (r"^in_person_pickup hands over the credentials and must be the last step",
     lambda m: _("Odbiór danych w biurze (in_person_pickup) musi być ostatnim krokiem.")),
    (r"^must be printed_letter_in_person when enrolment ends with in_person_pickup",
     lambda m: _("Gdy mieszkaniec odbiera dane logowania w biurze (in_person_pickup), list "
                 "z hasłem musi być odbierany osobiście.")),
    (r"^step (\S+) needs channel",
     lambda m: _("Krok %(step)s wymaga odpowiadającego mu kanału wniosków.",
                 step=_q(m[1]))),
    (r"^lists home, but home has no panels",
     lambda m: _("Zakładka „home” wymaga paneli strony głównej (klucz home).")),
    (r"^must be true: enrolment step (\S+)",
     lambda m: _("Musi być true: wymaga tego krok %(step)s.", step=_q(m[1]))),
    (r"^(\S+) needs (\S+)",
     lambda m: _("%(a)s wymaga także %(b)s.", a=_q(m[1]), b=_q(m[2]))),
)

_POLICY_LINE = re.compile(
    r"^(?P<source>[^:\s]+?)(?::(?P<line>\d+))?: (?:(?P<path>[A-Za-z_][\w.\[\]]*): )?"
    r"(?P<message>.*)$", re.S)


def _translate(message: str, rules: list[Rule]) -> str | None:
    for pattern, render in rules:
        found = pattern.search(message)
        if found:
            return render(found)
    return None


def manifest_message(message: str) -> str:
    return _translate(message, MANIFEST_RULES) or _("Nieprawidłowa wartość.")


def policy_message(line: str) -> Shown:
    """One line of the policy checker as (key path, Polish text, the line itself)."""
    parts = _POLICY_LINE.match(line)
    if parts is None:
        return Shown("", _("Polityka zawiera błąd."), line)
    path, message = parts["path"] or "", parts["message"]
    text = _translate(message, POLICY_RULES) or _(
        "Ta wartość narusza regułę języka polityk (opis: policies/README.md).")
    if parts["line"]:
        label = (_("wiersz %(line)s, %(path)s", line=parts["line"], path=path) if path
                 else _("wiersz %(line)s", line=parts["line"]))
    else:
        label = path
    return Shown(label, text, line)


def tenant_problem(problem) -> Shown:
    """A coded problem of ``tenants.services`` in Polish."""
    params = problem.params
    code = problem.code
    if code == "slug_reserved":
        return Shown("", _("Skrót %(slug)s jest zarezerwowany dla platformy — wybierz inny.",
                           slug=_q(params["slug"])))
    if code == "slug_taken":
        return Shown("", _("Skrót %(slug)s ma już inna spółdzielnia — wybierz inny.",
                           slug=_q(params["slug"])))
    if code == "host_taken":
        return Shown("", _("Domena %(host)s należy już do spółdzielni %(tenant)s.",
                           host=params["host"], tenant=_q(params["tenant"])))
    if code == "host_in_platform_domain":
        return Shown("", _("Domena %(host)s leży w domenie platformy %(domain)s — adres w tej "
                           "domenie spółdzielnia dostaje sama ze skrótu; podaj własną domenę.",
                           host=params["host"], domain=params["domain"]))
    if code == "policy_unknown_departments":
        keys = ", ".join(_q(key) for key in params["departments"])
        return Shown(_("Działy"), _(
            "Polityka wskazuje działy, których nie ma w kroku „Działy i biura”: %(keys)s. "
            "Dodaj je tam albo zmień politykę.", keys=keys))
    if code == "policy_invalid":
        return policy_message(params["message"])
    if code == "deletion_scheduled":
        return Shown("", _("Ta spółdzielnia czeka na usunięcie danych. Aby przywrócić serwis, "
                           "najpierw anuluj usunięcie."))
    return Shown("", _("Zmiany nie można zapisać."), problem.message)
