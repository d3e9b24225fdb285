"""Votes on resolutions: opening (electorate frozen), casting, paper ballots, closing,
results, the hash chain and reminders.

Rules come from the tenant's policy (``voting``) and are copied onto the vote when it is
opened, so a policy edit never changes a vote in progress. Every write to ballots takes
the vote's row lock first (``_locked``): on PostgreSQL parallel ballots of one vote queue
there, so the event chain stays a single line and ``seq`` never collides; SQLite
serialises writers anyway.

Attachments come from the document library through its public interface
(``iok_saas.modules.documents.services``: ``attachable``, ``get``, ``read_pdf`` for scans),
the one portal feature voting depends on.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from iok_saas.extensions import db
from iok_saas.modules.accounts.models import ACTIVE, MUST_CHANGE, ResidentAccount
from iok_saas.modules.audit.services import record_event
from iok_saas.modules.documents import services as documents
from iok_saas.modules.housing.models import Association, Person, Title, Unit
from iok_saas.modules.notifications.services import queue_email
from iok_saas.tenancy import current_tenant, tenant_url
from iok_saas.timeutil import as_utc, utcnow, warsaw_today

from .models import (
    ABSTAIN,
    AGAINST,
    CHOICES,
    ELECTRONIC,
    FOR,
    MEMBERS,
    OWNERS_BY_SHARE,
    PAPER,
    Ballot,
    BallotEvent,
    Elector,
    UnitShare,
    Vote,
    VoteAttachment,
)

TITLE_MAX = 300
RESOLUTION_MAX = 20_000
GENESIS = "0" * 64
CHOICE_LABELS = {FOR: _l("za"), AGAINST: _l("przeciw"), ABSTAIN: _l("wstrzymuję się")}
SCHEDULED, OPEN, ENDED, CLOSED = "scheduled", "open", "ended", "closed"
EVENT_LABELS = {"cast": _l("głos oddany"), "changed": _l("głos zmieniony"),
                PAPER: _l("karta papierowa"), "closed": _l("zamknięcie głosowania")}
STATE_LABELS = {SCHEDULED: _l("zaplanowane"), OPEN: _l("trwa"),
                ENDED: _l("zakończone, czeka na zamknięcie"), CLOSED: _l("zamknięte")}

log = logging.getLogger(__name__)


class VotingError(Exception):
    """A refused action; ``message`` is shown to the user as it is."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def state(vote: Vote, now: datetime | None = None) -> str:
    now = now or utcnow()
    if vote.closed_at is not None:
        return CLOSED
    if now < as_utc(vote.starts_at):
        return SCHEDULED
    return OPEN if now < as_utc(vote.ends_at) else ENDED


# --- the hash chain --------------------------------------------------------------------------

def _event_payload(event: BallotEvent) -> str:
    """The canonical text an event's hash covers (every field but id and hash)."""
    return json.dumps({
        "tenant": event.tenant_id, "vote": event.vote_id, "seq": event.seq,
        "kind": event.kind, "elector": event.elector_id, "choice": event.choice,
        "channel": event.channel, "actor": event.actor, "scan": event.scan_sha256,
        "detail": event.detail, "at": as_utc(event.recorded_at).isoformat(timespec="microseconds"),
        "prev": event.prev_hash}, sort_keys=True, ensure_ascii=False)


def event_hash(event: BallotEvent) -> str:
    return hashlib.sha256(_event_payload(event).encode()).hexdigest()


def _append(vote: Vote, kind: str, actor: str, *, elector_id: int | None = None,
            choice: str | None = None, channel: str | None = None,
            scan_sha256: str | None = None, detail: str | None = None,
            now: datetime | None = None) -> BallotEvent:
    """Append one event after the vote's last (the caller holds the vote's lock)."""
    last = db.session.scalars(select(BallotEvent).where(BallotEvent.vote_id == vote.id)
                              .order_by(BallotEvent.seq.desc()).limit(1)).first()
    event = BallotEvent(tenant_id=vote.tenant_id, vote_id=vote.id,
                        seq=(last.seq + 1) if last else 1, kind=kind, elector_id=elector_id,
                        choice=choice, channel=channel, actor=actor, scan_sha256=scan_sha256,
                        detail=detail, recorded_at=now or utcnow(),
                        prev_hash=last.hash if last else GENESIS)
    event.hash = event_hash(event)
    db.session.add(event)
    db.session.flush()
    return event


