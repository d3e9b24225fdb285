"""Imports from the manager's accounting system, and the API tokens that may send them.

``import_data`` is the one code path behind the back-office upload, `flask imports load`,
the REST API and the demo data. An import is:

* atomic — every row of every dataset is validated; if any row is bad, nothing is written
  (written chunks are rolled back) and every bad row is reported with its number;
* idempotent — rows are matched on ``external_id``; a row equal to the stored one counts as
  unchanged and is not written, so the same file twice changes nothing the second time;
* bulk — rows go through in chunks: one query finds the stored rows of a chunk, one
  executemany INSERT creates the new ones and one UPDATE-by-primary-key changes the rest
  (its keys checked to be the tenant's by the tenancy hook).
  A CSV file is streamed, so memory stays flat however long the ledger is.
* at COPY speed on PostgreSQL — a CSV dataset whose schema has an SQL form is streamed
  with COPY into a staging table, checked in set-based SQL and written in two statements
  (bulk.py), with the same errors, counts and rows as the row-by-row path (a shared
  corpus test holds both to it); JSON, persons and SQLite go row by row.

Every attempt (applied, rejected, or a dry run) leaves an ``ImportRun`` and an audit event.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import secrets
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from pathlib import Path

from flask import current_app
from marshmallow import ValidationError
from sqlalchemy import insert, select, update
from sqlalchemy.exc import DBAPIError

from iok_saas.extensions import db
from iok_saas.modules.audit.services import record_event
from iok_saas.modules.housing.held import note_housing_changed
from iok_saas.modules.housing.models import Association, Title, Unit
from iok_saas.tenancy import current_tenant, rls
from iok_saas.timeutil import utcnow

from . import bulk
from .formats import (
    DATASETS,
    MULTI,
    Dataset,
    FormatError,
    Row,
    json_datasets,
    numbered,
    parse_json,
    read_csv,
)
from .models import APPLIED, CHECKED, REJECTED, ApiToken, ImportRun
from .problems import Coded, code_of, coded
from .shared import ANALYZE_AFTER, ERRORS_KEPT, Counts, duplicate_problem, reference_problem

CHUNK_ROWS = 5000  # rows validated, compared and written together
LOOKUP_BATCH = 900  # external ids per IN (...) lookup; below SQLite's oldest bind limit
BAD_ROW = "__cells__"  # set by the readers on a row that is not a row at all
JSON_FORMAT = "json"
# What the residents' memoised units are made of (housing.held): a change to any of them
# replaces the tenant's housing stamp in the import's transaction.
HOUSING_DATASETS = frozenset(name for name, spec in DATASETS.items()
                             if spec.model in (Association, Unit, Title))


# --- the one code path ------------------------------------------------------------------------

def import_data(parts: Iterable[tuple[str, Iterable[Row]]], *, source: str, actor: str,
                checksum: str, filename: str | None = None, dry_run: bool = False,
                file_format: str | None = None, label: str | None = None) -> ImportRun:
    """Validate and (unless ``dry_run`` or a row is bad) upsert every row, in one
    transaction; record the run (the caller commits it, a rejected run too). ``parts``
    yields ``(dataset, rows)`` in
    dependency order; rows are ``(row_number, raw_dict)``. Reading may raise
    ``FormatError`` at any point: it is reported like a row error."""
    importer = _Importer(dry_run)
    format_error = False
    try:
        for name, rows in parts:
            importer.run(DATASETS[name], rows)
    except FormatError as exc:
        format_error = True
        importer.error(exc.dataset, exc.row, None, exc.problem)
    if dry_run or importer.errors_total:
        db.session.rollback()
    else:
        db.session.flush()
        if importer.changed(HOUSING_DATASETS):
            note_housing_changed()
    status = REJECTED if importer.errors_total else CHECKED if dry_run else APPLIED
    names = list(importer.counts)
    totals = Counts()
    for counts in importer.counts.values():
        for key, value in asdict(counts).items():
            setattr(totals, key, getattr(totals, key) + value)
    run = ImportRun(
        source=source, dataset=(names[0] if len(names) == 1 else MULTI if names
                                else (label or "unknown")),
        filename=(filename or "").replace("\x00", "")[-255:] or None, checksum=checksum,
        status=status,
        rows_total=totals.total, rows_created=totals.created, rows_updated=totals.updated,
        rows_unchanged=totals.unchanged, errors=importer.errors,
        errors_total=importer.errors_total, actor=actor[:200],
        details={"datasets": {name: asdict(c) for name, c in importer.counts.items()},
                 "dry_run": dry_run, "format": file_format, "format_error": format_error})
    db.session.add(run)
    db.session.flush()
    record_event(actor, f"import.{status}", run, after={
        "dataset": run.dataset, "filename": run.filename, "checksum": checksum,
        "created": totals.created, "updated": totals.updated, "unchanged": totals.unchanged,
        "errors": importer.errors_total})
    return run


class _Importer:
    def __init__(self, dry_run: bool) -> None:
        self.tenant_id = current_tenant.id
        self.dry_run = dry_run
        self.errors: list[dict] = []
        self.errors_total = 0
        self.counts: dict[str, Counts] = {}
        # external ids met in this import, per dataset -> the row they were on
        self.seen: dict[str, dict[str, int]] = {}
        self._ids: dict[str, dict[str, int]] = {}
        self._external: dict[str, dict[int, str]] = {}

    @property
    def writing(self) -> bool:
        return not self.dry_run and not self.errors_total

    def changed(self, datasets: Iterable[str]) -> bool:
        """Whether a row of one of ``datasets`` was created or updated."""
        return any(counts.created or counts.updated for name, counts in self.counts.items()
                   if name in datasets)

    def error(self, dataset: str | None, row: int | None, field: str | None,
              message: Coded | str) -> None:
        """Count an error; keep it as dataset, row, field, code, English message, params."""
        self.errors_total += 1
        if len(self.errors) < ERRORS_KEPT:
            code, params = code_of(message)
            self.errors.append({"dataset": dataset, "row": row, "field": field, "code": code,
                                "message": str(message), "params": params})

    # stored rows of a dataset: external id <-> primary key, loaded once (one query)

    def ids(self, dataset: str) -> dict[str, int]:
        if dataset not in self._ids:
            model = DATASETS[dataset].model
            query = select(model.external_id, model.id).where(model.external_id.is_not(None))
            self._ids[dataset] = {ext: pk for ext, pk in db.session.execute(query)}
        return self._ids[dataset]

    def external(self, dataset: str) -> dict[int, str]:
        if dataset not in self._external:
            self._external[dataset] = {v: k for k, v in self.ids(dataset).items()}
        return self._external[dataset]

    def forget(self, dataset: str) -> None:
        self._ids.pop(dataset, None)
        self._external.pop(dataset, None)

    # one dataset

    def run(self, spec: Dataset, rows: Iterable[Row]) -> None:
        if spec.name in self.counts:
            self.error(spec.name, None, None, coded(
                "dataset_repeated", f"dataset '{spec.name}' appears twice", dataset=spec.name))
            return
        plan = bulk.usable(self, spec, rows)
        counts = self.counts[spec.name] = Counts()
        if plan is not None:
            bulk.run(self, plan, rows, counts)
            return
        seen = self.seen.setdefault(spec.name, {})
        schema = spec.schema()
        stored = db.session.scalar(select(spec.model.id).where(
            spec.model.external_id.is_not(None)).limit(1)) is not None
        chunk: list[tuple[int, dict]] = []
        for number, raw in rows:
            counts.total += 1
            data = self._validate(spec, schema, seen, number, raw)
            if data is not None:
                chunk.append((number, data))
                if len(chunk) >= CHUNK_ROWS:
                    self._flush(spec, chunk, counts, stored)
                    chunk = []
        if chunk:
            self._flush(spec, chunk, counts, stored)
        if self.writing:
            self.forget(spec.name)  # later datasets look up the rows just created
            if counts.created + counts.updated >= ANALYZE_AFTER and \
                    db.session.get_bind().dialect.name == "postgresql":
                # Fresh planner statistics, or the next import's lookups of a table that
                # just grew by a million rows would scan it instead of using the index.
                rls.analyze(db.session.connection(), spec.model.__table__.name)

    def _validate(self, spec: Dataset, schema, seen: dict[str, int], number: int,
                  raw: dict) -> dict | None:
        if isinstance(raw.get(BAD_ROW), Coded):  # set by a reader, never by the data
            self.error(spec.name, number, None, raw[BAD_ROW])
            return None
        data, problems = self.row_problems(spec, schema, raw)
        if data is None:
            for field, message in problems:
                self.error(spec.name, number, field, message)
            external_id = raw.get("external_id")
            if isinstance(external_id, str) and external_id.strip():
                # Known to this import, so rows referring to it get no second error.
                seen.setdefault(external_id.strip(), number)
            return None
        external_id = data["external_id"]
        first = seen.get(external_id)
        if first is not None:
            self.error(spec.name, number, "external_id", duplicate_problem(external_id, first))
            return None
        seen[external_id] = number
        problems = self._reference_problems(spec, data)
        for field, message in problems:
            self.error(spec.name, number, field, message)
        return None if problems else data

    def row_problems(self, spec: Dataset, schema, raw: dict
                     ) -> tuple[dict | None, list[tuple[str | None, Coded | str]]]:
        """One row through the schema: ``(data, [])`` when it is valid, else ``(None,
        problems)`` — the schema's, then unknown references among its valid fields.
        Repeated external ids and a valid row's references are the caller's to check."""
        try:
            return schema.load(raw), []
        except ValidationError as exc:
            problems = []
            for field, message in _flatten(exc.messages):
                if isinstance(message, Coded) and message.code == "unknown_field":
                    message = coded("unknown_field", f"unknown field '{field}'; the fields of "
                                    f"'{spec.name}' are: {', '.join(spec.fields)}",
                                    field=field, dataset=spec.name, fields=spec.fields)
                problems.append((field, message))
            problems += self._reference_problems(spec, exc.valid_data or {})
            return None, problems

    def _reference_problems(self, spec: Dataset, data: dict) -> list[tuple[str, Coded]]:
        problems = []
        for field, target in spec.references.items():
            value = data.get(field)
            if value is None:
                continue
            if value not in self.seen.get(target, ()) and value not in self.ids(target):
                problems.append((field, reference_problem(target, value)))
        return problems

    def _flush(self, spec: Dataset, chunk: list[tuple[int, dict]], counts: Counts,
               stored: bool) -> None:
        model = spec.model
        columns = [spec.column(name) for name in spec.fields]
        existing = {}
        if stored:
            wanted = [data["external_id"] for _number, data in chunk]
            for start in range(0, len(wanted), LOOKUP_BATCH):
                query = select(model.id, *(getattr(model, c) for c in columns)).where(
                    model.external_id.in_(wanted[start:start + LOOKUP_BATCH]))
                for row in db.session.execute(query):
                    existing[row.external_id] = row
        creates, updates = [], []
        for _number, data in chunk:
            old = existing.get(data["external_id"])
            if old is None:
                counts.created += 1
                creates.append(data)
            elif self._same(spec, old, data):
                counts.unchanged += 1
            else:
                counts.updated += 1
                updates.append((old.id, data))
        if not self.writing:
            return
        try:
            if creates:
                db.session.execute(insert(model), [
                    {"tenant_id": self.tenant_id, **spec.on_create, **self._values(spec, data)}
                    for data in creates])
            if updates:
                db.session.execute(update(model), [
                    {"id": row_id, **self._values(spec, data)} for row_id, data in updates])
        except DBAPIError as exc:
            db.session.rollback()
            self.refused(spec.name, chunk[0][0], exc)

    def refused(self, dataset: str, row: int, exc: DBAPIError) -> None:
        """The database refused a write (the transaction is rolled back already)."""
        refused = exc.orig.__class__.__name__
        self.error(dataset, row, None, coded(
            "database_refused", "the database refused the rows from here on (another "
            f"import may be changing the same rows): {refused}", error=refused))

    def _same(self, spec: Dataset, old, data: dict) -> bool:
        for name in spec.fields:
            target = spec.references.get(name)
            if target is not None:
                value = self.external(target).get(getattr(old, spec.column(name)))
            else:
                value = getattr(old, name)
            if value != data[name]:
                return False
        return True

    def _values(self, spec: Dataset, data: dict) -> dict:
        values = {}
        for name in spec.fields:
            target = spec.references.get(name)
            if target is None:
                values[name] = data[name]
                continue
            ids = self.ids(target)
            if data[name] not in ids:
                self.forget(target)
                ids = self.ids(target)
            values[spec.column(name)] = ids[data[name]]
        return values


def _flatten(messages, prefix: str | None = None) -> Iterator[tuple[str | None, Coded | str]]:
    if isinstance(messages, dict):
        for key, value in messages.items():
            field = None if key == "_schema" else str(key)
            yield from _flatten(value, field if prefix is None else f"{prefix}.{field}")
    elif isinstance(messages, list | tuple):
        for item in messages:
            yield from _flatten(item, prefix)
    else:
        yield prefix, messages if isinstance(messages, Coded) else str(messages)


# --- entry points' helpers --------------------------------------------------------------------

def checksum_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def checksum_of_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _json_parts(data: bytes | str, dataset: str | None):
    document = parse_json(data)
    for name, rows in json_datasets(document, dataset):
        yield name, numbered(rows)


def parts_of(stream, file_format: str, dataset: str | None = None):
    """``(dataset, rows)`` of a binary stream: ``file_format`` is "json" or "csv"."""
    if file_format == JSON_FORMAT:
        return _json_parts(stream.read(), dataset)
    if dataset is None:
        raise FormatError(coded("csv_dataset_missing", "a CSV file holds one dataset: name it"))
    return [(dataset, read_csv(stream, dataset))]


def import_bytes(data: bytes, file_format: str, dataset: str | None, **kwargs) -> ImportRun:
    """Import a whole file held in memory (an upload or an API body)."""
    return _import(lambda: parts_of(io.BytesIO(data), file_format, dataset),
                   checksum_of(data), file_format, dataset, **kwargs)


def import_file(path: Path, file_format: str, dataset: str | None, **kwargs) -> ImportRun:
    """Import a file from disk; a CSV file is streamed, never read whole."""
    checksum = checksum_of_file(path)
    with path.open("rb") as stream:
        return _import(lambda: parts_of(stream, file_format, dataset), checksum,
                       file_format, dataset, filename=kwargs.pop("filename", path.name),
                       **kwargs)


def _import(make_parts, checksum: str, file_format: str, dataset: str | None,
            **kwargs) -> ImportRun:
    def parts():
        yield from make_parts()

    return import_data(parts(), checksum=checksum, file_format=file_format,
                       label=dataset, **kwargs)


def import_rows(datasets: dict[str, list[dict]], *, source: str, actor: str,
                dry_run: bool = False) -> ImportRun:
    """Import Python rows (the demo data): ``{"units": [{...}], ...}``."""
    from .formats import ORDER

    unknown = set(datasets) - set(ORDER)
    if unknown:
        raise ValueError(f"unknown datasets {sorted(unknown)}")
    digest = hashlib.sha256(repr(sorted((k, v) for k, v in datasets.items())).encode())
    parts = [(name, numbered(datasets[name])) for name in ORDER if name in datasets]
    return import_data(parts, source=source, actor=actor, checksum=digest.hexdigest(),
                       dry_run=dry_run, file_format="rows")


# --- runs -------------------------------------------------------------------------------------

def get_run(run_id: int) -> ImportRun | None:
    """A run of the current tenant (another tenant's id finds nothing)."""
    return db.session.scalar(select(ImportRun).where(ImportRun.id == run_id))


def recent_runs(limit: int = 50) -> list[ImportRun]:
    return list(db.session.scalars(select(ImportRun).order_by(ImportRun.id.desc())
                                   .limit(limit)))


def run_as_dict(run: ImportRun) -> dict:
    return {
        "id": run.id, "status": run.status, "dataset": run.dataset, "source": run.source,
        "filename": run.filename, "checksum": run.checksum,
        "created_at": run.created_at.isoformat() if run.created_at else None,
        "dry_run": bool((run.details or {}).get("dry_run")),
        "format_error": bool((run.details or {}).get("format_error")),
        "rows": {"total": run.rows_total, "created": run.rows_created,
                 "updated": run.rows_updated, "unchanged": run.rows_unchanged},
        "datasets": (run.details or {}).get("datasets", {}),
        "errors_total": run.errors_total, "errors": run.errors or [],
    }


def describe_error(error: dict, file_format: str | None = None) -> str:
    """One error as a line: where, which field, what."""
    where = []
    if error.get("dataset"):
        where.append(f"[{error['dataset']}]")
    if error.get("row") is not None:
        where.append(f"line {error['row']}" if file_format == "csv"
                     else f"row {error['row']}")
    if error.get("field"):
        where.append(f"{error['field']}:")
    return " ".join([*where, error["message"]])


# --- uploads kept between the preview and "apply" ---------------------------------------------

def _upload_path(run: ImportRun) -> Path:
    folder = Path(current_app.config["IOK_VAR_DIR"]) / "imports" / str(run.tenant_id)
    return folder / f"run-{run.id}.upload"


def keep_upload(run: ImportRun, data: bytes) -> None:
    expire_previews()
    path = _upload_path(run)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def expire_previews(now: float | None = None) -> int:
    """Delete every tenant's kept uploads older than IOK_IMPORT_PREVIEW_HOURS; returns how
    many. A preview nobody applied must not keep the cooperative's data (names, balances)
    on disk for ever: each new upload sweeps first, `flask imports expire-previews` can run
    from cron. An expired preview can no longer be applied (the desk says so)."""
    root = Path(current_app.config["IOK_VAR_DIR"]) / "imports"
    oldest = (time.time() if now is None else now) - \
        current_app.config["IOK_IMPORT_PREVIEW_HOURS"] * 3600
    removed = 0
    for path in root.glob("*/run-*.upload"):
        try:
            if path.stat().st_mtime < oldest:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue  # another worker swept it first
    return removed


def kept_upload(run: ImportRun) -> bytes | None:
    """The previewed file, if it is still waiting and unchanged since the preview."""
    path = _upload_path(run)
    if run.status != CHECKED or not path.is_file():
        return None
    data = path.read_bytes()
    return data if checksum_of(data) == run.checksum else None


def drop_upload(run: ImportRun) -> None:
    _upload_path(run).unlink(missing_ok=True)


def apply_previewed(run: ImportRun, actor: str) -> ImportRun | None:
    """Apply a previewed upload; None when it was applied already or is gone."""
    data = kept_upload(run)
    if data is None:
        return None
    details = run.details or {}
    file_format = details.get("format") or JSON_FORMAT
    dataset = None if file_format == JSON_FORMAT else run.dataset
    applied = import_bytes(data, file_format, dataset, source=run.source, actor=actor,
                           filename=run.filename)
    if applied.status == APPLIED:
        drop_upload(run)
    return applied


# --- API tokens -------------------------------------------------------------------------------

TOKEN_SCHEME = "iok"  # noqa: S105 (the visible start of every token, not a secret)


def _digest(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def create_token(name: str, actor: str) -> tuple[ApiToken, str]:
    """A new token; the plain text is returned once and never stored."""
    prefix = secrets.token_hex(6)
    plain = f"{TOKEN_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken(name=name.replace("\x00", "").strip()[:100], prefix=prefix,
                     token_hash=_digest(plain),
                     created_by=actor[:200])
    db.session.add(token)
    db.session.flush()
    record_event(actor, "api_token.created", token, after={"name": token.name,
                                                           "prefix": prefix})
    return token, plain


def list_tokens() -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).order_by(ApiToken.id.desc())))


def revoke_token(token_id: int, actor: str) -> ApiToken | None:
    token = db.session.scalar(select(ApiToken).where(ApiToken.id == token_id))
    if token is None:
        return None
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record_event(actor, "api_token.revoked", token, before={"revoked_at": None},
                     after={"name": token.name, "prefix": token.prefix})
    return token


def authenticate(header: str | None) -> ApiToken | None:
    """The current tenant's live token named by an ``Authorization: Bearer …`` header."""
    if not header:
        return None
    scheme, _space, plain = header.partition(" ")
    plain = plain.strip()
    if scheme.lower() != "bearer" or not plain:
        return None
    parts = plain.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_SCHEME:
        return None
    # Scoped to the current tenant: another tenant's token is simply not found.
    token = db.session.scalar(select(ApiToken).where(ApiToken.prefix == parts[1]))
    if token is None or token.revoked_at is not None:
        return None
    if not hmac.compare_digest(token.token_hash, _digest(plain)):
        return None
    token.last_used_at = utcnow()
    return token


def token_actor(token: ApiToken) -> str:
    return f"api:{token.prefix}:{token.name}"
