"""The baseline for the ledger page in bench/ledger.py: one SQL query plus one template.

A minimal Flask app, served by the same gunicorn settings as the real app, on the same
PostgreSQL database and as the same non-owner role (IOK_DATABASE_URL), so row-level
security applies to it too. ``GET /ledger?tenant=T&unit=U&month=YYYY-MM`` does, in one
transaction, what the app does before the statements of a request, set the tenant with
``set_config('iok.tenant_id', …, true)`` (iok_saas/tenancy/rls.py), and then ONE query:
the unit's entries of that month (with the explicit ``tenant_id = …`` that the app's ORM
scoping adds to every query; RLS adds its own check on top). It renders them with a Jinja
template into an HTML table with the same columns and formatting as the real page's
(dates, money in Polish format via Babel, debit/credit split, running balance from zero).

No sign-in, no tenant lookup, no session, no layout: what is left of the ledger page when
everything but its central query and its table is taken away. The engine has the app's
option ``pool_pre_ping``, so both pay the same ping per checkout. ``GET /`` answers "ok"
(the bench's readiness probe).

Never serve this outside bench/: it shows any unit's entries to anyone.
"""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal

from babel.numbers import format_currency
from flask import Flask, abort, render_template, request
from jinja2 import DictLoader
from sqlalchemy import create_engine, text

app = Flask(__name__)
engine = create_engine(os.environ["IOK_DATABASE_URL"], pool_pre_ping=True)

SET_TENANT = text("SELECT set_config('iok.tenant_id', :tenant, true), "
                  "set_config('iok.cross_tenant', 'off', true)")
ENTRIES = text(
    "SELECT booking_date, period, kind, title, amount FROM ledger_entry "
    "WHERE tenant_id = :tenant AND unit_id = :unit AND period = :month "
    "ORDER BY booking_date, id")
KINDS = {"charge": "naliczenie", "payment": "wpłata", "correction": "korekta",
         "interest": "odsetki"}



def money(amount: Decimal) -> str:
    """As the app's ``|money`` filter: "1 234,50 zł"."""
    return format_currency(amount, "PLN", locale="pl_PL")


app.jinja_env.filters["money"] = money
PAGE = """<!doctype html>
<html lang="pl">
<head><meta charset="utf-8"><title>Saldo rozrachunków</title></head>
<body>
<main class="container">
<h1 class="h3">Saldo rozrachunków</h1>
<section aria-labelledby="entries-h" class="mb-4">
  <h2 id="entries-h" class="h5">Operacje: {{ month.strftime('%m.%Y') }}</h2>
  <div class="table-responsive">
  <table class="table table-sm align-middle">
    <caption>Operacje na koncie lokalu. Wn – naliczenia, Ma – wpłaty.</caption>
    <thead><tr>
      <th scope="col">Data księgowania</th><th scope="col">Okres</th>
      <th scope="col">Rodzaj</th><th scope="col">Tytuł</th>
      <th scope="col" class="text-end">Wn (naliczenie)</th>
      <th scope="col" class="text-end">Ma (wpłata)</th>
      <th scope="col" class="text-end">Saldo</th>
    </tr></thead>
    <tbody>
      {% for line in lines %}
      <tr>
        <td>{{ line.booking_date.strftime('%d.%m.%Y') }}</td>
        <td>{{ line.period.strftime('%m.%Y') }}</td>
        <td>{{ line.kind }}</td>
        <td>{{ line.title }}</td>
        <td class="text-end">{% if line.debit is not none %}{{ line.debit|money }}{% endif %}</td>
        <td class="text-end">{% if line.credit is not none %}{{ line.credit|money }}{% endif %}</td>
        <td class="text-end">{{ line.balance|money }}</td>
      </tr>
      {% else %}
      <tr><td colspan="7">Brak operacji w tym okresie.</td></tr>
      {% endfor %}
    </tbody>
    <tfoot><tr>
      <th scope="row" colspan="4">Razem / saldo zamknięcia</th>
      <td class="text-end">{{ total_debit|money }}</td>
      <td class="text-end">{{ total_credit|money }}</td>
      <td class="text-end">{{ balance|money }}</td>
    </tr></tfoot>
  </table>
  </div>
</section>
</main>
</body>
</html>
"""
# One template from memory, rendered through Flask as the app's are (cached after first use).
app.jinja_env.loader = DictLoader({"ledger.html": PAGE})


@app.get("/")
def ready() -> tuple[str, int, dict[str, str]]:
    return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8"}


@app.get("/ledger")
def ledger() -> str:
    tenant = request.args.get("tenant", type=int)
    unit = request.args.get("unit", type=int)
    try:
        month = date.fromisoformat(request.args.get("month", "") + "-01")
    except ValueError:
        abort(404)
    if tenant is None or unit is None:
        abort(404)
    with engine.begin() as conn:
        conn.execute(SET_TENANT, {"tenant": str(tenant)})
        rows = conn.execute(ENTRIES, {"tenant": tenant, "unit": unit,
                                      "month": month}).all()
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
    return render_template("ledger.html", month=month, lines=lines, balance=balance,
                           total_debit=total_debit, total_credit=total_credit)
