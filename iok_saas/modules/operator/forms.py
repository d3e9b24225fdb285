from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField
from wtforms import (
    EmailField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from iok_saas.forms import BaseForm

HEX_COLOUR = Regexp(r"^#[0-9a-fA-F]{6}$", message=_l("Podaj kolor w formacie #RRGGBB."))


class LoginForm(BaseForm):
    # No format check here: signing in only compares with stored addresses, and the demo's
    # operator@iok.localhost is a name the e-mail validator refuses as special-use.
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Hasło"), validators=[DataRequired()])
    submit = SubmitField(_l("Zaloguj"))


class TenantForm(BaseForm):
    """Onboarding (and editing) a cooperative: manifest fields plus its policy."""

    slug = StringField(_l("Skrót (subdomena)"), validators=[
        DataRequired(), Regexp(r"^[a-z0-9][a-z0-9-]{1,39}$",
                               message=_l("Małe litery, cyfry i myślniki, 2–40 znaków."))])
    short_name = StringField(_l("Nazwa skrócona"), validators=[DataRequired(), Length(max=120)])
    legal_name = StringField(_l("Pełna nazwa"), validators=[DataRequired(), Length(max=300)])
    kind = SelectField(_l("Rodzaj"), choices=[
        SelectChoice("housing_cooperative", _l("Spółdzielnia mieszkaniowa")),
        SelectChoice("association_manager", _l("Zarządca wspólnot mieszkaniowych"))])
    hosts = TextAreaField(_l("Własne domeny (jedna w wierszu)"), validators=[Optional()])
    street = StringField(_l("Ulica i numer"), validators=[DataRequired()])
    postal_code = StringField(_l("Kod pocztowy"), validators=[
        DataRequired(), Regexp(r"^\d{2}-\d{3}$", message=_l("Kod w formacie 00-000."))])
    city = StringField(_l("Miejscowość"), validators=[DataRequired()])
    email = EmailField(_l("E-mail kontaktowy"), validators=[DataRequired(), Email()])
    phone = StringField(_l("Telefon"), validators=[Optional(), Length(max=40)])
    emergency_phone = StringField(_l("Telefon alarmowy (pogotowie)"),
                                  validators=[Optional(), Length(max=40)])
    nip = StringField(_l("NIP"), validators=[Optional()])
    departments = TextAreaField(
        _l("Działy (w każdym wierszu: klucz: nazwa)"), validators=[DataRequired()],
        description=_l("Np. „finance: Dział Finansowy”. Klucze są używane w polityce."))
    primary_color = StringField(_l("Kolor główny"), default="#1f4e79",
                                validators=[DataRequired(), HEX_COLOUR])
    accent_color = StringField(_l("Kolor akcentu"), default="#f0b429",
                               validators=[DataRequired(), HEX_COLOUR])
    logo_text = StringField(_l("Tekst logo (do 6 znaków)"),
                            validators=[DataRequired(), Length(max=6)])
    regulations_version = StringField(_l("Wersja regulaminu"), validators=[DataRequired()])
    regulations_title = StringField(_l("Tytuł regulaminu"), validators=[DataRequired()])
    regulations_text = TextAreaField(_l("Treść regulaminu (Markdown)"),
                                     validators=[DataRequired()])
    policy_preset = SelectField(_l("Polityka — szablon"), validators=[Optional()])
    policy_source = TextAreaField(_l("Polityka (YAML)"), validators=[Optional()],
                                  description=_l("Pozostaw puste, aby użyć wybranego szablonu."))
    policy_file = FileField(_l("…lub prześlij plik polityki (YAML)"), validators=[
        Optional(), FileAllowed(["yaml", "yml"], _l("Dozwolone są tylko pliki .yaml/.yml."))])
    submit = SubmitField(_l("Zapisz"))


class StatusForm(BaseForm):
    reason = StringField(_l("Powód"), validators=[DataRequired(), Length(max=300)])
    submit = SubmitField(_l("Potwierdź"))


class FirstAdminForm(BaseForm):
    login = StringField(_l("Login"), validators=[DataRequired(), Length(min=3, max=80)])
    full_name = StringField(_l("Imię i nazwisko"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Email()])
    department = SelectField(_l("Dział"), validators=[DataRequired()])
    submit = SubmitField(_l("Utwórz administratora"))