@dataclass(frozen=True)
class ChainProblem:
    vote_id: int
    seq: int | None
    problem: str


def verify(vote: Vote) -> list[ChainProblem]:
    """Whether the vote's events form an unbroken chain and the ballots are what the chain
    says (the last cast/changed/paper event of each elector)."""
    problems: list[ChainProblem] = []
    events = db.session.scalars(select(BallotEvent).where(BallotEvent.vote_id == vote.id)
                                .order_by(BallotEvent.seq)).all()
    previous, expected_seq, replayed = GENESIS, 1, {}
    for event in events:
        if event.seq != expected_seq:
            problems.append(ChainProblem(vote.id, event.seq,
                                         f"sequence gap: expected {expected_seq}"))
        if event.prev_hash != previous:
            problems.append(ChainProblem(vote.id, event.seq, "does not follow the previous "
                                         "event (prev_hash differs)"))
        if event_hash(event) != event.hash:
            problems.append(ChainProblem(vote.id, event.seq, "content does not match its "
                                         "hash (the event was altered)"))
        if event.elector_id is not None:
            replayed[event.elector_id] = (event.choice, event.channel)
        previous, expected_seq = event.hash, event.seq + 1
    ballots = {b.elector_id: (b.choice, b.channel) for b in db.session.scalars(
        select(Ballot).where(Ballot.vote_id == vote.id))}
    for elector_id in sorted(set(ballots) | set(replayed)):
        if ballots.get(elector_id) != replayed.get(elector_id):
            problems.append(ChainProblem(vote.id, None, f"ballot of elector {elector_id} "
                                         "differs from its events"))
    return problems


# --- opening ---------------------------------------------------------------------------------

def associations() -> list[Association]:
    return list(db.session.scalars(select(Association).order_by(Association.name,
                                                                Association.id)))


def _owner_electors(association_id: int) -> list[Elector]:
    today = warsaw_today()
    owned = (select(Title.unit_id).where(Title.kind == "owner", Title.current_on(today)))
    units = db.session.execute(
        select(Unit, UnitShare.share).outerjoin(UnitShare, UnitShare.unit_id == Unit.id)
        .where(Unit.association_id == association_id, Unit.id.in_(owned))
        .order_by(Unit.id)).all()
    missing = [unit.label for unit, share in units if share is None]
    if missing:
        raise VotingError(_l("Brak udziału dla lokali: %(units)s. Zaimportuj udziały "
                             "(zbiór „shares”).", units=", ".join(missing[:10])))
    labels = [unit.label for unit, _ in units]
    twice = sorted({label for label in labels if labels.count(label) > 1})
    if twice:
        raise VotingError(_l("Lokale z więcej niż jednym udziałem: %(units)s. Popraw import "
                             "udziałów.", units=", ".join(twice[:10])))
    return [Elector(key=f"unit:{unit.id}", unit_id=unit.id, label=unit.label, weight=share)
            for unit, share in units]


def _member_electors() -> list[Elector]:
    today = warsaw_today()
    people = db.session.scalars(
        select(Person).where(Person.id.in_(select(Title.person_id).where(
            Title.kind == "member", Title.current_on(today)))).order_by(Person.id)).all()
    return [Elector(key=f"person:{p.id}", person_id=p.id, label=p.full_name,
                    weight=Decimal(1)) for p in people]


@dataclass(frozen=True)
class Opening:
    title: str
    resolution: str
    starts_at: datetime
    ends_at: datetime
    association_id: int | None
    document_ids: tuple[int, ...] = ()


