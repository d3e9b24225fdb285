from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional

from iok_saas.forms import BaseForm


class LoginForm(BaseForm):
    # No format check here: signing in only compares with stored addresses, and the demo's
    # operator@iok.localhost is a name the e-mail validator refuses as special-use.
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Hasło"), validators=[DataRequired()])
    submit = SubmitField(_l("Zaloguj"))


class TenantForm(BaseForm):
    """Onboarding a cooperative: the manifest's fields, plus its policy.

    The fields carry no rules of their own: the manifest schema (tenants/manifest.py) is the
    one validator for a manifest file and this form alike, so the console requires exactly
    what tenants/README.md marks as required and offers every documented key."""

    slug = StringField(_l("Skrót (subdomena)"))
    short_name = StringField(_l("Nazwa skrócona"))
    legal_name = StringField(_l("Pełna nazwa"))
    kind = SelectField(_l("Rodzaj"), choices=[
        SelectChoice("housing_cooperative", _l("Spółdzielnia mieszkaniowa")),
        SelectChoice("association_manager", _l("Zarządca wspólnot mieszkaniowych"))])
    hosts = TextAreaField(_l("Własne domeny (jedna w wierszu)"))
    street = StringField(_l("Ulica i numer"))
    postal_code = StringField(_l("Kod pocztowy"))
    city = StringField(_l("Miejscowość"))
    email = StringField(_l("E-mail kontaktowy"))
    website = StringField(_l("Strona internetowa"))
    phone = StringField(_l("Telefon"))
    emergency_phone = StringField(_l("Telefon alarmowy (pogotowie)"))
    office_hours = StringField(_l("Godziny pracy biura"))
    nip = StringField(_l("NIP"))
    regon = StringField(_l("REGON"))
    departments = TextAreaField(
        _l("Działy (w każdym wierszu: klucz: nazwa | pokój | telefon | e-mail)"),
        description=_l("Np. „finance: Dział Finansowy | 12 | 77 416 42 58 | "
                       "finanse@example.pl”; pokój, telefon i e-mail można pominąć. "
                       "Klucze są używane w polityce."))
    primary_color = StringField(_l("Kolor główny"), default="#1f4e79")
    accent_color = StringField(_l("Kolor akcentu"), default="#f0b429")
    logo_text = StringField(_l("Tekst logo (do 6 znaków)"))
    regulations_version = StringField(_l("Wersja regulaminu"))
    regulations_title = StringField(_l("Tytuł regulaminu"))
    regulations_text = TextAreaField(_l("Treść regulaminu (Markdown)"))
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


class RollbackForm(BaseForm):
    """Rolling a tenant's policy back to an earlier version: checked like any edit."""

    confirm = BooleanField(
        _l("Potwierdzam: ta wersja zastąpi obowiązującą politykę od razu."),
        validators=[DataRequired(_l("Zaznacz potwierdzenie, aby przywrócić tę wersję."))])
    submit = SubmitField(_l("Przywróć tę wersję"))
