"""Back-office forms; every label and message is Polish (lazy, so English works too)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from iok_saas.forms import BaseForm
from iok_saas.modules.accounts.labels import (  # noqa: F401  (the back office's words)
    CHANNEL_LABELS,
    RECOVERY_LABELS,
    STATE_LABELS,
    TRIGGER_LABELS,
    UNBLOCK_LABELS,
)
from iok_saas.modules.housing.labels import TITLE_LABELS  # noqa: F401

REQUIRED_REASON = _l("Podaj powód.")


class CreateAccountForm(BaseForm):
    submit = SubmitField(_l("Utwórz konto"))


class IssueCredentialsForm(BaseForm):
    reason = StringField(_l("Powód wydania danych dostępowych"),
                         default=_l("Wydanie danych dostępowych"),
                         validators=[DataRequired(REQUIRED_REASON), Length(max=300)],
                         description=_l("Zapisywany w historii konta. Dotychczasowe hasło "
                                        "przestanie działać, a sesje mieszkańca zostaną "
                                        "zakończone."))
    submit = SubmitField(_l("Wydaj dane dostępowe (PDF)"))


class BlockForm(BaseForm):
    trigger = SelectField(_l("Przyczyna blokady"),
                          validators=[DataRequired(_l("Wybierz przyczynę blokady."))])
    channel = SelectField(_l("Jak wpłynęło zgłoszenie"), validators=[Optional()])
    reason = TextAreaField(_l("Uzasadnienie"),
                           validators=[DataRequired(_l("Opisz, dlaczego konto jest blokowane.")),
                                       Length(max=500, message=_l("Najwyżej 500 znaków."))])
    submit = SubmitField(_l("Zablokuj konto"))


class UnblockForm(BaseForm):
    method = SelectField(_l("Sposób odblokowania"), validators=[Optional()])
    evidence = StringField(_l("Numer dokumentu z pisma z danymi dostępowymi"),
                           validators=[Optional(), Length(max=32)],
                           description=_l("Numer wydrukowany przy tytule pisma, np. BRZ-1A2B3C4D."))
    submit = SubmitField(_l("Odblokuj konto"))


class ResetForm(BaseForm):
    method = SelectField(_l("Sposób odzyskania"), validators=[Optional()])
    request_note = StringField(_l("Zgłoszenie"),
                               validators=[DataRequired(_l("Opisz zgłoszenie mieszkańca.")),
                                           Length(max=300)])
    evidence = StringField(_l("Numer dokumentu z pisma z danymi dostępowymi"),
                           validators=[Optional(), Length(max=32)])
    identity_checked = BooleanField(_l("Sprawdziłem(-am) dokument tożsamości mieszkańca"))
    submit = SubmitField(_l("Wydaj nowe dane dostępowe (PDF)"))


class LiftLockForm(BaseForm):
    submit = SubmitField(_l("Zdejmij wstrzymanie teraz"))


class RevokeForm(BaseForm):
    reason = TextAreaField(_l("Powód usunięcia dostępu"),
                           validators=[DataRequired(REQUIRED_REASON),
                                       Length(max=500, message=_l("Najwyżej 500 znaków."))])
    confirm = BooleanField(
        _l("Rozumiem, że usunięcie dostępu jest trwałe: mieszkaniec nie zaloguje się już tym "
           "identyfikatorem."),
        validators=[DataRequired(_l("Zaznacz potwierdzenie, aby usunąć dostęp."))])
    submit = SubmitField(_l("Usuń dostęp na stałe"))


class BatchForm(BaseForm):
    confirm = BooleanField(
        _l("Utwórz konta i wydrukuj pisma z danymi dostępowymi dla wszystkich tych osób"),
        validators=[DataRequired(_l("Zaznacz potwierdzenie, aby utworzyć konta."))])
    submit = SubmitField(_l("Utwórz konta i pobierz pisma (PDF)"))


class StaffForm(BaseForm):
    login = StringField(_l("Login"), filters=[lambda v: v.strip().lower() if v else v],
                        validators=[
        DataRequired(_l("Podaj login.")),
        Regexp(r"^[a-z0-9][a-z0-9._-]{2,79}$",
               message=_l("Login: 3–80 znaków — małe litery, cyfry, kropka, podkreślenie "
                          "lub myślnik; na początku litera lub cyfra."))],
                        render_kw={"autocomplete": "off"})
    full_name = StringField(_l("Imię i nazwisko"), validators=[
        DataRequired(_l("Podaj imię i nazwisko.")), Length(max=200)])
    email = EmailField(_l("E-mail"), validators=[
        Optional(), Email(_l("Podaj poprawny adres e-mail.")), Length(max=254)])
    department = SelectField(_l("Dział"), validators=[DataRequired(_l("Wybierz dział."))])
    role = SelectField(_l("Rola"), choices=[
        SelectChoice("staff", _l("Pracownik")),
        SelectChoice("admin", _l("Administrator (zarządza pracownikami)"))],
        default="staff")
    submit = SubmitField(_l("Dodaj pracownika"))


ACTION_LABELS = {
    "account.create": _l("Utworzenie konta"),
    "account.credentials": _l("Wydanie danych dostępowych"),
    "account.block": _l("Blokada"),
    "account.unblock": _l("Odblokowanie"),
    "account.lock_lifted": _l("Zdjęcie czasowego wstrzymania logowania"),
    "account.revoke": _l("Usunięcie dostępu"),
    "account.password": _l("Zmiana hasła przez mieszkańca"),
    "account.regulations": _l("Akceptacja regulaminu"),
    "account.new_login": _l("Nadanie nowego identyfikatora"),
}

ROLE_LABELS = {"admin": _l("Administrator"), "staff": _l("Pracownik")}

ACCOUNT_ERRORS = {
    "not_allowed": _l("Blokady i odblokowania zatwierdza wyłącznie: %(department)s. "
                      "Twój dział nie może tego zrobić."),
    "already_blocked": _l("To konto jest już zablokowane albo dostęp do niego usunięto."),
    "not_blocked": _l("To konto nie jest zablokowane."),
    "not_locked": _l("Logowanie na to konto nie jest wstrzymane."),
    "document_mismatch": _l("Numer dokumentu nie zgadza się z numerem ostatniego pisma "
                            "z danymi dostępowymi tego konta."),
    "revoked": _l("Dostęp do tego konta usunięto na stałe — nie można wydać nowych danych."),
    "already_revoked": _l("Dostęp do tego konta został już usunięty."),
    "account_exists": _l("Ta osoba ma już konto (identyfikator %(detail)s)."),
    "blocked": _l("Konto jest zablokowane — nowe dane wydaje się przy odblokowaniu, zgodnie "
                  "z zasadami blokad."),
    "self_service": _l("W tej spółdzielni mieszkańcy sami ustawiają nowe hasło przez "
                       "odnośnik wysyłany e-mailem."),
    "unknown_trigger": _l("Ten powód blokady nie występuje w zasadach tej spółdzielni."),
    "channel_not_allowed": _l("Zasady tej spółdzielni nie przewidują zgłoszenia tą drogą."),
    "not_eligible": _l("Zasady tej spółdzielni nie przewidują konta dla tej osoby: żaden jej "
                       "obecny tytuł prawny do lokalu nie uprawnia do dostępu."),
    "method_not_offered": _l("Zasady tej spółdzielni nie przewidują tego sposobu."),
    "identifiers_exhausted": _l("Brak wolnych identyfikatorów w formacie ustalonym w polityce. "
                                "Skontaktuj się z operatorem platformy."),
}
