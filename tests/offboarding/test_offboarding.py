"""Offboarding (GDPR art. 28(3)(g)): export -> purge -> restore finds the same data; a
tampered archive writes nothing; a purge changes no other tenant's row; the grace period
holds."""

from __future__ import annotations

import json
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from iok_saas.demo import RESIDENT_PASSWORD, STAFF_PASSWORD
from iok_saas.extensions import db
from iok_saas.modules.accounts.models import ACTIVE as ACTIVE_ACCOUNT
from iok_saas.modules.accounts.models import ResidentAccount
from iok_saas.modules.audit.models import PlatformAuditEvent
from iok_saas.modules.audit.services import Actor
from iok_saas.modules.housing.models import Person
from iok_saas.modules.imports.formats import ORDER, read_csv
from iok_saas.modules.imports.services import import_data
from iok_saas.modules.offboarding import services
from iok_saas.modules.tenants.models import Tenant
from iok_saas.modules.tenants.services import TenantChangeError, get_tenant, set_status
from iok_saas.tenancy import ACTIVE, SUSPENDED, directory, tenant_scope
from iok_saas.timeutil import utcnow

from ..factories import sign_in_resident, sign_in_staff, tenant
from .conftest import LEAVING, NEIGHBOUR, content, fingerprints

pytestmark = pytest.mark.usefixtures("ctx")
ACTOR = Actor.cli("test")


def _export(tmp_path, slug=LEAVING):
    archive = tmp_path / f"{slug}.zip"
    report = services.export_tenant(slug, archive, ACTOR)
    db.session.commit()
    return archive, report


def _purge(slug: str) -> services.PurgeReport:
    services.schedule_deletion(slug, ACTOR, days=0)
    db.session.commit()
    reports = services.purge_due(ACTOR, now=utcnow() + timedelta(seconds=1))
    db.session.commit()
    assert [r.slug for r in reports] == [slug]
    return reports[0]


def test_round_trip_export_purge_restore_finds_the_same_data(seeded, tmp_path, host_client):
    before = content(LEAVING)
    assert before["residents"] and before["ledger"] and before["meters"]
    assert any(photo for *_rest, photo in before["faults"]), "a fault with a photo"
    assert before["documents"], "documents with files"
    archive, report = _export(tmp_path)
    assert report.rows["ledger_entry"] > 100

    purged = _purge(LEAVING)
    assert purged.rows["ledger_entry"] == report.rows["ledger_entry"]
    assert db.session.scalar(select(Tenant.id).where(Tenant.slug == LEAVING)) is None

    restored = services.restore_tenant(archive, "zielone-nowe", ACTOR)
    db.session.commit()
    assert restored.files == len([e for e in report.entries if e.path.startswith("files/")])
    assert content("zielone-nowe") == before
    # The restored tenant works: its directory entry is active with the archived policy.
    snapshot = tenant("zielone-nowe")
    assert snapshot.policy is not None and not snapshot.suspended
    # People sign in as before: the staff's password and authenticator (a second factor kept
    # by (user_kind, user_id), remapped too), a resident's password.
    office = sign_in_staff(host_client("zielone-nowe.localhost"), "admin", STAFF_PASSWORD)
    assert office.get("/staff/").status_code == 200
    with tenant_scope(snapshot):
        login = db.session.scalar(select(ResidentAccount.login).join(Person).where(
            ResidentAccount.state == ACTIVE_ACCOUNT, Person.last_name == "Nowicka"))
    home = sign_in_resident(host_client("zielone-nowe.localhost"), login, RESIDENT_PASSWORD)
    assert "Wyloguj" in home.get("/").get_data(as_text=True)
    actions = db.session.scalars(select(PlatformAuditEvent.action)).all()
    for action in ("tenant.export", "tenant.deletion_scheduled", "tenant.purge",
                   "tenant.restore"):
        assert action in actions
    purge_event = db.session.scalar(select(PlatformAuditEvent)
                                    .where(PlatformAuditEvent.action == "tenant.purge"))
    assert purge_event.after["rows"]["ledger_entry"] == report.rows["ledger_entry"]


