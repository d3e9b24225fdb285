"""Who did it, in words. Audit trails and histories store an actor code (``staff:a.nowak``,
``applicant:email-link``, ``cli:root``); staff and operators read a person's or a channel's
name instead: "Anna Nowak (Dział Techniczny)", "wnioskodawca przez link e-mail"."""

from __future__ import annotations

from flask import g
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.accounts.models import ResidentAccount
from iok_saas.modules.housing.models import Person
from iok_saas.modules.staff.models import StaffMember
from iok_saas.tenancy import current_tenant_or_none

CHANNELS = {
    "applicant:web": _l("wnioskodawca przez formularz elektroniczny"),
    "applicant:email-link": _l("wnioskodawca przez link e-mail"),
    "applicant:correction-link": _l("wnioskodawca przez link do poprawy wniosku"),
    "system:title-ended": _l("system — wygaśnięcie tytułu prawnego"),
    "task:announcements": _l("system — publikacja zaplanowanego ogłoszenia"),
    "task:documents": _l("system — zadanie biblioteki dokumentów"),
    "task:voting": _l("system — zamknięcie głosowania"),
}


def actor_label(actor: str | None) -> str:
    """The actor's name for a page; an unknown code shows as itself."""
    if not actor:
        return ""
    known = g.setdefault("actor_labels", {})
    if actor not in known:
        known[actor] = _label(actor)
    return known[actor]


def _label(actor: str) -> str:
    if actor in CHANNELS:
        return str(CHANNELS[actor])
    kind, _sep, rest = actor.partition(":")
    if kind == "staff":
        return _staff(rest)
    if kind == "resident":
        return _resident(rest)
    if kind == "api":
        return _("import z systemu księgowego (klucz %(name)s)", name=rest.partition(":")[2])
    if kind == "cli":
        return _("administrator platformy (wiersz poleceń)")
    if kind == "operator":
        return _("operator platformy %(who)s", who=rest)
    return actor


def _staff(login: str) -> str:
    tenant = current_tenant_or_none()
    member = db.session.scalar(select(StaffMember).where(StaffMember.login == login)) \
        if tenant is not None else None
    if member is None:
        return _("pracownik biura (%(login)s)", login=login)
    department = tenant.department_name(member.department)
    return f"{member.full_name} ({department})" if department else member.full_name


def _resident(login: str) -> str:
    if current_tenant_or_none() is None:
        return _("mieszkaniec (%(login)s)", login=login)
    person = db.session.scalar(select(Person).join(
        ResidentAccount, ResidentAccount.person_id == Person.id)
        .where(ResidentAccount.login == login))
    if person is None:
        return _("mieszkaniec (%(login)s)", login=login)
    return _("%(name)s (mieszkaniec)", name=person.full_name)