def open_vote(opening: Opening, actor: str, now: datetime | None = None) -> Vote:
    """A new vote with its frozen electorate (staged; the boundary commits). ``now`` is
    for the demo's past votes and tests; requests use the clock."""
    now = now or utcnow()
    rules = current_tenant.policy.voting
    title, resolution = (opening.title or "").strip(), (opening.resolution or "").strip()
    if not title or len(title) > TITLE_MAX:
        raise VotingError(_l("Podaj tytuł uchwały (najwyżej %(max)s znaków).", max=TITLE_MAX))
    if not resolution or len(resolution) > RESOLUTION_MAX:
        raise VotingError(_l("Podaj treść uchwały (najwyżej %(max)s znaków).",
                             max=RESOLUTION_MAX))
    if opening.starts_at.tzinfo is None or opening.ends_at.tzinfo is None:
        raise ValueError("voting window must be timezone-aware")
    if opening.ends_at <= opening.starts_at:
        raise VotingError(_l("Koniec głosowania musi być później niż początek."))
    if opening.ends_at <= now:
        raise VotingError(_l("Koniec głosowania musi być w przyszłości."))
    if opening.ends_at - opening.starts_at < timedelta(days=rules.minimum_days):
        raise VotingError(_l("Głosowanie musi trwać co najmniej %(days)s dni.",
                             days=rules.minimum_days))
    association_id = None
    if rules.electorate == OWNERS_BY_SHARE:
        association_id = opening.association_id
        if association_id is None or db.session.get(Association, association_id) is None:
            raise VotingError(_l("Wybierz wspólnotę, której właściciele głosują."))
        electors = _owner_electors(association_id)
    else:
        electors = _member_electors()
    if not electors:
        raise VotingError(_l("Nikt nie jest uprawniony do głosowania."))
    attachable = {d.id for d in documents.attachable()}
    if not set(opening.document_ids) <= attachable:
        raise VotingError(_l("Wybrano dokument, którego nie ma w bibliotece."))
    vote = Vote(title=title, resolution=resolution, association_id=association_id,
                starts_at=opening.starts_at, ends_at=opening.ends_at,
                electorate=rules.electorate, quorum_percent=rules.quorum_percent,
                majority=rules.majority, may_change=rules.may_change,
                paper_ballot=rules.paper_ballot, joint_owners=rules.joint_owners,
                reminder_hours=rules.reminder_hours,
                total_weight=sum((e.weight for e in electors), Decimal(0)),
                created_by=actor, created_at=now)
    vote.electors = electors
    vote.attachments = [VoteAttachment(document_id=d) for d in sorted(set(opening.document_ids))]
    db.session.add(vote)
    db.session.flush()
    record_event(actor, "vote.opened", vote, after={
        "title": title, "electors": len(electors), "total_weight": str(vote.total_weight),
        "starts_at": as_utc(vote.starts_at).isoformat(),
        "ends_at": as_utc(vote.ends_at).isoformat()})
    return vote


def all_votes() -> list[Vote]:
    return list(db.session.scalars(select(Vote).order_by(Vote.ends_at.desc(), Vote.id.desc())))


def get(vote_id: int) -> Vote | None:
    return db.session.get(Vote, vote_id)


def attachments(vote: Vote) -> list:
    return [d for d in (documents.get(a.document_id) for a in vote.attachments) if d]


def _locked(vote_id: int) -> Vote:
    vote = db.session.scalars(select(Vote).where(Vote.id == vote_id)
                              .with_for_update()).one()
    db.session.refresh(vote)
    return vote


# --- residents -------------------------------------------------------------------------------

def person_electors(person_id: int, vote: Vote) -> list[Elector]:
    """The electors this person may vote for in ``vote``: their units (current owner title
    today) or themselves (a current member)."""
    today = warsaw_today()
    if vote.electorate == MEMBERS:
        keys = [f"person:{person_id}"] if db.session.scalar(
            select(Title.id).where(Title.person_id == person_id, Title.kind == "member",
                                   Title.current_on(today)).limit(1)) else []
    else:
        keys = [f"unit:{unit_id}" for unit_id in db.session.scalars(
            select(Title.unit_id).where(Title.person_id == person_id, Title.kind == "owner",
                                        Title.current_on(today)))]
    if not keys:
        return []
    return list(db.session.scalars(select(Elector).where(Elector.vote_id == vote.id,
                                                         Elector.key.in_(keys))
                                   .order_by(Elector.label)))


def votes_for(person_id: int) -> list[tuple[Vote, list[Elector]]]:
    """Votes that have started in which the person holds a vote, newest first."""
    now = utcnow()
    found = []
    for vote in db.session.scalars(select(Vote).where(Vote.starts_at <= now)
                                   .order_by(Vote.ends_at.desc(), Vote.id.desc())):
        electors = person_electors(person_id, vote)
        if electors:
            found.append((vote, electors))
    return found


