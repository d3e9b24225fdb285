"""The resident's units are memoised between requests, and an import is still seen at once."""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import delete, event, insert, select, update

from iok_saas.extensions import db
from iok_saas.modules.housing.held import note_housing_changed
from iok_saas.modules.housing.models import Association, HousingRevision, Person, Title, Unit
from iok_saas.modules.imports import services as imports
from iok_saas.modules.portal import access
from iok_saas.tenancy import tenant_scope
from iok_saas.timeutil import warsaw_today

from .. import housing_stamp
from ..factories import give_title, tenant

LEDGER = "/konto/saldo/"


def _import(slug: str, datasets: dict) -> None:
    with tenant_scope(tenant(slug)):
        run = imports.import_bytes(json.dumps({"datasets": datasets}).encode(), "json", None,
                                   source="cli", actor="cli:test")
        db.session.commit()
        assert run.status == "applied", run.errors


def _second_flat(slug: str, person_id: int, valid_to: str | None = None) -> int:
    """Imports a flat with a title of the resident's person (valid to ``valid_to``)."""
    with tenant_scope(tenant(slug)):
        person = db.session.get(Person, person_id).external_id
    _import(slug, {
        "associations": [{"external_id": "HA1", "name": "Wspólnota Klonowa 5",
                          "street": "ul. Klonowa 5", "city": "Kraków"}],
        "units": [{"external_id": "HU1", "association": "HA1", "street": "ul. Klonowa",
                   "building_number": "5", "unit_number": "2", "city": "Kraków"}],
        "titles": [{"external_id": "HT1", "person": person, "unit": "HU1", "kind": "owner",
                    "valid_from": "2021-03-01", "valid_to": valid_to}],
    })
    with tenant_scope(tenant(slug)):
        return db.session.scalar(select(Unit.id).where(Unit.external_id == "HU1"))


@contextmanager
def _units_statements():
    """Collects the statements that ask for a resident's units."""
    seen: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if "FROM unit JOIN association" in statement:
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def _stamp(slug: str) -> None:
    with tenant_scope(tenant(slug)):
        note_housing_changed()
        db.session.commit()


def test_an_import_is_seen_on_the_residents_next_request(resident_client):
    client, resident = resident_client("kuzniki")
    _stamp("kuzniki")
    assert client.get(f"{LEDGER}?unit={resident.unit_id}").status_code == 200  # memoised
    flat = _second_flat("kuzniki", resident.person_id)
    page = client.get(f"{LEDGER}?unit={flat}")
    assert page.status_code == 200
    assert "ul. Klonowa 5/2, Kraków" in page.get_data(as_text=True)

    yesterday = (warsaw_today() - timedelta(days=1)).isoformat()
    _second_flat("kuzniki", resident.person_id, valid_to=yesterday)  # the flat was sold
    assert client.get(f"{LEDGER}?unit={flat}").status_code == 404  # same session, next request
    assert client.get(f"{LEDGER}?unit={resident.unit_id}").status_code == 200


def test_units_are_asked_for_once_per_stamp_not_per_request(resident_client):
    client, resident = resident_client("kuzniki")
    flat = _second_flat("kuzniki", resident.person_id)
    with _units_statements() as asked:
        for _ in range(3):
            assert client.get(f"{LEDGER}?unit={flat}").status_code == 200
    assert len(asked) == 1  # the import's new stamp: asked on the first request only

    _stamp("kuzniki")
    with _units_statements() as asked:
        for _ in range(3):
            assert client.get(f"{LEDGER}?unit={flat}").status_code == 200
    assert len(asked) == 1  # a new stamp: asked again, once


def test_the_memo_follows_the_day(resident_client, monkeypatch):
    client, resident = resident_client("kuzniki")
    today = warsaw_today()
    flat = _second_flat("kuzniki", resident.person_id, valid_to=today.isoformat())
    assert client.get(f"{LEDGER}?unit={flat}").status_code == 200  # its last day
    monkeypatch.setattr(access, "warsaw_today", lambda: today + timedelta(days=1))
    assert client.get(f"{LEDGER}?unit={flat}").status_code == 404


