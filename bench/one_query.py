"""What both one-query baselines of bench/ledger.py share: the month's entries of one unit
turned into table lines (debit/credit split, running balance from zero), and the table's
template (bench/templates/bench/_entries.html, the columns and formats of the real page's).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

TEMPLATES = Path(__file__).parent / "templates"
KINDS = {"charge": "naliczenie", "payment": "wpłata", "correction": "korekta",
         "interest": "odsetki"}


def month_lines(rows) -> dict:
    """(booking_date, period, kind, title, amount) rows in booking order -> the template's
    ``lines`` (with the balance after each), totals and closing balance."""
    balance, lines = Decimal("0.00"), []
    total_debit = total_credit = Decimal("0.00")
    for booking_date, period, kind, title, amount in rows:
        balance += amount
        debit = amount if amount > 0 else None
        credit = -amount if amount < 0 else None
        total_debit += debit or 0
        total_credit += credit or 0
        lines.append({"booking_date": booking_date, "period": period,
                      "kind": KINDS.get(kind, kind), "title": title, "debit": debit,
                      "credit": credit, "balance": balance})
    return {"lines": lines, "balance": balance, "total_debit": total_debit,
            "total_credit": total_credit}
