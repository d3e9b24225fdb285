"""Application forms (Polish labels and field-level messages; lazy, so English works too).

Choices that depend on the tenant's policy (applicant types, channels, reasons) are set by
the views from ``services``; the forms only validate what was typed.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from iok_saas.forms import BaseForm

PHONE = Regexp(r"^\+?[0-9][0-9 ()\-]{5,24}$",
               message=_l("Podaj numer telefonu, np. 600 100 200."))


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class _ApplicantFields:
    first_name = StringField(_l("Imię"), filters=[_strip], validators=[
        DataRequired(_l("Podaj imię.")), Length(max=100, message=_l("Najwyżej 100 znaków."))],
        render_kw={"autocomplete": "given-name"})
    last_name = StringField(_l("Nazwisko"), filters=[_strip], validators=[
        DataRequired(_l("Podaj nazwisko.")),
        Length(max=150, message=_l("Najwyżej 150 znaków."))],
        render_kw={"autocomplete": "family-name"})
    phone = StringField(_l("Telefon (opcjonalnie)"), filters=[_strip],
                        validators=[Optional(), PHONE], render_kw={"autocomplete": "tel"})
    applicant_type = SelectField(_l("Kim jesteś wobec lokalu"), validators=[
        DataRequired(_l("Wybierz, jaki masz tytuł do lokalu."))])
    street = StringField(_l("Ulica"), filters=[_strip], validators=[
        DataRequired(_l("Podaj ulicę.")), Length(max=200, message=_l("Najwyżej 200 znaków."))],
        render_kw={"autocomplete": "address-line1"})
    building_number = StringField(_l("Numer budynku"), filters=[_strip], validators=[
        DataRequired(_l("Podaj numer budynku.")),
        Length(max=20, message=_l("Najwyżej 20 znaków."))])
    flat_number = StringField(_l("Numer lokalu (jeśli jest)"), filters=[_strip], validators=[
        Optional(), Length(max=20, message=_l("Najwyżej 20 znaków."))])
    city = StringField(_l("Miejscowość"), filters=[_strip], validators=[
        DataRequired(_l("Podaj miejscowość.")),
        Length(max=100, message=_l("Najwyżej 100 znaków."))],
        render_kw={"autocomplete": "address-level2"})


class ApplicationForm(_ApplicantFields, BaseForm):
    """The resident's online form."""

    email = EmailField(_l("Adres e-mail"), filters=[_strip], validators=[
        DataRequired(_l("Podaj adres e-mail.")),
        Email(_l("Podaj poprawny adres e-mail, np. jan.kowalski@example.com.")),
        Length(max=254)], render_kw={"autocomplete": "email"})
    accept_regulations = BooleanField(_l("Przeczytałem(-am) regulamin serwisu i akceptuję go"))
    submit = SubmitField(_l("Wyślij wniosek"))


class OfficeApplicationForm(_ApplicantFields, BaseForm):
    """A paper or in-person application entered by staff."""

    channel = SelectField(_l("Jak wpłynął wniosek"),
                          validators=[DataRequired(_l("Wybierz, jak wpłynął wniosek."))])
    email = EmailField(_l("Adres e-mail (opcjonalnie)"), filters=[_strip], validators=[
        Optional(), Email(_l("Podaj poprawny adres e-mail.")), Length(max=254)],
        description=_l("Bez adresu e-mail powiadomienia trafią jako zadanie telefonu "
                       "do działu wskazanego w zasadach (jeśli je przewidują)."))
    regulations_signed = BooleanField(_l("Wnioskodawca zaakceptował regulamin (podpis na "
                                         "wniosku)"))
    submit = SubmitField(_l("Zarejestruj wniosek"))


class CorrectionForm(_ApplicantFields, BaseForm):
    """The applicant's (or staff's) corrected data; the e-mail address stays as confirmed."""

    version = HiddenField()
    submit = SubmitField(_l("Wyślij poprawiony wniosek"))


class ConfirmForm(BaseForm):
    submit = SubmitField(_l("Potwierdzam adres e-mail"))


class _Versioned(BaseForm):
    version = HiddenField(validators=[DataRequired()])


