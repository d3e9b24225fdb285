"""Paperless charge notices: consents, publishing a period, rendering and e-mailing the PDFs,
read receipts, and what staff see (who consented, what was delivered, who still gets paper).

Services stage changes; the boundary (view, CLI command, Celery task) commits once.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import and_, exists, func, insert, select

from iok_saas.extensions import db
from iok_saas.modules.accounts.models import ResidentAccount
from iok_saas.modules.audit.services import record_event
from iok_saas.modules.documents import services as documents
from iok_saas.modules.housing.models import Person, Title, Unit, unit_label
from iok_saas.modules.letters.letterhead import letterhead_from_tenant
from iok_saas.modules.notifications.models import FAILED, SENT, OutboxMessage
from iok_saas.modules.notifications.services import (
    Attachment,
    queue_email,
    render_notification,
)
from iok_saas.tenancy import current_tenant, tenant_url
from iok_saas.timeutil import utcnow, warsaw_today

from . import payment, supplied
from .models import (
    ChargeNotice,
    ChargeNoticeLine,
    ChargeNoticePeriod,
    NoticeConsent,
    NoticeDelivery,
)
from .pdf import NoticeDocument, NoticeLine, notices_pdfs

log = logging.getLogger(__name__)
EMAIL_KIND = "charge_notice"
ATTACHMENT = "attachment"
SEND_BATCH = 50  # notices rendered in one fpdf2 document (see pdf.notices_pdfs)


class NoticesError(Exception):
    """A refused action, with the Polish message shown to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NoticeNotFound(LookupError):
    """No such notice for this resident (another unit's, another tenant's, unpublished)."""


# --- consent --------------------------------------------------------------------------------

def consent_in_force(account_id: int) -> NoticeConsent | None:
    return db.session.scalar(select(NoticeConsent).where(
        NoticeConsent.account_id == account_id, NoticeConsent.withdrawn_at.is_(None)))


def consent_history(account_id: int) -> list[NoticeConsent]:
    return list(db.session.scalars(select(NoticeConsent).where(
        NoticeConsent.account_id == account_id).order_by(NoticeConsent.id.desc())))


def give_consent(account: ResidentAccount) -> NoticeConsent:
    if consent_in_force(account.id) is not None:
        raise NoticesError(_("Zgoda na zawiadomienia elektroniczne jest już udzielona."))
    if not account.person.email:
        raise NoticesError(_("Do doręczania zawiadomień potrzebny jest adres e-mail. Podaj go "
                             "w biurze spółdzielni, a potem udziel zgody."))
    consent = NoticeConsent(account_id=account.id,
                            version=current_tenant.policy.charge_notices.consent_version,
                            given_at=utcnow())
    db.session.add(consent)
    db.session.flush()
    record_event(f"resident:{account.login}", "notice_consent.given", consent,
                 after={"version": consent.version})
    return consent


def withdraw_consent(account: ResidentAccount) -> NoticeConsent:
    consent = consent_in_force(account.id)
    if consent is None:
        raise NoticesError(_("Nie ma zgody do wycofania: zawiadomienia otrzymujesz na papierze."))
    consent.withdrawn_at = utcnow()
    record_event(f"resident:{account.login}", "notice_consent.withdrawn", consent,
                 before={"version": consent.version})
    return consent


@dataclass(frozen=True)
class ConsentRow:
    login: str
    name: str
    email: str | None
    version: str
    given_at: datetime
    withdrawn_at: datetime | None


def consents(include_withdrawn: bool = False) -> list[ConsentRow]:
    """Every consent for staff, newest first; withdrawn ones only when asked."""
    query = (select(ResidentAccount.login, Person.first_name, Person.last_name, Person.email,
                    NoticeConsent.version, NoticeConsent.given_at, NoticeConsent.withdrawn_at)
             .join(ResidentAccount, ResidentAccount.id == NoticeConsent.account_id)
             .join(Person, Person.id == ResidentAccount.person_id)
             .order_by(NoticeConsent.given_at.desc(), NoticeConsent.id.desc()))
    if not include_withdrawn:
        query = query.where(NoticeConsent.withdrawn_at.is_(None))
    return [ConsentRow(row.login, f"{row.first_name} {row.last_name}", row.email, row.version,
                       row.given_at, row.withdrawn_at) for row in db.session.execute(query)]


# --- what residents see -----------------------------------------------------------------------

def published_notices(unit_ids: Sequence[int]) -> dict[int, list[ChargeNotice]]:
    """unit id -> its published notices, newest period first."""
    by_unit: dict[int, list[ChargeNotice]] = defaultdict(list)
    if not unit_ids:
        return by_unit
    query = (select(ChargeNotice)
             .where(ChargeNotice.unit_id.in_(unit_ids), ChargeNotice.published_at.is_not(None))
             .order_by(ChargeNotice.period.desc(), ChargeNotice.id.desc()))
    for notice in db.session.scalars(query):
        by_unit[notice.unit_id].append(notice)
    return by_unit


