"""The voting demo: a closed vote with its result and one in progress with ballots, in
the tenants whose policy shows voting (owners by share in Brzeg, members in Zielone
Wzgórza), each with an intact chain."""

from __future__ import annotations

from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.voting import services
from iok_saas.modules.voting.models import Vote
from iok_saas.tenancy import tenant_scope

from ..factories import tenant


def test_demo_votes_where_shown(synced, ctx):
    result = synced.test_cli_runner().invoke(args=["demo", "load"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    for slug, electorate in (("brzeg", "owners_by_share"), ("zielone-wzgorza", "members")):
        with tenant_scope(tenant(slug)):
            votes = db.session.scalars(select(Vote).order_by(Vote.ends_at)).all()
            assert [services.state(v) for v in votes] == ["closed", "open"], slug
            closed, current = votes
            assert closed.electorate == electorate
            assert closed.adopted is not None and closed.for_weight > 0
            assert services.totals(current).cast >= 1
            assert all(services.verify(v) == [] for v in votes)
    with tenant_scope(tenant("kuzniki")):
        assert db.session.scalars(select(Vote)).all() == []
    verify = synced.test_cli_runner().invoke(args=["voting", "verify"])
    assert verify.exit_code == 0, verify.output
