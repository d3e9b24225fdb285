"""The document library: staff publish PDF documents with versions; residents (and, for
public documents, anyone) read what their titles entitle them to.

Who sees a document (its ``audience``):
- ``public``: anyone, on the tenant's public pages too;
- ``residents``: anyone holding a current title to a unit;
- ``members``: holders of a current ``member`` title (cooperative members);
- ``owners``: holders of a current ``owner`` title to a unit of the document's association.
A document is visible once its ``published_at`` has passed. Files are kept under
``IOK_VAR_DIR/documents/<tenant id>/`` named by their SHA-256, so a file's name cannot be
chosen by whoever uploads it and the bytes served are the bytes checked.

This is the library's public interface for other features (voting attaches documents):
``attachable()``, ``get()`` and ``file_path(version)``.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import selectinload

from iok_saas.extensions import db
from iok_saas.modules.accounts.models import ACTIVE, MUST_CHANGE, ResidentAccount
from iok_saas.modules.audit.services import record_event
from iok_saas.modules.housing.models import Association, Person, Title, Unit
from iok_saas.modules.notifications.services import queue_email
from iok_saas.tenancy import current_tenant, tenant_url
from iok_saas.timeutil import as_utc, utcnow, warsaw_today

from .models import (
    AUDIENCES,
    MEMBERS,
    OWNERS,
    PUBLIC,
    RESIDENTS,
    Document,
    DocumentVersion,
    DocumentVisit,
)

TITLE_MAX = 300
NUMBER_MAX = 60
NOTE_MAX = 300
FILENAME_MAX = 200
SEARCH_MAX = 100
AUDIENCE_LABELS = {
    PUBLIC: _l("wszyscy (strona publiczna)"),
    RESIDENTS: _l("wszyscy mieszkańcy"),
    MEMBERS: _l("członkowie spółdzielni"),
    OWNERS: _l("właściciele lokali w jednej wspólnocie / budynku"),
}
PDF_SIGNATURE = b"%PDF-"

log = logging.getLogger(__name__)


class DocumentError(Exception):
    """A refused action; ``message`` is shown to the user as it is."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class Reader:
    """What a reader's titles entitle them to, for the visibility query."""

    resident: bool = False
    member: bool = False
    owner_of: frozenset[int] = frozenset()  # association ids


PUBLIC_READER = Reader()


@dataclass(frozen=True)
class PdfFile:
    filename: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def categories() -> tuple[tuple[str, str], ...]:
    return current_tenant.policy.documents.categories


def category_name(key: str) -> str:
    return current_tenant.policy.documents.category_names.get(key, key)


def max_bytes() -> int:
    return current_tenant.policy.documents.max_size_mb * 1024 * 1024


# --- the uploaded file ---------------------------------------------------------------------

def read_pdf(stream, filename: str | None) -> PdfFile:
    """The upload checked by its content: starts with the PDF signature, within the
    policy's size limit, and pypdf reads its pages (a renamed or damaged file fails)."""
    limit = max_bytes()
    data = stream.read(limit + 1) if stream is not None else b""
    if not data:
        raise DocumentError(_l("Wybierz plik PDF."))
    if len(data) > limit:
        raise DocumentError(_l("Plik jest za duży: najwyżej %(mb)s MB.",
                               mb=current_tenant.policy.documents.max_size_mb))
    if not data.startswith(PDF_SIGNATURE):
        raise DocumentError(_l("To nie jest plik PDF."))
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise DocumentError(_l("Plik PDF jest zaszyfrowany; prześlij wersję bez hasła."))
        if len(reader.pages) < 1:
            raise DocumentError(_l("Plik PDF nie ma żadnej strony."))
    except DocumentError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, RecursionError):
        raise DocumentError(_l("Nie udało się odczytać pliku PDF; plik jest uszkodzony.")) \
            from None
    return PdfFile(_safe_filename(filename), data)


