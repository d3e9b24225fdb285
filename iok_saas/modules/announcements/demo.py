"""Demo announcements (fictional): two published, one for a single building, one scheduled."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.markup import markdown_to_html
from iok_saas.modules.housing.models import Association
from iok_saas.tenancy import current_tenant
from iok_saas.timeutil import WARSAW

from .models import Announcement, AnnouncementTarget

AUTHOR = "staff:admin"


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=WARSAW)


def _add(title: str, body: str, publish_at: datetime, created: datetime,
         associations: list[Association] = (), email: bool = False) -> None:
    announcement = Announcement(title=title, body_markdown=body,
                                body_html=str(markdown_to_html(body)), publish_at=publish_at,
                                email_residents=email, emailed_at=None, created_by=AUTHOR,
                                created_at=created)
    announcement.targets = [AnnouncementTarget(association_id=a.id) for a in associations]
    db.session.add(announcement)


def seed_demo(today: date) -> None:
    if not current_tenant.policy.shows("announcements"):
        return
    demo_associations = list(db.session.scalars(
        select(Association).where(Association.external_id.like("DEMO-%"))
        .order_by(Association.external_id)))
    building = demo_associations[-1] if demo_associations else None

    _add("Przegląd instalacji gazowej",
         "Szanowni Państwo,\n\n"
         "w dniach **od 10 do 14 dnia bieżącego miesiąca** firma serwisowa przeprowadzi "
         "coroczny przegląd instalacji gazowej w lokalach.\n\n"
         "- przegląd trwa około 15 minut,\n"
         "- prosimy o zapewnienie dostępu do kuchenki i piecyka,\n"
         "- kartkę z godziną wizyty znajdą Państwo na klatce schodowej.\n\n"
         "Osoby nieobecne prosimy o kontakt z biurem w celu ustalenia innego terminu.",
         _at(today - timedelta(days=6), 9), _at(today - timedelta(days=7), 14))
    _add("Zmiana godzin pracy biura",
         "Od przyszłego miesiąca biuro przyjmuje interesantów:\n\n"
         "| dzień | godziny |\n|---|---|\n| poniedziałek | 9:00–17:00 |\n"
         "| wtorek–czwartek | 7:30–15:30 |\n| piątek | 7:30–13:00 |\n\n"
         "Sprawy pilne prosimy zgłaszać telefonicznie.",
         _at(today - timedelta(days=2), 8), _at(today - timedelta(days=2), 7))
    if building is not None:
        _add("Malowanie klatki schodowej",
             f"Informujemy, że w budynku **{building.street}** rozpoczyna się malowanie "
             "klatki schodowej. Prace potrwają około dwóch tygodni.\n\n"
             "Prosimy nie zostawiać rowerów ani wózków na półpiętrach.",
             _at(today - timedelta(days=1), 10), _at(today - timedelta(days=1), 9),
             associations=[building])
    _add("Przerwa w dostawie ciepłej wody",
         "Z powodu wymiany wymiennika ciepła w węźle cieplnym ciepła woda nie będzie "
         "dostarczana przez jeden dzień (od 7:00 do 19:00).\n\n"
         "Przepraszamy za utrudnienia.",
         _at(today + timedelta(days=7), 8), _at(today, 8), email=True)