def test_manifest_lists_every_entry_with_its_checksum_and_rows(seeded, tmp_path):
    archive, report = _export(tmp_path)
    with zipfile.ZipFile(archive) as z:
        manifest = json.loads(z.read("manifest.json"))
        assert manifest["tenant"]["slug"] == LEAVING
        names = set(z.namelist()) - {"manifest.json"}
        assert names == {f["path"] for f in manifest["files"]}
        assert services.verify_archive(z) == manifest
        by_path = {f["path"]: f for f in manifest["files"]}
        for name in ORDER:
            assert by_path[f"datasets/{name}.csv"]["dataset"] == name
        assert by_path["tables/ledger_entry.jsonl"]["dataset"] == "ledger"
        assert by_path["tables/fault_photo.jsonl"]["rows"] >= 1
        assert any(p.startswith("files/documents/") for p in by_path)
        assert f"tenant/{LEAVING}.yaml" in by_path and "tenant/policy.yaml" in by_path
        # Amounts are exact decimal strings, times carry their offset.
        entry = json.loads(z.open("tables/ledger_entry.jsonl").readline())
        assert isinstance(entry["amount"], str) and "." in entry["amount"]
        fault = json.loads(z.open("tables/fault_report.jsonl").readline())
        assert fault["created_at"].endswith("+00:00"), fault
        # The datasets are the import format: the single import path takes them whole
        # (into another tenant: a dry run cannot resolve references to rows it would create).
        parts = [(name, read_csv(z.open(f"datasets/{name}.csv"), name)) for name in ORDER]
        with tenant_scope(tenant(NEIGHBOUR)):
            run = import_data(parts, source="test", actor="test", checksum="x")
            assert run.errors_total == 0, run.errors
            assert run.details["datasets"]["ledger"]["total"] == \
                by_path["datasets/ledger.csv"]["rows"]
            db.session.commit()


def _tampered(source, target, path, change):
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as copy:
        for info in original.infolist():
            data = original.read(info.filename)
            copy.writestr(info.filename, change(data) if info.filename == path else data)


@pytest.mark.parametrize("path, change", [
    ("tables/ledger_entry.jsonl", lambda d: d.replace(b'"amount": "', b'"amount": "1', 1)),
    ("datasets/persons.csv", lambda d: d + b"X,Eve,Intruder,,,\n"),
    ("manifest.json", lambda d: d.replace(b'"sha256": "', b'"sha256": "0', 1)),
])
def test_a_tampered_archive_is_refused_writing_nothing(seeded, tmp_path, path, change):
    archive, _report = _export(tmp_path)
    bad = tmp_path / "bad.zip"
    _tampered(archive, bad, path, change)
    tenants_before = db.session.scalar(select(func.count(Tenant.id)))
    everything = fingerprints()
    with pytest.raises(services.OffboardingError) as refused:
        services.restore_tenant(bad, "zielone-nowe", ACTOR)
    assert "nie zgadza się" in str(refused.value)
    db.session.commit()
    assert db.session.scalar(select(func.count(Tenant.id))) == tenants_before
    assert fingerprints() == everything


def test_not_a_zip_is_a_clear_error(synced, tmp_path):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    with pytest.raises(services.OffboardingError, match="ZIP"):
        services.restore_tenant(junk, "nowa", ACTOR)


def test_purge_leaves_every_other_tenants_rows_unchanged(seeded, tmp_path):
    leaving_id = tenant(LEAVING).id
    assert (seeded.config["IOK_VAR_DIR"] / "documents" / str(leaving_id)).is_dir()
    others = fingerprints(except_tenant_id=leaving_id)
    assert int(others["ledger_entry"].split(":")[1]) > 0, "the neighbour has a ledger"
    neighbour = content(NEIGHBOUR)
    _purge(LEAVING)
    assert fingerprints(except_tenant_id=leaving_id) == others
    assert content(NEIGHBOUR) == neighbour
    # Nothing of the purged tenant is left in any tenant table, nor its files.
    assert fingerprints() == others
    assert not (seeded.config["IOK_VAR_DIR"] / "documents" / str(leaving_id)).exists()


