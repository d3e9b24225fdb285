from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length

from iok_saas.forms import BaseForm
from iok_saas.policy.schema import LONGEST_PASSWORD


def _code_field(label):
    return StringField(label, validators=[DataRequired(), Length(max=40)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "text",
                                  "autocapitalize": "off", "spellcheck": "false"})


class CodeForm(BaseForm):
    code = _code_field(_l("Kod z aplikacji lub kod zapasowy"))
    remember = BooleanField(_l("Zapamiętaj to urządzenie"))
    submit = SubmitField(_l("Potwierdź"))


class EnrolForm(BaseForm):
    code = _code_field(_l("Kod z aplikacji"))
    submit = SubmitField(_l("Włącz drugi składnik"))


class ReauthForm(BaseForm):
    """Turning the factor off: the password and a current code again."""

    password = PasswordField(_l("Hasło"), validators=[DataRequired(), Length(max=LONGEST_PASSWORD)],
                             render_kw={"autocomplete": "current-password"})
    code = _code_field(_l("Kod z aplikacji lub kod zapasowy"))
    submit = SubmitField(_l("Wyłącz drugi składnik"))


class ConfirmForm(BaseForm):
    submit = SubmitField(_l("Potwierdź"))


class StaffResetForm(BaseForm):
    request_note = TextAreaField(_l("Jak mieszkaniec zgłosił utratę (kiedy, którędy)"),
                                 validators=[DataRequired(), Length(max=500)])
    document = StringField(_l("Sprawdzony dokument tożsamości (rodzaj i numer)"),
                           validators=[Length(max=120)])
    submit = SubmitField(_l("Usuń drugi składnik mieszkańca"))


class PasskeyForm(BaseForm):
    """A passkey's name; the browser's answer travels with it as JSON text (from
    static/js/passkeys.js)."""

    name = StringField(_l("Nazwa klucza (np. „Telefon” albo „Laptop w domu”)"),
                       validators=[DataRequired(), Length(max=60)],
                       render_kw={"autocomplete": "off"})
    credential = HiddenField(validators=[Length(max=8192)])
    submit = SubmitField(_l("Dodaj klucz dostępu"))


class PasskeyAnswerForm(BaseForm):
    """A passkey's answer to a sign-in challenge (JSON text from static/js/passkeys.js)."""

    credential = HiddenField(validators=[DataRequired(), Length(max=8192)])


class PasskeyRemoveForm(BaseForm):
    password = PasswordField(_l("Hasło"), validators=[DataRequired(), Length(max=LONGEST_PASSWORD)],
                             render_kw={"autocomplete": "current-password"})
    submit = SubmitField(_l("Usuń klucz dostępu"))
