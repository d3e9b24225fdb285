"""Voting forms: the staff opening form, the resident's ballot, a paper ballot."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields import DateTimeLocalField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from iok_saas.forms import BaseForm

from .models import CHOICES
from .services import CHOICE_LABELS, RESOLUTION_MAX, TITLE_MAX

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _optional_int(value):
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1  # not a choice: the form says so


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _choices():
    return [(choice, CHOICE_LABELS[choice]) for choice in CHOICES]


class OpenVoteForm(BaseForm):
    title = StringField(_l("Tytuł uchwały"), filters=[_strip], validators=[
        DataRequired(_l("Podaj tytuł uchwały.")),
        Length(max=TITLE_MAX, message=_l("Najwyżej %(max)s znaków.", max=TITLE_MAX))])
    resolution = TextAreaField(_l("Treść uchwały"), filters=[_strip], validators=[
        DataRequired(_l("Podaj treść uchwały.")),
        Length(max=RESOLUTION_MAX, message=_l("Najwyżej %(max)s znaków.", max=RESOLUTION_MAX))])
    association_id = SelectField(
        _l("Wspólnota"), coerce=_optional_int,
        description=_l("Głosują właściciele lokali tej wspólnoty, według udziałów."))
    starts_at = DateTimeLocalField(_l("Początek głosowania (czas polski)"),
                                   format=DATETIME_FORMATS,
                                   validators=[DataRequired(_l("Podaj początek głosowania."))])
    ends_at = DateTimeLocalField(_l("Koniec głosowania (czas polski)"), format=DATETIME_FORMATS,
                                 validators=[DataRequired(_l("Podaj koniec głosowania."))])
    documents = CheckboxesField(_l("Załączniki z biblioteki dokumentów"), coerce=int)
    submit = SubmitField(_l("Otwórz głosowanie"))


class BallotForm(BaseForm):
    elector = SelectField(_l("Głosuję za"), coerce=int,
                          validators=[DataRequired(_l("Wybierz lokal."))])
    choice = RadioField(_l("Mój głos"), choices=_choices,
                        validators=[DataRequired(_l("Wybierz: za, przeciw albo "
                                                    "wstrzymuję się."))])
    submit = SubmitField(_l("Oddaj głos"))


class PaperBallotForm(BaseForm):
    elector = SelectField(_l("Lokal / członek"), coerce=int,
                          validators=[DataRequired(_l("Wybierz lokal lub członka."))])
    choice = RadioField(_l("Głos na karcie"), choices=_choices,
                        validators=[DataRequired(_l("Wybierz głos z karty."))])
    scan = FileField(_l("Skan karty (PDF)"), render_kw={"accept": "application/pdf"})
    submit = SubmitField(_l("Wprowadź kartę"))


class CloseForm(BaseForm):
    submit = SubmitField(_l("Zamknij głosowanie i policz głosy"))
