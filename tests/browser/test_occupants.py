"""A Kuźniki resident declares the number of occupants on a phone in a real Chromium, finds
the declaration waiting, and withdraws it: the button first asks, and only the answer
withdraws — axe-core on every page."""

from __future__ import annotations

import pytest

from iok_saas.extensions import db
from iok_saas.modules.occupants.models import OccupantsChange
from iok_saas.tenancy import tenant_scope

from ..factories import RESIDENT_PASSWORD, active_resident, tenant
from .support import sign_in_resident

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("ctx")]

SLUG = "kuzniki"


def _states(unit_id: int) -> list[str]:
    with tenant_scope(tenant(SLUG)):
        states = list(db.session.scalars(db.select(OccupantsChange.state).where(
            OccupantsChange.unit_id == unit_id).order_by(OccupantsChange.id)))
        db.session.rollback()
        return states


def test_a_resident_declares_and_withdraws_after_being_asked(live_server, visitor):
    resident = active_resident(SLUG, "Olga", "Lis", flat="7")
    v = visitor("occupants")
    url = lambda path: live_server.url(SLUG, path)  # noqa: E731
    page = v.new_page({"width": 390, "height": 844})
    # Without transitions, so that axe-core reads the button's colours, not a fade between
    # its hover colours, right after the click.
    page.emulate_media(reduced_motion="reduce")
    sign_in_resident(page, url, resident.login, RESIDENT_PASSWORD)
    page.goto(url("/konto/liczba-osob/"))
    page.fill("#occupants", "3")
    page.click("main form [type=submit]")
    assert "Deklaracja została złożona" in page.inner_text("main")
    pending = page.locator(f"#pending-{resident.unit_id}")
    assert "liczba osób: 3" in pending.inner_text()
    confirm = pending.get_by_role("button", name="Tak, wycofaj deklarację")
    assert not confirm.is_visible()  # the question is closed until asked
    v.check(page, "czeka")

    pending.get_by_text("Wycofaj deklarację", exact=True).click()
    assert confirm.is_visible()
    assert "nie rozpatrzy wycofanej deklaracji" in pending.inner_text()
    assert _states(resident.unit_id) == ["submitted"]  # opening the question withdraws nothing
    v.check(page, "pytanie")

    confirm.click()
    assert "Deklaracja została wycofana" in page.inner_text("main")
    assert _states(resident.unit_id) == ["withdrawn"]
    v.check(page, "wycofana")
    v.assert_accessible()
