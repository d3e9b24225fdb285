"""Import tests: small files in the documented formats, and API tokens."""

from __future__ import annotations

import json
import re

import pytest

from iok_saas.extensions import db
from iok_saas.modules.imports import services
from iok_saas.tenancy import tenant_scope

from ..factories import tenant

UNITS_CSV = (
    "external_id,association,street,building_number,unit_number,city,kind,bank_account\n"
    "U1,A1,ul. Lipowa,3,12,Brzeg,residential,12 1020 1020 1020 1020 1020 1020\n"
    "U2,A1,ul. Lipowa,3,14,Brzeg,,\n"
)
ASSOCIATIONS_CSV = ("external_id,name,street,postal_code,city\n"
                    "A1,Wspólnota Lipowa 3,ul. Lipowa 3,49-300,Brzeg\n")
LEDGER_CSV = (
    "external_id,unit,booking_date,period,kind,component,title,amount\n"
    "L1,U1,2025-01-10,2025-01,charge,eksploatacja,Opłata 01/2025,0.10\n"
    "L2,U1,2025-01-10,2025-01,charge,woda,Woda 01/2025,0.20\n"
    "L3,U2,2025-01-10,2025-01,charge,eksploatacja,Opłata 01/2025,412.30\n"
    "L4,U2,2025-01-20,2025-01,payment,,Wpłata,-400.00\n"
)


def housing_document() -> dict:
    return {"datasets": {
        "associations": [{"external_id": "A1", "name": "Wspólnota Lipowa 3",
                          "street": "ul. Lipowa 3", "postal_code": "49-300", "city": "Brzeg"}],
        "units": [{"external_id": "U1", "association": "A1", "street": "ul. Lipowa",
                   "building_number": "3", "unit_number": "12", "city": "Brzeg",
                   "kind": "residential", "bank_account": "12 1020 1020 1020 1020 1020 1020"},
                  {"external_id": "U2", "association": "A1", "street": "ul. Lipowa",
                   "building_number": "3", "unit_number": "14", "city": "Brzeg"}],
    }}


def ledger_rows() -> list[dict]:
    return [
        {"external_id": "L1", "unit": "U1", "booking_date": "2025-01-10", "period": "2025-01",
         "kind": "charge", "component": "eksploatacja", "title": "Opłata 01/2025",
         "amount": "0.10"},
        {"external_id": "L2", "unit": "U1", "booking_date": "2025-01-10", "period": "2025-01",
         "kind": "charge", "component": "woda", "title": "Woda 01/2025", "amount": 0.20},
        {"external_id": "L3", "unit": "U2", "booking_date": "2025-01-10", "period": "2025-01",
         "kind": "charge", "component": "eksploatacja", "title": "Opłata 01/2025",
         "amount": 412.30},
        {"external_id": "L4", "unit": "U2", "booking_date": "2025-01-20", "period": "2025-01",
         "kind": "payment", "title": "Wpłata", "amount": -400},
    ]


def load_csv(slug: str, dataset: str, text: str, dry_run: bool = False):
    with tenant_scope(tenant(slug)):
        run = services.import_bytes(text.encode(), "csv", dataset, source="cli",
                                    actor="cli:test", dry_run=dry_run)
        db.session.commit()
        return services.run_as_dict(run)


def load_json(slug: str, document, dataset: str | None = None, dry_run: bool = False):
    with tenant_scope(tenant(slug)):
        run = services.import_bytes(json.dumps(document).encode(), "json", dataset,
                                    source="cli", actor="cli:test", dry_run=dry_run)
        db.session.commit()
        return services.run_as_dict(run)


def load_housing(slug: str) -> None:
    report = load_json(slug, housing_document())
    assert report["status"] == "applied", report["errors"]


@pytest.fixture
def housing(synced, ctx):
    """Association A1 with units U1 and U2 in Brzeg."""
    load_housing("brzeg")
    return "brzeg"


def new_token(slug: str, name: str = "księgowość") -> str:
    with tenant_scope(tenant(slug)):
        plain = services.create_token(name, "staff:test")[1]
        db.session.commit()
        return plain


def token_from_page(html: str) -> str:
    match = re.search(r'<code class="fs-6 text-break">([^<]+)</code>', html)
    assert match, html
    return match[1]
