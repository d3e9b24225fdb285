"""Tenant offboarding (GDPR art. 28(3)(g)): export a tenant's whole data set, delete the
tenant after a grace period, and restore an export into a fresh tenant.

The archive is one zip file, written to disk entry by entry (never held in memory):

- ``manifest.json``: format and version, the tenant, when it was made, and for every other
  entry its path, row count, size, SHA-256 and the import dataset or table it holds;
- ``tenant/<slug>.yaml`` and ``tenant/policy.yaml``: the tenant's manifest (the shape of
  ``tenants/<slug>.yaml``) and its policy text;
- ``datasets/<name>.csv``: every import dataset in the import format (``docs/import-format.md``),
  rows that carry an external id, references by external id;
- ``tables/<table>.jsonl``: every tenant table, every column, one JSON object a line
  (Decimal as a string, datetimes ISO 8601 in UTC with the offset, bytes as base64);
- ``files/<kind>/...``: uploaded files (document versions, ballot scans, kept import uploads).

A restore reads ``tables/`` (the complete copy: the import format leaves out columns such
as a reading's source or a fault's photo) in foreign-key order, gives every row a new id and
remaps the foreign keys; nothing is written unless every checksum matches.

Services stage and never commit; the CLI command or the request commits once.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import os
import shutil
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path, PurePosixPath

import yaml
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, DateTime, LargeBinary, Numeric, Table, Time, delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.types import TypeDecorator

from iok_saas.extensions import db
from iok_saas.modules.audit.models import PlatformAuditEvent
from iok_saas.modules.audit.services import Actor, record_platform_event
from iok_saas.modules.imports.formats import DATASETS, ORDER
from iok_saas.modules.imports.schemas import Period
from iok_saas.modules.notifications.models import FAILED, PENDING, SENDING
from iok_saas.modules.operator import problems as console_texts
from iok_saas.modules.tenants import services as tenants
from iok_saas.modules.tenants.manifest import ManifestError, load_manifest_text
from iok_saas.modules.tenants.models import Tenant
from iok_saas.tenancy import ACTIVE, SUSPENDED, tenant_scope, tenant_table_names
from iok_saas.timeutil import as_utc, utcnow
from iok_saas.transactions import after_commit

ARCHIVE_FORMAT = "iok-tenant-export"
ARCHIVE_VERSION = 1
MANIFEST = "manifest.json"
# Folders under IOK_VAR_DIR holding a tenant's uploaded files as <kind>/<tenant id>/...
FILE_KINDS = ("documents", "voting", "imports", "notices")
# Sign-in state that means nothing to a new tenant (sessions, failed-login counters).
NOT_RESTORED = frozenset({"user_session", "login_attempt"})
DEFAULT_GRACE_DAYS = 30
# References without a foreign key, remapped on restore like the others: a user's rows keyed
# by (user_kind, user_id), and an audit event's (subject_type, subject_id).
USER_TABLES = {"resident": "resident_account", "staff": "staff_member"}
_BATCH = 1000
_CHUNK = 1 << 16


class OffboardingError(ValueError):
    """A request that cannot be carried out; ``messages`` say why (Polish, for people), and
    ``precise`` the same in the CLI's precise English where a lower layer gave it."""

    def __init__(self, messages: list, precise: list[str] | None = None):
        super().__init__("\n".join(str(m) for m in messages))
        self.messages = [str(m) for m in messages]
        self.precise = list(precise) if precise else self.messages


# --- the tenant tables ----------------------------------------------------------------------

def tenant_tables() -> list[Table]:
    """Every tenant table, parents before children (the metadata's foreign-key order)."""
    names = set(tenant_table_names())
    return [t for t in db.metadata.sorted_tables if t.name in names]


def _model_of(table: Table) -> type:
    for mapper in db.Model.registry.mappers:
        if mapper.local_table is table and mapper.inherits is None:
            return mapper.class_
    raise LookupError(f"no model maps table {table.name}")


def _columns(model: type) -> list[tuple[str, str]]:
    """(column name, attribute key) of every mapped column of ``model``."""
    mapper = db.inspect(model)
    return [(prop.columns[0].name, prop.key) for prop in mapper.column_attrs
            if prop.columns[0].table is mapper.local_table]