def totals(notice_ids: Iterable[int]) -> dict[int, object]:
    ids = list(notice_ids)
    if not ids:
        return {}
    query = (select(ChargeNoticeLine.notice_id, func.sum(ChargeNoticeLine.amount))
             .where(ChargeNoticeLine.notice_id.in_(ids)).group_by(ChargeNoticeLine.notice_id))
    return dict(db.session.execute(query).all())


def resident_notice(notice_id: int, unit_ids: Sequence[int]) -> ChargeNotice:
    """A published notice of one of the resident's units; anything else is NoticeNotFound."""
    notice = db.session.scalar(select(ChargeNotice).where(
        ChargeNotice.id == notice_id, ChargeNotice.unit_id.in_(unit_ids),
        ChargeNotice.published_at.is_not(None)))
    if notice is None:
        raise NoticeNotFound(notice_id)
    return notice


def record_opening(notice: ChargeNotice, account_id: int) -> None:
    """The read receipt: the first opening of the notice, and of this account's copy."""
    now = utcnow()
    if notice.first_opened_at is None:
        notice.first_opened_at = now
    delivery = db.session.scalar(select(NoticeDelivery).where(
        NoticeDelivery.notice_id == notice.id, NoticeDelivery.account_id == account_id))
    if delivery is not None and delivery.opened_at is None:
        delivery.opened_at = now


def notice_pdf(notice: ChargeNotice) -> bytes:
    """The notice's PDF: the one the manager supplied (checked against its SHA-256; a
    missing or altered file is NoticeNotFound, and logged), or one rendered from its lines."""
    if notice.pdf_sha256 is not None:
        try:
            return supplied.stored_pdf(notice)
        except documents.StoredFileBroken:
            raise NoticeNotFound(notice.id) from None
    return render([notice])[0]


def file_name(notice: ChargeNotice) -> str:
    return f"zawiadomienie-{notice.period:%Y-%m}-{notice.id}.pdf"


# --- rendering ----------------------------------------------------------------------------------

def render(notices: Sequence[ChargeNotice]) -> list[bytes]:
    """One PDF per notice (in order), rendered together (see pdf.notices_pdfs)."""
    if not notices:
        return []
    documents = _documents(notices)
    return notices_pdfs(letterhead_from_tenant(current_tenant),
                        [documents[notice.id] for notice in notices], issued_at=utcnow())


def _documents(notices: Sequence[ChargeNotice]) -> dict[int, NoticeDocument]:
    ids = [notice.id for notice in notices]
    unit_ids = {notice.unit_id for notice in notices}
    units = {unit.id: unit for unit in db.session.scalars(
        select(Unit).where(Unit.id.in_(unit_ids)))}
    lines: dict[int, list[NoticeLine]] = defaultdict(list)
    for row in db.session.execute(
            select(ChargeNoticeLine.notice_id, ChargeNoticeLine.title, ChargeNoticeLine.basis,
                   ChargeNoticeLine.amount)
            .where(ChargeNoticeLine.notice_id.in_(ids)).order_by(ChargeNoticeLine.id)):
        lines[row.notice_id].append(NoticeLine(row.title, row.basis, row.amount))
    holders = _holders(unit_ids)
    nip = payment.tenant_nip(current_tenant)
    documents = {}
    for notice in notices:
        unit = units[notice.unit_id]
        number = f"{unit.building_number}/{unit.unit_number}" if unit.unit_number \
            else unit.building_number
        title = f"Opłaty {notice.period:%m/%Y} lokal {number}"
        document = NoticeDocument(
            number=notice.external_id, period=notice.period, due_day=notice.due_day,
            unit_label=unit_label(unit.street, unit.building_number, unit.unit_number,
                                  unit.city),
            holders=holders.get(unit.id, ()), lines=lines[notice.id],
            account=payment.printed_account(unit.bank_account), transfer_title=title,
            qr=None, note=notice.note)
        documents[notice.id] = NoticeDocument(**{**document.__dict__, "qr": (
            payment.transfer_matrix(nip=nip, account=unit.bank_account,
                                    amount=document.total, name=current_tenant.short_name,
                                    title=title))})
    return documents