def _safe_filename(filename: str | None) -> str:
    """The name offered on download: the uploaded name's last part, printable, ``.pdf``."""
    name = os.path.basename((filename or "").replace("\\", "/")).strip()
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>|:*?')
    if not name.lower().endswith(".pdf"):
        name = f"{name or 'dokument'}.pdf"
    return name[-FILENAME_MAX:]


def _folder(tenant_id: int) -> Path:
    return Path(current_app.config["IOK_VAR_DIR"]) / "documents" / str(tenant_id)


def file_path(version: DocumentVersion) -> Path:
    return _folder(version.tenant_id) / f"{version.sha256}.pdf"


class StoredFileBroken(LookupError):
    """A stored file is missing or its bytes no longer match the SHA-256 recorded for it."""


def checked_bytes(path: Path, sha256: str, what: str) -> bytes:
    """The file at ``path`` if its bytes still hash to ``sha256`` (``what`` names it in the
    log); StoredFileBroken otherwise. Notices and ballot scans read their files this way."""
    try:
        data = path.read_bytes()
    except OSError:
        log.error("%s missing (%s)", what, path)
        raise StoredFileBroken(what) from None
    if hashlib.sha256(data).hexdigest() != sha256:
        log.error("%s altered (%s)", what, path)
        raise StoredFileBroken(what)
    return data


def _store(pdf: PdfFile) -> None:
    """Write the file (atomically; the same content is stored once)."""
    folder = _folder(current_tenant.id)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{pdf.sha256}.pdf"
    if target.exists():
        return
    temporary = folder / f".{pdf.sha256}.{os.getpid()}.part"
    temporary.write_bytes(pdf.data)
    os.replace(temporary, target)


# --- staff ---------------------------------------------------------------------------------

def associations() -> list[Association]:
    return list(db.session.scalars(select(Association).order_by(Association.name,
                                                                Association.id)))


def get(document_id: int) -> Document | None:
    """A document of the current tenant (another tenant's id finds nothing)."""
    return db.session.get(Document, document_id)


def _search(query, text: str | None):
    text = (text or "").strip()[:SEARCH_MAX]
    if not text:
        return query
    conditions = []
    for word in text.split():
        pattern = f"%{word.casefold()}%"
        conditions.append(or_(func.lower(Document.title).like(pattern),
                              func.lower(func.coalesce(Document.number, "")).like(pattern)))
    return query.where(and_(*conditions))


def all_documents(text: str | None = None) -> list[Document]:
    query = (select(Document).options(selectinload(Document.versions))
             .order_by(Document.published_at.desc(), Document.id.desc()))
    return list(db.session.scalars(_search(query, text)))


def attachable() -> list[Document]:
    """Published documents with a file, for other features to attach (voting)."""
    return [d for d in all_documents() if d.current is not None
            and as_utc(d.published_at) <= utcnow()]


def _snapshot(document: Document) -> dict:
    return {"title": document.title, "number": document.number,
            "category": document.category, "audience": document.audience,
            "association_id": document.association_id,
            "adopted_on": document.adopted_on.isoformat() if document.adopted_on else None,
            "valid_until": document.valid_until.isoformat() if document.valid_until else None,
            "published_at": as_utc(document.published_at).isoformat(),
            "versions": [v.number for v in document.versions]}


@dataclass(frozen=True)
class Details:
    category: str
    title: str
    number: str | None
    adopted_on: date | None
    valid_until: date | None
    audience: str
    association_id: int | None
    published_at: datetime
    email_audience: bool


