"""Sign-in and password-change forms shared by residents and staff."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    login = StringField(_l("Identyfikator"), validators=[DataRequired(), Length(max=40)],
                        render_kw={"autocomplete": "username"})
    password = PasswordField(_l("Hasło"), validators=[DataRequired(), Length(max=200)],
                             render_kw={"autocomplete": "current-password"})
    submit = SubmitField(_l("Zaloguj się"))


class PasswordChangeForm(FlaskForm):
    current = PasswordField(_l("Obecne hasło"), validators=[DataRequired()],
                            render_kw={"autocomplete": "current-password"})
    new = PasswordField(_l("Nowe hasło"), validators=[DataRequired(), Length(max=200)],
                        render_kw={"autocomplete": "new-password"})
    repeat = PasswordField(_l("Powtórz nowe hasło"), validators=[
        DataRequired(), EqualTo("new", message=_l("Hasła nie są takie same."))],
        render_kw={"autocomplete": "new-password"})
    submit = SubmitField(_l("Zmień hasło"))
