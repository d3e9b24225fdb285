"""Announcement forms: the staff editor and the resident's e-mail switch."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.fields import DateTimeLocalField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from iok_saas.forms import BaseForm

from .services import BODY_MAX, TITLE_MAX


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class AnnouncementForm(BaseForm):
    title = StringField(_l("Tytuł"), filters=[_strip], validators=[
        DataRequired(_l("Podaj tytuł.")),
        Length(max=TITLE_MAX, message=_l("Najwyżej %(max)s znaków.", max=TITLE_MAX))])
    body = TextAreaField(
        _l("Treść (Markdown)"), filters=[_strip],
        description=_l("Akapity oddziel pustą linią. **pogrubienie**, *kursywa*, listy "
                       "zaczynane od „-”, odnośniki [tekst](https://…)."),
        validators=[DataRequired(_l("Podaj treść ogłoszenia.")),
                    Length(max=BODY_MAX, message=_l("Najwyżej %(max)s znaków.", max=BODY_MAX))])
    associations = CheckboxesField(
        _l("Budynki"), coerce=int,
        description=_l("Nie zaznaczaj żadnego, aby ogłoszenie zobaczyli wszyscy mieszkańcy."))
    publish_at = DateTimeLocalField(
        _l("Data publikacji (czas polski)"), format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        description=_l("Data w przyszłości oznacza ogłoszenie zaplanowane."),
        validators=[DataRequired(_l("Podaj datę i godzinę publikacji."))])
    email_residents = BooleanField(
        _l("Wyślij e-mailem mieszkańcom, którzy chcą dostawać ogłoszenia"))
    submit = SubmitField(_l("Zapisz ogłoszenie"))


class EmailOptInForm(BaseForm):
    wanted = BooleanField(_l("Chcę dostawać nowe ogłoszenia e-mailem"))
    submit = SubmitField(_l("Zapisz ustawienie"))