def _holders(unit_ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
    today = warsaw_today()
    names: dict[int, list[str]] = defaultdict(list)
    query = (select(Title.unit_id, Person.first_name, Person.last_name)
             .join(Person, Person.id == Title.person_id)
             .where(Title.unit_id.in_(list(unit_ids)), Title.current_on(today))
             .order_by(Title.unit_id, Person.last_name, Person.first_name))
    for row in db.session.execute(query):
        name = f"{row.first_name} {row.last_name}"
        if name not in names[row.unit_id]:
            names[row.unit_id].append(name)
    return {unit_id: tuple(found) for unit_id, found in names.items()}


# --- publishing and sending ------------------------------------------------------------------

def periods() -> list[date]:
    return list(db.session.scalars(
        select(ChargeNotice.period).distinct().order_by(ChargeNotice.period.desc())))


def publish(period: date, actor: str) -> list[int]:
    """Publish the period's notices in the portal and stage a delivery for every consenting
    account holding a current title to the unit (once: a second publish adds only what is
    new). Returns the ids of deliveries still to send, for ``send_deliveries``."""
    notices = select(ChargeNotice.id).where(ChargeNotice.period == period)
    if db.session.scalar(select(func.count()).select_from(notices.subquery())) == 0:
        raise NoticesError(_("Brak zawiadomień za ten okres: najpierw zaimportuj dane."))
    now = utcnow()
    db.session.execute(
        ChargeNotice.__table__.update()
        .where(ChargeNotice.tenant_id == current_tenant.id, ChargeNotice.period == period,
               ChargeNotice.published_at.is_(None))
        .values(published_at=now))
    pairs = _consenting_recipients(period)
    if pairs:
        db.session.execute(insert(NoticeDelivery), [
            {"tenant_id": current_tenant.id, "notice_id": notice_id, "account_id": account_id,
             "email": email, "created_at": now} for notice_id, account_id, email in pairs])
    pending = list(db.session.scalars(
        select(NoticeDelivery.id).join(ChargeNotice, ChargeNotice.id == NoticeDelivery.notice_id)
        .where(ChargeNotice.period == period, NoticeDelivery.outbox_message_id.is_(None))
        .order_by(NoticeDelivery.notice_id, NoticeDelivery.id)))
    record_event(actor, "charge_notices.published", ChargeNoticePeriod(period),
                 after={"period": period.isoformat(), "deliveries": len(pairs)})
    return pending


def _consenting_recipients(period: date) -> list[tuple[int, int, str]]:
    """(notice id, account id, e-mail) not yet staged: consent in force, a current title
    to the notice's unit, an e-mail address."""
    today = warsaw_today()
    query = (select(ChargeNotice.id, ResidentAccount.id, Person.email).distinct()
             .join(Title, and_(Title.unit_id == ChargeNotice.unit_id, Title.current_on(today)))
             .join(Person, Person.id == Title.person_id)
             .join(ResidentAccount, ResidentAccount.person_id == Person.id)
             .join(NoticeConsent, and_(NoticeConsent.account_id == ResidentAccount.id,
                                       NoticeConsent.withdrawn_at.is_(None)))
             .where(ChargeNotice.period == period, Person.email.is_not(None),
                    ~exists().where(NoticeDelivery.notice_id == ChargeNotice.id,
                                    NoticeDelivery.account_id == ResidentAccount.id))
             .order_by(ChargeNotice.id, ResidentAccount.id))
    return [tuple(row) for row in db.session.execute(query)]


def send_deliveries(delivery_ids: Sequence[int]) -> int:
    """Render and queue the e-mails of these deliveries; returns how many were queued.

    A delivery already queued (a task run twice, a redelivered message) is skipped, and on
    PostgreSQL one being queued by another worker right now is skipped too (its row is
    locked), so every delivery gets exactly one outbox row."""
    deliveries = list(db.session.scalars(
        select(NoticeDelivery)
        .where(NoticeDelivery.id.in_(list(delivery_ids)),
               NoticeDelivery.outbox_message_id.is_(None))
        .order_by(NoticeDelivery.notice_id, NoticeDelivery.id)
        .with_for_update(skip_locked=True)))
    if not deliveries:
        return 0
    notices = list(db.session.scalars(select(ChargeNotice).where(
        ChargeNotice.id.in_({d.notice_id for d in deliveries})).order_by(ChargeNotice.id)))
    by_id = {notice.id: notice for notice in notices}
    attach = current_tenant.policy.charge_notices.email == ATTACHMENT
    pdfs = _pdfs(notices) if attach else {}
    names = dict(db.session.execute(
        select(ResidentAccount.id, Person.first_name + " " + Person.last_name)
        .join(Person, Person.id == ResidentAccount.person_id)
        .where(ResidentAccount.id.in_({d.account_id for d in deliveries}))).all())
    now = utcnow()
    for delivery in deliveries:
        notice = by_id[delivery.notice_id]
        link = tenant_url("notices.show", notice_id=notice.id)
        # A supplied file gone missing or altered: that e-mail carries the link only.
        attached = attach and notice.id in pdfs
        subject, text = render_notification(
            EMAIL_KIND, to_name=names.get(delivery.account_id), period=notice.period,
            link=link, attached=attached)
        attachments = [Attachment(file_name(notice), "application/pdf", pdfs[notice.id])] \
            if attached else []
        delivery.outbox_message = queue_email(EMAIL_KIND, delivery.email,
                                              names.get(delivery.account_id), subject, text,
                                              attachments)
        delivery.queued_at = now
    return len(deliveries)


def _pdfs(notices: Sequence[ChargeNotice]) -> dict[int, bytes]:
    """notice id -> its PDF: supplied files as stored, the others rendered together; a
    supplied file that is missing or altered is left out (its e-mail gets the link)."""
    rendered = [n for n in notices if n.pdf_sha256 is None]
    pdfs = dict(zip((n.id for n in rendered), render(rendered), strict=True))
    for notice in notices:
        if notice.pdf_sha256 is not None:
            try:
                pdfs[notice.id] = supplied.stored_pdf(notice)
            except documents.StoredFileBroken:
                log.error("supplied PDF of notice %s is missing or altered; sent as a link",
                          notice.id)
    return pdfs


def batches(ids: Sequence[int], size: int = SEND_BATCH) -> list[list[int]]:
    return [list(ids[start:start + size]) for start in range(0, len(ids), size)]


# --- what staff see -----------------------------------------------------------------------------

@dataclass(frozen=True)
class PeriodSummary:
    period: date
    notices: int
    published_at: datetime | None
    deliveries: int
    sent: int
    failed: int
    opened: int
    paper: int
    supplied: int = 0  # notices whose PDF the manager supplied (not rendered)


def summaries() -> list[PeriodSummary]:
    return [summary(period) for period in periods()]


def summary(period: date) -> PeriodSummary:
    counts = db.session.execute(
        select(func.count(ChargeNotice.id), func.min(ChargeNotice.published_at),
               func.count(ChargeNotice.first_opened_at), func.count(ChargeNotice.pdf_sha256))
        .where(ChargeNotice.period == period)).one()
    states = dict(db.session.execute(
        select(OutboxMessage.state, func.count())
        .join(NoticeDelivery, NoticeDelivery.outbox_message_id == OutboxMessage.id)
        .join(ChargeNotice, ChargeNotice.id == NoticeDelivery.notice_id)
        .where(ChargeNotice.period == period).group_by(OutboxMessage.state)).all())
    deliveries = db.session.scalar(
        select(func.count(NoticeDelivery.id))
        .join(ChargeNotice, ChargeNotice.id == NoticeDelivery.notice_id)
        .where(ChargeNotice.period == period))
    return PeriodSummary(period, counts[0], counts[1], deliveries, states.get(SENT, 0),
                         states.get(FAILED, 0), counts[2], len(paper_units(period)),
                         counts[3])


@dataclass(frozen=True)
class DeliveryRow:
    notice_id: int
    unit: str
    email: str | None
    state: str | None        # the outbox state; None: not queued yet
    sent_at: datetime | None
    opened_at: datetime | None


def deliveries(period: date) -> list[DeliveryRow]:
    query = (select(ChargeNotice.id, Unit.street, Unit.building_number, Unit.unit_number,
                    Unit.city, NoticeDelivery.email, OutboxMessage.state,
                    OutboxMessage.sent_at, NoticeDelivery.opened_at)
             .join(NoticeDelivery, NoticeDelivery.notice_id == ChargeNotice.id)
             .join(Unit, Unit.id == ChargeNotice.unit_id)
             .outerjoin(OutboxMessage, OutboxMessage.id == NoticeDelivery.outbox_message_id)
             .where(ChargeNotice.period == period)
             .order_by(Unit.street, Unit.building_number, Unit.unit_number, NoticeDelivery.id))
    return [DeliveryRow(row.id, unit_label(row.street, row.building_number, row.unit_number,
                                           row.city), row.email, row.state, row.sent_at,
                        row.opened_at) for row in db.session.execute(query)]


def paper_units(period: date) -> list[str]:
    """Units whose notice for the period must still go on paper: nobody consented (with an
    e-mail), or every e-mail to them failed."""
    delivered = (select(NoticeDelivery.id)
                 .outerjoin(OutboxMessage, OutboxMessage.id == NoticeDelivery.outbox_message_id)
                 .where(NoticeDelivery.notice_id == ChargeNotice.id,
                        (OutboxMessage.state.is_(None)) | (OutboxMessage.state != FAILED)))
    query = (select(Unit.street, Unit.building_number, Unit.unit_number, Unit.city)
             .join(ChargeNotice, ChargeNotice.unit_id == Unit.id)
             .where(ChargeNotice.period == period, ~exists(delivered))
             .order_by(Unit.street, Unit.building_number, Unit.unit_number))
    return [unit_label(*row) for row in db.session.execute(query)]
