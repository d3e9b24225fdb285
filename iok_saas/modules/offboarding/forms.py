from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from iok_saas.forms import BaseForm


class ScheduleDeletionForm(BaseForm):
    """Scheduling a deletion asks for the tenant's slug, typed, as the confirmation."""

    confirm_slug = StringField(_l("Wpisz identyfikator spółdzielni, aby potwierdzić"),
                               validators=[DataRequired(), Length(max=40)])


class ConfirmForm(BaseForm):
    """Export and cancel: a button and the CSRF token."""


class RestoreForm(BaseForm):
    """An export archive uploaded to become a new tenant."""

    archive = FileField(_l("Archiwum eksportu (.zip)"),
                        validators=[FileRequired(_l("Wybierz plik archiwum."))])
    slug = StringField(_l("Identyfikator nowej spółdzielni"),
                       validators=[DataRequired(), Length(max=40)])
