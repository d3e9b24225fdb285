"""Notices the manager's system supplies as ready PDFs, one per unit, instead of notice data.

A period's PDFs arrive as one ZIP archive whose files are named by the unit's external id
(``U-1.pdf`` is the notice of unit ``U-1``), from the back office, ``flask notices
load-pdfs`` or the API (``POST /api/v1/notices/pdfs?period=YYYY-MM``). Everything is
checked before anything is written: the period, the archive, every file (a real PDF by its
content, within the document library's size limit, unencrypted), the unit it names (one of
this cooperative's), no unit twice, and no clash with a notice the period already has
(imported as data, or published with another PDF). One bad entry and nothing is written;
every bad entry is reported with its file name.

The files are kept under ``IOK_VAR_DIR/notices/<tenant id>/`` named by their SHA-256 (the
notice row keeps the hash), and every read checks the bytes against it. Such a notice is
published, listed, e-mailed and opened like a rendered one; only its PDF comes from here.

Services stage changes; the boundary (view, CLI command, API request) commits once.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.audit.services import record_event
from iok_saas.modules.documents import services as documents
from iok_saas.modules.housing.models import Unit
from iok_saas.tenancy import current_tenant

from .models import ChargeNotice, ChargeNoticePeriod

MAX_FILES = 5000
# The PDFs of one archive are held in memory while it is checked whole: a bound on their
# total unpacked size (as the archive declares it; zipfile never returns more than that).
MAX_TOTAL_BYTES = 512 * 1024 * 1024
DEFAULT_DUE_DAY = 10  # not printed by the platform: the supplied PDF states the due day
PERIOD_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
IGNORED_PREFIX = "__MACOSX/"  # the resource forks macOS adds to an archive it makes

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Problem:
    entry: str      # the file in the archive, or what else is wrong ("okres", "archiwum")
    message: str

    def __str__(self) -> str:
        return f"{self.entry}: {self.message}"


class BundleRejected(Exception):
    """The archive was refused; ``problems`` lists every bad entry (nothing was written)."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Loaded:
    period: date
    created: int
    replaced: int
    unchanged: int

    @property
    def files(self) -> int:
        return self.created + self.replaced + self.unchanged


def parse_period(text: str | None) -> date | None:
    text = (text or "").strip()
    return date.fromisoformat(f"{text}-01") if PERIOD_RE.match(text) else None


def _folder(tenant_id: int) -> Path:
    return Path(current_app.config["IOK_VAR_DIR"]) / "notices" / str(tenant_id)


def _store(data: bytes, sha256: str) -> None:
    folder = _folder(current_tenant.id)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{sha256}.pdf"
    if target.exists() and hashlib.sha256(target.read_bytes()).hexdigest() == sha256:
        return                         # an intact copy; a damaged one is written again
    temporary = folder / f".{sha256}.{os.getpid()}.part"
    temporary.write_bytes(data)
    os.replace(temporary, target)


def stored_pdf(notice: ChargeNotice) -> bytes:
    """The supplied PDF of a notice, checked against its recorded SHA-256."""
    return documents.checked_bytes(_folder(notice.tenant_id) / f"{notice.pdf_sha256}.pdf",
                                   notice.pdf_sha256, f"supplied PDF of notice {notice.id}")


@dataclass(frozen=True)
class _Entry:
    name: str
    unit_key: str
    pdf: documents.PdfFile


