"""Read-only records: each tab only where the policy shows it, only the resident's own."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

import pytest

from iok_saas.extensions import db
from iok_saas.modules.records.models import CourtCase, LandCost, Membership, ServiceCharge
from iok_saas.tenancy import tenant_scope

from ..factories import tenant

pytestmark = pytest.mark.usefixtures("ctx")
_serial = itertools.count(1)

SHOWN = {
    "/konto/czlonkostwo": {"siarkowiec"},
    "/konto/sprawy-sadowe": {"siarkowiec", "gdynia"},
    "/konto/koszty-gruntu": {"gdynia"},
    "/konto/uslugi": {"siarkowiec", "gdynia"},
}
SLUGS = ("brzeg", "siarkowiec", "gdynia", "zielone-wzgorza", "kuzniki")


def page(response) -> str:
    return response.get_data(as_text=True)


def give_records(slug: str, resident, tag: str) -> None:
    with tenant_scope(tenant(slug)):
        n = next(_serial)
        db.session.add_all([
            Membership(external_id=f"MB{n}", person_id=resident.person_id,
                       member_number=f"M-{tag}", member_since=date(1999, 3, 1),
                       contribution_due=Decimal("200.00"), contribution_paid=Decimal("200.00"),
                       share_due=Decimal("3000.00"), share_paid=Decimal("1765.50")),
            CourtCase(external_id=f"CC{n}", unit_id=resident.unit_id,
                      case_number=f"I C {tag}/25", court="Sąd Rejonowy",
                      subject="Zaległe opłaty", claim_amount=Decimal("4321.00"),
                      filed_on=date(2025, 4, 1), status="w toku"),
            LandCost(external_id=f"LC{n}", unit_id=resident.unit_id,
                     description=f"Grunt {tag}", amount=Decimal("12000.00"),
                     paid=Decimal("2500.25"), due_date=date(2027, 6, 30)),
            ServiceCharge(external_id=f"SC{n}", unit_id=resident.unit_id,
                          document_number=f"FV/{tag}/2026", issued_on=date(2026, 3, 10),
                          description="Wymiana zamka", amount=Decimal("350.00"),
                          paid=Decimal("100.00"), due_date=date(2026, 3, 24)),
        ])
        db.session.commit()


@pytest.mark.parametrize("slug", SLUGS)
def test_each_tab_only_where_the_policy_shows_it(resident_client, slug):
    client, _ = resident_client(slug)
    for path, shown_in in SHOWN.items():
        expected = 200 if slug in shown_in else 404
        assert client.get(path).status_code == expected, (slug, path)


def test_membership_shows_contribution_and_share(resident_client):
    client, me = resident_client("siarkowiec")
    _, other = resident_client("siarkowiec")
    give_records("siarkowiec", me, "MOJE")
    give_records("siarkowiec", other, "OBCE")
    text = page(client.get("/konto/czlonkostwo"))
    assert "M-MOJE" in text
    assert "3000,00" in text.replace("\xa0", " ").replace(" ", "")
    assert "1234,50" in text.replace("\xa0", " ").replace(" ", "")   # share remaining
    assert "M-OBCE" not in text


def test_court_cases_and_services_per_own_unit(resident_client):
    client, me = resident_client("gdynia")
    _, other = resident_client("gdynia")
    give_records("gdynia", me, "MOJE")
    give_records("gdynia", other, "OBCE")
    cases = page(client.get("/konto/sprawy-sadowe"))
    assert "I C MOJE/25" in cases and "I C OBCE/25" not in cases
    assert "ul. Lipowa" in cases   # grouped under the unit's address
    services = page(client.get("/konto/uslugi"))
    assert "FV/MOJE/2026" in services and "FV/OBCE/2026" not in services
    assert "250,00" in services   # remaining
    land = page(client.get("/konto/koszty-gruntu"))
    assert "Grunt MOJE" in land and "Grunt OBCE" not in land
    assert "9499,75" in land.replace("\xa0", "").replace(" ", "")
    assert "30.06.2027" in land


@pytest.mark.parametrize("path", ["/konto/sprawy-sadowe", "/konto/koszty-gruntu",
                                  "/konto/uslugi"])
def test_empty_state_says_nothing_is_recorded(resident_client, path):
    client, _ = resident_client("gdynia")
    response = client.get(path)
    assert response.status_code == 200
    assert 'id="nothing-recorded"' in page(response)
    assert "Nie ma" in page(response)


def test_empty_membership(resident_client):
    client, _ = resident_client("siarkowiec")
    assert "Nie ma zapisanych danych" in page(client.get("/konto/czlonkostwo"))


def test_records_need_sign_in(host_client, synced):
    stranger = host_client("gdynia.localhost")
    assert stranger.get("/konto/uslugi").status_code == 302