def _checked(details: Details) -> Details:
    title = (details.title or "").strip()
    number = (details.number or "").strip() or None
    if not title or len(title) > TITLE_MAX:
        raise DocumentError(_l("Podaj tytuł (najwyżej %(max)s znaków).", max=TITLE_MAX))
    if number is not None and len(number) > NUMBER_MAX:
        raise DocumentError(_l("Numer może mieć najwyżej %(max)s znaków.", max=NUMBER_MAX))
    if details.category not in dict(categories()):
        raise DocumentError(_l("Wybierz kategorię z listy."))
    if details.audience not in AUDIENCES:
        raise DocumentError(_l("Wybierz, kto może czytać dokument."))
    association_id = details.association_id if details.audience == OWNERS else None
    if details.audience == OWNERS and (association_id is None
                                       or db.session.get(Association, association_id) is None):
        raise DocumentError(_l("Wybierz wspólnotę lub budynek, którego właściciele mogą "
                               "czytać dokument."))
    if details.adopted_on and details.valid_until and details.valid_until < details.adopted_on:
        raise DocumentError(_l("Data „obowiązuje do” nie może być wcześniejsza niż data "
                               "przyjęcia."))
    if details.published_at.tzinfo is None:
        raise ValueError("published_at must be timezone-aware")
    return Details(details.category, title, number, details.adopted_on, details.valid_until,
                   details.audience, association_id, details.published_at,
                   bool(details.email_audience))


def _apply(document: Document, details: Details) -> None:
    for name in ("category", "title", "number", "adopted_on", "valid_until", "audience",
                 "association_id", "email_audience"):
        setattr(document, name, getattr(details, name))
    document.published_at = details.published_at


def _add_version(document: Document, pdf: PdfFile, note: str | None, actor: str) -> \
        DocumentVersion:
    note = (note or "").strip() or None
    if note is not None and len(note) > NOTE_MAX:
        raise DocumentError(_l("Opis zmiany może mieć najwyżej %(max)s znaków.", max=NOTE_MAX))
    number = max((v.number for v in document.versions), default=0) + 1
    version = DocumentVersion(number=number, filename=pdf.filename, size=len(pdf.data),
                              sha256=pdf.sha256, note=note, uploaded_by=actor,
                              uploaded_at=utcnow())
    document.versions.insert(0, version)
    return version


def create(details: Details, pdf: PdfFile, actor: str) -> Document:
    """A new document with its first version; staged (the view commits, then stores…)."""
    details = _checked(details)
    document = Document(created_by=actor, created_at=utcnow())
    _apply(document, details)
    _add_version(document, pdf, None, actor)
    db.session.add(document)
    db.session.flush()
    record_event(actor, "document.created", document, after=_snapshot(document))
    _store(pdf)
    return document


def update_details(document: Document, details: Details, actor: str) -> Document:
    details = _checked(details)
    before = _snapshot(document)
    _apply(document, details)
    db.session.flush()
    record_event(actor, "document.updated", document, before=before, after=_snapshot(document))
    return document


def add_version(document: Document, pdf: PdfFile, note: str | None, actor: str) -> \
        DocumentVersion:
    """A new version supersedes the current one; the older stays listed and readable."""
    version = _add_version(document, pdf, note, actor)
    db.session.flush()
    record_event(actor, "document.version_added", document,
                 after={"version": version.number, "sha256": version.sha256,
                        "note": version.note})
    _store(pdf)
    return version


def version_of(document: Document, version_id: int) -> DocumentVersion | None:
    return next((v for v in document.versions if v.id == version_id), None)


def is_published(document: Document, now: datetime | None = None) -> bool:
    return as_utc(document.published_at) <= (now or utcnow())


def is_valid(document: Document, today: date | None = None) -> bool:
    return document.valid_until is None or document.valid_until >= (today or warsaw_today())


# --- readers -------------------------------------------------------------------------------

def reader_for(person_id: int, today: date | None = None) -> Reader:
    """What the person's current titles entitle them to."""
    today = today or warsaw_today()
    rows = db.session.execute(
        select(Title.kind, Unit.association_id).join(Unit, Unit.id == Title.unit_id)
        .where(Title.person_id == person_id, Title.current_on(today))).all()
    return Reader(resident=bool(rows), member=any(kind == "member" for kind, _ in rows),
                  owner_of=frozenset(a for kind, a in rows if kind == "owner"))


