"""Announcements: staff write them (Markdown rendered to safe HTML), residents read those
meant for them, and opted-in residents get each one by e-mail exactly once.

Visibility: published (``publish_at`` ≤ now) and either for the whole tenant (no targets) or
targeting the association of one of the resident's current units.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, or_, select, update
from sqlalchemy.orm import selectinload

from iok_saas.extensions import db
from iok_saas.markup import markdown_to_html
from iok_saas.modules.accounts.models import ACTIVE, MUST_CHANGE, ResidentAccount
from iok_saas.modules.audit.services import record_event
from iok_saas.modules.housing.held import HeldUnit
from iok_saas.modules.housing.models import Association, Person, Title, Unit
from iok_saas.modules.notifications.services import notify
from iok_saas.tenancy import tenant_url
from iok_saas.timeutil import WARSAW, as_utc, utcnow, warsaw_today

from .models import Announcement, AnnouncementTarget

TITLE_MAX = 200
BODY_MAX = 20_000


class AnnouncementError(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def is_published(announcement: Announcement, now: datetime | None = None) -> bool:
    return as_utc(announcement.publish_at) <= (now or utcnow())


# --- staff -----------------------------------------------------------------------------------

def all_announcements() -> list[Announcement]:
    query = (select(Announcement).options(selectinload(Announcement.targets)
                                          .selectinload(AnnouncementTarget.association))
             .order_by(Announcement.publish_at.desc(), Announcement.id.desc()))
    return list(db.session.scalars(query))


def get(announcement_id: int) -> Announcement | None:
    """An announcement of the current tenant (another tenant's id finds nothing)."""
    return db.session.get(Announcement, announcement_id)


def associations() -> list[Association]:
    return list(db.session.scalars(select(Association).order_by(Association.name,
                                                                Association.id)))


def _snapshot(announcement: Announcement) -> dict:
    return {"title": announcement.title, "publish_at": as_utc(announcement.publish_at).isoformat(),
            "email_residents": announcement.email_residents,
            "associations": sorted(t.association_id for t in announcement.targets)}


def save(announcement: Announcement | None, *, title: str, body: str,
         association_ids: list[int], publish_at: datetime, email_residents: bool,
         actor: str) -> Announcement:
    """Create (``announcement`` None) or edit one; commits, then hands a due e-mail to the
    sender at once. ``publish_at`` is aware (the form's Warsaw time)."""
    title, body = (title or "").strip(), (body or "").strip()
    if not title or len(title) > TITLE_MAX:
        raise AnnouncementError(_l("Podaj tytuł (najwyżej %(max)s znaków).", max=TITLE_MAX))
    if not body or len(body) > BODY_MAX:
        raise AnnouncementError(_l("Podaj treść (najwyżej %(max)s znaków).", max=BODY_MAX))
    if publish_at.tzinfo is None:
        raise ValueError("publish_at must be timezone-aware")
    wanted = set(association_ids or ())
    found = {a.id for a in associations() if a.id in wanted}
    if found != wanted:
        raise AnnouncementError(_l("Wybrano budynek, którego nie ma na liście."))

    before = _snapshot(announcement) if announcement is not None else None
    if announcement is None:
        announcement = Announcement(created_by=actor, created_at=utcnow())
        db.session.add(announcement)
    announcement.title = title
    announcement.body_markdown = body
    announcement.body_html = str(markdown_to_html(body))
    announcement.publish_at = publish_at.astimezone(WARSAW)
    announcement.email_residents = bool(email_residents)
    current = {t.association_id: t for t in announcement.targets}
    for association_id, target in current.items():
        if association_id not in found:
            announcement.targets.remove(target)
    for association_id in sorted(found - set(current)):
        announcement.targets.append(AnnouncementTarget(association_id=association_id))
    db.session.flush()
    record_event(actor, "announcement.updated" if before else "announcement.created",
                 announcement, before=before, after=_snapshot(announcement))
    return announcement


def due_for_email(announcement: Announcement) -> bool:
    """Published, meant for e-mail and not sent yet: the worker can send it right away."""
    return bool(announcement.email_residents and announcement.emailed_at is None
                and is_published(announcement))


def delete(announcement: Announcement, actor: str) -> None:
    record_event(actor, "announcement.deleted", announcement, before=_snapshot(announcement))
    db.session.delete(announcement)


# --- residents -------------------------------------------------------------------------------

def _visible_query(units: list[HeldUnit], now: datetime):
    association_ids = {unit.association_id for unit in units}
    untargeted = ~exists().where(AnnouncementTarget.announcement_id == Announcement.id)
    condition = untargeted
    if association_ids:
        targeted = select(AnnouncementTarget.announcement_id).where(
            AnnouncementTarget.association_id.in_(association_ids))
        condition = or_(untargeted, Announcement.id.in_(targeted))
    return select(Announcement).where(Announcement.publish_at <= now, condition)


def visible_to(units: list[HeldUnit]) -> list[Announcement]:
    """Published announcements for this resident's buildings or everyone, newest first."""
    query = _visible_query(units, utcnow()).order_by(Announcement.publish_at.desc(),
                                                     Announcement.id.desc())
    return list(db.session.scalars(query))


def visible_one(units: list[HeldUnit], announcement_id: int) -> Announcement | None:
    query = _visible_query(units, utcnow()).where(Announcement.id == announcement_id)
    return db.session.scalars(query).first()


def set_email_opt_in(account: ResidentAccount, wanted: bool) -> None:
    if account.email_announcements == wanted:
        return
    account.email_announcements = wanted
    record_event(f"resident:{account.login}", "announcements.email_opt_in", account,
                 before={"email_announcements": not wanted},
                 after={"email_announcements": wanted})


# --- e-mail ----------------------------------------------------------------------------------

def audience(announcement: Announcement) -> list[tuple[ResidentAccount, Person]]:
    """Opted-in residents with an e-mail address and a current title in the audience."""
    today = warsaw_today()
    holders = (select(Title.person_id).join(Unit, Unit.id == Title.unit_id)
               .where(Title.current_on(today)))
    targets = [target.association_id for target in announcement.targets]
    if targets:
        holders = holders.where(Unit.association_id.in_(targets))
    query = (select(ResidentAccount, Person)
             .join(Person, Person.id == ResidentAccount.person_id)
             .where(ResidentAccount.email_announcements.is_(True),
                    ResidentAccount.state.in_((ACTIVE, MUST_CHANGE)),
                    Person.email.is_not(None), Person.email != "",
                    ResidentAccount.person_id.in_(holders))
             .order_by(ResidentAccount.id))
    return [(row[0], row[1]) for row in db.session.execute(query)]


def send_due_emails() -> int:
    """In the current tenant: for each published announcement meant for e-mail and not yet
    sent, claim it (``emailed_at``) and queue one message per recipient (the task commits).

    The claim is a conditional UPDATE, so two runs at once (or one run twice) never send an
    announcement twice. Returns the number of messages queued."""
    now = utcnow()
    due = db.session.scalars(
        select(Announcement.id)
        .where(Announcement.email_residents.is_(True), Announcement.emailed_at.is_(None),
               Announcement.publish_at <= now)
        .order_by(Announcement.publish_at, Announcement.id)).all()
    queued = 0
    for announcement_id in due:
        claimed = db.session.execute(
            update(Announcement)
            .where(Announcement.id == announcement_id, Announcement.emailed_at.is_(None))
            .values(emailed_at=now),
            execution_options={"synchronize_session": False}).rowcount
        if claimed != 1:
            continue  # another run claimed it
        announcement = db.session.get(Announcement, announcement_id)
        link = tenant_url("announcements.show", announcement_id=announcement.id)
        settings = tenant_url("announcements.index")
        messages = 0
        for _account, person in audience(announcement):
            if notify("announcement_published", to_email=person.email,
                      to_name=person.full_name, title=announcement.title,
                      body=announcement.body_markdown, link=link,
                      settings_link=settings) is not None:
                messages += 1
        record_event("task:announcements", "announcement.emailed", announcement,
                     after={"messages": messages})
        queued += messages
    return queued
