"""Document library forms: the staff upload, the details editor, a new version, search."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, SelectField, StringField, SubmitField
from wtforms.fields import DateTimeLocalField
from wtforms.validators import DataRequired, Length, Optional

from iok_saas.forms import BaseForm

from .services import NOTE_MAX, NUMBER_MAX, SEARCH_MAX, TITLE_MAX


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _optional_int(value):
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1  # not a choice: the form answers "not a valid choice"


class DetailsForm(BaseForm):
    category = SelectField(_l("Kategoria"), validators=[DataRequired(_l("Wybierz kategorię."))])
    title = StringField(_l("Tytuł"), filters=[_strip], validators=[
        DataRequired(_l("Podaj tytuł.")),
        Length(max=TITLE_MAX, message=_l("Najwyżej %(max)s znaków.", max=TITLE_MAX))])
    number = StringField(_l("Numer (opcjonalnie)"), filters=[_strip],
                         description=_l("Na przykład: 12/2026."), validators=[
        Optional(), Length(max=NUMBER_MAX, message=_l("Najwyżej %(max)s znaków.",
                                                      max=NUMBER_MAX))])
    adopted_on = DateField(_l("Data przyjęcia (opcjonalnie)"), validators=[Optional()])
    valid_until = DateField(_l("Obowiązuje do (opcjonalnie)"),
                            description=_l("Puste pole: obowiązuje bezterminowo."),
                            validators=[Optional()])
    audience = SelectField(_l("Kto może czytać"),
                           validators=[DataRequired(_l("Wybierz, kto może czytać."))])
    association_id = SelectField(
        _l("Wspólnota / budynek"), coerce=_optional_int, validate_choice=True,
        description=_l("Tylko dla dokumentów dla właścicieli jednej wspólnoty lub budynku."))
    published_at = DateTimeLocalField(
        _l("Data publikacji (czas polski)"), format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        description=_l("Data w przyszłości oznacza dokument zaplanowany."),
        validators=[DataRequired(_l("Podaj datę i godzinę publikacji."))])
    email_audience = BooleanField(
        _l("Powiadom czytelników e-mailem po publikacji"))
    submit = SubmitField(_l("Zapisz dokument"))


class UploadForm(DetailsForm):
    file = FileField(_l("Plik PDF"), render_kw={"accept": "application/pdf"})
    submit = SubmitField(_l("Opublikuj dokument"))


class VersionForm(BaseForm):
    file = FileField(_l("Plik PDF nowej wersji"), render_kw={"accept": "application/pdf"})
    note = StringField(_l("Co się zmieniło (opcjonalnie)"), filters=[_strip], validators=[
        Optional(), Length(max=NOTE_MAX, message=_l("Najwyżej %(max)s znaków.", max=NOTE_MAX))])
    submit = SubmitField(_l("Dodaj nową wersję"))


class SearchForm(BaseForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = StringField(_l("Szukaj w tytułach i numerach"), filters=[_strip],
                    validators=[Optional(), Length(max=SEARCH_MAX)])
