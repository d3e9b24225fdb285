"""Ledger arithmetic: running balances, exact sums, the simulated current month."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from iok_saas.extensions import db
from iok_saas.modules.ledger import services
from iok_saas.tenancy import tenant_scope

from ..factories import active_resident, tenant
from .helpers import entries, schedule

JAN, FEB, MAR = date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)


@pytest.fixture
def unit(synced, ctx):
    return active_resident("kuzniki").unit_id


def _in(slug="kuzniki"):
    return tenant_scope(tenant(slug))


def test_month_with_a_payment_and_a_correction_has_a_running_balance(unit):
    entries("kuzniki", unit,
            (date(2025, 1, 10), "charge", "400.00", "Opłaty styczeń"),
            (date(2025, 1, 20), "payment", "-300.00", "Wpłata"),
            (date(2025, 2, 10), "charge", "412.50", "Opłaty luty"),
            (date(2025, 2, 14), "payment", "-500.00", "Wpłata"),
            (date(2025, 2, 25), "correction", "-12.30", "Korekta liczby osób"),
            (date(2025, 2, 27), "interest", "1.05", "Odsetki za zwłokę"),
            (date(2025, 3, 10), "charge", "412.50", "Opłaty marzec"))
    with _in():
        feb = services.statement(unit, FEB)
    assert feb.opening == Decimal("100.00")  # January: 400 - 300
    assert [(line.kind_label, line.amount, line.balance) for line in feb.lines] == [
        ("naliczenie", Decimal("412.50"), Decimal("512.50")),
        ("wpłata", Decimal("-500.00"), Decimal("12.50")),
        ("korekta", Decimal("-12.30"), Decimal("0.20")),
        ("odsetki", Decimal("1.05"), Decimal("1.25")),
    ]
    assert feb.closing == Decimal("1.25")
    payment, correction = feb.lines[1], feb.lines[2]
    assert (payment.debit, payment.credit) == (None, Decimal("500.00"))
    assert (correction.debit, correction.credit) == (None, Decimal("12.30"))
    assert feb.total_debit == Decimal("413.55") and feb.total_credit == Decimal("512.30")

    with _in():
        quarter = services.statement(unit, JAN, MAR)
        assert quarter.opening == Decimal("0.00")
        assert len(quarter.lines) == 7 and quarter.closing == Decimal("413.75")


def test_many_ten_grosz_entries_sum_exactly(unit):
    entries("kuzniki", unit, *[(date(2025, 1, 1 + n % 28), "charge", "0.10", f"Opłata {n}")
                               for n in range(1000)])
    entries("kuzniki", unit, (date(2025, 2, 3), "charge", "0.10", "Luty"))
    with _in():
        feb = services.statement(unit, FEB)
        jan = services.statement(unit, JAN)
        total = services.balance(unit, date(2025, 2, 28), simulate=False)
    assert feb.opening == Decimal("100.00")  # the aggregate, not a float near it
    assert str(feb.closing) == "100.10"
    assert jan.closing == Decimal("100.00") and str(jan.lines[-1].balance) == "100.00"
    assert str(total.total) == "100.10"


def test_balance_posted_only_versus_current_month_simulated(unit):
    entries("kuzniki", unit,
            (date(2025, 2, 10), "charge", "300.00", "Czynsz luty", "rent", FEB),
            (date(2025, 2, 12), "payment", "-300.00", "Wpłata", None, FEB),
            (date(2025, 3, 5), "charge", "250.00", "Czynsz marzec", "rent", MAR))
    schedule("kuzniki", unit, "250.00", "Czynsz", "rent")
    schedule("kuzniki", unit, "80.00", "Woda", "water")
    schedule("kuzniki", unit, "40.00", "Fundusz", None)
    schedule("kuzniki", unit, "999.00", "Wygasła", "old", valid_to=date(2025, 2, 28))
    schedule("kuzniki", unit, "777.00", "Przyszła", "later", valid_from=date(2025, 4, 1))
    with _in():
        posted = services.balance(unit, date(2025, 3, 8), simulate=False)
        simulated = services.balance(unit, date(2025, 3, 8), simulate=True)
        before_rent = services.balance(unit, date(2025, 3, 4), simulate=True)
    assert posted.total == Decimal("250.00") and posted.scheduled == 0
    # Rent is posted for March already: only water and the component-less charge are added.
    assert simulated.scheduled == Decimal("120.00")
    assert simulated.total == Decimal("370.00")
    assert simulated.by_component == {"rent": Decimal("550.00"), None: Decimal("-260.00"),
                                      "water": Decimal("80.00")}
    # Before the rent is booked, the scheduled rent stands in for it (counted once).
    assert before_rent.scheduled == Decimal("370.00") and before_rent.total == Decimal("370.00")
    assert posted.due == Decimal("250.00") and posted.overpaid == 0


def test_overpayment_and_components(unit):
    entries("kuzniki", unit,
            (date(2025, 1, 10), "charge", "100.00", "Czynsz", "rent"),
            (date(2025, 1, 10), "charge", "50.00", "Kredyt", "loan"),
            (date(2025, 1, 11), "charge", "5.00", "Inne", None),
            (date(2025, 1, 20), "payment", "-200.00", "Wpłata", "rent"))
    with _in():
        result = services.balance(unit, date(2025, 1, 31), simulate=False)
    assert result.total == Decimal("-45.00")
    assert result.due == 0 and result.overpaid == Decimal("45.00")
    assert services.balance_wording(result) == "nadpłata"
    assert result.components(("rent", "loan")) == [
        ("czynsz", Decimal("-100.00")), ("kredyt", Decimal("50.00")),
        ("pozostałe (bez przypisanego składnika, np. wpłaty)", Decimal("5.00"))]


def test_balance_date_follows_the_policy_in_warsaw_time():
    started = datetime(2025, 3, 9, 23, 30, tzinfo=UTC)  # 10 March, 00:30 in Warsaw
    now = datetime(2025, 3, 11, 8, 0, tzinfo=UTC)
    assert services.balance_date("login_day", started, now) == date(2025, 3, 10)
    assert services.balance_date("today", started, now) == date(2025, 3, 11)
    assert services.balance_date("login_day", None, now) == date(2025, 3, 11)


def test_months_shown():
    today = date(2025, 3, 17)
    assert services.shown_months(True, None, today) == (MAR, MAR)
    assert services.shown_months(True, JAN, today) == (JAN, JAN)
    assert services.shown_months(False, None, today) == (date(2024, 4, 1), MAR)
    assert services.parse_month("2025-02") == FEB
    assert services.parse_month("2025-13") is None and services.parse_month("x") is None


def test_grouped_account():
    assert services.grouped_account("12345678901234567890123456") == \
        "12 3456 7890 1234 5678 9012 3456"


def test_polish_money_is_babels_format_only_faster(app):
    from babel.numbers import format_currency

    from iok_saas.web import format_money

    values = ["0", "0.05", "-0.10", "9.99", "999.99", "1000", "-1000.01", "12345.6",
              "-1234567.89", "100000000.00", "1.005"]
    for value in values:
        exact = Decimal(value).quantize(Decimal("0.01"))
        with app.test_request_context():
            assert format_money(Decimal(value)) == format_currency(exact, "PLN", locale="pl")
        with app.test_request_context(headers={"Cookie": "iok_lang=en"}):
            assert format_money(exact) == format_currency(exact, "PLN", locale="en")


def test_the_ledger_page_overview_agrees_with_statement_and_balance(unit):
    """The page's one-statement overview gives what the separate functions give, and its
    month picker lists every month of the history (a month with no entries too)."""
    entries("kuzniki", unit,
            (date(2025, 1, 10), "charge", "400.00", "Opłaty styczeń"),
            (date(2025, 1, 20), "payment", "-300.00", "Wpłata"),
            (date(2025, 3, 10), "charge", "412.50", "Opłaty marzec"),
            (date(2025, 3, 12), "correction", "-12.30", "Korekta"))
    schedule("kuzniki", unit, "412.50", "Opłaty", valid_from=date(2024, 1, 1))
    as_of = date(2025, 4, 15)
    with _in():
        page = services.overview(unit, MAR, MAR, as_of, simulate=True)
        db.session.commit()
        statement = services.statement(unit, MAR)
        balance = services.balance(unit, as_of, simulate=True)
    assert page.statement == statement
    assert page.balance == balance and page.balance.scheduled == Decimal("412.50")
    assert page.months == (MAR, FEB, JAN)
