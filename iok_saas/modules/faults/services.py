"""Fault reports: filing (with an optional checked photo), the resident's view, the staff desk.

Each business action commits once at its end; a status change or a staff comment adds a
``FaultEvent``, an audit row and the resident's notification in that same transaction.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from iok_saas.extensions import db
from iok_saas.modules.accounts.models import ResidentAccount
from iok_saas.modules.audit.services import record_event
from iok_saas.modules.housing.held import HeldUnit
from iok_saas.modules.housing.models import Unit
from iok_saas.modules.notifications.services import notify
from iok_saas.tenancy import current_tenant, tenant_url
from iok_saas.timeutil import utcnow

from .models import (
    IN_PROGRESS,
    NEW,
    PLACES,
    RESOLVED,
    STATUSES,
    FaultEvent,
    FaultPhoto,
    FaultReport,
)

CATEGORIES = {
    "plumbing": _l("Hydraulika (woda, kanalizacja)"),
    "electrical": _l("Elektryka"),
    "heating": _l("Ogrzewanie"),
    "lift": _l("Winda"),
    "doors_windows": _l("Drzwi i okna"),
    "roof_facade": _l("Dach i elewacja"),
    "common_areas": _l("Części wspólne"),
    "other": _l("Inne"),
}
PLACE_LABELS = {
    "flat": _l("W mieszkaniu"),
    "staircase": _l("Na klatce schodowej"),
    "building": _l("W budynku lub na zewnątrz"),
}
STATUS_LABELS = {
    NEW: _l("Nowe"),
    IN_PROGRESS: _l("W realizacji"),
    RESOLVED: _l("Załatwione"),
}
assert set(PLACE_LABELS) == set(PLACES) and set(STATUS_LABELS) == set(STATUSES)

# Where a report may go from each status (forward only; comments are always possible).
NEXT_STATUSES = {NEW: (IN_PROGRESS, RESOLVED), IN_PROGRESS: (RESOLVED,), RESOLVED: ()}

DESCRIPTION_MIN = 10
DESCRIPTION_MAX = 2000
COMMENT_MAX = 2000
PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_MAX_PIXELS = 40_000_000
# Content type by Pillow's format name; the file's first bytes must agree.
PHOTO_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
PHOTO_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


class FaultError(Exception):
    """A refused action; ``message`` is shown to the user as it is."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class Photo:
    content_type: str
    data: bytes


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


# --- photo checks -------------------------------------------------------------------------

