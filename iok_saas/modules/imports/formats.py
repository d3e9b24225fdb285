"""The import format: which datasets exist, how they map to tables, and how CSV and JSON
files turn into numbered rows (docs/import-format.md describes it for people).

Readers are lazy: a CSV file is read row by row, so a million-line ledger never sits in
memory as a whole. Each row comes out as ``(row_number, raw_dict)``; problems with the file
itself (not a row) raise ``FormatError`` with the line they were found on.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from marshmallow import Schema

from iok_saas.modules.housing.models import Association, Person, Title, Unit
from iok_saas.modules.ledger.models import ChargeSchedule, LedgerEntry
from iok_saas.modules.meters.models import ACCEPTED, SOURCE_MANAGER, Meter, MeterReading
from iok_saas.modules.notices.import_schemas import NoticeLineSchema, NoticeSchema
from iok_saas.modules.notices.models import ChargeNotice, ChargeNoticeLine
from iok_saas.modules.records.models import CourtCase, LandCost, Membership, ServiceCharge
from iok_saas.modules.voting.models import UnitShare

from . import schemas as S
from .problems import Coded, coded, plain

Row = tuple[int, dict]


@dataclass(frozen=True)
class Dataset:
    name: str
    model: type
    schema: type[Schema]
    # field name -> dataset it refers to by external id (column is "<field>_id")
    references: dict[str, str] = field(default_factory=dict)
    # columns set on rows this import creates, never changed by an update
    on_create: dict[str, object] = field(default_factory=dict)
    description: str = ""

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(self.schema._declared_fields)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(n for n, f in self.schema._declared_fields.items() if f.required)

    def column(self, field_name: str) -> str:
        return f"{field_name}_id" if field_name in self.references else field_name


_LIST = (
    Dataset("associations", Association, S.AssociationSchema,
            description="Homeowners' associations, buildings or estates."),
    Dataset("units", Unit, S.UnitSchema, {"association": "associations"},
            description="Flats and commercial premises."),
    Dataset("persons", Person, S.PersonSchema, description="Owners, tenants and members."),
    Dataset("titles", Title, S.TitleSchema, {"person": "persons", "unit": "units"},
            description="A person's legal title to a unit over a period."),
    Dataset("charges", ChargeSchedule, S.ChargeSchema, {"unit": "units"},
            description="The monthly charge schedule (used to show the current month)."),
    Dataset("ledger", LedgerEntry, S.LedgerSchema, {"unit": "units"},
            description="Posted entries of a unit's account: charges, payments, "
                        "corrections, interest."),
    Dataset("meters", Meter, S.MeterSchema, {"unit": "units"},
            description="Water meters of a unit."),
    Dataset("readings", MeterReading, S.ReadingSchema, {"meter": "meters"},
            {"source": SOURCE_MANAGER, "state": ACCEPTED},
            description="Meter readings taken by the manager (shown as accepted)."),
    Dataset("memberships", Membership, S.MembershipSchema, {"person": "persons"},
            description="Cooperative membership: entry contribution and share."),
    Dataset("shares", UnitShare, S.ShareSchema, {"unit": "units"},
            description="A unit's share in the common property (weights of owners' votes)."),
    Dataset("court_cases", CourtCase, S.CourtCaseSchema, {"unit": "units"},
            description="Court cases about a unit."),
    Dataset("land_costs", LandCost, S.LandCostSchema, {"unit": "units"},
            description="A unit's share of the cost of buying the land."),
    Dataset("services", ServiceCharge, S.ServiceSchema, {"unit": "units"},
            description="Invoices and notes for other services sold or bought."),
    Dataset("notices", ChargeNotice, NoticeSchema, {"unit": "units"},
            description="A unit's notice of charges for a period (paperless notices)."),
    Dataset("notice_lines", ChargeNoticeLine, NoticeLineSchema, {"notice": "notices"},
            description="One charge of a notice: a component and its monthly amount."),
)

# Dependency order: a dataset comes after every dataset it refers to.
ORDER: tuple[str, ...] = tuple(d.name for d in _LIST)
DATASETS: dict[str, Dataset] = {d.name: d for d in _LIST}
MULTI = "multi"
ROW_NOT_OBJECT = Coded("row_not_object", "a row must be a JSON object")


class FormatError(Exception):
    """The file itself is unusable from ``row`` on (a bad header, broken JSON, encoding).

    ``problem`` is a coded message (``problems.coded``): English text, code and params.
    """

    def __init__(self, problem: Coded, row: int | None = None, dataset: str | None = None):
        super().__init__(problem)
        self.problem = problem
        self.message = str(problem)
        self.row = row
        self.dataset = dataset


def dataset_or_error(name: object) -> Dataset:
    if not isinstance(name, str):
        raise FormatError(coded("dataset_not_text", f"a dataset is named by a string such as "
                                f"'ledger', not {name!r}", found=plain(name)))
    if name not in DATASETS:
        raise FormatError(coded("unknown_dataset", f"unknown dataset {name!r}; known: "
                                f"{', '.join(ORDER)}", dataset=plain(name), known=ORDER))
    return DATASETS[name]


# --- CSV --------------------------------------------------------------------------------------

def read_csv(stream: io.BufferedIOBase | Iterable[bytes], dataset: str) -> CsvRows:
    """Rows of a UTF-8, comma-separated file whose first line names the columns.

    Row numbers are line numbers, the header being line 1. Empty cells are left out (an
    optional column takes its default, a required one is reported missing). Blank lines are
    skipped.
    """
    return CsvRows(stream, dataset_or_error(dataset))


class CsvRows:
    """The rows of one CSV file, read lazily. Iterated, they are ``(line, raw_dict)`` as
    every reader gives them; ``records`` gives the same lines as lists of cells, which the
    PostgreSQL COPY path (bulk.py) streams on without building a dict per row."""

    def __init__(self, stream: io.BufferedIOBase | Iterable[bytes], spec: Dataset) -> None:
        self.stream = stream
        self.spec = spec
        self.columns: list[str] | None = None  # known once ``records`` read the header

    def __iter__(self) -> Iterator[Row]:
        columns = None
        for line, cells in self.records():
            if columns is None:
                columns = self.columns
            if isinstance(cells, Coded):
                yield line, {"__cells__": cells}
            else:
                yield line, {name: value for name, value in zip(columns, cells, strict=True)
                             if value != ""}

    def plain_header(self, line: bytes) -> list[str] | None:
        """The column names of a first line that ``records`` would accept and that holds no
        quote and no carriage return but its line end; else None (``records`` decides)."""
        if b'"' in line or not line.endswith(b"\n") or b"\r" in line[:-2]:
            return None
        try:
            cells = next(csv.reader([line.decode("utf-8-sig").rstrip("\r\n")]))
        except (UnicodeDecodeError, csv.Error, StopIteration):
            return None
        columns = [name.strip() for name in cells]
        try:
            _check_header(self.spec, columns)
        except FormatError:
            return None
        self.columns = columns
        return columns

    def records(self) -> Iterator[tuple[int, list[str] | Coded]]:
        """``(line, cells)`` of every non-blank line after the header; a line with the
        wrong number of cells comes as ``(line, coded problem)``."""
        text = io.TextIOWrapper(self.stream, encoding="utf-8-sig", newline="")
        reader = csv.reader(text)
        try:
            header = next(reader, None)
            if header is None:
                raise FormatError(coded("empty_file", "the file is empty; the first line must "
                                        "name the columns"), 1, self.spec.name)
            columns = [name.strip() for name in header]
            _check_header(self.spec, columns)
            self.columns = columns
            width = len(columns)
            for cells in reader:
                if len(cells) != width:
                    if not cells or (len(cells) == 1 and not cells[0].strip()):
                        continue
                    yield reader.line_num, coded(
                        "wrong_value_count", f"expected {width} values as in the header, "
                        f"found {len(cells)}", expected=width, found=len(cells))
                    continue
                if width == 1 and not cells[0].strip():
                    continue
                yield reader.line_num, cells
        except UnicodeDecodeError:
            line, byte = _first_bad_byte(self.stream)
            raise FormatError(coded("not_utf8", f"the file is not valid UTF-8: line {line}, "
                                    f"byte {byte} of the line", byte=byte, line=line),
                              line, self.spec.name) from None
        except csv.Error as exc:
            raise FormatError(coded("malformed_csv", f"malformed CSV: {exc}", detail=str(exc)),
                              reader.line_num, self.spec.name) from None
        finally:
            text.detach()


def _first_bad_byte(stream) -> tuple[int, int]:
    """(line, byte of that line), both from 1, of the first byte of ``stream`` that is not
    UTF-8. The text reader only knows the offset inside the block it was decoding, so the
    file is read again from the start (uploads and files on disk can be)."""
    stream.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    line, line_start, offset = 1, 0, 0
    for block in itertools.chain(iter(lambda: stream.read(1 << 16), b""), [None]):
        pending = len(decoder.getstate()[0])  # the start of a character cut by the block
        try:
            decoder.decode(block or b"", final=block is None)
        except UnicodeDecodeError as exc:
            bad = offset - pending + exc.start
            seen = (block or b"")[:max(bad - offset, 0)]  # a cut character holds no newline
            line += seen.count(b"\n")
            if b"\n" in seen:
                line_start = offset + seen.rfind(b"\n") + 1
            return line, bad - line_start + 1
        line += block.count(b"\n")
        if b"\n" in block:
            line_start = offset + block.rfind(b"\n") + 1
        offset += len(block)
    raise AssertionError("the text reader found a byte that is not UTF-8; none is here")


def _check_header(spec: Dataset, columns: list[str]) -> None:
    problems = []
    unknown = [c for c in columns if c not in spec.fields]
    if unknown:
        problems.append(f"unknown column(s) {', '.join(map(repr, unknown))}")
    missing = [c for c in spec.required if c not in columns]
    if missing:
        problems.append(f"missing required column(s) {', '.join(map(repr, missing))}")
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        problems.append(f"repeated column(s) {', '.join(map(repr, repeated))}")
    if problems:
        raise FormatError(coded(
            "bad_header", "header of dataset '" + spec.name + "': " + "; ".join(problems)
            + f". Columns are: {', '.join(spec.fields)}", dataset=spec.name, unknown=unknown,
            missing=missing, repeated=repeated, columns=spec.fields), 1, spec.name)


def csv_header(dataset: str) -> str:
    return ",".join(DATASETS[dataset].fields)


# --- JSON -------------------------------------------------------------------------------------

# No field of any dataset holds a longer integer; Python itself refuses to convert more than
# 4300 digits (a ValueError json.loads lets through).
JSON_INTEGER_MAX_DIGITS = 100


def _json_integer(text: str) -> int:
    if len(text.lstrip("-")) > JSON_INTEGER_MAX_DIGITS:
        raise FormatError(coded(
            "json_number_too_long", f"not valid JSON for an import: an integer has "
            f"{len(text.lstrip('-'))} digits, at most {JSON_INTEGER_MAX_DIGITS} are allowed",
            digits=len(text.lstrip("-")), limit=JSON_INTEGER_MAX_DIGITS))
    return int(text)


def parse_json(data: bytes | str) -> object:
    """JSON with exact decimals: numbers with a fraction become ``Decimal``, never float."""
    try:
        document = json.loads(data, parse_float=Decimal, parse_int=_json_integer)
    except UnicodeDecodeError:
        raise FormatError(coded("json_not_utf8", "the document is not valid UTF-8")) from None
    except (json.JSONDecodeError, RecursionError) as exc:
        if not isinstance(exc, json.JSONDecodeError):
            raise FormatError(coded("json_too_deep", "not valid JSON: too deeply nested")) \
                from None
        raise FormatError(coded(
            "invalid_json", f"not valid JSON (line {exc.lineno}, column {exc.colno}): "
            f"{exc.msg}", line=exc.lineno, column=exc.colno, detail=exc.msg),
            exc.lineno) from None
    if _holds_lone_surrogate(document):
        raise FormatError(coded("json_lone_surrogate", "not valid JSON for an import: a string "
                                "holds an unpaired surrogate (U+D800 to U+DFFF), which has no "
                                "UTF-8 form"))
    return document


def _holds_lone_surrogate(document: object) -> bool:
    """Whether a string of the document holds half of a surrogate pair ("\\ud800"): JSON
    lets it through, and no database can store it."""
    stack = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value)
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str) and not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return True
    return False


def json_datasets(document: object, dataset: str | None = None) -> list[tuple[str, list]]:
    """The datasets of a parsed document, in dependency order.

    Accepted shapes: ``{"dataset": "units", "rows": [...]}``, ``{"datasets": {"units":
    [...], ...}}``, and — when ``dataset`` is given (the API's /imports/<dataset>) —
    ``{"rows": [...]}`` or a bare list of rows.
    """
    if dataset is not None:
        dataset_or_error(dataset)
        if isinstance(document, list):
            return [(dataset, document)]
        if isinstance(document, dict) and set(document) <= {"dataset", "rows"} \
                and "rows" in document:
            named = document.get("dataset", dataset)
            if named != dataset:
                raise FormatError(coded("dataset_mismatch", f"the document is for dataset "
                                        f"{named!r}, not {dataset!r}", found=plain(named),
                                        expected=dataset))
            return [(dataset, _rows_list(document["rows"], dataset))]
        raise FormatError(coded("expected_rows", 'expected {"rows": [...]} or a list of rows'))
    if not isinstance(document, dict):
        raise FormatError(coded("expected_object", 'expected a JSON object: {"dataset": '
                                '..., "rows": [...]} or {"datasets": {...}}'))
    if "datasets" in document:
        extra = set(document) - {"datasets"}
        if extra:
            raise FormatError(coded("unknown_keys", f"unknown key(s) "
                                    f"{', '.join(map(repr, sorted(extra)))} next to "
                                    "'datasets'", keys=sorted(extra)))
        parts = document["datasets"]
        if not isinstance(parts, dict) or not parts:
            raise FormatError(coded("datasets_not_object", '"datasets" must be an object of '
                                    'dataset name -> list of rows'))
        for name in parts:
            dataset_or_error(name)
        return [(name, _rows_list(parts[name], name)) for name in ORDER if name in parts]
    if set(document) == {"dataset", "rows"}:
        name = dataset_or_error(document["dataset"]).name
        return [(name, _rows_list(document["rows"], name))]
    raise FormatError(coded("unexpected_keys", 'expected {"dataset": ..., "rows": [...]} or '
                            '{"datasets": {...}}; found key(s) '
                            f"{', '.join(map(repr, sorted(document))) or 'none'}",
                            keys=sorted(document)))


def _rows_list(rows: object, dataset: str) -> list:
    if not isinstance(rows, list):
        raise FormatError(coded("rows_not_list", f"the rows of dataset '{dataset}' must be "
                                "a JSON list", dataset=dataset), dataset=dataset)
    return rows


def numbered(rows: list) -> Iterator[Row]:
    """JSON rows numbered by their index in the list (from 0)."""
    for index, row in enumerate(rows):
        if isinstance(row, dict):
            yield index, row
        else:
            yield index, {"__cells__": ROW_NOT_OBJECT}
