"""Contact data corrections: the resident asks, the department the policy names decides.

Each business action commits once: the request, or the decision together with the change to
the person's data, its audit row and the resident's notification.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.accounts.models import ResidentAccount
from iok_saas.modules.audit.services import record_event
from iok_saas.modules.housing.models import Person
from iok_saas.modules.notifications.services import notify
from iok_saas.tenancy import current_tenant, tenant_url
from iok_saas.timeutil import utcnow

from .forms import normalize_phone
from .models import DONE, REJECTED, SUBMITTED, ContactCorrection

# The Person columns a resident may ask to change from the form, in display order.
FIELDS = ("email", "phone", "correspondence_address")
FIELD_LABELS = {
    "email": _l("Adres e-mail"),
    "phone": _l("Telefon"),
    "correspondence_address": _l("Adres do korespondencji"),
}
STATE_LABELS = {
    SUBMITTED: _l("oczekuje"),
    DONE: _l("wprowadzona"),
    REJECTED: _l("odrzucona"),
}


class ContactError(Exception):
    """A request or decision that cannot be made; ``code`` names the reason."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Change:
    field: str
    current: str | None
    requested: str | None


# --- the resident's side -------------------------------------------------------------------

def _clean(field: str, value: str | None) -> str | None:
    value = (value or "").strip() or None
    if value is None:
        return None
    if field == "phone":
        return normalize_phone(value)
    if field == "email":
        return value
    return " ".join(value.split())


def _same(field: str, current: str | None, requested: str | None) -> bool:
    with contextlib.suppress(ValueError):   # a stored value that the form would refuse
        current = _clean(field, current)
    if field == "email" and current and requested:
        return current.lower() == requested.lower()
    return current == requested


def request_correction(account: ResidentAccount, *, email: str | None, phone: str | None,
                       correspondence_address: str | None,
                       note: str | None) -> ContactCorrection:
    """Store a request with only the fields that differ from the person's data.

    ContactError("nothing") when no field changed and there is no note.
    """
    person = account.person
    typed = {"email": email, "phone": phone, "correspondence_address": correspondence_address}
    requested = {}
    for field in FIELDS:
        value = _clean(field, typed[field])
        if not _same(field, getattr(person, field), value):
            requested[field] = value
    note = (note or "").strip() or None
    if not requested and not note:
        raise ContactError("nothing")
    correction = ContactCorrection(account_id=account.id, person_id=person.id,
                                   requested=requested, note=note, state=SUBMITTED)
    db.session.add(correction)
    db.session.flush()
    record_event(f"resident:{account.login}", "contact_correction.requested", correction,
                 after={"requested": requested, "note": note})
    return correction


def corrections_of(account: ResidentAccount) -> list[ContactCorrection]:
    return list(db.session.scalars(
        select(ContactCorrection).where(ContactCorrection.account_id == account.id)
        .order_by(ContactCorrection.id.desc())))


def changes(correction: ContactCorrection, person: Person | None = None) -> list[Change]:
    """Current vs requested value of each field the request names."""
    person = person or db.session.get(Person, correction.person_id)
    return [Change(field, getattr(person, field), correction.requested[field])
            for field in FIELDS if field in (correction.requested or {})]


# --- the staff desk ------------------------------------------------------------------------

def department() -> str | None:
    """The department the policy names for corrections (None: any staff member)."""
    return current_tenant.policy.handled_by.contact_corrections


def department_name() -> str | None:
    key = department()
    return current_tenant.department_name(key) if key else None


def may_act(member) -> bool:
    key = department()
    return key is None or member.department == key


def waiting() -> list[ContactCorrection]:
    return list(db.session.scalars(
        select(ContactCorrection).where(ContactCorrection.state == SUBMITTED)
        .order_by(ContactCorrection.created_at, ContactCorrection.id)))


def recently_decided(limit: int = 20) -> list[ContactCorrection]:
    return list(db.session.scalars(
        select(ContactCorrection).where(ContactCorrection.state != SUBMITTED)
        .order_by(ContactCorrection.decided_at.desc(), ContactCorrection.id.desc())
        .limit(limit)))


def get(correction_id: int) -> ContactCorrection | None:
    """The correction with this id in the current tenant (None for any other)."""
    return db.session.scalar(select(ContactCorrection)
                             .where(ContactCorrection.id == correction_id))


def person_of(correction: ContactCorrection) -> Person:
    return db.session.scalar(select(Person).where(Person.id == correction.person_id))


def _decide_checks(correction: ContactCorrection, member) -> None:
    if correction.state != SUBMITTED:
        raise ContactError("decided")
    if not may_act(member):
        raise ContactError("department")


def apply(correction: ContactCorrection, member, comment: str | None = None) -> Person:
    """Copy the requested values onto the person and close the request, in one commit."""
    _decide_checks(correction, member)
    person = person_of(correction)
    actor = f"staff:{member.login}"
    requested = {field: value for field, value in (correction.requested or {}).items()
                 if field in FIELDS}
    before = {field: getattr(person, field) for field in requested}
    for field, value in requested.items():
        setattr(person, field, value)
    correction.state = DONE
    correction.decided_by = actor
    correction.decided_at = utcnow()
    correction.staff_comment = (comment or "").strip() or None
    record_event(actor, "contact_correction.applied", person, before=before, after=requested)
    record_event(actor, "contact_correction.done", correction,
                 before={"state": SUBMITTED}, after={"state": DONE})
    _notify(correction, person)
    if before.get("email") and "email" in requested and before["email"] != person.email:
        # The old address hears of the change too, in case it was not the resident's wish.
        _notify(correction, person, to_email=before["email"])
    return person


def reject(correction: ContactCorrection, member, comment: str) -> None:
    comment = (comment or "").strip()
    if not comment:
        raise ContactError("comment")
    _decide_checks(correction, member)
    actor = f"staff:{member.login}"
    correction.state = REJECTED
    correction.decided_by = actor
    correction.decided_at = utcnow()
    correction.staff_comment = comment
    record_event(actor, "contact_correction.rejected", correction,
                 before={"state": SUBMITTED}, after={"state": REJECTED, "comment": comment})
    _notify(correction, person_of(correction))


def _notify(correction: ContactCorrection, person: Person, to_email: str | None = None) -> None:
    notify("contact_correction_decided", to_email=to_email or person.email,
           to_name=person.full_name, phone=person.phone, done=correction.state == DONE,
           fields=[str(FIELD_LABELS[f]) for f in FIELDS if f in (correction.requested or {})],
           comment=correction.staff_comment, link=tenant_url("contact.index"))
