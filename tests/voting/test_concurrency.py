"""Parallel ballots on PostgreSQL: every thread's vote lands once, the event chain stays a
single unbroken line (the vote's row lock serialises appends), nobody is counted twice."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.housing.models import Title
from iok_saas.modules.voting import services
from iok_saas.modules.voting.models import Ballot, BallotEvent
from iok_saas.tenancy import tenant_scope

from ..factories import tenant
from .conftest import BRZEG, build_estate, open_vote

pytestmark = pytest.mark.postgres

SHARES = tuple(["0.05"] * 20)


def test_parallel_votes_are_each_counted_once(app, synced, ctx):
    if db.engine.dialect.name != "postgresql":
        from ..services import require_service

        require_service("postgres")
        pytest.skip("run with IOK_TEST_DATABASE_URL pointing at PostgreSQL")
    estate = build_estate(BRZEG, shares=SHARES, co_owner_of=0)
    vote_id = open_vote(estate)
    with tenant_scope(tenant(BRZEG)):
        electors = sorted(services.get(vote_id).electors, key=lambda e: e.id)
        jobs = []
        for index, elector in enumerate(electors):
            owners = db.session.scalars(select(Title.person_id).where(
                Title.unit_id == elector.unit_id, Title.kind == "owner")).all()
            # Every unit votes twice at once (a change), the joint owners of unit 0 too.
            for repeat, person_id in enumerate(owners * (2 if len(owners) == 1 else 1)):
                choice = ("for", "against", "abstain")[(index + repeat) % 3]
                jobs.append((elector.id, person_id, choice))
        db.session.rollback()
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(elector_id, person_id, choice):
        try:
            with app.app_context(), tenant_scope(tenant(BRZEG)):
                barrier.wait(timeout=30)
                services.cast(vote_id, elector_id, choice, person_id, "resident:test")
                db.session.commit()
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    with tenant_scope(tenant(BRZEG)):
        ballots = db.session.scalars(select(Ballot).where(Ballot.vote_id == vote_id)).all()
        assert len(ballots) == len(electors) == len({b.elector_id for b in ballots})
        seqs = list(db.session.scalars(select(BallotEvent.seq).where(
            BallotEvent.vote_id == vote_id).order_by(BallotEvent.seq)))
        assert seqs == list(range(1, len(seqs) + 1))
        assert len(electors) <= len(seqs) <= len(jobs)
        assert services.verify(services.get(vote_id)) == []
        result = services.totals(services.get(vote_id))
        assert result.cast == len(electors)
