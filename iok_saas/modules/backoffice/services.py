"""Read-only queries of the back office: counts, resident search, batch candidates.

Every rule about accounts lives in ``accounts.services`` / ``staff.services``; nothing here
writes. Tenant scoping is automatic: each query sees only the current tenant's rows.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import exists, func, select
from sqlalchemy.orm import selectinload

from iok_saas.extensions import db
from iok_saas.modules.accounts.models import STATES, ResidentAccount
from iok_saas.modules.accounts.services import person_eligible
from iok_saas.modules.housing.models import Person, Title
from iok_saas.timeutil import warsaw_today as today


def account_counts() -> dict[str, int]:
    """Accounts by state, every state present (0 when there are none)."""
    rows = db.session.execute(
        select(ResidentAccount.state, func.count(ResidentAccount.id))
        .group_by(ResidentAccount.state)).all()
    counts = dict.fromkeys(STATES, 0)
    counts.update({state: number for state, number in rows})
    return counts


def titles_of(person: Person) -> list[Title]:
    """Every title of the person (current and past), newest first, with units."""
    return list(db.session.scalars(
        select(Title).where(Title.person_id == person.id)
        .options(selectinload(Title.unit))
        .order_by(Title.valid_from.desc(), Title.id.desc())))


def account_of(person: Person) -> ResidentAccount | None:
    return db.session.scalar(select(ResidentAccount).where(
        ResidentAccount.person_id == person.id))


def _current_title_exists(day: date):
    return exists().where(Title.person_id == Person.id, Title.current_on(day))


def _has_account():
    return exists().where(ResidentAccount.person_id == Person.id)


def persons_without_account(limit: int | None = None) -> list[Person]:
    """Persons who hold a title valid today that the policy's ``eligible`` admits but have
    no account yet (by name)."""
    candidates = db.session.scalars(
        select(Person).where(_current_title_exists(today()), ~_has_account())
        .order_by(Person.last_name, Person.first_name, Person.id))
    eligible = [person for person in candidates if person_eligible(person)]
    return eligible[:limit] if limit is not None else eligible


def count_persons_without_account() -> int:
    return len(persons_without_account())
