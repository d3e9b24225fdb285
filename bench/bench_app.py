"""The real app as the benches serve it: CSRF protection and rate limiting switched off,
plus the in-app one-query page of bench/ledger.py.

CSRF and rate limits: every login POST would otherwise need a fresh CSRF token (a GET of
the form first, with its cookie), and the limiter (30 login POSTs a minute per client, 10
per login) would answer 429 after a few seconds, so the figure would be the limiter's, not
the cost of a login: the Argon2id verification and the server-side session. Both are set
here, whatever IOK_RATELIMIT_ENABLED says. Everything else (configuration from the IOK_*
environment, tenancy, sessions) is create_app() as deployed.

The in-app baseline, ``GET /bench/jedno-zapytanie?unit=U&month=YYYY-MM``, is what any
signed-in page of the portal costs plus ONE query and a template: the same request
machinery, session check, tab guard and layout as the ledger page, then the unit's entries
of the month (one ORM query, tenant-scoped) in the table both baselines share. It does not
check that the unit is the resident's: never serve this module outside bench/.
"""

import sys
from pathlib import Path

# The repository root, so that `iok_saas` imports whatever gunicorn's --chdir is.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask import Blueprint, abort, render_template, request  # noqa: E402
from one_query import TEMPLATES, month_lines  # noqa: E402
from sqlalchemy import select  # noqa: E402

from iok_saas import create_app  # noqa: E402
from iok_saas.extensions import db  # noqa: E402
from iok_saas.modules.ledger.models import LedgerEntry  # noqa: E402
from iok_saas.modules.ledger.services import parse_month  # noqa: E402
from iok_saas.modules.portal import tab_required  # noqa: E402

IN_APP_BASELINE_PATH = "/bench/jedno-zapytanie"

bench = Blueprint("bench", __name__, template_folder=str(TEMPLATES))


@bench.get(IN_APP_BASELINE_PATH)
@tab_required("ledger")
def one_query_page():
    unit = request.args.get("unit", type=int)
    month = parse_month(request.args.get("month"))
    if unit is None or month is None:
        abort(404)
    rows = db.session.execute(
        select(LedgerEntry.booking_date, LedgerEntry.period, LedgerEntry.kind,
               LedgerEntry.title, LedgerEntry.amount)
        .where(LedgerEntry.unit_id == unit, LedgerEntry.period == month)
        .order_by(LedgerEntry.booking_date, LedgerEntry.id)).all()
    return render_template("bench/in_app.html", month=month, **month_lines(rows))


app = create_app({"WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
app.register_blueprint(bench)
