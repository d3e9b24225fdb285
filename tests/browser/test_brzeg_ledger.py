"""Scenario B, MZMK Brzeg, in a real Chromium: an owner of flats in two associations opens
the ledger, picks the association's address, then a month, and reads that month's entries
and the balance — axe-core on every page, a screenshot of each."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from iok_saas.extensions import db
from iok_saas.modules.housing.models import Association, Title, Unit
from iok_saas.modules.ledger.models import LedgerEntry
from iok_saas.tenancy import tenant_scope
from iok_saas.timeutil import WARSAW, utcnow

from ..factories import RESIDENT_PASSWORD, active_resident, tenant

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("ctx")]

SLUG = "brzeg"


def _month(day: date, back: int) -> date:
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def second_flat(person_id: int) -> int:
    """A flat of the same owner in another association MZMK manages."""
    with tenant_scope(tenant(SLUG)):
        assoc = Association(external_id="BB-A1", name="Wspólnota Mieszkaniowa Długa 7",
                            street="ul. Długa 7", postal_code="49-300", city="Brzeg")
        unit = Unit(external_id="BB-U1", association=assoc, street="ul. Długa",
                    building_number="7", unit_number="4", city="Brzeg",
                    bank_account="34" + "1020" * 6)
        db.session.add_all([assoc, unit])
        db.session.flush()
        db.session.add(Title(external_id="BB-T1", person_id=person_id, unit_id=unit.id,
                             kind="owner", valid_from=date(2018, 3, 1)))
        db.session.commit()
        return unit.id


def ledger(unit_id: int, prefix: str, rows) -> None:
    with tenant_scope(tenant(SLUG)):
        for n, (booking, kind, amount, title) in enumerate(rows):
            db.session.add(LedgerEntry(external_id=f"{prefix}{n}", unit_id=unit_id,
                                       booking_date=booking, period=booking.replace(day=1),
                                       kind=kind, title=title, amount=Decimal(amount)))
        db.session.commit()


def test_owner_of_two_associations_picks_address_then_month(live_server, visitor):
    today = utcnow().astimezone(WARSAW).date()
    earlier, last = _month(today, 2), _month(today, 1)
    owner = active_resident(SLUG, "Ewa", "Sikora", flat="2")
    dluga = second_flat(owner.person_id)
    ledger(owner.unit_id, "BB-LA", [
        (last, "charge", "210.00", "Zaliczka Lipowa"),
    ])
    ledger(dluga, "BB-LD", [
        (earlier, "charge", "350.00", f"Zaliczka na koszty zarządu {earlier:%m.%Y}"),
        (earlier + timedelta(days=9), "payment", "-350.00", f"Wpłata {earlier:%m.%Y}"),
        (last, "charge", "350.00", f"Zaliczka na koszty zarządu {last:%m.%Y}"),
        (last, "charge", "120.00", "Fundusz remontowy"),
        (last + timedelta(days=14), "payment", "-300.00", f"Wpłata {last:%m.%Y}"),
    ])
    v = visitor("brzeg")
    url = lambda path: live_server.url(SLUG, path)  # noqa: E731

    page = v.new_page()
    page.goto(url("/logowanie"))
    v.check(page, "logowanie")
    forged = page.evaluate("""async (login) => (await fetch('/logowanie', {method: 'POST',
        body: new URLSearchParams({login, password: 'x'})})).status""", owner.login)
    assert forged == 400                            # CSRF protection is on: no token, refused
    page.fill("#login", owner.login)
    page.fill("#password", RESIDENT_PASSWORD)
    with page.expect_navigation(url=url("/konto")):
        page.click("main form [type=submit]")
    v.check(page, "konto")

    # The ledger tab: first the association's address, nothing preselected.
    with page.expect_navigation(url=url("/konto/saldo/")):
        page.get_by_role("navigation").get_by_role("link", name="Saldo").first.click()
    assert "Wybierz adres wspólnoty" in page.inner_text("main")
    assert page.locator("#association").input_value() == ""
    v.check(page, "saldo-wybor-adresu")

    page.select_option("#association", label="ul. Długa 7, Brzeg")
    with page.expect_navigation():
        page.get_by_role("button", name="Pokaż").click()
    main = page.inner_text("main")
    assert "ul. Długa 7/4" in main or "Długa 7" in main
    assert "Zaliczka Lipowa" not in main            # the other association's flat
    v.check(page, "saldo-biezacy-miesiac")

    # Then a month: last month's entries and the flat's balance.
    page.select_option("#month", last.strftime("%Y-%m"))
    with page.expect_navigation():
        page.get_by_role("button", name="Pokaż").click()
    assert f"month={last:%Y-%m}" in page.url
    entries = page.inner_text("main table:has(caption:text-matches('Operacje'))")
    assert f"Zaliczka na koszty zarządu {last:%m.%Y}" in entries
    assert "Fundusz remontowy" in entries and f"Wpłata {last:%m.%Y}" in entries
    assert f"{earlier:%m.%Y}" not in entries        # only the month chosen
    assert "Zaliczka Lipowa" not in entries
    balance = page.inner_text("[aria-labelledby=balance-h]")
    assert "170,00" in balance and "do zapłaty" in balance    # 820,00 charged − 650,00 paid
    v.check(page, "saldo-wybrany-miesiac")

    assert v.pages_checked("resident") == 5
    v.assert_accessible()
