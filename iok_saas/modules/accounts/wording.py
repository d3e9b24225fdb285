"""How residents read the policy's methods: the lock message, the forgotten-password page and
the e-mails say in Polish what each unblock / recovery method means for them."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

UNBLOCK_FOR_RESIDENTS = {
    "email_link": _l("odblokuj konto sam(a) linkiem wysłanym e-mailem"),
    "staff_unblock": _l("poproś biuro o odblokowanie konta (hasło się nie zmienia)"),
    "new_credentials_in_person": _l("odbierz osobiście w biurze nowe dane dostępowe"),
    "new_password_on_written_request": _l("złóż w biurze pisemny wniosek o nowe hasło"),
    "initial_document": _l("przyjdź do biura z pismem z danymi dostępowymi i dokumentem "
                           "tożsamości"),
}

CHANNELS_FOR_RESIDENTS = {
    "phone": _l("telefonicznie"),
    "in_person": _l("osobiście"),
    "written": _l("pisemnie"),
    "email": _l("e-mailem"),
}
