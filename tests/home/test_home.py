"""The resident's start page (/konto): Home panels where the policy has a Home page, the
units and the tabs elsewhere; the account and personal-data links everywhere."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from iok_saas.extensions import db
from iok_saas.modules.records.models import CourtCase, LandCost, Membership, ServiceCharge
from iok_saas.tenancy import tenant_scope

from ..factories import tenant

pytestmark = pytest.mark.usefixtures("ctx")


def page(response) -> str:
    assert response.status_code == 200
    return response.get_data(as_text=True)


def compact(text: str) -> str:
    return text.replace("\xa0", "").replace("\u202f", "").replace(" ", "")


def test_siarkowiec_home_shows_its_panels(resident_client):
    client, me = resident_client("siarkowiec", first="Hanna")
    with tenant_scope(tenant("siarkowiec")):
        db.session.add_all([
            Membership(external_id="HM1", person_id=me.person_id, member_number="S-77",
                       member_since=date(2010, 1, 1), contribution_due=Decimal("100"),
                       contribution_paid=Decimal("100"), share_due=Decimal("2000"),
                       share_paid=Decimal("500")),
            CourtCase(external_id="HC1", unit_id=me.unit_id, case_number="I C 1/26",
                      court="Sąd", subject="x", claim_amount=Decimal("1"),
                      filed_on=date(2026, 1, 1), status="w toku"),
            CourtCase(external_id="HC2", unit_id=me.unit_id, case_number="I C 2/20",
                      court="Sąd", subject="x", claim_amount=Decimal("1"),
                      filed_on=date(2020, 1, 1), status="zakończona",
                      closed_on=date(2021, 1, 1)),
            ServiceCharge(external_id="HS1", unit_id=me.unit_id, document_number="N/1",
                          issued_on=date(2026, 1, 5), description="x",
                          amount=Decimal("80.00"), paid=Decimal("0")),
        ])
        db.session.commit()
    text = page(client.get("/konto"))
    for panel in ("ledger", "services", "membership", "court_cases"):
        assert f'id="panel-{panel}"' in text
    assert 'id="panel-land_costs"' not in text
    assert "S-77" in text and "1500,00" in compact(text)
    assert "Sprawy w toku: 1 (wszystkich: 2)" in text
    assert "80,00" in text
    assert 'href="/konto/czlonkostwo"' in text and 'href="/konto/saldo/' in text
    assert "Bezpieczeństwo konta" in text and "Twoje dane" in text
    assert 'href="/konto/dane/eksport.pdf"' in text
    ledger_panel = text.split('id="panel-ledger"')[1].split("</section>")[0]
    disclaimer = tenant("siarkowiec").policy.notices.balance_disclaimer
    assert " ".join(disclaimer.split()) in " ".join(ledger_panel.split())


def test_gdynia_home_has_land_costs(resident_client):
    client, me = resident_client("gdynia")
    with tenant_scope(tenant("gdynia")):
        db.session.add(LandCost(external_id="HL1", unit_id=me.unit_id, description="Grunt",
                                amount=Decimal("5000"), paid=Decimal("1000")))
        db.session.commit()
    text = page(client.get("/konto"))
    assert 'id="panel-land_costs"' in text and "4000,00" in compact(text)
    assert 'id="panel-membership"' not in text


@pytest.mark.parametrize("slug", ["kuzniki", "brzeg"])
def test_without_home_page_the_units_and_tabs_are_listed(resident_client, slug):
    client, me = resident_client(slug)
    text = page(client.get("/konto"))
    assert 'id="panel-' not in text
    assert "ul. Lipowa" in text
    assert "Co możesz sprawdzić" in text and 'href="/konto/saldo/' in text
    assert "Bezpieczeństwo konta" in text
    assert 'href="/konto/dane/eksport.json"' in text
    assert 'href="/konto/dane/"' not in text   # no contact tab in these tenants
