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


# --- the boundary commits once (services stage, the request/command/task commits) ------------

def test_an_enrolment_approval_is_one_transaction(synced, host_client, office_client,
                                                  monkeypatch):
    """Approving creates the account, writes audit events and queues the applicant's
    e-mail; when the last step fails, none of it is written."""
    from iok_saas.modules.accounts.models import ResidentAccount
    from iok_saas.modules.audit.models import AuditEvent
    from iok_saas.modules.enrolment import services as enrolment
    from iok_saas.modules.enrolment.models import Application
    from iok_saas.modules.notifications.models import OutboxMessage

    from .enrolment.conftest import applicant_form, make_person, prefixed, text, version_on

    person_id = make_person("gdynia", "Anna", "Lis", building="3", flat="12")
    filed = host_client("gdynia.localhost").post(
        "/wniosek", data=applicant_form(accept_regulations="y"))
    assert filed.status_code == 302
    with tenant_scope(tenant("gdynia")):
        application_id = db.session.scalar(select(Application.id))
        # The confirmation e-mail of the filing; anything beyond it is the approval's.
        messages_before = db.session.scalar(select(func.count(OutboxMessage.id)))
        events_before = db.session.scalar(select(func.count(AuditEvent.id)))
    staff = office_client("gdynia", "k.nowak", "accounting")
    page = text(staff.get(f"/staff/wnioski/{application_id}"))
    form = prefixed("approve", {"person_id": person_id, "version": version_on(page, "approve")})

    real_link = enrolment._link_account

    def link_then_fail(application, account):
        real_link(application, account)   # account, audit rows and e-mail all staged
        raise RuntimeError("the last step failed")

    monkeypatch.setattr(enrolment, "_link_account", link_then_fail)
    failed = staff.post(f"/staff/wnioski/{application_id}/zatwierdz", data=form)
    assert failed.status_code == 500  # the app's error page for an unexpected error

    with tenant_scope(tenant("gdynia")):
        db.session.expire_all()
        assert db.session.scalar(select(ResidentAccount.id)) is None
        assert db.session.scalar(select(func.count(AuditEvent.id))) == events_before
        assert db.session.scalar(select(func.count(OutboxMessage.id))) == messages_before
        assert db.session.scalar(select(Application.state)) == "staff_review"

    monkeypatch.undo()   # the same approval, nothing failing: all of it lands together
    assert staff.post(f"/staff/wnioski/{application_id}/zatwierdz",
                      data=form).status_code == 302
    with tenant_scope(tenant("gdynia")):
        assert db.session.scalar(select(ResidentAccount.person_id)) == person_id
        assert db.session.scalar(select(func.count(AuditEvent.id))) > events_before


def test_a_command_commits_when_it_succeeds_and_not_when_it_fails(synced, ctx):
    """`flask …` commands are boundaries: a finished command's work is kept, a failed
    one's (non-zero exit) is not."""
    from iok_saas.modules.operator.models import Operator

    runner = synced.test_cli_runner()
    ok = runner.invoke(args=["operators", "create", "op@example.com", "--name", "Op"],
                       env={"IOK_OPERATOR_PASSWORD": "Operator-2026-Long"})
    assert ok.exit_code == 0, ok.output
    again = runner.invoke(args=["operators", "create", "op@example.com", "--name", "Op"],
                          env={"IOK_OPERATOR_PASSWORD": "Operator-2026-Long"})
    assert again.exit_code != 0
    db.session.remove()
    emails = db.session.scalars(select(Operator.email)).all()
    assert emails == ["op@example.com"]


def test_a_service_that_commits_fails_the_suite(synced, ctx):
    """tests/conftest.py watches every COMMIT of the suite: one issued from inside a
    feature's services module fails the test that caused it."""
    from .conftest import ServiceCommitted

    namespace = {"__name__": "iok_saas.modules.example.services", "db": db}
    exec("def stage_and_commit():\n    db.session.commit()\n", namespace)  # noqa: S102
    with pytest.raises(ServiceCommitted, match="example.services"):
        namespace["stage_and_commit"]()
    db.session.rollback()
