"""The resident's electronic ballots in their personal-data export (how they voted is
their personal data; paper ballots were entered by staff and carry no person)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.features import ExportSection

from .models import Ballot, Elector, Vote
from .services import CHOICE_LABELS


def sections(_account, person) -> list[ExportSection]:
    rows = db.session.execute(
        select(Vote.title, Elector.label, Ballot.choice, Ballot.cast_at)
        .join(Elector, Elector.id == Ballot.elector_id).join(Vote, Vote.id == Ballot.vote_id)
        .where(Ballot.person_id == person.id).order_by(Ballot.cast_at, Ballot.id)).all()
    if not rows:
        return []
    return [ExportSection(
        "ballots", _l("Głosy w głosowaniach nad uchwałami"),
        [{"vote": title, "for": label, "choice": choice, "cast_at": cast_at}
         for title, label, choice, cast_at in rows], order=70,
        labels={"vote": _l("Uchwała"), "for": _l("Lokal / członek"), "choice": _l("Głos"),
                "cast_at": _l("Oddany")},
        vocabularies={"choice": CHOICE_LABELS})]
