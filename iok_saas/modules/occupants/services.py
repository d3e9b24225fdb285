"""Declarations of how many people live in a unit (policy tab ``occupants``).

A resident declares a number (1–MAX_OCCUPANTS) from the first day of a month: the current
month or one of the next MONTHS_AHEAD months (earlier periods are corrected at the office,
not through the portal). One declaration per unit waits for staff at a time; staff confirm
or reject it (a rejection needs a comment), the decision is audited and the resident is told.
The number in force on a day is the latest confirmed declaration effective by that day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import partial

from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from iok_saas.domain import NotFound
from iok_saas.extensions import db
from iok_saas.modules.accounts.models import ResidentAccount
from iok_saas.modules.audit.services import record_event
from iok_saas.modules.housing.held import HeldUnit
from iok_saas.modules.housing.models import Person, Unit
from iok_saas.modules.notifications.services import notify
from iok_saas.modules.portal import desk, resident_units
from iok_saas.tenancy import current_tenant, tenant_url
from iok_saas.timeutil import add_months
from iok_saas.timeutil import warsaw_today as today

from .models import CONFIRMED, REJECTED, SUBMITTED, WITHDRAWN, OccupantsChange

MIN_OCCUPANTS = 1
MAX_OCCUPANTS = 20
MONTHS_AHEAD = 6
NOTE_MAX = 500

STATE_LABELS = {SUBMITTED: _l("oczekuje na decyzję"), CONFIRMED: _l("potwierdzona"),
                REJECTED: _l("odrzucona"), WITHDRAWN: _l("wycofana")}


state_label = desk.state_labeller(STATE_LABELS)
handling_department = partial(desk.handling_department, "occupant_changes")


class OccupantsError(desk.DeskError):
    """A declaration that cannot be filed or decided; ``field`` names the form field."""


def effective_months(day: date | None = None) -> list[date]:
    """First days of the months a declaration may start in: this one and MONTHS_AHEAD more."""
    first = (day or today()).replace(day=1)
    return [add_months(first, n) for n in range(MONTHS_AHEAD + 1)]


def month_label(day: date) -> str:
    return format_date(day, "LLLL yyyy")


# --- reading ---------------------------------------------------------------------------------

def declarations(unit: HeldUnit) -> list[OccupantsChange]:
    return list(db.session.scalars(
        select(OccupantsChange).where(OccupantsChange.unit_id == unit.id)
        .order_by(OccupantsChange.effective_from.desc(), OccupantsChange.id.desc())))


def in_force(unit_id: int, day: date | None = None) -> OccupantsChange | None:
    """The latest confirmed declaration effective on ``day`` (today by default)."""
    return db.session.scalar(
        select(OccupantsChange).where(OccupantsChange.unit_id == unit_id,
                                      OccupantsChange.state == CONFIRMED,
                                      OccupantsChange.effective_from <= (day or today()))
        .order_by(OccupantsChange.effective_from.desc(), OccupantsChange.id.desc()).limit(1))


def upcoming(unit_id: int) -> OccupantsChange | None:
    """A confirmed declaration that takes effect after today, if any."""
    return db.session.scalar(
        select(OccupantsChange).where(OccupantsChange.unit_id == unit_id,
                                      OccupantsChange.state == CONFIRMED,
                                      OccupantsChange.effective_from > today())
        .order_by(OccupantsChange.effective_from, OccupantsChange.id).limit(1))


def pending_of(unit_id: int) -> OccupantsChange | None:
    return db.session.scalar(select(OccupantsChange).where(
        OccupantsChange.unit_id == unit_id, OccupantsChange.state == SUBMITTED).limit(1))


# --- resident declaration -------------------------------------------------------------------

def withdraw(account: ResidentAccount, change_id: int) -> OccupantsChange:
    """Withdraw a declaration still waiting for one of the resident's units (staged).

    NotFound for any other id; OccupantsError when staff decided it first."""
    held = {unit.id for unit in resident_units()}
    change = db.session.scalar(select(OccupantsChange).where(OccupantsChange.id == change_id))
    if change is None or change.unit_id not in held:
        raise NotFound
    actor = f"resident:{account.login}"
    if not desk.claim(OccupantsChange, change, WITHDRAWN, actor, None):
        raise OccupantsError(_("Tej deklaracji nie można już wycofać — spółdzielnia ją "
                               "rozpatrzyła."))
    record_event(actor, "occupants_change.withdrawn", change, before={"state": SUBMITTED},
                 after={"state": WITHDRAWN})
    return change


def _already_pending() -> OccupantsError:
    return OccupantsError(_("Dla tego lokalu czeka już deklaracja na decyzję spółdzielni. "
                            "Nową złożysz po jej rozpatrzeniu."), "unit")


def declare(account: ResidentAccount, unit: HeldUnit, occupants: int | None,
            effective_from: date | None, note: str | None) -> OccupantsChange:
    """File a declaration for the resident's ``unit`` (already checked as theirs); commit."""
    if pending_of(unit.id) is not None:
        raise _already_pending()
    if occupants is None or not MIN_OCCUPANTS <= occupants <= MAX_OCCUPANTS:
        raise OccupantsError(_("Liczba osób musi być liczbą całkowitą od %(low)s do %(high)s.",
                               low=MIN_OCCUPANTS, high=MAX_OCCUPANTS), "occupants")
    allowed = effective_months()
    if effective_from is None or effective_from.day != 1:
        raise OccupantsError(_("Zmiana obowiązuje od pierwszego dnia miesiąca — wybierz "
                               "miesiąc z listy."), "effective_from")
    if not allowed[0] <= effective_from <= allowed[-1]:
        raise OccupantsError(_("Wybierz miesiąc od %(first)s do %(last)s. Zmiany za wcześniejsze "
                               "okresy załatwisz w biurze spółdzielni.",
                               first=month_label(allowed[0]), last=month_label(allowed[-1])),
                             "effective_from")
    standing = in_force(unit.id, effective_from)
    if standing is not None and standing.occupants == occupants:
        raise OccupantsError(_("Od %(month)s obowiązuje już liczba osób %(count)s — ta "
                               "deklaracja niczego by nie zmieniła.",
                               month=month_label(effective_from), count=occupants),
                             "occupants")
    note = (note or "").strip() or None
    if note and len(note) > NOTE_MAX:
        raise OccupantsError(_("Uwagi mogą mieć najwyżej %(n)s znaków.", n=NOTE_MAX), "note")
    change = OccupantsChange(unit_id=unit.id, account_id=account.id, occupants=occupants,
                             effective_from=effective_from, note=note, state=SUBMITTED)
    db.session.add(change)
    try:
        db.session.flush()
    except IntegrityError:  # another request filed one for this unit a moment ago
        db.session.rollback()
        raise _already_pending() from None
    record_event(f"resident:{account.login}", "occupants_change.submitted", change,
                 after={"unit": unit.label, "occupants": occupants,
                        "effective_from": effective_from.isoformat()})
    return change


