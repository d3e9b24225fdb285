"""Forms of the notices feature: a resident's consent, its withdrawal, publishing a period,
the archive of PDFs the manager supplies for a period."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length

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


class SuppliedPdfsForm(BaseForm):
    # The period and every file are checked by supplied.load_bundle (errors per file).
    period = StringField(_l("Okres (RRRR-MM)"),
                         validators=[InputRequired(_l("Podaj okres, np. 2027-01.")),
                                     Length(max=7, message=_l("Podaj okres w postaci RRRR-MM, "
                                                              "np. 2027-01."))],
                         render_kw={"placeholder": "2027-01", "inputmode": "numeric",
                                    "autocomplete": "off"})
    archive = FileField(_l("Archiwum ZIP z plikami PDF"),
                        description=_l("Jeden plik PDF na lokal, nazwany numerem lokalu z "
                                       "systemu księgowego, np. U-1.pdf."),
                        render_kw={"accept": ".zip,application/zip"})
    submit = SubmitField(_l("Wczytaj zawiadomienia PDF"))
