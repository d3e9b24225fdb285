"""The faults demo seeds reports only where the tab is shown, and they open in the portal."""

from __future__ import annotations

from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.faults.demo import seed_demo
from iok_saas.modules.faults.models import FaultReport
from iok_saas.tenancy import tenant_scope
from iok_saas.timeutil import WARSAW, utcnow

from ..factories import tenant


def test_demo_reports_where_faults_are_shown(synced, ctx):
    result = synced.test_cli_runner().invoke(args=["demo", "load"], catch_exceptions=False)
    assert result.exit_code == 0
    today = utcnow().astimezone(WARSAW).date()
    for slug, expected in (("kuzniki", True), ("zielone-wzgorza", True), ("brzeg", False)):
        with tenant_scope(tenant(slug)):
            seed_demo(today)
            db.session.commit()
            reports = db.session.scalars(select(FaultReport)).all()
            assert bool(reports) is expected
            if expected:
                assert {r.status for r in reports} == {"new", "in_progress", "resolved"}
                assert any(r.photo for r in reports)
