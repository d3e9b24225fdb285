"""The ledger page asks the database a fixed number of questions, however long the ledger."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, timedelta

from sqlalchemy import event

from iok_saas.extensions import db

from ..factories import active_resident, give_title
from .helpers import entries, schedule


@contextmanager
def _counted(statements: list[str]):
    engine = db.engine

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _queries(client, path: str) -> list[str]:
    client.get(path)  # warm-up: first-request work (sessions' last_seen, caches) not counted
    statements: list[str] = []
    with _counted(statements):
        response = client.get(path)
    assert response.status_code == 200
    return statements


def test_query_count_does_not_grow_with_the_ledger(resident_client):
    counts = {}
    for slug in ("kuzniki", "brzeg"):
        client, resident = resident_client(slug)
        second = active_resident(slug, first="Ewa", last="Druga")
        give_title(slug, resident.person_id, second.unit_id)
        schedule(slug, resident.unit_id, "300.00", "Czynsz", "rent")
        path = f"/konto/saldo/?unit={resident.unit_id}"
        few = len(_queries(client, path))
        start = date.today().replace(day=1) - timedelta(days=300)
        entries(slug, resident.unit_id, *[
            (start + timedelta(days=n), "charge" if n % 2 else "payment",
             "12.34" if n % 2 else "-12.34", f"Pozycja {n}") for n in range(300)])
        many = _queries(client, path)
        assert len(many) == few, many
        counts[slug] = few
    # The sign-in check (session, account, person and the housing stamp in one statement),
    # the resident's units (these tenants have no stamp, so they are asked every time) and
    # the ledger's one statement (balances and entries; Brzeg's unposted charges with them).
    assert counts == {"kuzniki": 3, "brzeg": 3}, counts