# --- staff desk -------------------------------------------------------------------------------

@dataclass(frozen=True)
class DeskRow:
    change: OccupantsChange
    unit: Unit
    person: Person | None
    current: OccupantsChange | None   # the confirmed number in force on the effective day


def _desk_row(change: OccupantsChange) -> DeskRow:
    unit = db.session.scalar(select(Unit).where(Unit.id == change.unit_id))
    person = db.session.scalar(
        select(Person).join(ResidentAccount, ResidentAccount.person_id == Person.id)
        .where(ResidentAccount.id == change.account_id))
    current = db.session.scalar(
        select(OccupantsChange).where(OccupantsChange.unit_id == change.unit_id,
                                      OccupantsChange.state == CONFIRMED,
                                      OccupantsChange.id != change.id,
                                      OccupantsChange.effective_from <= change.effective_from)
        .order_by(OccupantsChange.effective_from.desc(), OccupantsChange.id.desc()).limit(1))
    return DeskRow(change, unit, person, current)


SUBMISSIONS = desk.Submissions(
    OccupantsChange, _desk_row, CONFIRMED, REJECTED, OccupantsError,
    already_decided=_l("Ta deklaracja została już rozpatrzona."),
    reason_needed=_l("Podaj powód odrzucenia — mieszkaniec zobaczy go przy deklaracji."))


def decide(row: DeskRow, confirm: bool, comment: str | None, actor: str) -> OccupantsChange:
    """Confirm or reject a waiting declaration, audit it, tell the resident (staged)."""
    change = row.change
    comment = SUBMISSIONS.checked_comment(change, confirm, comment)
    SUBMISSIONS.claim(change, confirm, comment, actor)
    record_event(actor, f"occupants_change.{change.state}", change, before={"state": SUBMITTED},
                 after={"state": change.state, "comment": comment,
                        "occupants": change.occupants,
                        "effective_from": change.effective_from.isoformat()})
    if row.person is not None:
        with force_locale(current_tenant.locale):
            notify("occupants_change_decided", to_email=row.person.email,
                   to_name=row.person.full_name, phone=row.person.phone, confirmed=confirm,
                   unit=row.unit.label, occupants=change.occupants,
                   effective_from=format_date(change.effective_from, "dd.MM.yyyy"),
                   comment=comment, link=tenant_url("occupants.index"))
    return change
