"""Security suite fixtures: a "world" of two residents per tenant, staff, API tokens and one
object of every kind owned by resident A / tenant A, built on demand; and a snapshot of every
business table so a test can prove that a refused request changed nothing."""

from __future__ import annotations

import io
import itertools
import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from PIL import Image
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.accounts.models import ResidentAccount
from iok_saas.modules.housing.models import Unit
from iok_saas.modules.meters.models import ACCEPTED, SOURCE_RESIDENT, SUBMITTED, Meter, MeterReading
from iok_saas.modules.notifications.models import StaffTask
from iok_saas.tenancy import cross_tenant, tenant_scope
from iok_saas.timeutil import utcnow

from ..factories import tenant

_serial = itertools.count(1)

# Rows these tables hold are written by any request at all (a sign-in, a session touched,
# an API token's "last used"): not business data an attacker could change.
VOLATILE_TABLES = {"user_session", "login_attempt"}
VOLATILE_COLUMNS = {("api_token", "last_used_at")}


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every business table (all tenants), for before/after comparisons."""
    state = {}
    db.session.expire_all()
    with cross_tenant("security test: compare the whole database before and after"):
        for table in db.metadata.sorted_tables:
            if table.name in VOLATILE_TABLES:
                continue
            columns = [c for c in table.columns if (table.name, c.name) not in VOLATILE_COLUMNS]
            rows = db.session.execute(select(*columns)).all()
            state[table.name] = sorted(tuple(map(repr, row)) for row in rows)
    db.session.rollback()
    return state


def changed_tables(before: dict, after: dict) -> list[str]:
    return sorted(name for name in before if before[name] != after.get(name))


def png_bytes(size=(8, 8), color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


class World:
    """Lazily built actors and objects; every builder works inside its tenant's scope."""

    def __init__(self, resident_client, office_client, host_client):
        self._resident_client = resident_client
        self._office_client = office_client
        self._host_client = host_client
        self._cache: dict = {}

    def _once(self, key, make):
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    # --- actors --------------------------------------------------------------------------

    def resident_a(self, slug):
        """(client, Resident): the owner of every object built below."""
        return self._once(("resident_a", slug), lambda: self._resident_client(
            slug, first="Anna", last="Właścicielka"))

    def resident_b(self, slug):
        """(client, Resident): another resident of the same tenant (own flat, own block)."""
        return self._once(("resident_b", slug), lambda: self._resident_client(
            slug, first="Bartosz", last="Sąsiad", flat="7"))

    def staff(self, slug):
        return self._once(("staff", slug), lambda: self._office_client(slug, login="biuro"))

    def anonymous(self, slug):
        return self._host_client(f"{slug}.localhost")

    def token(self, slug) -> str:
        from iok_saas.modules.imports import services

        def make():
            with tenant_scope(tenant(slug)):
                plain = services.create_token("księgowość", "staff:test")[1]
                db.session.commit()
                return plain
        return self._once(("token", slug), make)

    def api(self, slug):
        """A client with no cookies, and the headers of a valid API token of ``slug``."""
        return self._host_client(f"{slug}.localhost"), {
            "Authorization": f"Bearer {self.token(slug)}"}

    # --- objects of resident A / tenant A ----------------------------------------------------

    def _account(self, resident) -> ResidentAccount:
        return db.session.get(ResidentAccount, resident.account_id)

    def fault(self, slug, with_photo=True) -> int:
        from iok_saas.modules.faults import services

        def make():
            _, resident = self.resident_a(slug)
            with tenant_scope(tenant(slug)):
                photo = services.read_photo(io.BytesIO(png_bytes())) if with_photo else None
                report = services.file_report(
                    self._account(resident), db.session.get(Unit, resident.unit_id),
                    "plumbing", "flat", "Cieknie kran w łazience od wczoraj.", photo)
                db.session.commit()
                return report.id
        return self._once(("fault", slug), make)

    def meter(self, slug) -> int:
        def make():
            _, resident = self.resident_a(slug)
            with tenant_scope(tenant(slug)):
                n = next(_serial)
                meter = Meter(external_id=f"SEC-M{n}", unit_id=resident.unit_id,
                              serial_number=f"SEC-{n:05d}", kind="cold_water",
                              location="łazienka", installed_on=date(2020, 1, 15))
                db.session.add(meter)
                db.session.flush()
                db.session.add(MeterReading(external_id=f"SEC-M{n}-R0", meter_id=meter.id,
                                            read_on=date(2025, 1, 10), value=Decimal("10.5"),
                                            state=ACCEPTED))
                db.session.commit()
                return meter.id
        return self._once(("meter", slug), make)

    def reading(self, slug) -> int:
        """A reading resident A submitted, waiting for the staff's decision."""
        def make():
            meter_id = self.meter(slug)
            _, resident = self.resident_a(slug)
            with tenant_scope(tenant(slug)):
                row = MeterReading(meter_id=meter_id, read_on=utcnow().date() - timedelta(days=1),
                                   value=Decimal("12.250"), source=SOURCE_RESIDENT,
                                   state=SUBMITTED, submitted_by_account_id=resident.account_id)
                db.session.add(row)
                db.session.commit()
                return row.id
        return self._once(("reading", slug), make)

    def announcement(self, slug) -> int:
        from iok_saas.modules.announcements import services

        def make():
            _, resident = self.resident_a(slug)
            with tenant_scope(tenant(slug)):
                row = services.save(None, title="Przegląd instalacji gazowej",
                                    body="Prosimy o udostępnienie lokali.",
                                    association_ids=[resident.association_id],
                                    publish_at=utcnow() - timedelta(hours=1),
                                    email_residents=False, actor="staff:test")
                db.session.commit()
                return row.id
        return self._once(("announcement", slug), make)

    def document(self, slug) -> tuple[int, int]:
        """(document id, version id): a PDF for the owners of resident A's association."""
        from iok_saas.modules.documents import services

        from ..documents.pdfs import pdf_bytes

        def make():
            _, resident = self.resident_a(slug)
            with tenant_scope(tenant(slug)):
                details = services.Details(
                    "regulations", "Uchwała o remoncie dachu", "3/2026", None, None,
                    "owners", resident.association_id, utcnow() - timedelta(hours=1), False)
                document = services.create(details, services.PdfFile(
                    "uchwala.pdf", pdf_bytes("Uchwała")), "staff:test")
                db.session.commit()
                return document.id, document.current.id
        return self._once(("document", slug), make)

    def vote(self, slug) -> tuple[int, int]:
        """(vote id, elector id): a vote of the owners of resident A's association (their
        unit's share imported), open now."""
        from iok_saas.modules.imports.services import import_rows
        from iok_saas.modules.voting import services

        def make():
            _, resident = self.resident_a(slug)
            with tenant_scope(tenant(slug)):
                unit = db.session.get(Unit, resident.unit_id)
                run = import_rows({"shares": [{"external_id": f"S-{unit.external_id}",
                                               "unit": unit.external_id, "share": "1"}]},
                                  source="test", actor="test")
                assert run.status == "applied", run.errors
                start = utcnow() - timedelta(hours=1)
                vote = services.open_vote(services.Opening(
                    "Uchwała o remoncie", "Treść uchwały.", start, start + timedelta(days=30),
                    resident.association_id), "staff:test", now=start)
                db.session.commit()
                return vote.id, vote.electors[0].id
        return self._once(("vote", slug), make)

    def paper_scan(self, slug) -> tuple[int, int]:
        """(vote id, event id): a paper ballot with its scan for resident A's unit, in a
        vote of its own (so resident A may still vote electronically in ``vote``)."""
        from iok_saas.modules.documents.services import PdfFile
        from iok_saas.modules.voting import services
        from iok_saas.modules.voting.models import BallotEvent
        from tests.documents.pdfs import pdf_bytes

        def make():
            _, resident = self.resident_a(slug)
            self.vote(slug)  # imports the unit's share
            with tenant_scope(tenant(slug)):
                start = utcnow() - timedelta(hours=1)
                vote = services.open_vote(services.Opening(
                    "Uchwała o elewacji", "Treść uchwały.", start, start + timedelta(days=30),
                    resident.association_id), "staff:test", now=start)
                services.enter_paper(vote.id, vote.electors[0].id, "for",
                                     PdfFile("karta.pdf", pdf_bytes("Karta")), "staff:test")
                event_id = db.session.scalar(select(BallotEvent.id).where(
                    BallotEvent.vote_id == vote.id, BallotEvent.kind == "paper"))
                db.session.commit()
                return vote.id, event_id
        return self._once(("paper_scan", slug), make)

    def occupants_change(self, slug) -> int:
        from iok_saas.modules.occupants import services

        def make():
            _, resident = self.resident_a(slug)
            with tenant_scope(tenant(slug)):
                row = services.declare(self._account(resident),
                                       db.session.get(Unit, resident.unit_id), 3,
                                       services.effective_months()[1], None)
                db.session.commit()
                return row.id
        return self._once(("occupants", slug), make)

    def notice(self, slug) -> int:
        """A published charge notice for resident A's unit."""
        from tests.notices.helpers import import_notices, publish

        def make():
            _, resident = self.resident_a(slug)
            (notice_id,) = import_notices(slug, [resident.unit_id])
            publish(slug)
            return notice_id
        return self._once(("notice", slug), make)

    def notice_period(self, slug) -> str:
        """A period imported for resident A's unit and not yet published (YYYY-MM)."""
        from tests.notices.helpers import import_notices

        def make():
            _, resident = self.resident_a(slug)
            import_notices(slug, [resident.unit_id], date(2027, 2, 1))
            return "2027-02"
        return self._once(("notice_period", slug), make)

    def correction(self, slug) -> int:
        from iok_saas.modules.contact import services

        def make():
            _, resident = self.resident_a(slug)
            with tenant_scope(tenant(slug)):
                row = services.request_correction(
                    self._account(resident), email="nowy.adres@example.com", phone=None,
                    correspondence_address=None, note="Zmiana adresu e-mail.")
                db.session.commit()
                return row.id
        return self._once(("correction", slug), make)

    def application(self, slug) -> int:
        from iok_saas.modules.enrolment import services

        def make():
            with tenant_scope(tenant(slug)):
                channel = "electronic" if services.electronic_form_open() \
                    else services.office_channels()[0]
                data = services.ApplicantData(
                    first_name="Celina", last_name="Wnioskodawczyni",
                    applicant_type=services.eligible_types()[0], street="ul. Lipowa",
                    building_number="3", city="Miasto", flat_number="5",
                    email="celina@example.com")
                db.session.commit()
                filed = services.submit(data, channel, "test", regulations_accepted=True)
                db.session.commit()
                return filed.id
        return self._once(("application", slug), make)

    def import_run(self, slug) -> int:
        """A previewed (checked, not applied) staff upload waiting to be applied."""
        from iok_saas.modules.imports import services

        def make():
            document = json.dumps({"dataset": "associations", "rows": [{
                "external_id": f"SEC-A{next(_serial)}", "name": "Wspólnota Bezpieczna",
                "street": "ul. Bezpieczna 1", "postal_code": "00-001",
                "city": "Miasto"}]}).encode()
            with tenant_scope(tenant(slug)):
                run = services.import_bytes(document, "json", None, source="staff",
                                            actor="staff:test", filename="a.json",
                                            dry_run=True)
                db.session.commit()
                services.keep_upload(run, document)
                db.session.commit()
                return run.id
        return self._once(("import_run", slug), make)

    def api_token_id(self, slug) -> int:
        from iok_saas.modules.imports.models import ApiToken

        def make():
            self.token(slug)
            with tenant_scope(tenant(slug)):
                return db.session.scalar(select(ApiToken.id).order_by(ApiToken.id))
        return self._once(("api_token_id", slug), make)

    def task(self, slug) -> int:
        def make():
            with tenant_scope(tenant(slug)):
                department = tenant(slug).policy.blocking.decided_by
                row = StaffTask(department=department, kind="call:test",
                                title="Zadzwoń do mieszkańca", details="Test", phone="600100200")
                db.session.add(row)
                db.session.commit()
                return row.id
        return self._once(("task", slug), make)


@pytest.fixture
def world(resident_client, office_client, host_client, ctx):
    return World(resident_client, office_client, host_client)
