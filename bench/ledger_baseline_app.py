"""The bare baseline for the ledger page in bench/ledger.py: one SQL query plus one template.

A minimal Flask app, served by the same gunicorn settings as the real app, on the same
PostgreSQL database and as the same non-owner role (IOK_DATABASE_URL), so row-level
security applies to it too. ``GET /ledger?tenant=T&unit=U&month=YYYY-MM`` does, in one
transaction, what the app does before the statements of a request, set the tenant with
``set_config('iok.tenant_id', …, true)`` (iok_saas/tenancy/rls.py), and then ONE query:
the unit's entries of that month (with the explicit ``tenant_id = …`` that the app's ORM
scoping adds to every query; RLS adds its own check on top). It renders them with the
table template both baselines share (bench/templates/bench/_entries.html: the real page's
columns and formats, money in Polish format via Babel, dates by ``|strftime``).

No sign-in, no tenant lookup, no session, no layout: what is left of the ledger page when
everything but its central query and its table is taken away (bench_app.py serves the
in-app baseline, which keeps them). The engine has the app's option ``pool_pre_ping``, so
both pay the same ping per checkout. ``GET /`` answers "ok" (the bench's readiness probe).

Never serve this outside bench/: it shows any unit's entries to anyone.
"""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal

from babel.numbers import format_currency
from flask import Flask, abort, render_template, request
from jinja2 import FileSystemLoader
from one_query import TEMPLATES, month_lines
from sqlalchemy import create_engine, text

app = Flask(__name__)
engine = create_engine(os.environ["IOK_DATABASE_URL"], pool_pre_ping=True)

SET_TENANT = text("SELECT set_config('iok.tenant_id', :tenant, true), "
                  "set_config('iok.cross_tenant', 'off', true)")
ENTRIES = text(
    "SELECT booking_date, period, kind, title, amount FROM ledger_entry "
    "WHERE tenant_id = :tenant AND unit_id = :unit AND period = :month "
    "ORDER BY booking_date, id")


def money(amount: Decimal) -> str:
    """As the app's ``|money`` filter: "1 234,50 zł"."""
    return format_currency(amount, "PLN", locale="pl_PL")


app.jinja_env.filters["money"] = money
app.jinja_env.filters["strftime"] = lambda moment, pattern: moment.strftime(pattern)  # as |strftime
# Rendered through Flask as the app's templates are (compiled once, then cached).
app.jinja_env.loader = FileSystemLoader(TEMPLATES)


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
    return render_template("bench/bare.html", month=month, **month_lines(rows))
