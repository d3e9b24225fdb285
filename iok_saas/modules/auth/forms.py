"""Sign-in and password-change forms shared by residents and staff."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from iok_saas.forms import BaseForm
from iok_saas.policy.schema import LONGEST_PASSWORD


class LoginForm(BaseForm):
    login = StringField(_l("Identyfikator"), validators=[DataRequired(), Length(max=40)],
                        render_kw={"autocomplete": "username"})
    password = PasswordField(_l("Hasło"), validators=[DataRequired(), Length(max=LONGEST_PASSWORD)],
                             render_kw={"autocomplete": "current-password"})
    submit = SubmitField(_l("Zaloguj się"))


class PasswordChangeForm(BaseForm):
    current = PasswordField(_l("Obecne hasło"), validators=[DataRequired()],
                            render_kw={"autocomplete": "current-password"})
    new = PasswordField(_l("Nowe hasło"), validators=[DataRequired(), Length(max=LONGEST_PASSWORD)],
                        render_kw={"autocomplete": "new-password"})
    repeat = PasswordField(_l("Powtórz nowe hasło"), validators=[
        DataRequired(), EqualTo("new", message=_l("Hasła nie są takie same."))],
        render_kw={"autocomplete": "new-password"})
    submit = SubmitField(_l("Zmień hasło"))