def _visible_query(reader: Reader, now: datetime):
    allowed = [Document.audience == PUBLIC]
    if reader.resident:
        allowed.append(Document.audience == RESIDENTS)
    if reader.member:
        allowed.append(Document.audience == MEMBERS)
    if reader.owner_of:
        allowed.append(and_(Document.audience == OWNERS,
                            Document.association_id.in_(sorted(reader.owner_of))))
    has_file = exists().where(DocumentVersion.document_id == Document.id)
    return select(Document).where(Document.published_at <= now, has_file, or_(*allowed))


def visible_to(reader: Reader, text: str | None = None) -> list[Document]:
    query = (_visible_query(reader, utcnow()).options(selectinload(Document.versions))
             .order_by(Document.published_at.desc(), Document.id.desc()))
    return list(db.session.scalars(_search(query, text)))


def visible_one(reader: Reader, document_id: int) -> Document | None:
    query = _visible_query(reader, utcnow()).where(Document.id == document_id)
    return db.session.scalars(query).first()


def last_visit(account_id: int) -> datetime | None:
    seen = db.session.scalar(select(DocumentVisit.seen_at)
                             .where(DocumentVisit.account_id == account_id))
    return as_utc(seen) if seen is not None else None


def note_visit(account_id: int) -> None:
    """Remember now as the resident's last visit (staged; the view commits)."""
    visit = db.session.scalars(select(DocumentVisit)
                               .where(DocumentVisit.account_id == account_id)).first()
    if visit is None:
        db.session.add(DocumentVisit(account_id=account_id, seen_at=utcnow()))
    else:
        visit.seen_at = utcnow()


def is_new(document: Document, since: datetime | None) -> bool:
    """Published, or given a new version, after the resident's previous visit."""
    if since is None:
        return False
    changed = max([as_utc(document.published_at)]
                  + [as_utc(v.uploaded_at) for v in document.versions])
    return changed > since


# --- e-mail notice -------------------------------------------------------------------------

def audience_people(document: Document) -> list[Person]:
    """Residents with an active account, an e-mail address and a current title that lets
    them read the document (the public audience: every resident)."""
    today = warsaw_today()
    holders = (select(Title.person_id).join(Unit, Unit.id == Title.unit_id)
               .where(Title.current_on(today)))
    if document.audience == MEMBERS:
        holders = holders.where(Title.kind == "member")
    elif document.audience == OWNERS:
        holders = holders.where(Title.kind == "owner",
                                Unit.association_id == document.association_id)
    query = (select(Person).join(ResidentAccount, ResidentAccount.person_id == Person.id)
             .where(ResidentAccount.state.in_((ACTIVE, MUST_CHANGE)),
                    Person.email.is_not(None), Person.email != "", Person.id.in_(holders))
             .order_by(Person.id))
    return list(db.session.scalars(query))


def send_due_notices() -> int:
    """Queue one e-mail per reader for each published document marked for a notice and
    not yet sent. The claim (a conditional UPDATE of ``emailed_at``) makes a second run, or
    two at once, send nothing twice. Commits per document (a task's boundary)."""
    now = utcnow()
    due = db.session.scalars(
        select(Document.id).where(Document.email_audience.is_(True),
                                  Document.emailed_at.is_(None), Document.published_at <= now)
        .order_by(Document.published_at, Document.id)).all()
    queued = 0
    for document_id in due:
        claimed = db.session.execute(
            update(Document).where(Document.id == document_id, Document.emailed_at.is_(None))
            .values(emailed_at=now), execution_options={"synchronize_session": False}).rowcount
        if claimed != 1:
            db.session.rollback()
            continue
        document = db.session.get(Document, document_id)
        link = tenant_url("documents.show", document_id=document.id)
        messages = 0
        for person in audience_people(document):
            with force_locale(current_tenant.locale):
                rendered = render_template(
                    "documents/email/published.txt", to_name=person.full_name,
                    document=document, category=category_name(document.category), link=link)
            subject, _, body = rendered.strip().partition("\n")
            queue_email("document_published", person.email, person.full_name,
                        f"[{current_tenant.short_name}] {subject.strip()}", body.strip() + "\n")
            messages += 1
        record_event("task:documents", "document.emailed", document,
                     after={"messages": messages})
        queued += messages
    return queued