def visible_vote(person_id: int, vote_id: int) -> tuple[Vote, list[Elector]] | None:
    vote = db.session.get(Vote, vote_id)
    if vote is None or state(vote) == SCHEDULED:
        return None
    electors = person_electors(person_id, vote)
    return (vote, electors) if electors else None


def ballots_of(vote: Vote, electors: list[Elector]) -> dict[int, Ballot]:
    ids = [e.id for e in electors]
    return {b.elector_id: b for b in db.session.scalars(
        select(Ballot).where(Ballot.vote_id == vote.id, Ballot.elector_id.in_(ids)))}


def cast(vote_id: int, elector_id: int, choice: str, person_id: int, actor: str,
         now: datetime | None = None) -> Ballot:
    """The resident's electronic vote for one elector (their unit or membership)."""
    now = now or utcnow()
    if choice not in CHOICES:
        raise VotingError(_l("Wybierz: za, przeciw albo wstrzymuję się."))
    vote = _locked(vote_id)
    if state(vote, now) != OPEN:
        raise VotingError(_l("Głosowanie nie trwa: głosu nie można oddać."))
    elector = next((e for e in person_electors(person_id, vote) if e.id == elector_id), None)
    if elector is None:
        raise VotingError(_l("Nie możesz głosować w imieniu tego lokalu."))
    ballot = db.session.scalars(select(Ballot).where(Ballot.vote_id == vote.id,
                                                     Ballot.elector_id == elector.id)).first()
    if ballot is None:
        ballot = Ballot(vote_id=vote.id, elector_id=elector.id, choice=choice,
                        channel=ELECTRONIC, person_id=person_id, cast_at=now)
        db.session.add(ballot)
        db.session.flush()
        _append(vote, "cast", actor, elector_id=elector.id, choice=choice, channel=ELECTRONIC,
                now=now)
        return ballot
    if ballot.channel == PAPER:
        raise VotingError(_l("Za ten lokal przyjęto już kartę do głosowania na papierze."))
    if not vote.may_change:
        raise VotingError(_l("Głos został już oddany i nie można go zmienić."))
    if vote.joint_owners == "first_voter" and ballot.person_id != person_id:
        raise VotingError(_l("Głos za ten lokal oddał inny współwłaściciel; tylko on może "
                             "go zmienić."))
    if ballot.choice == choice:
        return ballot
    ballot.choice, ballot.person_id, ballot.cast_at = choice, person_id, now
    _append(vote, "changed", actor, elector_id=elector.id, choice=choice, channel=ELECTRONIC,
            now=now)
    return ballot


# --- paper ballots ---------------------------------------------------------------------------

def _scan_folder(tenant_id: int) -> Path:
    return Path(current_app.config["IOK_VAR_DIR"]) / "voting" / str(tenant_id)


def scan_path(vote: Vote, sha256: str) -> Path:
    return _scan_folder(vote.tenant_id) / f"{sha256}.pdf"


def enter_paper(vote_id: int, elector_id: int, choice: str, scan: documents.PdfFile,
                actor: str) -> Ballot:
    """A paper ballot with its scan (a checked PDF), entered by staff during the vote."""
    if choice not in CHOICES:
        raise VotingError(_l("Wybierz: za, przeciw albo wstrzymuję się."))
    vote = _locked(vote_id)
    if state(vote) not in (OPEN, ENDED):
        raise VotingError(_l("Karty można wprowadzać od początku głosowania do jego "
                             "zamknięcia."))
    elector = db.session.get(Elector, elector_id)
    if elector is None or elector.vote_id != vote.id:
        raise VotingError(_l("Wybierz lokal lub członka z listy uprawnionych."))
    ballot = db.session.scalars(select(Ballot).where(Ballot.vote_id == vote.id,
                                                     Ballot.elector_id == elector.id)).first()
    if ballot is not None and ballot.channel == PAPER:
        raise VotingError(_l("Dla %(who)s wprowadzono już kartę papierową.", who=elector.label))
    if ballot is not None and vote.paper_ballot == "refused":
        raise VotingError(_l("%(who)s zagłosował(a) już elektronicznie; zgodnie z zasadami "
                             "karta papierowa nie może zastąpić tego głosu.", who=elector.label))
    folder = _scan_folder(vote.tenant_id)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{scan.sha256}.pdf"
    if not target.exists():
        temporary = folder / f".{scan.sha256}.{os.getpid()}.part"
        temporary.write_bytes(scan.data)
        os.replace(temporary, target)
    detail = "replaces an electronic ballot" if ballot is not None else None
    if ballot is None:
        ballot = Ballot(vote_id=vote.id, elector_id=elector.id)
        db.session.add(ballot)
    ballot.choice, ballot.channel, ballot.person_id = choice, PAPER, None
    ballot.scan_sha256, ballot.cast_at = scan.sha256, utcnow()
    db.session.flush()
    _append(vote, "paper", actor, elector_id=elector.id, choice=choice, channel=PAPER,
            scan_sha256=scan.sha256, detail=detail)
    return ballot


