"""Finding residents: persons with their account and current titles, by name, login or
address. The back office's search and the enrolment desk's matching both ask here."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, func, literal, or_, select
from sqlalchemy.orm import selectinload

from iok_saas.extensions import db
from iok_saas.modules.housing.models import Person, Title, Unit
from iok_saas.timeutil import warsaw_today as today

from .models import ResidentAccount

SEARCH_LIMIT = 100


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
