"""Forms of the contact feature: the resident's correction request and the staff decision."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, StringField, SubmitField, TextAreaField
from wtforms.validators import Email, Length, Optional, ValidationError

from iok_saas.forms import BaseForm
from iok_saas.modules.portal.desk import decision_form

_PHONE_NOISE = re.compile(r"[\s()\-.]")
_PHONE = re.compile(r"^(?:\+48|0048)?(\d{9})$")


def normalize_phone(value: str | None) -> str | None:
    """A Polish phone number as "600 100 200" (nine digits, +48 dropped); None if blank;
    ValueError when it is not nine digits."""
    if value is None or not value.strip():
        return None
    match = _PHONE.match(_PHONE_NOISE.sub("", value))
    if not match:
        raise ValueError(value)
    digits = match.group(1)
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _polish_phone(form, field) -> None:
    try:
        normalize_phone(field.data)
    except ValueError:
        raise ValidationError(_l("Podaj polski numer telefonu: 9 cyfr, np. 600 100 200 "
                                 "(opcjonalnie z +48).")) from None


class CorrectionForm(BaseForm):
    email = EmailField(_l("Adres e-mail"), filters=[_strip], validators=[
        Optional(), Email(_l("Podaj poprawny adres e-mail, np. jan.kowalski@example.com.")),
        Length(max=254, message=_l("Najwyżej 254 znaki."))],
        render_kw={"autocomplete": "email"})
    phone = StringField(_l("Telefon"), filters=[_strip], validators=[Optional(), _polish_phone],
                        render_kw={"autocomplete": "tel"})
    correspondence_address = TextAreaField(
        _l("Adres do korespondencji"), filters=[_strip],
        validators=[Optional(), Length(max=300, message=_l("Najwyżej 300 znaków."))],
        description=_l("Jeśli jest inny niż adres lokalu, np. ul. Polna 3/4, 00-950 Warszawa."))
    note = TextAreaField(
        _l("Inne poprawki (np. imię lub nazwisko)"), filters=[_strip],
        validators=[Optional(), Length(max=1000, message=_l("Najwyżej 1000 znaków."))],
        description=_l("Napisz, co jest błędne i jak powinno brzmieć. Zmianę nazwiska może "
                       "być trzeba potwierdzić dokumentem w biurze."))
    submit = SubmitField(_l("Wyślij prośbę o korektę"))


DecisionForm = decision_form(
    _l("Wymagany przy odrzuceniu; mieszkaniec zobaczy go w wiadomości e-mail i w historii "
       "swoich próśb."),
    "apply", _l("Wprowadź zmiany"), _l("Odrzuć prośbę"))
