"""The resident's units are memoised between requests, and an import is still seen at once."""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import event, select

from iok_saas.extensions import db
from iok_saas.modules.housing.held import note_housing_changed
from iok_saas.modules.housing.models import HousingRevision, Person, Unit
from iok_saas.modules.imports import services as imports
from iok_saas.modules.portal import access
from iok_saas.tenancy import tenant_scope
from iok_saas.timeutil import warsaw_today

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


def test_every_writer_of_housing_data_replaces_the_stamp(repo_root):
    """Code that creates or changes associations, units or titles by name must also call
    note_housing_changed (the import writes every dataset generically and calls it once)."""
    writes = re.compile(r"\b(Association|Unit|Title)\(|"
                        r"\b(insert|update|delete)\((Association|Unit|Title)\b")
    writers = {path.relative_to(repo_root).as_posix(): path.read_text(encoding="utf-8")
               for path in (repo_root / "iok_saas").rglob("*.py")
               if writes.search(re.sub(r"^class .*$", "", path.read_text(encoding="utf-8"),
                                       flags=re.M))}
    assert "iok_saas/demo.py" in writers  # the scan finds a writer it knows
    assert [name for name, source in writers.items()
            if "note_housing_changed()" not in source] == []
    assert "note_housing_changed()" in (
        repo_root / "iok_saas/modules/imports/services.py").read_text(encoding="utf-8")
