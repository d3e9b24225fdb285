"""The announcements demo: published, building-targeted and scheduled, only where shown."""

from __future__ import annotations

from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.announcements.demo import seed_demo
from iok_saas.modules.announcements.models import Announcement
from iok_saas.tenancy import tenant_scope
from iok_saas.timeutil import WARSAW, utcnow

from ..factories import tenant


def test_demo_announcements_where_shown(synced, ctx):
    result = synced.test_cli_runner().invoke(args=["demo", "load"], catch_exceptions=False)
    assert result.exit_code == 0
    now = utcnow()
    today = now.astimezone(WARSAW).date()
    for slug, expected in (("gdynia", True), ("kuzniki", False)):
        with tenant_scope(tenant(slug)):
            seed_demo(today)
            db.session.commit()
            announcements = db.session.scalars(select(Announcement)).all()
            assert bool(announcements) is expected
            if expected:
                assert any(a.publish_at > now for a in announcements)
                assert any(a.targets for a in announcements)
                assert all("<script" not in a.body_html for a in announcements)
