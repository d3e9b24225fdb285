"""How a request's transaction ends (iok_saas/transactions.py): one that only read is
committed, so PostgreSQL keeps its prepared statements; anything written and not committed
by the code is left to the rollback, never committed on the way out."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select, update

from iok_saas.extensions import db
from iok_saas.modules.housing.models import Person
from iok_saas.tenancy import tenant_scope
from iok_saas.transactions import commit_if_read_only

from .factories import tenant


@pytest.fixture
def endings(app, ctx):
    """The COMMITs and ROLLBACKs the engine sends, in order."""
    seen: list[str] = []
    listeners = {name: (lambda _conn, name=name: seen.append(name))
                 for name in ("commit", "rollback")}
    for name, listener in listeners.items():
        event.listen(db.engine, name, listener)
    yield seen
    for name, listener in listeners.items():
        event.remove(db.engine, name, listener)


def _persons() -> int:
    return db.session.scalar(select(func.count()).select_from(Person))


def _end_request() -> None:
    """What the app's teardown does (errors._end_session_quietly)."""
    commit_if_read_only(db.session())
    db.session.close()


def test_a_transaction_that_only_read_is_committed(synced, endings):
    with tenant_scope(tenant("brzeg")):
        _persons()
        _end_request()
    assert endings == ["commit"]


def test_a_flushed_insert_is_rolled_back_not_committed(synced, endings):
    with tenant_scope(tenant("brzeg")):
        before = _persons()
        db.session.add(Person(external_id="TX1", first_name="Ewa", last_name="Próbna"))
        db.session.flush()
        _end_request()
        assert endings == ["rollback"]
        assert _persons() == before


def test_an_update_statement_is_rolled_back_not_committed(synced, endings):
    with tenant_scope(tenant("brzeg")):
        db.session.add(Person(external_id="TX2", first_name="Ewa", last_name="Próbna"))
        db.session.commit()
        endings.clear()
        db.session.execute(update(Person).where(Person.external_id == "TX2")
                           .values(last_name="Zmieniona"))
        _end_request()
        assert endings == ["rollback"]
        assert db.session.scalar(select(Person.last_name).where(
            Person.external_id == "TX2")) == "Próbna"


def test_an_unflushed_change_is_never_committed(synced, endings):
    with tenant_scope(tenant("brzeg")):
        before = _persons()
        with db.session.no_autoflush:
            db.session.add(Person(external_id="TX3", first_name="Ewa", last_name="Próbna"))
            _end_request()
        assert "commit" not in endings
        assert _persons() == before


def test_a_page_view_ends_its_transaction_with_a_commit(resident_client, endings):
    client, _resident = resident_client("brzeg")
    endings.clear()
    assert client.get("/konto/saldo/").status_code == 200
    assert endings == ["commit"]
