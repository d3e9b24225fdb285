"""Forms of the occupants feature: a resident's declaration and the staff decision."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from iok_saas.forms import BaseForm
from iok_saas.modules.portal.desk import decision_form

from .services import MAX_OCCUPANTS, MIN_OCCUPANTS, MONTHS_AHEAD, NOTE_MAX


class WholeNumberField(IntegerField):
    """An integer field whose parse error is a Polish sentence."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(str(_l("Podaj liczbę osób jako liczbę całkowitą, np. 3."))) from exc


class DeclarationForm(BaseForm):
    # Choices are the resident's units; the view answers any other id with a 404.
    unit = SelectField(_l("Lokal"), coerce=int, validate_choice=False,
                       validators=[InputRequired(_l("Wybierz lokal."))])
    occupants = WholeNumberField(
        _l("Liczba osób zamieszkujących lokal"),
        validators=[InputRequired(_l("Podaj liczbę osób (liczba całkowita).")),
                    NumberRange(min=MIN_OCCUPANTS, max=MAX_OCCUPANTS,
                                message=_l("Liczba osób musi być od %(min)s do %(max)s."))],
        description=_l("Wszystkie osoby mieszkające w lokalu, łącznie z Tobą i dziećmi "
                       "(od 1 do 20). Przy większej liczbie skontaktuj się z biurem."))
    # Choices (first days of months) are set by the view; the service checks the value.
    effective_from = SelectField(
        _l("Obowiązuje od"), validate_choice=False,
        validators=[InputRequired(_l("Wybierz miesiąc, od którego obowiązuje zmiana."))],
        description=_l("Liczba osób zmienia się zawsze od pierwszego dnia miesiąca. Możesz "
                       "wybrać bieżący miesiąc albo jeden z %(n)s kolejnych; zmianę za "
                       "wcześniejsze okresy zgłoś w biurze spółdzielni, bo wymaga korekty "
                       "już naliczonych opłat.", n=MONTHS_AHEAD))
    note = TextAreaField(_l("Uwagi (nieobowiązkowe)"),
                         validators=[Optional(), Length(max=NOTE_MAX, message=_l(
                             "Najwyżej 500 znaków."))],
                         description=_l("Np. kto się wprowadził lub wyprowadził."))
    submit = SubmitField(_l("Złóż deklarację"))


DecisionForm = decision_form(
    _l("Wymagany przy odrzuceniu; mieszkaniec zobaczy go przy deklaracji i w wiadomości "
       "e-mail."),
    "confirm", _l("Potwierdź deklarację"), _l("Odrzuć deklarację"))


class WithdrawForm(BaseForm):
    submit = SubmitField(_l("Tak, wycofaj deklarację"))
