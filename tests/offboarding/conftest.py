"""A tenant full of data (the demo's residents, ledgers, meters, faults with photos,
documents with files, votes) and a neighbour that offboarding must not touch."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select

from iok_saas import demo
from iok_saas.extensions import db
from iok_saas.modules.accounts.models import ResidentAccount
from iok_saas.modules.documents.models import Document, DocumentVersion
from iok_saas.modules.documents.services import file_path
from iok_saas.modules.faults.models import FaultPhoto, FaultReport
from iok_saas.modules.housing.models import Person, Unit
from iok_saas.modules.ledger.models import LedgerEntry
from iok_saas.modules.meters.models import Meter, MeterReading
from iok_saas.tenancy import cross_tenant, tenant_scope, tenant_table_names

from ..factories import tenant

LEAVING = "zielone-wzgorza"
NEIGHBOUR = "kuzniki"


def seed(slug: str) -> None:
    snapshot = tenant(slug)
    with tenant_scope(snapshot):
        demo._load_staff(snapshot)
        demo._load_residents(snapshot)
        db.session.commit()
        demo._seed_portal_data()


@pytest.fixture
def seeded(synced):
    seed(LEAVING)
    seed(NEIGHBOUR)
    return synced


def content(slug: str) -> dict:
    """What a resident or clerk would recognise, without database ids."""
    with tenant_scope(tenant(slug)):
        units = dict(db.session.execute(select(Unit.id, Unit.external_id)).all())
        residents = sorted(db.session.execute(
            select(Person.first_name, Person.last_name, Person.email, ResidentAccount.login,
                   ResidentAccount.state, ResidentAccount.password_hash)
            .join(ResidentAccount, ResidentAccount.person_id == Person.id)).all())
        ledger = sorted((units[u], n, total) for u, n, total in db.session.execute(
            select(LedgerEntry.unit_id, func.count(), func.sum(LedgerEntry.amount))
            .group_by(LedgerEntry.unit_id)))
        meters = sorted(db.session.execute(
            select(Meter.serial_number, MeterReading.read_on, MeterReading.value,
                   MeterReading.state)
            .join(MeterReading, MeterReading.meter_id == Meter.id)).all())
        faults = sorted((r.description, r.status, units[r.unit_id], _sha(photo))
                        for r, photo in db.session.execute(
                            select(FaultReport, FaultPhoto.data)
                            .outerjoin(FaultPhoto, FaultPhoto.fault_id == FaultReport.id)))
        documents = sorted((d.title, v.number, v.sha256, _sha(file_path(v).read_bytes()))
                           for d, v in db.session.execute(
                               select(Document, DocumentVersion)
                               .join(DocumentVersion, DocumentVersion.document_id == Document.id)))
    return {"residents": residents, "ledger": ledger, "meters": meters, "faults": faults,
            "documents": documents}


def _sha(data: bytes | None) -> str | None:
    return hashlib.sha256(data).hexdigest() if data is not None else None


def fingerprints(except_tenant_id: int | None = None) -> dict[str, str]:
    """A digest of every tenant table's rows (all columns) outside one tenant."""
    result = {}
    with cross_tenant("test: compare the other tenants' rows before and after"):
        for table in db.metadata.sorted_tables:
            if table.name not in tenant_table_names():
                continue
            query = select(table)
            if except_tenant_id is not None:
                query = query.where(table.c.tenant_id != except_tenant_id)
            rows = sorted(repr(tuple(row)) for row in db.session.execute(query))
            result[table.name] = hashlib.sha256("\n".join(rows).encode()).hexdigest() + \
                f":{len(rows)}"
    return result
