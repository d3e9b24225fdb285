"""Demo documents (fictional): a public statute, regulations in two versions for all
residents, a resolution for members or for the owners of one building, and a scheduled one."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.housing.models import Association
from iok_saas.modules.letters.document import PdfSection, document_pdf
from iok_saas.modules.letters.letterhead import letterhead_from_tenant
from iok_saas.tenancy import current_tenant
from iok_saas.timeutil import WARSAW

from . import services
from .models import MEMBERS, OWNERS, PUBLIC, RESIDENTS

AUTHOR = "staff:admin"


def demo_pdf(title: str, paragraphs: tuple[str, ...], issued: datetime) -> services.PdfFile:
    data = document_pdf(letterhead_from_tenant(current_tenant), title,
                        [PdfSection("Treść", paragraphs=paragraphs)], issued_at=issued)
    return services.PdfFile(f"{title[:60]}.pdf", data)


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=WARSAW)


def _details(category: str, title: str, number: str | None, adopted: date | None,
             audience: str, published: datetime, association_id: int | None = None,
             valid_until: date | None = None) -> services.Details:
    return services.Details(category, title, number, adopted, valid_until, audience,
                            association_id, published, False)


def seed_demo(today: date) -> None:
    if not current_tenant.policy.shows("documents"):
        return
    keys = [key for key, _ in services.categories()]
    first, second, third = keys[0], keys[1 % len(keys)], keys[2 % len(keys)]
    building = db.session.scalars(
        select(Association).where(Association.external_id.like("DEMO-%"))
        .order_by(Association.external_id.desc())).first()
    year = today.year

    issued = _at(today - timedelta(days=60), 9)
    services.create(_details(first, "Statut (tekst jednolity)", None, date(year - 1, 6, 20),
                             PUBLIC, issued),
                    demo_pdf("Statut (tekst jednolity)",
                             ("§ 1. Dokument przykładowy w danych demonstracyjnych.",
                              "§ 2. Postanowienia są fikcyjne."), issued), AUTHOR)

    issued = _at(today - timedelta(days=40), 10)
    rules = services.create(
        _details(second, "Regulamin porządku domowego", "R/3/" + str(year - 1),
                 date(year - 1, 3, 14), RESIDENTS, issued),
        demo_pdf("Regulamin porządku domowego", ("Wersja pierwsza (fikcyjna).",), issued),
        AUTHOR)
    revised = _at(today - timedelta(days=3), 11)
    services.add_version(rules, demo_pdf("Regulamin porządku domowego",
                                         ("Wersja druga: cisza nocna od 22:00 (fikcyjna).",),
                                         revised),
                         "Zmiana godzin ciszy nocnej", AUTHOR)
    rules.versions[0].uploaded_at = revised

    issued = _at(today - timedelta(days=2), 8)
    if current_tenant.policy.voting.electorate == "members" or building is None:
        services.create(_details(third, "Uchwała w sprawie planu remontów", f"7/{year}",
                                 today - timedelta(days=5), MEMBERS, issued),
                        demo_pdf("Uchwała w sprawie planu remontów",
                                 ("Plan remontów na bieżący rok (fikcyjny).",), issued), AUTHOR)
    else:
        services.create(_details(third, f"Uchwała w sprawie remontu dachu — {building.name}",
                                 f"4/{year}", today - timedelta(days=5), OWNERS, issued,
                                 association_id=building.id),
                        demo_pdf("Uchwała w sprawie remontu dachu",
                                 ("Remont dachu budynku (fikcyjny).",), issued), AUTHOR)

    planned = _at(today + timedelta(days=10), 9)
    services.create(_details(first, "Sprawozdanie finansowe za rok " + str(year - 1),
                             None, None, RESIDENTS, planned),
                    demo_pdf("Sprawozdanie finansowe", ("Sprawozdanie (fikcyjne).",),
                             _at(today, 8)), AUTHOR)
