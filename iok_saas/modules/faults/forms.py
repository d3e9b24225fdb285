"""Fault report forms: the resident's report and the staff member's status change.

Choices (the resident's units, the next statuses) are set by the views; the photo's content
is checked in ``services.read_photo``.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import RadioField, SelectChoice, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from iok_saas.forms import BaseForm

from .services import CATEGORIES, COMMENT_MAX, DESCRIPTION_MAX, DESCRIPTION_MIN, PLACE_LABELS


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class FaultForm(BaseForm):
    unit_id = SelectField(_l("Lokal"), coerce=int,
                          validators=[DataRequired(_l("Wybierz lokal."))])
    category = SelectField(_l("Rodzaj usterki"),
                           choices=[SelectChoice(*item) for item in CATEGORIES.items()],
                           validators=[DataRequired(_l("Wybierz rodzaj usterki."))])
    place = RadioField(_l("Gdzie jest usterka"),
                       choices=[SelectChoice(*item) for item in PLACE_LABELS.items()],
                       default="flat", validators=[DataRequired(_l("Wskaż miejsce usterki."))])
    description = TextAreaField(
        _l("Opis usterki"), filters=[_strip],
        description=_l("Napisz, co się stało i gdzie dokładnie (od %(min)s do %(max)s znaków).",
                       min=DESCRIPTION_MIN, max=DESCRIPTION_MAX),
        validators=[DataRequired(_l("Opisz usterkę.")),
                    Length(min=DESCRIPTION_MIN, max=DESCRIPTION_MAX,
                           message=_l("Opis musi mieć od %(min)s do %(max)s znaków.",
                                      min=DESCRIPTION_MIN, max=DESCRIPTION_MAX))])
    photo = FileField(_l("Zdjęcie (opcjonalnie)"),
                      description=_l("JPEG, PNG lub WebP, najwyżej 5 MB."),
                      render_kw={"accept": "image/jpeg,image/png,image/webp"})
    submit = SubmitField(_l("Wyślij zgłoszenie"))


class StaffUpdateForm(BaseForm):
    status = SelectField(_l("Nowy stan"), validators=[Optional()])
    comment = TextAreaField(
        _l("Komentarz dla mieszkańca"), filters=[_strip],
        description=_l("Mieszkaniec zobaczy komentarz w historii zgłoszenia i w e-mailu. "
                       "Przy zamknięciu zgłoszenia komentarz jest wymagany."),
        validators=[Optional(), Length(max=COMMENT_MAX,
                                       message=_l("Najwyżej %(max)s znaków.", max=COMMENT_MAX))])
    submit = SubmitField(_l("Zapisz"))
