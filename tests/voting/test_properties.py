"""Property tests: for any sequence of electronic ballots, changes and paper ballots, the
totals equal the sum of the ballots, no elector is counted twice, the chain verifies,
and closing is idempotent."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.documents.services import PdfFile
from iok_saas.modules.housing.models import Title
from iok_saas.modules.voting import services
from iok_saas.modules.voting.models import CHOICES, Ballot, BallotEvent, Elector
from iok_saas.tenancy import tenant_scope
from iok_saas.timeutil import utcnow

from ..documents.pdfs import pdf_bytes
from ..factories import tenant
from .conftest import BRZEG, build_estate, open_vote

SHARES = ("0.25", "0.125", "0.3", "0.2", "0.125")
SCAN = PdfFile("karta.pdf", pdf_bytes("Karta do głosowania"))

@pytest.fixture
def estate(synced, ctx):
    """Built once per test: hypothesis runs the body many times with the same fixtures,
    each example on a vote of its own."""
    return build_estate(BRZEG, shares=SHARES)


steps = st.lists(st.tuples(st.integers(0, len(SHARES) - 1), st.sampled_from(CHOICES),
                           st.sampled_from(("electronic", "electronic", "paper"))),
                 max_size=25)
rules = st.fixed_dictionaries({"may_change": st.booleans(),
                               "paper_ballot": st.sampled_from(("replaces", "refused"))})


def _owner_of(elector: Elector) -> int:
    return db.session.scalar(select(Title.person_id).where(Title.unit_id == elector.unit_id,
                                                           Title.kind == "owner"))


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(steps=steps, rules=rules)
def test_totals_equal_the_ballots_and_nobody_counts_twice(estate, steps, rules):
    vote_id = open_vote(estate, **rules)
    with tenant_scope(tenant(BRZEG)):
        vote = services.get(vote_id)
        electors = sorted(vote.electors, key=lambda e: e.id)
        expected: dict[int, str] = {}
        for index, choice, channel in steps:
            elector = electors[index]
            try:
                if channel == "paper":
                    services.enter_paper(vote_id, elector.id, choice, SCAN, "staff:test")
                else:
                    services.cast(vote_id, elector.id, choice, _owner_of(elector),
                                  "resident:test")
            except services.VotingError:
                db.session.rollback()
                continue
            db.session.commit()
            expected[elector.id] = choice

        ballots = db.session.scalars(select(Ballot).where(Ballot.vote_id == vote_id)).all()
        assert len({b.elector_id for b in ballots}) == len(ballots)  # never twice
        assert {b.elector_id: b.choice for b in ballots} == expected
        result = services.totals(vote)
        weights = {e.id: e.weight for e in electors}
        for choice in CHOICES:
            assert result.weights[choice] == sum(
                (weights[e] for e, c in expected.items() if c == choice), Decimal(0))
            assert result.counts[choice] == sum(1 for c in expected.values() if c == choice)
        assert result.cast == len(expected) <= len(electors)
        assert result.cast_weight <= result.total_weight
        assert services.verify(vote) == []

        # Closing twice gives one result and one "closed" event.
        later = utcnow() + timedelta(days=30)
        first = services.close(vote_id, "staff:test", now=later)
        db.session.commit()
        snapshot = (first.for_weight, first.against_weight, first.abstain_weight,
                    first.adopted, first.closed_at)
        again = services.close(vote_id, "staff:test", now=later + timedelta(days=1))
        db.session.commit()
        assert (again.for_weight, again.against_weight, again.abstain_weight, again.adopted,
                again.closed_at) == snapshot
        closes = db.session.scalars(select(BallotEvent).where(
            BallotEvent.vote_id == vote_id, BallotEvent.kind == "closed")).all()
        assert len(closes) == 1
        assert services.verify(vote) == []