def _kind(column) -> type | None:
    kind = column.type.impl if isinstance(column.type, TypeDecorator) else column.type
    for base in (LargeBinary, DateTime, Date, Time, Numeric):
        if isinstance(kind, base):
            return base
    return None


def _encode(value):
    """A column value as JSON (see the module docstring)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _decode(value, kind: type | None):
    if value is None or kind is None:
        return value
    if kind is LargeBinary:
        return base64.b64decode(value, validate=True)
    if kind is DateTime:
        return as_utc(datetime.fromisoformat(value))
    if kind is Date:
        return date.fromisoformat(value)
    if kind is Time:
        return time.fromisoformat(value)
    return Decimal(str(value))


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date | datetime | time):
        return value.isoformat()
    return str(value)


# --- the archive ----------------------------------------------------------------------------

@dataclass
class Entry:
    path: str
    sha256: str
    bytes: int
    rows: int | None = None
    dataset: str | None = None
    table: str | None = None

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class ExportReport:
    path: Path
    slug: str
    entries: list[Entry] = field(default_factory=list)

    @property
    def rows(self) -> dict[str, int]:
        return {e.table: e.rows for e in self.entries if e.table}


def _write_entry(archive: zipfile.ZipFile, path: str, chunks: Iterable[bytes]) -> Entry:
    digest, size = hashlib.sha256(), 0
    with archive.open(path, "w", force_zip64=True) as out:
        for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return Entry(path=path, sha256=digest.hexdigest(), bytes=size)


def _counted(lines: Iterator[str], counter: list[int]) -> Iterator[bytes]:
    for line in lines:
        counter[0] += 1
        yield line.encode("utf-8")


def _pages(model: type, query) -> Iterator:
    """The rows of ``query`` (its first column the model's id) a batch at a time, by key.

    Not ``yield_per``: a server-side cursor would declare the statement that sets the
    row-level-security tenant (tenancy.rls) instead of running it, and see no rows."""
    last = None
    while True:
        page = query if last is None else query.where(model.id > last)
        rows = db.session.execute(page.order_by(model.id).limit(_BATCH)).all()
        yield from rows
        if len(rows) < _BATCH:
            return
        last = rows[-1][0]


def _table_lines(model: type) -> Iterator[str]:
    columns = _columns(model)
    columns.sort(key=lambda pair: pair[0] != "id")  # the id first, for the paging
    attributes = [getattr(model, key) for _name, key in columns]
    for row in _pages(model, select(*attributes)):
        record = {name: _encode(value) for (name, _key), value in zip(columns, row, strict=True)}
        yield json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n"


def _dataset_lines(name: str) -> Iterator[str]:
    """The rows of an import dataset in the import format's CSV (header first)."""
    spec = DATASETS[name]
    model = spec.model
    externals = {
        ref: dict(db.session.execute(select(DATASETS[ref].model.id,
                                            DATASETS[ref].model.external_id)).all())
        for ref in set(spec.references.values())}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")

    def line(values) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(values)
        return buffer.getvalue()

    yield line(spec.fields)
    months = {name for name, f in spec.schema._declared_fields.items() if isinstance(f, Period)}
    attributes = [model.id, *(getattr(model, spec.column(f)) for f in spec.fields)]
    for row in _pages(model, select(*attributes).where(model.external_id.is_not(None))):
        values = []
        for field_name, value in zip(spec.fields, row[1:], strict=True):
            if field_name in spec.references and value is not None:
                value = externals[spec.references[field_name]].get(value)
            elif field_name in months and value is not None:
                value = f"{value:%Y-%m}"
            values.append(_csv_value(value))
        yield line(values)


def _file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as source:
        while chunk := source.read(_CHUNK):
            yield chunk


def _var_folder(kind: str, tenant_id: int) -> Path:
    return Path(current_app.config["IOK_VAR_DIR"]) / kind / str(tenant_id)


def tenant_manifest(tenant: Tenant) -> dict:
    """The tenant as a manifest (the shape of tenants/<slug>.yaml)."""
    return {"slug": tenant.slug, "short_name": tenant.short_name,
            "legal_name": tenant.legal_name, "kind": tenant.kind,
            "hosts": sorted(tenant.custom_hosts), "policy": tenant.policy_name,
            "locale": tenant.locale, **(tenant.profile or {})}


def _snapshot(tenant: Tenant):
    return tenants.snapshot_of(tenant, tenant.custom_hosts)


def export_tenant(slug: str, target: Path, actor: Actor) -> ExportReport:
    """Write the tenant's whole data set to the zip file ``target``; audited."""
    tenant = _tenant(slug)
    report = ExportReport(path=target, slug=slug)
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive, \
            tenant_scope(_snapshot(tenant)):
        entries = report.entries
        manifest_text = yaml.safe_dump(tenant_manifest(tenant), allow_unicode=True,
                                       sort_keys=False)
        entries.append(_write_entry(archive, f"tenant/{tenant.slug}.yaml",
                                    [manifest_text.encode("utf-8")]))
        entries.append(_write_entry(archive, "tenant/policy.yaml",
                                    [tenant.policy_source.encode("utf-8")]))
        for name in ORDER:
            counter = [0]
            entry = _write_entry(archive, f"datasets/{name}.csv",
                                 _counted(_dataset_lines(name), counter))
            entry.rows, entry.dataset = counter[0] - 1, name
            entries.append(entry)
        datasets_of = {spec.model.__table__.name: name for name, spec in DATASETS.items()}
        for table in tenant_tables():
            counter = [0]
            entry = _write_entry(archive, f"tables/{table.name}.jsonl",
                                 _counted(_table_lines(_model_of(table)), counter))
            entry.rows, entry.table = counter[0], table.name
            entry.dataset = datasets_of.get(table.name)
            entries.append(entry)
        for kind in FILE_KINDS:
            folder = _var_folder(kind, tenant.id)
            for path in sorted(folder.rglob("*")) if folder.is_dir() else ():
                if path.is_file() and not path.name.startswith("."):
                    relative = path.relative_to(folder).as_posix()
                    entries.append(_write_entry(archive, f"files/{kind}/{relative}",
                                                _file_chunks(path)))
        manifest = {
            "format": ARCHIVE_FORMAT, "version": ARCHIVE_VERSION,
            "created_at": utcnow().isoformat(),
            "tenant": {"id": tenant.id, "slug": tenant.slug, "short_name": tenant.short_name,
                       "legal_name": tenant.legal_name},
            "files": [e.as_dict() for e in entries],
        }
        archive.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
    record_platform_event(actor, "tenant.export", tenant_id=tenant.id, after={
        "slug": tenant.slug, "archive": target.name, "rows": report.rows,
        "files": sum(1 for e in report.entries if e.path.startswith("files/"))})
    return report


# --- verifying and restoring ----------------------------------------------------------------

def _read_manifest(archive: zipfile.ZipFile) -> dict:
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except (KeyError, ValueError):
        raise OffboardingError(
            [_l("Archiwum nie zawiera poprawnego pliku manifest.json.")]) from None
    if not isinstance(manifest, dict) or manifest.get("format") != ARCHIVE_FORMAT or \
            not isinstance(manifest.get("files"), list):
        raise OffboardingError([_l("To nie jest archiwum eksportu danych IOK.")])
    if manifest.get("version") != ARCHIVE_VERSION:
        raise OffboardingError([_l("Nieobsługiwana wersja archiwum: %(version)s.",
                                   version=manifest.get("version"))])
    return manifest


def verify_archive(archive: zipfile.ZipFile) -> dict:
    """The manifest, once every entry it lists matches its SHA-256 and size and the archive
    holds nothing it does not list; else OffboardingError naming each problem."""
    manifest = _read_manifest(archive)
    problems = []
    listed = {}
    for item in manifest["files"]:
        path = item.get("path") if isinstance(item, dict) else None
        if not isinstance(path, str) or _unsafe(path):
            problems.append(_l("Niedozwolona ścieżka w manifeście: %(path)s.", path=path))
            continue
        listed[path] = item
    present = {info.filename for info in archive.infolist() if not info.is_dir()}
    for path in sorted(present - set(listed) - {MANIFEST}):
        problems.append(_l("Plik spoza manifestu: %(path)s.", path=path))
    for path, item in listed.items():
        if path not in present:
            problems.append(_l("Brak pliku %(path)s.", path=path))
            continue
        digest, size, declared = hashlib.sha256(), 0, item.get("bytes")
        with archive.open(path) as source:
            while chunk := source.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
                if not isinstance(declared, int) or size > declared:
                    break  # longer than the manifest says (a bomb would never end)
        if digest.hexdigest() != item.get("sha256") or size != item.get("bytes"):
            problems.append(_l("Suma kontrolna pliku %(path)s nie zgadza się.", path=path))
    if problems:
        raise OffboardingError(problems)
    return manifest


def _unsafe(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return path.startswith("/") or "\\" in path or ".." in parts or not parts


@dataclass
class RestoreReport:
    tenant: Tenant
    rows: dict[str, int] = field(default_factory=dict)
    files: int = 0


def restore_tenant(archive_path: Path, slug: str, actor: Actor) -> RestoreReport:
    """A new tenant ``slug`` holding the archive's data, with new ids; nothing is written
    unless the archive verifies and the tenant can be created (the caller rolls back on
    OffboardingError)."""
    try:
        return _restore(archive_path, slug, actor)
    except IntegrityError:
        # Values unique across the platform (passkeys, e-mail delivery keys) still belong
        # to the tenant the archive came from.
        raise OffboardingError([_l(
            "Tych danych nie da się przywrócić obok spółdzielni, z której pochodzą: część z "
            "nich (np. klucze dostępu, identyfikatory wiadomości) wciąż jest w serwisie. "
            "Przywróć je po usunięciu tamtej spółdzielni.")]) from None
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, TypeError, KeyError,
            InvalidOperation) as exc:
        if isinstance(exc, OffboardingError):
            raise
        raise OffboardingError([_l("Archiwum jest uszkodzone i nie da się go odczytać.")]) \
            from None


def _restore(archive_path: Path, slug: str, actor: Actor) -> RestoreReport:
    try:
        archive = zipfile.ZipFile(archive_path)
    except (OSError, zipfile.BadZipFile):
        raise OffboardingError([_l("Plik nie jest archiwum ZIP.")]) from None
    with archive:
        manifest = verify_archive(archive)
        by_path = {item["path"]: item for item in manifest["files"]}
        tenant = _create_from_archive(archive, by_path, slug, actor)
        report = RestoreReport(tenant=tenant)
        with tenant_scope(tenants.snapshot_of(tenant, [])):
            ids: dict[str, dict[int, int]] = {}
            # Rows that refer to others without a foreign key come after every other table.
            ordered = sorted(tenant_tables(), key=lambda t: _soft_column(t) is not None)
            for table in ordered:
                path = f"tables/{table.name}.jsonl"
                if table.name in NOT_RESTORED or path not in by_path:
                    continue
                report.rows[table.name] = _restore_table(archive, path, table, tenant.id, ids)
        files = [p for p in by_path if p.startswith("files/")]
        for path in files:
            kind, _, relative = path.removeprefix("files/").partition("/")
            if kind not in FILE_KINDS or not relative:
                continue
            target = _var_folder(kind, tenant.id) / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(path) as source, target.open("wb") as out:
                shutil.copyfileobj(source, out, _CHUNK)
            report.files += 1
    record_platform_event(actor, "tenant.restore", tenant_id=tenant.id, after={
        "slug": slug, "from": manifest["tenant"].get("slug"),
        "archive_created_at": manifest.get("created_at"), "rows": report.rows,
        "files": report.files})
    return report


def _create_from_archive(archive: zipfile.ZipFile, by_path: dict, slug: str,
                         actor: Actor) -> Tenant:
    manifests = [p for p in by_path if p.startswith("tenant/") and p != "tenant/policy.yaml"]
    if len(manifests) != 1 or "tenant/policy.yaml" not in by_path:
        raise OffboardingError([_l("Archiwum nie zawiera manifestu ani polityki spółdzielni.")])
    data = yaml.safe_load(archive.read(manifests[0]).decode("utf-8"))
    if not isinstance(data, dict):
        raise OffboardingError([_l("Manifest spółdzielni w archiwum jest nieczytelny.")])
    # The new tenant answers on <slug>.<base domain>; custom hosts are given back by hand.
    data.update(slug=slug, hosts=[])
    try:
        parsed = load_manifest_text(yaml.safe_dump(data, allow_unicode=True),
                                    f"{archive.filename}:{manifests[0]}")
        return tenants.create_tenant(parsed, archive.read("tenant/policy.yaml").decode("utf-8"),
                                     actor)
    except ManifestError as exc:
        raise OffboardingError(
            [f"{'.'.join(str(k) for k in path) or 'manifest'}: "
             f"{console_texts.manifest_message(message)}" for path, message in exc.problems],
            precise=exc.messages) from None
    except tenants.TenantChangeError as exc:
        raise OffboardingError([console_texts.tenant_problem(p).text for p in exc.problems],
                               precise=exc.messages) from None


def _soft_column(table: Table) -> tuple[str, str] | None:
    """(kind column, id column) of a reference without a foreign key, if the table has one."""
    if "user_kind" in table.c and "user_id" in table.c:
        return "user_kind", "user_id"
    if "subject_type" in table.c and "subject_id" in table.c:
        return "subject_type", "subject_id"
    return None


def _soft_target(kind_column: str, kind: str | None) -> str | None:
    if kind_column == "user_kind":
        return USER_TABLES.get(kind)
    for mapper in db.Model.registry.mappers:
        if mapper.class_.__name__ == kind and mapper.local_table is not None:
            return mapper.local_table.name
    return None


def _restore_table(archive: zipfile.ZipFile, path: str, table: Table, tenant_id: int,
                   ids: dict[str, dict[int, int]]) -> int:
    model = _model_of(table)
    columns = _columns(model)
    kinds = {name: _kind(table.c[name]) for name, _key in columns}
    references = {fk.parent.name: fk.column.table.name for fk in table.foreign_keys}
    soft = _soft_column(table)
    soft_targets: dict[str | None, str | None] = {}
    keyed = [c.name for c in table.primary_key.columns] == ["id"]
    mapped = ids.setdefault(table.name, {})
    count = 0
    batch: list[dict] = []
    old_ids: list[int] = []

    def flush() -> None:
        if not batch:
            return
        if keyed:
            new = db.session.scalars(
                insert(model).returning(model.id, sort_by_parameter_order=True), batch).all()
            mapped.update(zip(old_ids, new, strict=True))
        else:
            db.session.execute(insert(model), batch)
        batch.clear()
        old_ids.clear()

    with archive.open(path) as source:
        for raw in io.TextIOWrapper(source, encoding="utf-8"):
            record = json.loads(raw)
            row = {}
            for name, key in columns:
                value = _decode(record.get(name), kinds[name])
                target = references.get(name)
                if name == "tenant_id":
                    value = tenant_id
                elif target is not None and value is not None and target in ids:
                    if value not in ids[target]:
                        raise OffboardingError([_l(
                            "Wiersz tabeli %(table)s wskazuje nieistniejący wiersz tabeli "
                            "%(target)s.", table=table.name, target=target)])
                    value = ids[target][value]
                row[key] = value
            if soft is not None:
                kind_column, id_column = soft
                kind = record.get(kind_column)
                if kind not in soft_targets:
                    soft_targets[kind] = _soft_target(kind_column, kind)
                target = soft_targets[kind]
                old = record.get(id_column)
                if target in ids and old in ids[target]:
                    row[dict(columns)[id_column]] = ids[target][old]
            if table.name == "outbox_message":
                _never_resend(row)
            if keyed:
                old_ids.append(row.pop("id"))
            batch.append(row)
            count += 1
            if len(batch) >= _BATCH:
                flush()
    flush()
    return count


def _never_resend(message: dict) -> None:
    """An e-mail still unsent in the archive is restored as failed, not sent: the original
    service may have sent it after the export, and its links (a password reset, say) are
    stale by the time a tenant is restored. Staff see it among the failed e-mails."""
    if message.get("state") in (PENDING, SENDING):
        message.update(state=FAILED, lease_until=None,
                       last_error="not sent before the export; a restore does not send it")


# --- scheduling and purging -----------------------------------------------------------------

def grace_days() -> int:
    return int(current_app.config.get("IOK_OFFBOARDING_GRACE_DAYS")
               or os.environ.get("IOK_OFFBOARDING_GRACE_DAYS") or DEFAULT_GRACE_DAYS)


def _tenant(slug: str) -> Tenant:
    try:
        return tenants.get_tenant(slug)
    except tenants.TenantChangeError:
        raise OffboardingError([_l("Nie ma spółdzielni o identyfikatorze %(slug)s.",
                                   slug=slug)]) from None


def schedule_deletion(slug: str, actor: Actor, *, days: int | None = None,
                      now: datetime | None = None) -> Tenant:
    """Suspend the tenant and set the day its data are purged (now + the grace period)."""
    tenant = _tenant(slug)
    if tenant.deletion_due is not None:
        raise OffboardingError([_l("Usunięcie tej spółdzielni jest już zaplanowane.")])
    days = grace_days() if days is None else days
    if days < 0:
        raise OffboardingError([_l("Okres karencji nie może być ujemny.")])
    before = {"status": tenant.status, "deletion_due": None}
    tenant.status = SUSPENDED
    tenant.deletion_due = (now or utcnow()) + timedelta(days=days)
    record_platform_event(actor, "tenant.deletion_scheduled", tenant_id=tenant.id,
                          before=before, after={"status": SUSPENDED,
                                                "deletion_due": tenant.deletion_due.isoformat(),
                                                "grace_days": days})
    tenants.note_tenant_changed()
    return tenant


def cancel_deletion(slug: str, actor: Actor) -> Tenant:
    """Keep the tenant after all: it is back as it was before the deletion was scheduled
    (serving, or still suspended when it had been suspended for another reason)."""
    tenant = _tenant(slug)
    if tenant.deletion_due is None:
        raise OffboardingError([_l("Usunięcie tej spółdzielni nie jest zaplanowane.")])
    before = {"status": tenant.status, "deletion_due": as_utc(tenant.deletion_due).isoformat()}
    tenant.status = _status_before_scheduling(tenant)
    tenant.deletion_due = None
    record_platform_event(actor, "tenant.deletion_cancelled", tenant_id=tenant.id,
                          before=before, after={"status": tenant.status, "deletion_due": None})
    tenants.note_tenant_changed()
    return tenant


def _status_before_scheduling(tenant: Tenant) -> str:
    scheduled = db.session.scalar(
        select(PlatformAuditEvent).where(PlatformAuditEvent.tenant_id == tenant.id,
                                         PlatformAuditEvent.action == "tenant.deletion_scheduled")
        .order_by(PlatformAuditEvent.id.desc()).limit(1))
    status = ((scheduled.before or {}) if scheduled else {}).get("status")
    return status if status in (ACTIVE, SUSPENDED) else ACTIVE


@dataclass
class PurgeReport:
    slug: str
    rows: dict[str, int]
    files: int


def due_for_purge(now: datetime | None = None) -> list[Tenant]:
    now = now or utcnow()
    # Only a tenant still offline: one brought back meanwhile is never deleted.
    query = (select(Tenant).where(Tenant.deletion_due.is_not(None),
                                  Tenant.status == SUSPENDED).order_by(Tenant.id))
    return [t for t in db.session.scalars(query) if as_utc(t.deletion_due) <= now]


def purge_due(actor: Actor, now: datetime | None = None) -> list[PurgeReport]:
    """Purge every tenant whose deletion date has passed."""
    return [purge_tenant(tenant, actor) for tenant in due_for_purge(now)]


def purge_tenant(tenant: Tenant, actor: Actor) -> PurgeReport:
    """Delete every row of every tenant table for this tenant (children first, each DELETE
    inside the tenant's scope, so both walls bound it), its files, then the tenant."""
    if tenant.deletion_due is None:
        raise OffboardingError([_l("Usunięcie tej spółdzielni nie jest zaplanowane.")])
    rows: dict[str, int] = {}
    with tenant_scope(tenants.snapshot_of(tenant, tenant.custom_hosts)):
        for table in reversed(tenant_tables()):
            result = db.session.execute(delete(_model_of(table)),
                                        execution_options={"synchronize_session": False})
            if result.rowcount:
                rows[table.name] = result.rowcount
    folders = [_var_folder(kind, tenant.id) for kind in FILE_KINDS]
    files = sum(1 for folder in folders if folder.is_dir()
                for path in folder.rglob("*") if path.is_file())
    slug, tenant_id = tenant.slug, tenant.id
    # The tenant row goes too, so the event names it by slug and id rather than by a key.
    record_platform_event(actor, "tenant.purge", after={
        "slug": slug, "tenant_id": tenant_id, "rows": rows, "files": files})
    db.session.flush()
    db.session.delete(tenant)
    tenants.note_tenant_changed()

    def remove_files() -> None:
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)

    # Files go once the rows are gone for good (a rolled-back purge keeps both).
    after_commit(remove_files)
    return PurgeReport(slug=slug, rows=rows, files=files)