def history(vote: Vote) -> list[BallotEvent]:
    """The vote's events in order (what staff see as its history)."""
    return list(db.session.scalars(select(BallotEvent).where(BallotEvent.vote_id == vote.id)
                                   .order_by(BallotEvent.seq)))


def scan_event(vote: Vote, event_id: int) -> BallotEvent | None:
    """A paper-ballot event of this vote that has a scan (any other id: None)."""
    event = db.session.get(BallotEvent, event_id)
    if event is None or event.vote_id != vote.id or event.scan_sha256 is None:
        return None
    return event


def scan_events(vote: Vote) -> dict[int, int]:
    """elector id -> the event whose scan is the elector's current paper ballot."""
    ballots = {b.elector_id: b.scan_sha256 for b in db.session.scalars(
        select(Ballot).where(Ballot.vote_id == vote.id, Ballot.channel == PAPER,
                             Ballot.scan_sha256.is_not(None)))}
    found: dict[int, int] = {}
    for event in db.session.scalars(
            select(BallotEvent).where(BallotEvent.vote_id == vote.id, BallotEvent.kind == PAPER,
                                      BallotEvent.scan_sha256.is_not(None))
            .order_by(BallotEvent.seq)):
        if ballots.get(event.elector_id) == event.scan_sha256:
            found[event.elector_id] = event.id
    return found


def scan_bytes(vote: Vote, event: BallotEvent) -> bytes:
    """The scan of a paper ballot, checked against the SHA-256 its event recorded."""
    return documents.checked_bytes(scan_path(vote, event.scan_sha256), event.scan_sha256,
                                   f"ballot scan of vote {vote.id} event {event.seq}")


# --- results ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Totals:
    electors: int
    total_weight: Decimal
    cast: int
    weights: dict[str, Decimal]
    counts: dict[str, int]

    @property
    def cast_weight(self) -> Decimal:
        return sum(self.weights.values(), Decimal(0))

    @property
    def turnout_percent(self) -> Decimal:
        if not self.total_weight:
            return Decimal(0)
        return (self.cast_weight * 100 / self.total_weight).quantize(Decimal("0.01"))


def totals(vote: Vote) -> Totals:
    """Sums over the current ballots (each elector's one row, weighted by the frozen
    weight)."""
    rows = db.session.execute(
        select(Ballot.choice, func.count(Ballot.id), func.sum(Elector.weight))
        .join(Elector, Elector.id == Ballot.elector_id)
        .where(Ballot.vote_id == vote.id).group_by(Ballot.choice)).all()
    weights = {choice: Decimal(0) for choice in CHOICES}
    counts = {choice: 0 for choice in CHOICES}
    for choice, count, weight in rows:
        weights[choice], counts[choice] = Decimal(weight or 0), count
    electors = db.session.scalar(select(func.count(Elector.id))
                                 .where(Elector.vote_id == vote.id))
    return Totals(electors, Decimal(vote.total_weight), sum(counts.values()), weights, counts)


def outcome(vote: Vote, result: Totals) -> tuple[bool, bool]:
    """(quorum met, adopted) under the vote's rules."""
    quorum = result.cast_weight * 100 >= result.total_weight * vote.quorum_percent
    if vote.majority == "shares":
        majority = result.weights[FOR] * 2 > result.total_weight
    elif vote.majority == "members":
        majority = result.counts[FOR] * 2 > result.electors
    else:
        majority = result.weights[FOR] > result.weights[AGAINST]
    return quorum, quorum and majority