class ApproveForm(_Versioned):
    person_id = IntegerField(_l("Osoba z kartoteki"), validators=[
        DataRequired(_l("Wybierz z kartoteki osobę, której dotyczy wniosek."))])
    submit = SubmitField(_l("Zatwierdź i utwórz konto"))


class RejectForm(_Versioned):
    reason = TextAreaField(_l("Powód odmowy (otrzyma go wnioskodawca)"), validators=[
        DataRequired(_l("Podaj powód odmowy.")),
        Length(max=500, message=_l("Najwyżej 500 znaków."))])
    submit = SubmitField(_l("Odrzuć wniosek"))


class CorrectionRequestForm(_Versioned):
    note = TextAreaField(_l("Co trzeba poprawić (otrzyma to wnioskodawca)"), validators=[
        DataRequired(_l("Napisz, co trzeba poprawić.")),
        Length(max=500, message=_l("Najwyżej 500 znaków."))])
    submit = SubmitField(_l("Poproś o poprawienie"))


class PickupForm(_Versioned):
    person_id = IntegerField(_l("Osoba z kartoteki"), validators=[Optional()])
    document_type = SelectField(_l("Rodzaj okazanego dokumentu tożsamości"),
                                validators=[Optional()],
                                description=_l("Nie zapisujemy numeru dokumentu."))
    identity_checked = BooleanField(_l("Sprawdziłem(-am) tożsamość na podstawie dokumentu"))
    application_signed = BooleanField(_l("Mieszkaniec podpisał przygotowany wniosek"))
    receipt_signed = BooleanField(_l("Mieszkaniec podpisał potwierdzenie odbioru danych "
                                     "dostępowych"))
    submit = SubmitField(_l("Wydaj dane dostępowe (PDF)"))


class ScheduleForm(_Versioned):
    when = StringField(_l("Termin odbioru"), filters=[_strip], validators=[
        DataRequired(_l("Podaj termin, np. 12.03.2026, 10:00–14:00.")), Length(max=100)])
    department = SelectField(_l("Miejsce odbioru (dział)"), validators=[Optional()])
    place = StringField(_l("Miejsce"), filters=[_strip], validators=[Optional(), Length(max=90)])
    submit = SubmitField(_l("Wyślij termin odbioru"))


class RevocationForm(BaseForm):
    """A logged-in resident gives up access (online)."""

    reason = RadioField(_l("Powód"), validators=[DataRequired(_l("Wybierz powód."))])
    choice = RadioField(_l("O co wnosisz"), validators=[
        DataRequired(_l("Wybierz, czy dostęp ma zostać zablokowany, czy usunięty."))])
    note = TextAreaField(_l("Uwagi (opcjonalnie)"), validators=[
        Optional(), Length(max=500, message=_l("Najwyżej 500 znaków."))])
    confirm = BooleanField(_l("Potwierdzam wniosek"), validators=[
        DataRequired(_l("Zaznacz potwierdzenie, aby wysłać wniosek."))])
    submit = SubmitField(_l("Wyślij wniosek"))


class OfficeRevocationForm(BaseForm):
    """A paper revocation application entered by staff."""

    login = StringField(_l("Identyfikator konta mieszkańca"), filters=[_strip], validators=[
        DataRequired(_l("Podaj identyfikator konta.")), Length(max=40)])
    channel = SelectField(_l("Jak wpłynął wniosek"),
                          validators=[DataRequired(_l("Wybierz, jak wpłynął wniosek."))])
    reason = SelectField(_l("Powód"), validators=[DataRequired(_l("Wybierz powód."))])
    choice = SelectField(_l("O co wnosi mieszkaniec"),
                         validators=[DataRequired(_l("Wybierz rodzaj wniosku."))])
    note = TextAreaField(_l("Uwagi (opcjonalnie)"), validators=[
        Optional(), Length(max=500, message=_l("Najwyżej 500 znaków."))])
    submit = SubmitField(_l("Zarejestruj wniosek"))


class DecisionForm(_Versioned):
    submit = SubmitField(_l("Zatwierdź i wykonaj"))
