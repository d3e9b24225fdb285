"""Demo votes (fictional): one closed with a result and one in progress, with ballots,
in the tenants whose policy shows voting (the electorate comes from the import demo)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.documents import services as documents
from iok_saas.tenancy import current_tenant
from iok_saas.timeutil import WARSAW

from . import services
from .models import AGAINST, CHOICES, FOR, OWNERS_BY_SHARE, Elector

AUTHOR = "staff:admin"


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=WARSAW)


def _voters(vote) -> list[tuple[Elector, int]]:
    """(elector, a person who may vote for it) for every elector of the vote."""
    from iok_saas.modules.housing.models import Title

    pairs = []
    for elector in vote.electors:
        if elector.person_id is not None:
            pairs.append((elector, elector.person_id))
            continue
        person_id = db.session.scalar(select(Title.person_id).where(
            Title.unit_id == elector.unit_id, Title.kind == "owner").limit(1))
        pairs.append((elector, person_id))
    return pairs


def seed_demo(today: date) -> None:
    if not current_tenant.policy.shows("voting"):
        return
    rules = current_tenant.policy.voting
    association_id = None
    if rules.electorate == OWNERS_BY_SHARE:
        association_id = next((a.id for a in sorted(services.associations(),
                                                    key=lambda a: a.external_id)
                               if a.external_id.startswith("DEMO-")), None)
        if association_id is None:
            return
    days = max(rules.minimum_days, 7)
    attachments = tuple(d.id for d in documents.attachable()[:1])

    start = _at(today - timedelta(days=days + 20), 8)
    past = services.open_vote(services.Opening(
        "Uchwała w sprawie wymiany domofonów",
        "Zebrani wyrażają zgodę na wymianę instalacji domofonowej w budynku, "
        "finansowaną z funduszu remontowego (treść fikcyjna).",
        start, start + timedelta(days=days), association_id, attachments), AUTHOR, now=start)
    for index, (elector, person_id) in enumerate(_voters(past)):
        if index % 4 != 3:  # one in four does not vote
            services.cast(past.id, elector.id, FOR if index % 3 != 2 else AGAINST, person_id,
                          "resident:demo", now=start + timedelta(days=1, hours=index))
    services.close(past.id, AUTHOR, now=start + timedelta(days=days, hours=1))

    start = _at(today - timedelta(days=2), 8)
    current = services.open_vote(services.Opening(
        "Uchwała w sprawie planu gospodarczego na przyszły rok",
        "Przyjmuje się plan gospodarczy na przyszły rok w brzmieniu załącznika "
        "(treść fikcyjna).", start, start + timedelta(days=days), association_id,
        attachments), AUTHOR, now=start)
    for index, (elector, person_id) in enumerate(_voters(current)[1:3]):
        services.cast(current.id, elector.id, CHOICES[index % 3], person_id, "resident:demo",
                      now=start + timedelta(hours=5 + index))
