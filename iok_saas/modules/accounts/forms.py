from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length

from iok_saas.forms import BaseForm
from iok_saas.policy.schema import LONGEST_PASSWORD


class RegulationsForm(BaseForm):
    accept = BooleanField(_l("Przeczytałem(-am) i akceptuję regulamin serwisu"),
                          validators=[DataRequired(_l("Zaakceptuj regulamin, aby kontynuować."))])
    submit = SubmitField(_l("Akceptuję"))


class SelfBlockForm(BaseForm):
    reason = TextAreaField(_l("Co się stało? (opcjonalnie)"), validators=[Length(max=500)])
    confirm = BooleanField(_l("Rozumiem, że po zablokowaniu nie zaloguję się, dopóki biuro "
                              "nie wyda nowych danych dostępowych."),
                           validators=[DataRequired(_l("Potwierdź blokadę."))])
    submit = SubmitField(_l("Zablokuj moje konto"))


class RecoveryRequestForm(BaseForm):
    login = StringField(_l("Identyfikator"), validators=[DataRequired(), Length(max=40)],
                        render_kw={"autocomplete": "username"})
    email = EmailField(_l("Adres e-mail podany spółdzielni"),
                       validators=[DataRequired(), Email(), Length(max=254)])
    submit = SubmitField(_l("Wyślij odnośnik"))


class NewPasswordForm(BaseForm):
    new = PasswordField(_l("Nowe hasło"), validators=[DataRequired(), Length(max=LONGEST_PASSWORD)],
                        render_kw={"autocomplete": "new-password"})
    repeat = PasswordField(_l("Powtórz nowe hasło"), validators=[
        DataRequired(), EqualTo("new", message=_l("Hasła nie są takie same."))],
        render_kw={"autocomplete": "new-password"})
    submit = SubmitField(_l("Ustaw hasło"))


class UnlockForm(BaseForm):
    submit = SubmitField(_l("Odblokuj konto"))


class EmailChangeForm(BaseForm):
    new_email = EmailField(_l("Nowy adres e-mail"), filters=[lambda v: v.strip() if v else v],
                           validators=[DataRequired(), Email(), Length(max=254)],
                           render_kw={"autocomplete": "email"})
    password = PasswordField(_l("Obecne hasło"),
                             validators=[DataRequired(), Length(max=LONGEST_PASSWORD)],
                             render_kw={"autocomplete": "current-password"})
    submit = SubmitField(_l("Wyślij odnośnik potwierdzający"))


class ConfirmEmailChangeForm(BaseForm):
    submit = SubmitField(_l("Potwierdź nowy adres"))
