"""Contact data corrections: the resident asks, the department the policy names decides.

Each business action commits once: the request, or the decision together with the change to
the person's data, its audit row and the resident's notification. The staff side is the
shared desk (iok_saas.modules.portal.desk) configured in staff_blueprint.py.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from functools import partial

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.accounts.models import ResidentAccount
from iok_saas.modules.audit.services import record_event
from iok_saas.modules.housing.models import Person
from iok_saas.modules.notifications.services import notify
from iok_saas.modules.portal import desk
from iok_saas.tenancy import current_tenant, tenant_url

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

state_label = desk.state_labeller(STATE_LABELS)
handling_department = partial(desk.handling_department, "contact_corrections")
# Only the department the policy names decides; the rest of the staff may look.
may_decide = partial(desk.department_decides, "contact_corrections")


class NothingToCorrect(Exception):
    """A request that changes no field and has no note."""


class DecisionError(desk.DeskError):
    """A decision that cannot be made; ``field`` names the form field."""


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

    NothingToCorrect when no field changed and there is no note.
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
        raise NothingToCorrect
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

@dataclass(frozen=True)
class DeskRow:
    correction: ContactCorrection
    person: Person
    changes: list[Change]


def _desk_row(correction: ContactCorrection) -> DeskRow:
    person = db.session.scalar(select(Person).where(Person.id == correction.person_id))
    return DeskRow(correction, person, changes(correction, person))


SUBMISSIONS = desk.Submissions(
    ContactCorrection, _desk_row, DONE, REJECTED, DecisionError,
    already_decided=_l("Ta prośba została już rozpatrzona."),
    reason_needed=_l("Podaj powód odrzucenia — mieszkaniec zobaczy go w wiadomości e-mail "
                     "i w historii swoich próśb."))


def decide(row: DeskRow, apply: bool, comment: str | None, actor: str) -> ContactCorrection:
    """Apply the requested values to the person, or reject the request; audit it and tell
    the resident (and the old address when the e-mail changes). Staged, not committed."""
    correction, person = row.correction, row.person
    comment = SUBMISSIONS.checked_comment(correction, apply, comment)
    SUBMISSIONS.claim(correction, apply, comment, actor)
    if not apply:
        record_event(actor, "contact_correction.rejected", correction,
                     before={"state": SUBMITTED}, after={"state": REJECTED, "comment": comment})
        _notify(correction, person)
        return correction
    requested = {field: value for field, value in (correction.requested or {}).items()
                 if field in FIELDS}
    before = {field: getattr(person, field) for field in requested}
    for field, value in requested.items():
        setattr(person, field, value)
    record_event(actor, "contact_correction.applied", person, before=before, after=requested)
    record_event(actor, "contact_correction.done", correction,
                 before={"state": SUBMITTED}, after={"state": DONE})
    _notify(correction, person)
    if before.get("email") and "email" in requested and before["email"] != person.email:
        # The old address hears of the change too, in case it was not the resident's wish.
        _notify(correction, person, to_email=before["email"])
    return correction


def _notify(correction: ContactCorrection, person: Person, to_email: str | None = None) -> None:
    with force_locale(current_tenant.locale):  # the field names in the e-mail's language
        notify("contact_correction_decided", to_email=to_email or person.email,
               to_name=person.full_name, phone=person.phone, done=correction.state == DONE,
               fields=[str(FIELD_LABELS[f]) for f in FIELDS
                       if f in (correction.requested or {})],
               comment=correction.staff_comment, link=tenant_url("contact.index"))
