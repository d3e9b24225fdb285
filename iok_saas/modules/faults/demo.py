"""Demo fault reports (fictional): one new with a photo, one in progress, one resolved."""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta

from PIL import Image, ImageDraw
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.accounts.models import ACTIVE, ResidentAccount
from iok_saas.modules.housing.models import Person, Title
from iok_saas.tenancy import current_tenant
from iok_saas.timeutil import WARSAW

from .models import IN_PROGRESS, NEW, RESOLVED, FaultEvent, FaultPhoto, FaultReport


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=WARSAW)


def _demo_photo() -> bytes:
    """A small drawing of a dripping tap (made here, so no image file is shipped)."""
    image = Image.new("RGB", (320, 240), (228, 236, 242))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 180, 320, 240), fill=(190, 190, 200))
    draw.rectangle((110, 60, 230, 80), fill=(120, 120, 130))
    draw.rectangle((200, 80, 220, 120), fill=(120, 120, 130))
    for y in (135, 160, 185):
        draw.ellipse((203, y, 217, y + 16), fill=(60, 130, 220))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _demo_residents() -> list[tuple[ResidentAccount, int]]:
    """(account, unit id) of demo residents who can sign in now, in the demo's order."""
    rows = db.session.execute(
        select(ResidentAccount, Title.unit_id)
        .join(Person, Person.id == ResidentAccount.person_id)
        .join(Title, Title.person_id == Person.id)
        .where(Person.external_id.like("DEMO-%"), ResidentAccount.state == ACTIVE,
               ResidentAccount.locked_until.is_(None))
        .order_by(Person.external_id)).all()
    return [(row[0], row[1]) for row in rows]


def _report(account, unit_id, category, place, description, created, history,
            photo: bytes | None = None) -> None:
    status = history[-1][0] if history else NEW
    updated = history[-1][1] if history else created
    report = FaultReport(unit_id=unit_id, account_id=account.id, category=category,
                         place=place, description=description, status=status,
                         created_at=created, updated_at=updated)
    db.session.add(report)
    db.session.flush()
    db.session.add(FaultEvent(fault_id=report.id, status=NEW, comment=None,
                              author=f"resident:{account.login}", created_at=created))
    for event_status, moment, comment in history:
        db.session.add(FaultEvent(fault_id=report.id, status=event_status, comment=comment,
                                  author="staff:admin", created_at=moment))
    if photo is not None:
        db.session.add(FaultPhoto(fault_id=report.id, content_type="image/png", data=photo))


def seed_demo(today: date) -> None:
    if not current_tenant.policy.shows("faults"):
        return
    residents = _demo_residents()
    if not residents:
        return
    first, last = residents[0], residents[-1]

    _report(*first, "plumbing", "flat",
            "Z kranu w kuchni cały czas kapie woda, także po mocnym zakręceniu. "
            "Pod zlewem zbiera się woda.",
            _at(today - timedelta(days=1), 18, 20), [], photo=_demo_photo())
    day = today - timedelta(days=5)
    _report(*last, "lift", "building",
            "Winda zatrzymuje się między piętrami i drzwi nie otwierają się od razu. "
            "Problem powtarza się od kilku dni.",
            _at(day, 8, 5),
            [(IN_PROGRESS, _at(day, 11, 30),
              "Zgłosiliśmy usterkę serwisowi dźwigów. Technik przyjedzie w ciągu dwóch dni "
              "roboczych."),
             (IN_PROGRESS, _at(day + timedelta(days=2), 14, 0),
              "Technik wymienił czujnik drzwi; czekamy jeszcze na część do sterownika.")])
    day = today - timedelta(days=14)
    _report(*first, "common_areas", "staircase",
            "Na klatce schodowej na drugim piętrze nie świeci lampa.",
            _at(day, 19, 40),
            [(IN_PROGRESS, _at(day + timedelta(days=1), 9, 0),
              "Przekazano konserwatorowi."),
             (RESOLVED, _at(day + timedelta(days=2), 12, 15),
              "Wymieniono oprawę oświetleniową i żarówkę na LED.")])
