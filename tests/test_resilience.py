"""What residents and staff notice when a backing service is away.

- The broker (Redis) unreachable: a staff action that e-mails a resident still succeeds;
  the e-mail waits in the outbox and the sweeper delivers it once sending works again.
- The rate-limit storage (Redis) unreachable: limited pages still answer normally.
- The database unreachable: a clean 503 page with Retry-After, never a 500 or a traceback.

No service is mocked: "unreachable" is a real address where nothing listens.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from iok_saas import create_app
from iok_saas.config import _celery_settings
from iok_saas.extensions import db
from iok_saas.modules.accounts.models import ResidentAccount
from iok_saas.modules.faults import services as faults
from iok_saas.modules.housing.models import Unit
from iok_saas.modules.notifications.models import OutboxMessage
from iok_saas.modules.notifications.tasks import sweep_outbox
from iok_saas.tenancy import cross_tenant, tenant_scope

from .factories import tenant
from .mailserver import MailServer, free_port
from .polling import exactly

UNAVAILABLE = "Usługa chwilowo niedostępna"


def _closed_port() -> int:
    """A loopback port where nothing listens (a connection is refused at once)."""
    return free_port()


@pytest.fixture
def mail():
    server = MailServer().start()
    yield server
    server.stop()


@pytest.fixture
def app(database_url, tmp_path, mail):
    """The app under test publishes its tasks to a Redis broker that is not there."""
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "WTF_CSRF_ENABLED": False,
        "IOK_VAR_DIR": tmp_path, "RATELIMIT_ENABLED": False, "IOK_TENANT_CACHE_SECONDS": 3600,
        "CELERY": _celery_settings(f"redis://127.0.0.1:{_closed_port()}/0"),
        **mail.config(),
    })
    with app.app_context(), cross_tenant("test set-up: start from empty tables"):
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _outbox(app) -> list[OutboxMessage]:
    with app.app_context(), cross_tenant("test: read the outbox"):
        rows = list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        db.session.expunge_all()
        return rows


def test_broker_down_a_staff_comment_still_saves_and_its_email_is_sent_later(
        app, resident_client, office_client, mail, database_url, tmp_path):
    _browser, resident = resident_client("kuzniki", email="ewa@example.com")
    with tenant_scope(tenant("kuzniki")):
        report = faults.file_report(db.session.get(ResidentAccount, resident.account_id),
                                    db.session.get(Unit, resident.unit_id), "plumbing",
                                    "flat", "Cieknie kran w kuchni od rana.", None)
        report_id = report.id
    office = office_client("kuzniki")

    response = office.post(f"/staff/usterki/{report_id}",
                           data={"status": "", "comment": "Hydraulik przyjdzie jutro."})

    assert response.status_code == 302  # saved, as if the broker were there
    page = office.get(f"/staff/usterki/{report_id}").get_data(as_text=True)
    assert "Hydraulik przyjdzie jutro." in page
    [row] = _outbox(app)
    assert (row.state, row.to_address) == ("pending", "ewa@example.com")
    assert mail.messages == []

    # Sending works again (here: tasks run in-process, as without a broker); the sweeper
    # finds the forgotten row and delivers it once.
    sender = create_app({
        "SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "IOK_VAR_DIR": tmp_path,
        "CELERY": _celery_settings(None), "IOK_OUTBOX_SWEEP_GRACE_SECONDS": 0,
        **mail.config(),
    })
    with sender.app_context():
        assert sweep_outbox() == 1
        db.session.remove()
        db.engine.dispose()
    exactly(mail.count, 1, timeout=20, quiet=2, what="e-mails delivered")
    [message] = mail.messages
    assert message["To"].addresses[0].addr_spec == "ewa@example.com"
    assert message["Message-ID"].startswith(f"<{row.delivery_key}@")
    assert [r.state for r in _outbox(app)] == ["sent"]


def test_rate_limit_storage_down_the_login_page_still_answers_and_still_limits(
        database_url, tmp_path, synced):
    limited = create_app({
        "SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "WTF_CSRF_ENABLED": False,
        "IOK_VAR_DIR": tmp_path, "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{_closed_port()}/0",
        "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    })
    client = limited.test_client()
    responses = [client.post("/logowanie", base_url="http://kuzniki.localhost",
                             data={"login": "999999", "password": "Zle-haslo-2026"})
                 for _ in range(11)]
    # The form again with its message: the failed login, not a server error …
    assert [r.status_code for r in responses[:10]] == [200] * 10
    assert all("Błąd serwera" not in r.get_data(as_text=True) for r in responses)
    # … and the limit of ten tries a minute per login holds, counted in memory meanwhile.
    assert responses[10].status_code == 429
    with limited.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("host, path", [("brzeg.localhost", "/"),
                                        ("kuzniki.localhost", "/konto"),
                                        ("kuzniki.localhost", "/logowanie")])
def test_database_unreachable_gives_the_503_page(tmp_path, host, path):
    down = create_app({
        "SQLALCHEMY_DATABASE_URI":
            f"postgresql+psycopg://iok@127.0.0.1:{_closed_port()}/iok",
        "TESTING": True, "IOK_VAR_DIR": tmp_path, "RATELIMIT_ENABLED": False,
    })
    response = down.test_client().get(path, base_url=f"http://{host}")

    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    page = response.get_data(as_text=True)
    assert UNAVAILABLE in page
    assert "Traceback" not in page and "psycopg" not in page
