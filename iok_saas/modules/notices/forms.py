"""Forms of the notices feature: a resident's consent, its withdrawal, publishing a period."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, SubmitField
from wtforms.validators import DataRequired, InputRequired

from iok_saas.forms import BaseForm


class ConsentForm(BaseForm):
    # The label is the policy's consent text, set by the view.
    agree = BooleanField(validators=[DataRequired(_l(
        "Zaznacz pole zgody, aby otrzymywać zawiadomienia elektronicznie."))])
    give = SubmitField(_l("Udzielam zgody"))


class WithdrawForm(BaseForm):
    withdraw = SubmitField(_l("Wycofuję zgodę (wracam do zawiadomień papierowych)"))


class PublishForm(BaseForm):
    # Choices are the imported periods ("2027-01"), set by the view.
    period = SelectField(_l("Okres"), validate_choice=False,
                         validators=[InputRequired(_l("Wybierz okres."))])
    confirm = BooleanField(_l("Potwierdzam: opublikuj zawiadomienia w portalu i wyślij je "
                              "e-mailem mieszkańcom, którzy wyrazili zgodę."),
                           validators=[DataRequired(_l("Potwierdź publikację i wysyłkę."))])
    submit = SubmitField(_l("Opublikuj i wyślij"))
