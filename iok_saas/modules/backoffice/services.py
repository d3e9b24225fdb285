"""Read-only queries of the back office: counts, resident search, batch candidates.

Every rule about accounts lives in ``accounts.services`` / ``staff.services``; nothing here
writes. Tenant scoping is automatic: each query sees only the current tenant's rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, exists, func, literal, or_, select
from sqlalchemy.orm import selectinload

from iok_saas.extensions import db
from iok_saas.modules.accounts.models import STATES, ResidentAccount
from iok_saas.modules.accounts.services import person_eligible
from iok_saas.modules.housing.models import Person, Title, Unit
from iok_saas.timeutil import warsaw_today as today

SEARCH_LIMIT = 100


def account_counts() -> dict[str, int]:
    """Accounts by state, every state present (0 when there are none)."""
    rows = db.session.execute(
        select(ResidentAccount.state, func.count(ResidentAccount.id))
        .group_by(ResidentAccount.state)).all()
    counts = dict.fromkeys(STATES, 0)
    counts.update({state: number for state, number in rows})
    return counts


@dataclass
class PersonRow:
    person: Person
    account: ResidentAccount | None
    titles: list[Title] = field(default_factory=list)  # current titles, with units


@dataclass(frozen=True)
class SearchResult:
    rows: list[PersonRow]
    truncated: bool  # more than ``limit`` matched; only the first ones are listed
    limit: int


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _address():
    """'ul. Lipowa 3/12' (or 'ul. Lipowa 3'): street, building, optional unit number."""
    return (Unit.street + literal(" ") + Unit.building_number
            + func.coalesce(literal("/") + Unit.unit_number, literal("")))


def search_people(query: str, limit: int | None = None) -> SearchResult:
    """Persons matching every word of ``query`` in a first or last name, the account's
    login or a unit address (street, number); sorted by name, at most ``limit``
    (default ``SEARCH_LIMIT``)."""
    limit = limit or SEARCH_LIMIT
    terms = query.split()
    if not terms:
        return SearchResult([], False, limit)
    conditions = []
    for term in terms:
        pattern = _like(term)
        has_unit = select(Title.id).join(Unit, Unit.id == Title.unit_id).where(
            Title.person_id == Person.id,
            or_(_address().ilike(pattern, escape="\\"),
                Unit.city.ilike(pattern, escape="\\"))).exists()
        conditions.append(or_(
            Person.first_name.ilike(pattern, escape="\\"),
            Person.last_name.ilike(pattern, escape="\\"),
            ResidentAccount.login.ilike(pattern, escape="\\"),
            has_unit,
        ))
    ids = db.session.scalars(
        select(Person.id)
        .outerjoin(ResidentAccount, ResidentAccount.person_id == Person.id)
        .where(and_(*conditions))
        .order_by(Person.last_name, Person.first_name, Person.id)
        .limit(limit + 1)).all()
    truncated = len(ids) > limit
    return SearchResult(person_rows(ids[:limit]), truncated, limit)


def person_rows(person_ids: list[int]) -> list[PersonRow]:
    """Each person with their account and current titles, in the order of ``person_ids``."""
    if not person_ids:
        return []
    people = {p.id: p for p in db.session.scalars(
        select(Person).where(Person.id.in_(person_ids)))}
    accounts = {a.person_id: a for a in db.session.scalars(
        select(ResidentAccount).where(ResidentAccount.person_id.in_(person_ids)))}
    day = today()
    titles: dict[int, list[Title]] = {}
    for title in db.session.scalars(
            select(Title).where(Title.person_id.in_(person_ids))
            .options(selectinload(Title.unit)).order_by(Title.valid_from)):
        if title.current_on(day):
            titles.setdefault(title.person_id, []).append(title)
    return [PersonRow(people[i], accounts.get(i), titles.get(i, []))
            for i in person_ids if i in people]


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