def _format_by_signature(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    return None


def read_photo(stream) -> Photo | None:
    """The uploaded photo checked by its content, not its name: JPEG, PNG or WebP whose first
    bytes match, which Pillow decodes, at most 5 MB. None when no file was sent."""
    data = stream.read(PHOTO_MAX_BYTES + 1)
    if not data:
        return None
    if len(data) > PHOTO_MAX_BYTES:
        raise FaultError(_l("Zdjęcie jest za duże: plik może mieć najwyżej 5 MB."))
    signature = _format_by_signature(data[:16])
    if signature is None:
        raise FaultError(_l("Ten plik nie jest zdjęciem w formacie JPEG, PNG ani WebP."))
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != signature:
                raise FaultError(_l("Ten plik nie jest zdjęciem w formacie JPEG, PNG ani WebP."))
            if image.width * image.height > PHOTO_MAX_PIXELS:
                raise FaultError(_l("Zdjęcie ma zbyt dużą rozdzielczość."))
            image.load()  # decode the pixels: a truncated or forged file fails here
            clean = _without_metadata(image, signature)
    except FaultError:
        raise
    except Image.DecompressionBombError:
        raise FaultError(_l("Zdjęcie ma zbyt dużą rozdzielczość.")) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise FaultError(_l("Nie udało się odczytać zdjęcia; plik jest uszkodzony lub nie "
                            "jest obrazem.")) from None
    return Photo(PHOTO_FORMATS[signature], clean)


def _without_metadata(image: Image.Image, image_format: str) -> bytes:
    """The picture re-encoded from its pixels alone: EXIF (a phone's GPS position, its
    owner's name) and anything else riding in the file are dropped; the orientation the
    EXIF asked for is applied first so the photo still stands upright."""
    upright = ImageOps.exif_transpose(image)
    if image_format == "JPEG" and upright.mode not in ("RGB", "L"):
        upright = upright.convert("RGB")
    out = io.BytesIO()
    options = {"quality": 90} if image_format in ("JPEG", "WEBP") else {}
    upright.save(out, format=image_format, **options)
    return out.getvalue()


# --- residents -----------------------------------------------------------------------------

def file_report(account: ResidentAccount, unit: HeldUnit, category: str, place: str,
                description: str, photo: Photo | None) -> FaultReport:
    """A new report for one of the resident's units (the caller checked the unit is theirs)."""
    if category not in CATEGORIES or place not in PLACES:
        raise FaultError(_l("Wybierz rodzaj usterki i miejsce z listy."))
    description = (description or "").strip()
    if not DESCRIPTION_MIN <= len(description) <= DESCRIPTION_MAX:
        raise FaultError(_l("Opis musi mieć od %(min)s do %(max)s znaków.",
                            min=DESCRIPTION_MIN, max=DESCRIPTION_MAX))
    now = utcnow()
    report = FaultReport(unit_id=unit.id, account_id=account.id, category=category,
                         place=place, description=description, status=NEW,
                         created_at=now, updated_at=now)
    db.session.add(report)
    db.session.flush()
    db.session.add(FaultEvent(fault_id=report.id, status=NEW, comment=None,
                              author=f"resident:{account.login}", created_at=now))
    if photo is not None:
        db.session.add(FaultPhoto(fault_id=report.id, content_type=photo.content_type,
                                  data=photo.data))
    record_event(f"resident:{account.login}", "fault.reported", report,
                 after={"unit_id": unit.id, "category": category, "place": place,
                        "photo": photo is not None})
    return report


def _resident_query(account: ResidentAccount, unit_ids: set[int]):
    return (select(FaultReport)
            .where(FaultReport.account_id == account.id, FaultReport.unit_id.in_(unit_ids)))


def resident_reports(account: ResidentAccount, units: list[HeldUnit]) -> list[FaultReport]:
    """The reports this resident filed for units they still hold, newest first."""
    unit_ids = {unit.id for unit in units}
    if not unit_ids:
        return []
    return list(db.session.scalars(_resident_query(account, unit_ids)
                                   .order_by(FaultReport.created_at.desc(),
                                             FaultReport.id.desc())))


def resident_report(account: ResidentAccount, units: list[HeldUnit], fault_id: int
                    ) -> FaultReport | None:
    """One of the resident's own reports, or None (someone else's, another tenant's…)."""
    unit_ids = {unit.id for unit in units}
    if not unit_ids:
        return None
    return db.session.scalars(_resident_query(account, unit_ids)
                              .where(FaultReport.id == fault_id)
                              .options(selectinload(FaultReport.events))).first()


# --- staff desk ----------------------------------------------------------------------------

def handling_department() -> str | None:
    return current_tenant.policy.handled_by.fault_reports


def staff_reports(status: str | None) -> list[FaultReport]:
    query = select(FaultReport).order_by(FaultReport.created_at.desc(), FaultReport.id.desc())
    if status in STATUSES:
        query = query.where(FaultReport.status == status)
    return list(db.session.scalars(query.limit(500)))


def status_counts() -> dict[str, int]:
    from sqlalchemy import func

    rows = db.session.execute(select(FaultReport.status, func.count())
                              .group_by(FaultReport.status)).all()
    return {status: count for status, count in rows}


def get_report(fault_id: int) -> FaultReport | None:
    """A report of the current tenant (the scoping hides every other tenant's rows)."""
    return db.session.get(FaultReport, fault_id)


def units_by_id(reports: list[FaultReport]) -> dict[int, Unit]:
    ids = {report.unit_id for report in reports}
    if not ids:
        return {}
    return {unit.id: unit for unit in db.session.scalars(select(Unit).where(Unit.id.in_(ids)))}


def reporter(report: FaultReport) -> ResidentAccount | None:
    return db.session.get(ResidentAccount, report.account_id)


def update_report(report: FaultReport, actor: str, new_status: str | None,
                  comment: str | None) -> FaultEvent:
    """A status change and/or a comment from staff: history, audit and the resident's
    notification, in one transaction."""
    comment = (comment or "").strip() or None
    new_status = new_status or None
    if new_status == report.status:
        new_status = None
    if new_status is not None and new_status not in NEXT_STATUSES[report.status]:
        raise FaultError(_l("Zgłoszenia w tym stanie nie można przenieść do wybranego stanu."))
    if new_status is None and comment is None:
        raise FaultError(_l("Wybierz nowy stan albo wpisz komentarz."))
    if new_status == RESOLVED and comment is None:
        raise FaultError(_l("Przy zamknięciu zgłoszenia napisz komentarz: co zostało "
                            "zrobione."))
    if comment is not None and len(comment) > COMMENT_MAX:
        raise FaultError(_l("Komentarz może mieć najwyżej %(max)s znaków.", max=COMMENT_MAX))
    before = report.status
    now = utcnow()
    if new_status is not None:
        report.status = new_status
    report.updated_at = now
    event = FaultEvent(fault_id=report.id, status=report.status, comment=comment,
                       author=actor, created_at=now)
    db.session.add(event)
    record_event(actor, "fault.status_changed" if new_status else "fault.commented", report,
                 before={"status": before},
                 after={"status": report.status, "comment": comment})
    account = reporter(report)
    if account is not None and account.person is not None:
        person = account.person
        notify("fault_status_changed", to_email=person.email, to_name=person.full_name,
               phone=person.phone, number=report.id,
               category=str(CATEGORIES.get(report.category, report.category)),
               status=status_label(report.status), status_changed=new_status is not None,
               comment=comment,
               link=tenant_url("faults.show", fault_id=report.id))
    return event
