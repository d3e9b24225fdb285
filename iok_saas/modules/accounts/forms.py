from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length


class RegulationsForm(FlaskForm):
    accept = BooleanField(_l("Przeczytałem(-am) i akceptuję regulamin serwisu"),
                          validators=[DataRequired(_l("Zaakceptuj regulamin, aby kontynuować."))])
    submit = SubmitField(_l("Akceptuję"))


class SelfBlockForm(FlaskForm):
    reason = TextAreaField(_l("Co się stało? (opcjonalnie)"), validators=[Length(max=500)])
    confirm = BooleanField(_l("Rozumiem, że po zablokowaniu nie zaloguję się, dopóki biuro "
                              "nie wyda nowych danych dostępowych."),
                           validators=[DataRequired(_l("Potwierdź blokadę."))])
    submit = SubmitField(_l("Zablokuj moje konto"))


class RecoveryRequestForm(FlaskForm):
    login = StringField(_l("Identyfikator"), validators=[DataRequired(), Length(max=40)],
                        render_kw={"autocomplete": "username"})
    email = EmailField(_l("Adres e-mail podany spółdzielni"),
                       validators=[DataRequired(), Email(), Length(max=254)])
    submit = SubmitField(_l("Wyślij odnośnik"))


class NewPasswordForm(FlaskForm):
    new = PasswordField(_l("Nowe hasło"), validators=[DataRequired(), Length(max=200)],
                        render_kw={"autocomplete": "new-password"})
    repeat = PasswordField(_l("Powtórz nowe hasło"), validators=[
        DataRequired(), EqualTo("new", message=_l("Hasła nie są takie same."))],
        render_kw={"autocomplete": "new-password"})
    submit = SubmitField(_l("Ustaw hasło"))
