"""Polish wording of the account vocabulary (codes come from the models and the policy)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

STATE_LABELS = {
    "pending": _l("Przygotowane — dane dostępowe niewydane"),
    "must_change": _l("Dane wydane — czeka na pierwsze logowanie"),
    "active": _l("Aktywne"),
    "blocked": _l("Zablokowane"),
    "revoked": _l("Dostęp usunięty"),
}

TRIGGER_LABELS = {
    "failed_logins": _l("Zbyt wiele nieudanych logowań"),
    "reported_lost": _l("Zgłoszona utrata danych dostępowych lub ich poznanie przez kogoś"),
    "misuse": _l("Korzystanie niezgodne z zasadami lub z prawem"),
    "settlements_ceased": _l("Zarządca nie prowadzi już rozliczeń z mieszkańcem"),
    "title_ended": _l("Wygasł tytuł prawny do lokalu"),
    "written_request": _l("Pisemny wniosek mieszkańca"),
}

CHANNEL_LABELS = {
    "phone": _l("Telefonicznie"),
    "in_person": _l("Osobiście"),
    "written": _l("Pisemnie"),
    "email": _l("E-mailem"),
    "self": _l("Sam mieszkaniec w serwisie"),
}

UNBLOCK_LABELS = {
    "new_credentials_in_person": _l("Nowe dane dostępowe wydawane osobiście (pismo PDF)"),
    "staff_unblock": _l("Odblokowanie przez pracownika — hasło mieszkańca się nie zmienia"),
    "new_password_on_written_request": _l("Nowe hasło na pisemny wniosek (pismo PDF)"),
    "initial_document": _l("Na podstawie pisma z danymi dostępowymi — sprawdź numer "
                           "dokumentu (pismo PDF z nowym hasłem)"),
}

RECOVERY_LABELS = {
    "in_person": _l("Nowe dane dostępowe wydawane osobiście w biurze"),
    "written_request": _l("Nowe hasło na pisemny wniosek mieszkańca"),
    "initial_document": _l("Na podstawie pisma z danymi dostępowymi (numer dokumentu)"),
    "email": _l("Mieszkaniec sam ustawia nowe hasło przez link wysłany e-mailem"),
}