def test_a_tenant_without_a_stamp_is_asked_every_time(resident_client):
    """Data written without a stamp (no import yet) is never memoised."""
    client, resident = resident_client("brzeg")
    other, _ = resident_client("brzeg", first="Ewa", last="Druga")
    with tenant_scope(tenant("brzeg")):
        assert db.session.scalar(select(HousingRevision)) is None
        their_flat = db.session.scalar(select(Unit.id).where(Unit.id != resident.unit_id))
    assert client.get(f"{LEDGER}?unit={their_flat}").status_code == 404
    give_title("brzeg", resident.person_id, their_flat)
    assert client.get(f"{LEDGER}?unit={their_flat}").status_code == 200


def test_each_tenant_has_its_own_stamp(synced, ctx):
    stamps = {}
    for slug in ("kuzniki", "kuzniki", "gdynia"):
        with tenant_scope(tenant(slug)):
            note_housing_changed()
            db.session.commit()
            rows = db.session.scalars(select(HousingRevision)).all()
            assert len(rows) == 1  # one row per tenant, its stamp replaced
            stamps.setdefault(slug, []).append(rows[0].stamp)
    assert stamps["kuzniki"][0] != stamps["kuzniki"][1]
    assert stamps["gdynia"][0] not in stamps["kuzniki"]


def test_an_import_of_other_data_keeps_the_stamp(resident_client):
    _, resident = resident_client("kuzniki")
    _second_flat("kuzniki", resident.person_id)
    with tenant_scope(tenant("kuzniki")):
        before = db.session.scalar(select(HousingRevision.stamp))
    _import("kuzniki", {"ledger": [{
        "external_id": "HL1", "unit": "HU1", "booking_date": "2025-01-10",
        "period": "2025-01", "kind": "charge", "title": "Opłata", "amount": "10.00"}]})
    _second_flat("kuzniki", resident.person_id)  # the same rows again: nothing changes
    with tenant_scope(tenant("kuzniki")):
        assert db.session.scalar(select(HousingRevision.stamp)) == before


# The suite-wide watch (tests/housing_stamp.py) fails any test that commits housing rows
# without replacing a stamp; these tests show it catching each kind of writer.

def _unit(association_id: int, n: int) -> Unit:
    return Unit(external_id=f"W{n}", association_id=association_id, street="ul. Wiązowa",
                building_number=str(n), unit_number="1", city="Kraków")


@pytest.fixture
def stamped_kuzniki(resident_client):
    _, resident = resident_client("kuzniki")
    _stamp("kuzniki")
    return resident


def test_the_watch_fails_a_unit_added_without_the_stamp(stamped_kuzniki):
    with tenant_scope(tenant("kuzniki")):
        db.session.add(_unit(stamped_kuzniki.association_id, 1))
        db.session.commit()
    with pytest.raises(housing_stamp.StampNotReplaced,
                       match=r"INSERT unit from .*test_held_units\.py:\d+"):
        housing_stamp.check()


@pytest.mark.parametrize("statement", ["update", "delete", "insert"])
def test_the_watch_fails_a_core_or_bulk_statement_without_the_stamp(stamped_kuzniki,
                                                                     statement):
    resident = stamped_kuzniki
    with tenant_scope(tenant("kuzniki")):
        if statement == "update":
            db.session.execute(update(Unit).where(Unit.id == resident.unit_id)
                               .values(city="Opole"))
        elif statement == "delete":
            db.session.execute(delete(Title).where(Title.unit_id == resident.unit_id))
        else:
            db.session.execute(insert(Association), [{
                "tenant_id": tenant("kuzniki").id, "external_id": "WA1", "name": "Wspólnota",
                "street": "ul. Wiązowa 1", "city": "Kraków"}])
        db.session.commit()
    with pytest.raises(housing_stamp.StampNotReplaced, match=statement.upper()):
        housing_stamp.check()


def test_the_watch_passes_writes_that_replace_the_stamp_or_are_rolled_back(stamped_kuzniki):
    with tenant_scope(tenant("kuzniki")):
        db.session.add(_unit(stamped_kuzniki.association_id, 2))
        note_housing_changed()
        db.session.commit()
        db.session.add(_unit(stamped_kuzniki.association_id, 3))
        db.session.flush()
        db.session.rollback()
    housing_stamp.check()


def test_the_watch_passes_a_tenant_with_no_stamp(resident_client):
    """Nothing is memoised for a tenant without a stamp, so its writes need none."""
    _, resident = resident_client("brzeg")
    with tenant_scope(tenant("brzeg")):
        db.session.add(_unit(resident.association_id, 4))
        db.session.commit()
    housing_stamp.check()