def close(vote_id: int, actor: str, now: datetime | None = None) -> Vote:
    """Close an ended vote and record its result; closing again changes nothing."""
    now = now or utcnow()
    vote = _locked(vote_id)
    if vote.closed_at is not None:
        return vote
    if state(vote, now) != ENDED:
        raise VotingError(_l("Głosowanie można zamknąć dopiero po jego zakończeniu."))
    result = totals(vote)
    vote.for_weight, vote.against_weight = result.weights[FOR], result.weights[AGAINST]
    vote.abstain_weight = result.weights[ABSTAIN]
    vote.quorum_met, vote.adopted = outcome(vote, result)
    vote.closed_at = now
    _append(vote, "closed", actor, detail=json.dumps({
        "for": str(vote.for_weight), "against": str(vote.against_weight),
        "abstain": str(vote.abstain_weight), "counts": result.counts,
        "adopted": vote.adopted, "quorum_met": vote.quorum_met}, sort_keys=True), now=now)
    record_event(actor, "vote.closed", vote, after={"adopted": vote.adopted,
                                                   "counts": result.counts})
    return vote


def close_due() -> int:
    """Close every vote whose window has ended (a task's boundary commits each)."""
    now = utcnow()
    closed = 0
    for vote_id in db.session.scalars(select(Vote.id).where(Vote.closed_at.is_(None),
                                                            Vote.ends_at <= now)).all():
        close(vote_id, "task:voting")
        closed += 1
    return closed


def per_unit(vote: Vote) -> list[tuple[Elector, Ballot | None]]:
    ballots = {b.elector_id: b for b in db.session.scalars(
        select(Ballot).where(Ballot.vote_id == vote.id))}
    return [(e, ballots.get(e.id)) for e in vote.electors]


# --- reminders -------------------------------------------------------------------------------

def _voters_without_ballot(vote: Vote) -> list[Person]:
    today = warsaw_today()
    voted = select(Ballot.elector_id).where(Ballot.vote_id == vote.id)
    waiting = select(Elector).where(Elector.vote_id == vote.id, Elector.id.not_in(voted))
    unit_ids = [e.unit_id for e in db.session.scalars(waiting) if e.unit_id]
    person_ids = [e.person_id for e in db.session.scalars(waiting) if e.person_id]
    if unit_ids:
        person_ids += list(db.session.scalars(select(Title.person_id).where(
            Title.unit_id.in_(unit_ids), Title.kind == "owner", Title.current_on(today))))
    query = (select(Person).join(ResidentAccount, ResidentAccount.person_id == Person.id)
             .where(Person.id.in_(set(person_ids)), Person.email.is_not(None),
                    Person.email != "", ResidentAccount.state.in_((ACTIVE, MUST_CHANGE)))
             .order_by(Person.id))
    return list(db.session.scalars(query))


def send_reminders() -> int:
    """E-mail voters without a ballot once, ``reminder_hours`` before the close. Claimed
    with a conditional UPDATE so two runs never send twice; commits per vote."""
    now = utcnow()
    queued = 0
    candidates = db.session.scalars(select(Vote).where(
        Vote.closed_at.is_(None), Vote.reminded_at.is_(None), Vote.reminder_hours > 0,
        Vote.starts_at <= now, Vote.ends_at > now)).all()
    for vote in candidates:
        if as_utc(vote.ends_at) - timedelta(hours=vote.reminder_hours) > now:
            continue
        claimed = db.session.execute(
            update(Vote).where(Vote.id == vote.id, Vote.reminded_at.is_(None))
            .values(reminded_at=now), execution_options={"synchronize_session": False}).rowcount
        if claimed != 1:
            db.session.rollback()
            continue
        link = tenant_url("voting.show", vote_id=vote.id)
        for person in _voters_without_ballot(vote):
            with force_locale(current_tenant.locale):
                rendered = render_template("voting/email/reminder.txt", vote=vote,
                                           to_name=person.full_name, link=link)
            subject, _, body = rendered.strip().partition("\n")
            queue_email("vote_reminder", person.email, person.full_name,
                        f"[{current_tenant.short_name}] {subject.strip()}", body.strip() + "\n")
            queued += 1
        record_event("task:voting", "vote.reminded", vote, after={"messages": queued})
    return queued
