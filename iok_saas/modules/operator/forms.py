from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField
from wtforms import (
    BooleanField,
    ColorField,
    EmailField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from iok_saas.forms import BaseForm


class LoginForm(BaseForm):
    # No format check here: signing in only compares with stored addresses, and the demo's
    # operator@iok.localhost is a name the e-mail validator refuses as special-use.
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Hasło"), validators=[DataRequired()])
    submit = SubmitField(_l("Zaloguj"))


REQUIRED = {"required": True, "aria-required": "true"}
"""Marks a field the manifest requires (the template adds the asterisk); the form keeps
``novalidate``, so the server's Polish messages are what the operator reads."""


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class DepartmentRow(BaseForm):
    """One department of the manifest: its key (used by the policy), name, office."""

    class Meta:
        csrf = False

    key = StringField(_l("Klucz"))
    name = StringField(_l("Nazwa"))
    room = StringField(_l("Pokój / biuro"))
    phone = StringField(_l("Telefon"))
    email = StringField(_l("E-mail"))


LOCK_CHOICES = [
    SelectChoice("", _l("— jak w szablonie —")),
    SelectChoice("15m", _l("15 minut")),
    SelectChoice("30m", _l("30 minut")),
    SelectChoice("1h", _l("1 godzina")),
    SelectChoice("24h", _l("24 godziny")),
    SelectChoice("until_unlocked", _l("do odblokowania")),
]


class TenantForm(BaseForm):
    """Onboarding a cooperative, in steps: the manifest's fields, then the policy built from
    a preset by questions (or written as YAML).

    The manifest fields carry no rules of their own: the manifest schema
    (tenants/manifest.py) is the one validator for a manifest file and this form alike; the
    console shows its problems in Polish beside the fields. The policy questions are checked
    here for range only; the policy checker judges the result."""

    # 1. identity and kind
    slug = StringField(_l("Skrót (subdomena)"), render_kw=REQUIRED,
                       description=_l("Małe litery, cyfry i „-”, np. lesna-polana."))
    short_name = StringField(_l("Nazwa skrócona"), render_kw=REQUIRED)
    legal_name = StringField(_l("Pełna nazwa"), render_kw=REQUIRED)
    kind = SelectField(_l("Rodzaj"), render_kw=REQUIRED, choices=[
        SelectChoice("housing_cooperative", _l("Spółdzielnia mieszkaniowa")),
        SelectChoice("association_manager", _l("Zarządca wspólnot mieszkaniowych"))])
    hosts = TextAreaField(_l("Własne domeny (jedna w wierszu)"))
    # 2. address and contacts
    street = StringField(_l("Ulica i numer"))
    postal_code = StringField(_l("Kod pocztowy"), description=_l("np. 49-300"))
    city = StringField(_l("Miejscowość"), render_kw=REQUIRED)
    email = StringField(_l("E-mail kontaktowy"))
    website = StringField(_l("Strona internetowa"))
    phone = StringField(_l("Telefon"))
    emergency_phone = StringField(_l("Telefon alarmowy (pogotowie)"))
    office_hours = StringField(_l("Godziny pracy biura"))
    nip = StringField(_l("NIP"))
    regon = StringField(_l("REGON"))
    # 3. departments and offices
    departments = FieldList(FormField(DepartmentRow), min_entries=1, max_entries=30)
    # 4. branding
    primary_color = ColorField(_l("Kolor główny (nagłówek, przyciski)"), default="#1f4e79",
                               render_kw=REQUIRED)
    accent_color = ColorField(_l("Kolor akcentu"), default="#f0b429", render_kw=REQUIRED)
    logo_text = StringField(_l("Tekst logo (do 6 znaków)"), render_kw=REQUIRED)
    # 5. regulations
    regulations_version = StringField(_l("Wersja regulaminu"), render_kw=REQUIRED)
    regulations_title = StringField(_l("Tytuł regulaminu"))
    regulations_text = TextAreaField(_l("Treść regulaminu (Markdown)"), render_kw=REQUIRED)
    # 6. policy: a preset and questions
    policy_preset = SelectField(_l("Szablon polityki"), validators=[Optional()],
                                render_kw=REQUIRED)
    manager_creates = BooleanField(_l("Konta zakłada zarządca (mieszkańcy nie składają wniosków)"))
    channels = MultiCheckboxField(_l("Jak mieszkańcy składają wnioski o dostęp"), choices=[
        SelectChoice("electronic", _l("formularz internetowy")),
        SelectChoice("paper", _l("wniosek papierowy w biurze")),
        SelectChoice("email_scan", _l("skan wniosku e-mailem")),
        SelectChoice("in_person", _l("osobiście w biurze, bez formularza"))],
        validators=[Optional()])
    delivery = SelectField(_l("Jak przekazywane są dane logowania"), choices=[
        SelectChoice("", _l("— jak w szablonie —")),
        SelectChoice("printed_letter_in_person", _l("list z hasłem odbierany osobiście")),
        SelectChoice("printed_letter_by_post", _l("list z hasłem wysyłany pocztą"))],
        validators=[Optional()])
    password_min_length = IntegerField(
        _l("Minimalna długość hasła"), validators=[Optional(), NumberRange(
            1, 128, _l("Podaj liczbę od %(min)s do %(max)s."))])
    password_classes = SelectField(_l("Ile rodzajów znaków (cyfry, wielkie, małe, inne)"),
                                   choices=[SelectChoice("", _l("— jak w szablonie —"))] + [
                                       SelectChoice(str(n), str(n)) for n in range(5)],
                                   validators=[Optional()])
    password_history = IntegerField(
        _l("Ile poprzednich haseł nie wolno powtórzyć"), validators=[Optional(), NumberRange(
            0, 24, _l("Podaj liczbę od %(min)s do %(max)s."))])
    tabs = MultiCheckboxField(_l("Zakładki portalu mieszkańca"), validators=[Optional()])
    block_threshold = IntegerField(
        _l("Blokada po tylu nieudanych logowaniach"), validators=[Optional(), NumberRange(
            1, 100, _l("Podaj liczbę od %(min)s do %(max)s."))])
    block_lock = SelectField(_l("Na jak długo"), choices=LOCK_CHOICES, validators=[Optional()])
    recovery_methods = MultiCheckboxField(_l("Jak odzyskać zapomniane hasło"), choices=[
        SelectChoice("email", _l("link e-mailem (samodzielnie)")),
        SelectChoice("written_request", _l("pisemny wniosek")),
        SelectChoice("in_person", _l("osobiście w biurze")),
        SelectChoice("initial_document", _l("z dokumentem z odbioru danych"))],
        validators=[Optional()])
    # the advanced view: the same policy as YAML; an edited text wins over the answers
    policy_source = TextAreaField(_l("Polityka (YAML)"), validators=[Optional()],
                                  description=_l("Tekst wynika z odpowiedzi powyżej. Jeśli go "
                                                 "zmienisz, obowiązuje Twój tekst; wyczyść "
                                                 "pole, aby wrócić do odpowiedzi."))
    policy_generated = HiddenField()
    policy_file = FileField(_l("…lub prześlij plik polityki (YAML)"), validators=[
        Optional(), FileAllowed(["yaml", "yml"], _l("Dozwolone są tylko pliki .yaml/.yml."))])
    submit = SubmitField(_l("Utwórz spółdzielnię"))


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
