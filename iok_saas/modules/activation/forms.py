from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, RadioField, SelectChoice, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from iok_saas.forms import BaseForm
from iok_saas.policy.schema import LONGEST_PASSWORD

FILL_IN = _l("Uzupełnij to pole.")


class RegisterForm(BaseForm):
    code = StringField(_l("Kod aktywacyjny"), validators=[DataRequired(FILL_IN), Length(max=40)],
                       description=_l("Z pisma od zarządcy, np. ABCD-EFGH-JKLM."),
                       render_kw={"autocomplete": "off", "autocapitalize": "characters"})
    flat_number = StringField(_l("Numer lokalu"), validators=[DataRequired(FILL_IN),
                                                              Length(max=20)],
                              render_kw={"autocomplete": "off"})
    amount = StringField(_l("Kwota z ostatniego zawiadomienia o opłatach (zł)"),
                         validators=[DataRequired(FILL_IN), Length(max=30)],
                         description=_l("Łączna kwota miesięcznych opłat, np. 512,40."),
                         render_kw={"autocomplete": "off", "inputmode": "decimal"})
    email = EmailField(_l("Adres e-mail"), validators=[
        DataRequired(FILL_IN), Email(_l("Podaj poprawny adres e-mail.")), Length(max=254)],
        render_kw={"autocomplete": "email"})
    new = PasswordField(_l("Hasło"),
                        validators=[DataRequired(FILL_IN), Length(max=LONGEST_PASSWORD)],
                        render_kw={"autocomplete": "new-password"})
    repeat = PasswordField(_l("Powtórz hasło"), validators=[
        DataRequired(FILL_IN), EqualTo("new", message=_l("Hasła nie są takie same."))],
        render_kw={"autocomplete": "new-password"})
    submit = SubmitField(_l("Załóż konto"))

    def validate_amount(self, field) -> None:
        """A typo in the amount reveals nothing about the code: say so, without counting
        it as a wrong try."""
        from .services import parse_amount

        if field.data and parse_amount(field.data) is None:
            raise ValidationError(_l("Wpisz kwotę liczbą, np. 512,40."))


class ResendForm(BaseForm):
    login = StringField(_l("Identyfikator"), validators=[DataRequired(FILL_IN), Length(max=64)],
                        description=_l("Podany po założeniu konta kodem aktywacyjnym."),
                        render_kw={"autocomplete": "username"})
    password = PasswordField(_l("Hasło ustawione przy zakładaniu konta"),
                             validators=[DataRequired(FILL_IN), Length(max=LONGEST_PASSWORD)],
                             render_kw={"autocomplete": "current-password"})
    email = EmailField(_l("Adres e-mail"), validators=[
        DataRequired(FILL_IN), Email(_l("Podaj poprawny adres e-mail.")), Length(max=254)],
        description=_l("Ten sam albo poprawiony — na niego wyślemy nowy odnośnik."),
        render_kw={"autocomplete": "email"})
    submit = SubmitField(_l("Wyślij nowy odnośnik"))


class ConfirmForm(BaseForm):
    submit = SubmitField(_l("Potwierdzam adres e-mail"))


class IssueForm(BaseForm):
    """The holders chosen arrive as checkboxes named ``holder`` (read by the view)."""

    format = RadioField(_l("Plik do druku"), choices=[SelectChoice("pdf", "PDF"),
                                                            SelectChoice("csv", "CSV")],
                        default="pdf", validators=[DataRequired()])
    submit = SubmitField(_l("Wygeneruj kody dla zaznaczonych"))
    everyone = SubmitField(_l("Wygeneruj dla wszystkich bez konta i bez aktywnego kodu"))


class RevokeForm(BaseForm):
    submit = SubmitField(_l("Unieważnij"))