def test_the_grace_period_is_respected_and_deletion_can_be_cancelled(seeded):
    now = utcnow()
    services.schedule_deletion(LEAVING, ACTOR, now=now)
    db.session.commit()
    record = get_tenant(LEAVING)
    assert record.status == SUSPENDED
    assert tenant(LEAVING).suspended
    assert services.due_for_purge(now + timedelta(days=29)) == []
    assert services.purge_due(ACTOR, now=now + timedelta(days=29, hours=23)) == []
    db.session.commit()
    assert get_tenant(LEAVING).deletion_due is not None
    services.cancel_deletion(LEAVING, ACTOR)
    db.session.commit()
    assert not tenant(LEAVING).suspended
    assert services.purge_due(ACTOR, now=now + timedelta(days=31)) == []
    services.schedule_deletion(LEAVING, ACTOR, now=now)
    db.session.commit()
    assert [r.slug for r in services.purge_due(ACTOR, now=now + timedelta(days=30))] == \
        [LEAVING]
    db.session.commit()
    assert all(t.slug != LEAVING for t in directory().all())


def test_a_tenant_awaiting_deletion_cannot_be_resumed_and_one_back_online_is_never_purged(
        seeded):
    now = utcnow()
    services.schedule_deletion(LEAVING, ACTOR, now=now)
    db.session.commit()
    with pytest.raises(TenantChangeError) as refused:
        set_status(LEAVING, ACTIVE, ACTOR, "Klient wrócił")
    assert [p.code for p in refused.value.problems] == ["deletion_scheduled"]
    db.session.rollback()
    get_tenant(LEAVING).status = ACTIVE      # brought back by hand, say, in the database
    db.session.commit()
    assert services.purge_due(ACTOR, now=now + timedelta(days=31)) == []
    db.session.commit()
    assert any(t.slug == LEAVING for t in directory().all())


def test_the_managers_notice_pdfs_leave_with_the_tenant(seeded, tmp_path):
    leaving_id = tenant(LEAVING).id
    folder = seeded.config["IOK_VAR_DIR"] / "notices" / str(leaving_id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ab12.pdf").write_bytes(b"%PDF-1.4 notice")
    archive, _report = _export(tmp_path)
    with zipfile.ZipFile(archive) as zf:
        assert zf.read("files/notices/ab12.pdf") == b"%PDF-1.4 notice"
    _purge(LEAVING)
    assert not folder.exists()


def test_cancelling_keeps_a_tenant_suspended_for_another_reason_suspended(seeded):
    set_status(LEAVING, SUSPENDED, ACTOR, "Zaległe płatności")
    db.session.commit()
    services.schedule_deletion(LEAVING, ACTOR)
    db.session.commit()
    services.cancel_deletion(LEAVING, ACTOR)
    db.session.commit()
    assert get_tenant(LEAVING).status == SUSPENDED and tenant(LEAVING).suspended


def test_an_email_unsent_at_export_is_restored_as_failed_and_never_sent(seeded, tmp_path, mail):
    from iok_saas.modules.notifications.delivery import deliver_batch, due_messages
    from iok_saas.modules.notifications.models import FAILED, PENDING, SENT, OutboxMessage
    from iok_saas.modules.notifications.services import queue_email

    with tenant_scope(tenant(LEAVING)):
        waiting = queue_email("password_reset", "ola@example.com", "Ola", "Reset", "Link")
        queue_email("announcement", "ola@example.com", "Ola", "Ogłoszenie", "Treść")
        db.session.commit()  # tests send at once: both go out
        waiting.state, waiting.sent_at = PENDING, None  # as if the export came first
        db.session.commit()
    sent_before = len(mail.messages)
    archive, _report = _export(tmp_path)
    _purge(LEAVING)
    services.restore_tenant(archive, "zielone-nowe", ACTOR)
    db.session.commit()

    with tenant_scope(tenant("zielone-nowe")):
        states = dict(db.session.execute(select(OutboxMessage.subject, OutboxMessage.state)
                                         .where(OutboxMessage.subject.in_(["Reset", "Ogłoszenie"]))
                                         ).all())
    assert states == {"Reset": FAILED, "Ogłoszenie": SENT}
    # Nothing is due, and even a forced delivery of every row sends nothing.
    assert due_messages() == []
    restored = tenant("zielone-nowe").id
    with tenant_scope(tenant("zielone-nowe")):
        ids = list(db.session.scalars(select(OutboxMessage.id)))
    deliver_batch(ids, restored)
    assert len(mail.messages) == sent_before
