"""Voting fixtures: an association with units, owners (or members) and their shares,
loaded through the real import path, with active resident accounts."""

from __future__ import annotations

import html
import itertools
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.accounts import services as accounts
from iok_saas.modules.accounts.models import ACTIVE, ResidentAccount
from iok_saas.modules.auth.passwords import hash_password
from iok_saas.modules.housing.models import Association, Person
from iok_saas.modules.imports.models import APPLIED
from iok_saas.modules.imports.services import import_rows
from iok_saas.modules.voting import services
from iok_saas.tenancy import tenant_scope
from iok_saas.timeutil import WARSAW, utcnow

from ..factories import RESIDENT_PASSWORD, sign_in_resident, tenant

BRZEG, ZW = "brzeg", "zielone-wzgorza"
_serial = itertools.count(1)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def local_input(moment) -> str:
    return moment.astimezone(WARSAW).strftime("%Y-%m-%dT%H:%M")


@dataclass(frozen=True)
class Estate:
    slug: str
    association_id: int
    person_ids: tuple[int, ...]
    logins: tuple[str, ...]


def build_estate(slug: str, shares=("0.5", "0.3", "0.2"), kind="owner",
                 co_owner_of: int | None = None) -> Estate:
    """One association, a unit per share, an owner (or member) per unit with an active
    account; ``co_owner_of``: one more person owning that unit (index) jointly."""
    n = next(_serial)
    units = [{"external_id": f"V{n}-U{i}", "association": f"V{n}-A", "street": "ul. Wiejska",
              "building_number": str(n), "unit_number": str(i + 1), "city": "Brzeg"}
             for i in range(len(shares))]
    owners = list(range(len(shares))) + ([co_owner_of] if co_owner_of is not None else [])
    persons = [{"external_id": f"V{n}-P{j}", "first_name": f"Osoba{j}",
                "last_name": f"Głosująca{n}", "email": f"glos{n}-{j}@example.com"}
               for j in range(len(owners))]
    titles = [{"external_id": f"V{n}-T{j}", "person": f"V{n}-P{j}", "unit": f"V{n}-U{unit}",
               "kind": kind, "valid_from": "2020-01-01"} for j, unit in enumerate(owners)]
    data = {"associations": [{"external_id": f"V{n}-A", "name": f"Wspólnota Wiejska {n}",
                              "street": f"ul. Wiejska {n}", "city": "Brzeg"}],
            "units": units, "persons": persons, "titles": titles}
    if kind == "owner":
        data["shares"] = [{"external_id": f"V{n}-S{i}", "unit": f"V{n}-U{i}", "share": share}
                          for i, share in enumerate(shares)]
    with tenant_scope(tenant(slug)):
        run = import_rows(data, source="test", actor="test")
        assert run.status == APPLIED, run.errors
        association = db.session.scalars(select(Association).where(
            Association.external_id == f"V{n}-A")).one()
        people = db.session.scalars(select(Person).where(
            Person.external_id.like(f"V{n}-P%")).order_by(Person.external_id)).all()
        logins = []
        for person in people:
            account = ResidentAccount(login=accounts.new_login(), person_id=person.id,
                                      state=ACTIVE, password_hash=hash_password(RESIDENT_PASSWORD),
                                      password_changed_at=utcnow(),
                                      regulations_version=(tenant(slug).info("regulations")
                                                           or {}).get("version"))
            db.session.add(account)
            db.session.flush()
            logins.append(account.login)
        db.session.commit()
        return Estate(slug, association.id, tuple(p.id for p in people), tuple(logins))


def open_vote(estate: Estate, days: int = 15, start=None, **changes) -> int:
    with tenant_scope(tenant(estate.slug)):
        start = start or utcnow() - timedelta(minutes=5)
        association = estate.association_id \
            if tenant(estate.slug).policy.voting.electorate == "owners_by_share" else None
        vote = services.open_vote(services.Opening(
            "Uchwała w sprawie remontu dachu", "Wyraża się zgodę na remont dachu.", start,
            start + timedelta(days=days), association), "staff:test", now=start)
        for name, value in changes.items():
            setattr(vote, name, value)
        db.session.commit()
        return vote.id


def electors(slug: str, vote_id: int) -> list:
    with tenant_scope(tenant(slug)):
        return [(e.id, e.key, e.weight) for e in services.get(vote_id).electors]


@pytest.fixture
def signed_in(host_client):
    def make(estate: Estate, index: int):
        client = host_client(f"{estate.slug}.localhost")
        return sign_in_resident(client, estate.logins[index])
    return make