def _read_archive(archive: bytes | IO[bytes], problems: list[Problem]) -> list[_Entry]:
    source = io.BytesIO(archive) if isinstance(archive, bytes | bytearray) else archive
    try:
        bundle = zipfile.ZipFile(source)
        infos = [info for info in bundle.infolist()
                 if not info.is_dir() and not info.filename.startswith(IGNORED_PREFIX)]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        problems.append(Problem(_("archiwum"), _(
            "To nie jest archiwum ZIP. Prześlij plik .zip z plikami PDF nazwanymi numerem "
            "lokalu, np. U-1.pdf.")))
        return []
    if not infos:
        problems.append(Problem(_("archiwum"), _("Archiwum nie zawiera żadnego pliku PDF.")))
        return []
    if len(infos) > MAX_FILES:
        problems.append(Problem(_("archiwum"), _(
            "Archiwum zawiera za dużo plików: najwyżej %(max)s.", max=MAX_FILES)))
        return []
    if sum(info.file_size for info in infos) > MAX_TOTAL_BYTES:
        problems.append(Problem(_("archiwum"), _(
            "Pliki w archiwum mają razem ponad %(mb)s MB po rozpakowaniu. Podziel je na kilka "
            "archiwów (np. według budynków) i prześlij każde osobno.",
            mb=MAX_TOTAL_BYTES // (1024 * 1024))))
        return []
    entries: list[_Entry] = []
    seen: dict[str, str] = {}
    for info in infos:
        name = info.filename
        stem, dot, extension = name.rpartition(".")
        if "/" in name or "\\" in name or not dot or extension.lower() != "pdf" \
                or not stem.strip() or len(stem) > 64:
            problems.append(Problem(name, _(
                "Nazwa pliku musi być numerem lokalu z systemu księgowego i kończyć się na "
                ".pdf (np. U-1.pdf), bez podkatalogów.")))
            continue
        if stem in seen:
            problems.append(Problem(name, _(
                "Drugi plik dla lokalu %(unit)s (pierwszy: %(first)s).", unit=stem,
                first=seen[stem])))
            continue
        seen[stem] = name
        if info.flag_bits & 0x1:
            problems.append(Problem(name, _("Plik w archiwum jest zaszyfrowany.")))
            continue
        try:
            with bundle.open(info) as stream:
                pdf = documents.read_pdf(stream, name)
        except documents.DocumentError as exc:
            problems.append(Problem(name, str(exc.message)))
            continue
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
            problems.append(Problem(name, _("Nie udało się rozpakować pliku z archiwum.")))
            continue
        entries.append(_Entry(name, stem, pdf))
    return entries


def load_bundle(period_text: str | None, archive: bytes | IO[bytes], actor: str) -> Loaded:
    """Check the archive whole, then store its PDFs as the period's notices (staged).

    A unit whose notice for the period is already a supplied, unpublished PDF gets the new
    file (a corrected archive); the same file again changes nothing."""
    problems: list[Problem] = []
    period = parse_period(period_text)
    if period is None:
        problems.append(Problem(_("okres"), _("Podaj okres w postaci RRRR-MM, np. 2027-01.")))
    entries = _read_archive(archive, problems)
    keys = [entry.unit_key for entry in entries]
    units = dict(db.session.execute(
        select(Unit.external_id, Unit.id).where(Unit.external_id.in_(keys))).all()) \
        if keys else {}
    existing: dict[int, ChargeNotice] = {}
    if period is not None and units:
        existing = {notice.unit_id: notice for notice in db.session.scalars(
            select(ChargeNotice).where(ChargeNotice.period == period,
                                       ChargeNotice.unit_id.in_(units.values())))}
    for entry in entries:
        unit_id = units.get(entry.unit_key)
        if unit_id is None:
            problems.append(Problem(entry.name, _(
                "Nie ma lokalu o numerze %(unit)s w tej spółdzielni.", unit=entry.unit_key)))
            continue
        notice = existing.get(unit_id)
        if notice is None:
            continue
        if notice.pdf_sha256 is None:
            problems.append(Problem(entry.name, _(
                "Lokal %(unit)s ma już za ten okres zawiadomienie z zaimportowanych danych.",
                unit=entry.unit_key)))
        elif notice.published_at is not None and notice.pdf_sha256 != entry.pdf.sha256:
            problems.append(Problem(entry.name, _(
                "Zawiadomienie lokalu %(unit)s za ten okres jest już opublikowane; nie można "
                "go podmienić.", unit=entry.unit_key)))
    if problems:
        raise BundleRejected(problems)
    created = replaced = unchanged = 0
    for entry in entries:
        unit_id = units[entry.unit_key]
        notice = existing.get(unit_id)
        _store(entry.pdf.data, entry.pdf.sha256)
        if notice is None:
            db.session.add(ChargeNotice(
                external_id=f"pdf:{period:%Y-%m}:{unit_id}", unit_id=unit_id, period=period,
                due_day=DEFAULT_DUE_DAY, pdf_sha256=entry.pdf.sha256))
            created += 1
        elif notice.pdf_sha256 == entry.pdf.sha256:
            unchanged += 1
        else:
            notice.pdf_sha256 = entry.pdf.sha256
            replaced += 1
    db.session.flush()
    loaded = Loaded(period, created, replaced, unchanged)
    record_event(actor, "charge_notices.pdfs_loaded", ChargeNoticePeriod(period), after={
        "period": f"{period:%Y-%m}", "created": created, "replaced": replaced,
        "unchanged": unchanged})
    return loaded
