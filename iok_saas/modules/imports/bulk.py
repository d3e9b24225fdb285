# ruff: noqa: S608 (SQL is built from the schemas' and models' names; every value is bound)
"""The PostgreSQL path of a CSV import: COPY into a staging table, checks in set-based SQL.

``import_data`` (services.py) stays the one entry point; on PostgreSQL it hands a CSV
dataset here when ``plan_for`` can express every rule of the dataset's marshmallow schema
in SQL. The steps, all inside the import's transaction:

1. the file is streamed into a temporary table of raw cells with ``COPY … FROM STDIN`` —
   never held whole in memory. A plain file (no quote, one row a line) is sent as it is
   and parsed by the server's CSV reader; any other is read by Python's csv reader, the
   one the marshmallow path uses, so line numbers and the header rules are the same;
2. one statement turns the raw cells into typed values and, per field, the index of the
   first failed check; the checks and their messages are generated from the schema's
   fields, validators and hooks (``FieldPlan``, ``SCHEMA_RULES``), the messages taken from
   marshmallow itself, so both paths word an error identically; a date field is checked
   once per distinct cell (a ledger of a million rows holds a few thousand dates);
3. rows the SQL does not decide go through the marshmallow schema itself, a batch at a
   time — rare, and exact by construction: a cell with blanks around it, a NUL character,
   a number written "1e3" or "1_000", a date that is not plain YYYY-MM-DD, non-ASCII
   digits; a row marshmallow finds valid is staged again in canonical form;
4. one join counts the rows with an error and classifies the good ones against the stored
   ones (created / updated / unchanged); only when there are errors, one query reads them
   (duplicates inside the file, references to this tenant's rows, each row's errors in the
   order the marshmallow path reports them: the first ``ERRORS_KEPT``, and their total);
5. when the import may write: one UPDATE of the changed rows and one INSERT of the new.

A tenant's first import of a dataset (nothing stored to count against) skips steps 3-5
when it can: one INSERT checks and writes the staged rows, and the first row it cannot
take undoes it and sends the file down the steps above (``_write_first``).

Nothing here commits. Row-level security applies to every statement on a tenant table
(they run through the session, which sets the tenant for the transaction); the temporary
tables are the session's own.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING

import psycopg
from flask import current_app
from marshmallow import ValidationError, missing, validate
from marshmallow.decorators import VALIDATES_SCHEMA
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from iok_saas.extensions import db
from iok_saas.modules.ledger.models import CHARGE, CORRECTION, INTEREST, PAYMENT
from iok_saas.tenancy import rls

from . import schemas as S
from .formats import DATASETS, CsvRows, Dataset, FormatError
from .problems import Coded
from .shared import ANALYZE_AFTER, ERRORS_KEPT, Counts, duplicate_problem, reference_problem

if TYPE_CHECKING:  # the importer that hands a dataset over (services.py imports this module)
    from .services import _Importer

COPY_BLOCK = 1 << 18  # characters (or bytes) of COPY data sent at a time
HEADER_BYTES = 1 << 16  # a longer first line is read by Python's csv reader
LINE_PIECE = 1 << 16  # COPY_BLOCK is a multiple: the pieces tile the file
DIGITS, ZEROS = "'0123456789'", "'0000000000'"  # translate() masks: ASCII digits only
BETWEEN_MONTHS = "COLLATE \"C\" BETWEEN '01' AND '12'"  # two ASCII digits, bytewise
PYTHON_BATCH = 5000  # rows checked by marshmallow at a time
NUMBER_DIGITS = 1000  # longer numbers go to Python (numeric's own limits are far above)
# An import stages one dataset at a time; each table is dropped before it is made again.
STAGE, CHECKED, REPEATED = "iok_import_stage", "iok_import_checked", "iok_import_repeated"


class NotPlain(Exception):
    """The file is not one the server's CSV reader stages as Python's would."""


class Unsupported(Exception):
    """A schema rule with no SQL form here: the dataset keeps the marshmallow path."""


def _message(call: Callable[[], object]) -> Coded:
    """The (first) message marshmallow gives when ``call`` fails."""
    try:
        call()
    except ValidationError as exc:
        messages = exc.messages
        while isinstance(messages, dict):
            messages = next(iter(messages.values()))
        while isinstance(messages, list):
            messages = messages[0]
        if not isinstance(messages, Coded):
            raise Unsupported(f"an uncoded message: {messages!r}") from None
        return messages
    raise Unsupported("the sample did not fail")  # a plan bug, caught by the tests


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _sql_number(value) -> str:
    return f"{Decimal(value)}::numeric"


# --- one field ----------------------------------------------------------------------------

@dataclass
class FieldPlan:
    """How the SQL reads and checks one field of a row.

    ``checks`` are (condition, message) in marshmallow's order; the first true one is the
    field's error. The conditions use ``@c@``, the cell — never blank, never with blanks
    around it: such rows go to marshmallow whole (``Staging``) — and ``@num@``, the cell as
    a number when its syntax is plain (``number``). ``value`` is the typed value, used only
    when no check failed. ``python`` is true for a cell the SQL cannot decide: its row is
    checked by marshmallow instead.
    """

    name: str
    column: str  # the target table's column
    sql_type: str
    value: str
    checks: list[tuple[str, Coded]] = field(default_factory=list)
    python: str = "false"
    by_value: bool = False  # checked once per distinct cell: dates, few and costly to check
    shape: str | None = None  # ``@shape@``: computed once, for the checks and ``number``
    number: str | None = None  # how ``@num@`` is computed, for number fields


def _field_plan(name: str, fld, column: str) -> FieldPlan:
    kind = type(fld)
    validators = list(fld.validators)
    if len(validators) > 1:
        raise Unsupported(f"{name}: more than one validator")
    non_ascii = "octet_length(@c@) <> char_length(@c@)"
    if kind in (S.Text, S.BankAccount):
        plan = _text_plan(name, fld, column, validators)
    elif kind is S.Period:
        plan = FieldPlan(name, column, "date", "make_date(substr(@c@, 1, 4)::integer, "
                         "substr(@c@, 6, 2)::integer, 1)", by_value=True)
        plan.shape = f"translate(@c@, {DIGITS}, {ZEROS})"
        shape = "@shape@ = '0000-00'"
        plan.checks.append((f"NOT ({shape} AND substr(@c@, 6, 2) {BETWEEN_MONTHS} "
                            "AND substr(@c@, 1, 4) <> '0000')",
                            _message(lambda: fld.deserialize("2025-13"))))
        plan.python = f"(NOT ({shape}) AND {non_ascii})"  # other digits: Python's \\d
    elif kind is S.Day:
        # Month and day are checked before make_date sees them (CASE keeps the order).
        # Text comparisons of the digits, and the length of the month only for days past
        # the 28th: the cheap checks first.
        valid = (f"CASE WHEN substr(@c@, 1, 4) <> '0000' AND substr(@c@, 6, 2) "
                 f"{BETWEEN_MONTHS} THEN substr(@c@, 9, 2) COLLATE \"C\" BETWEEN '01' AND '28' "
                 "OR substr(@c@, 9, 2)::integer BETWEEN 29 AND "
                 "extract(day FROM make_date(substr(@c@, 1, 4)::integer, "
                 "substr(@c@, 6, 2)::integer, 1) + interval '1 month - 1 day')::integer "
                 "ELSE false END")
        plan = FieldPlan(name, column, "date", "", by_value=True)
        plan.shape = f"translate(@c@, {DIGITS}, {ZEROS})"
        shape = "@shape@ = '0000-00-00'"
        plan.value = ("make_date(substr(@c@, 1, 4)::integer, substr(@c@, 6, 2)::integer, "
                      "substr(@c@, 9, 2)::integer)")
        plan.checks.append((f"({shape} AND NOT ({valid}))",
                            _message(lambda: fld.deserialize("2025-02-31"))))
        plan.python = f"NOT ({shape})"  # fromisoformat's other forms: Python decides
    elif kind is S.ExactDecimal:
        plan = FieldPlan(name, column, "numeric", f"round(@num@, {fld.max_places})")
        plan.shape = f"translate(@c@, {DIGITS}, '')"
        plan.number = _plain_number(("", "."), ("+", "-", "+.", "-."))
        plan.checks.append((f"abs(@num@) >= {_sql_number(fld.limit)}",
                            _message(lambda: fld.deserialize(str(fld.limit)))))
        tiny = "0." + "0" * fld.max_places + "1"
        # Only a number with more decimals than allowed can change when rounded: scale()
        # reads that off the value, round() is computed for those alone.
        plan.checks.append((f"scale(@num@) > {fld.max_places} AND "
                            f"round(@num@, {fld.max_places}) <> @num@",
                            _message(lambda: fld.deserialize(tiny))))
        plan.python = "@num@ IS NULL"  # "1e3", "1_000", "NaN": Python decides
    elif kind is S.WholeNumber:
        if not validators or not isinstance(validators[0], validate.Range):
            raise Unsupported(f"{name}: a whole number without a range")
        plan = FieldPlan(name, column, "integer", "@num@::integer")
        plan.shape = f"translate(@c@, {DIGITS}, '')"
        plan.number = _plain_number(("",), ("+", "-"))
        plan.python = "@num@ IS NULL"
    else:
        raise Unsupported(f"{name}: field type {kind.__name__}")
    if kind in (S.ExactDecimal, S.WholeNumber):
        for validator in validators:
            plan.checks.append(_range_check(fld, validator))
    return plan


def _plain_number(unsigned: tuple[str, ...], signed: tuple[str, ...]) -> str:
    """The cell as numeric when it is ASCII digits with at most a leading sign and (for
    decimals) one point — where Python's Decimal/int and PostgreSQL's numeric agree —
    else NULL. ``unsigned``/``signed``: what may remain once the digits are removed."""
    rest = "@shape@"  # the cell without its digits
    allowed = ", ".join(_sql_text(r) for r in unsigned)
    with_sign = ", ".join(_sql_text(r) for r in signed)
    return (f"CASE WHEN char_length(@c@) <= {NUMBER_DIGITS} AND char_length({rest}) < "
            f"char_length(@c@) AND ({rest} IN ({allowed}) OR ({rest} IN ({with_sign}) AND "
            f"left(@c@, 1) IN ('+', '-'))) THEN @c@::numeric END")


def _text_plan(name: str, fld, column: str, validators) -> FieldPlan:
    if type(fld) is S.BankAccount:
        digits = "replace(@c@, ' ', '')"
        plan = FieldPlan(name, column, "text", digits)
        bad = f"(translate({digits}, {DIGITS}, '') <> '' OR char_length({digits}) <> 26)"
        plan.checks.append((bad, _message(lambda: fld.deserialize("12"))))
        plan.python = f"({bad} AND octet_length(@c@) <> char_length(@c@))"
        return plan
    plan = FieldPlan(name, column, "text", "@c@")
    for validator in validators:
        if isinstance(validator, validate.Length) and validator.equal is None:
            parts = []
            # A character is 1-4 bytes: octet_length (free) settles most cells alone.
            if validator.min is not None:
                least = int(validator.min)
                parts.append(f"octet_length(@c@) < {least} OR octet_length(@c@) < "
                             f"{4 * least} AND char_length(@c@) < {least}")
                sample = "x" * (validator.min - 1)
            if validator.max is not None:
                most = int(validator.max)
                parts.append(f"octet_length(@c@) > {most} AND char_length(@c@) > {most}")
                sample = "x" * (validator.max + 1)
            message = _message(lambda s=sample: fld.deserialize(s))
            plan.checks.append((f"({' OR '.join(parts)})", message))
        elif isinstance(validator, validate.OneOf):
            choices = ", ".join(_sql_text(c) for c in validator.choices)
            message = _message(lambda: fld.deserialize("\x01"))
            plan.checks.append((f"@c@ NOT IN ({choices})", message))
        else:
            raise Unsupported(f"{name}: validator {type(validator).__name__}")
    return plan


def _range_check(fld, validator) -> tuple[str, Coded]:
    if not isinstance(validator, validate.Range):
        raise Unsupported(f"validator {type(validator).__name__}")
    parts = []
    if validator.min is not None:
        op = "<" if validator.min_inclusive else "<="
        parts.append(f"@num@ {op} {_sql_number(validator.min)}")
        sample = validator.min - 1 if validator.min_inclusive else validator.min
    if validator.max is not None:
        op = ">" if validator.max_inclusive else ">="
        parts.append(f"@num@ {op} {_sql_number(validator.max)}")
        sample = validator.max + 1 if validator.max_inclusive else validator.max
    return f"({' OR '.join(parts)})", _message(lambda: fld.deserialize(str(sample)))


# --- the schema's own rules (validates_schema hooks) ------------------------------------------

def _date_order_rules(schema) -> list[tuple[str, str, Coded]]:
    rules = []
    for later, earlier in schema.date_order:
        message = _message(lambda la=later, ea=earlier: S._not_before(
            {la: date(2000, 1, 1), ea: date(2000, 1, 2)}, la, ea))
        rules.append((f'(v_{later} IS NOT NULL AND v_{earlier} IS NOT NULL AND '
                      f'v_{later} < v_{earlier})', later, message))
    return rules


def _ledger_sign_rules(schema) -> list[tuple[str, str, Coded]]:
    rules = []
    for kind, condition, sample in ((CHARGE, "<= 0", "0"), (INTEREST, "<= 0", "0"),
                                    (PAYMENT, ">= 0", "0"), (CORRECTION, "= 0", "0")):
        message = _message(lambda k=kind, a=sample: schema._sign(
            {"kind": k, "amount": Decimal(a)}))
        rules.append((f"(v_kind = {_sql_text(kind)} AND v_amount {condition})", "amount",
                      message))
    return rules


# (schema class name, hook) -> rules as (condition on the typed values, field, message)
SCHEMA_RULES: dict[tuple[str, str], Callable] = {
    ("ImportSchema", "_dates_in_order"): _date_order_rules,
    ("LedgerSchema", "_sign"): _ledger_sign_rules,
}


def _hook_owner(schema_class, hook: str) -> str:
    for klass in schema_class.__mro__:
        if hook in vars(klass):
            return klass.__name__
    return "?"


# --- the dataset -----------------------------------------------------------------------------

@dataclass
class Plan:
    spec: Dataset
    fields: list[FieldPlan]
    rules: list[tuple[str, str, Coded]]  # schema-level: one CASE, first true wins
    defaults: dict[str, object]  # missing optional cells
    required: dict[str, Coded]  # missing required cells
    extra_columns: dict[str, object]  # set on created rows: on_create and Python defaults


_PLANS: dict[str, Plan | None] = {}


def plan_for(spec: Dataset) -> Plan | None:
    """The SQL plan of a dataset, or None when a rule of its schema has no SQL form."""
    if spec.name not in _PLANS:
        try:
            _PLANS[spec.name] = _make_plan(spec)
        except Unsupported:
            _PLANS[spec.name] = None
    return _PLANS[spec.name]


def _make_plan(spec: Dataset) -> Plan:
    schema = spec.schema()
    hooks = schema._hooks[VALIDATES_SCHEMA]
    if any(schema._hooks[tag] for tag in schema._hooks if tag != VALIDATES_SCHEMA):
        raise Unsupported("pre/post-load processors or field hooks")
    rules = []
    for hook, many, options in hooks:
        maker = SCHEMA_RULES.get((_hook_owner(spec.schema, hook), hook))
        if maker is None or many or not options.get("skip_on_field_errors", True):
            raise Unsupported(f"schema hook {hook}")
        rules.extend(maker(schema))
    fields, defaults, required = [], {}, {}
    for name, fld in schema.fields.items():
        fields.append(_field_plan(name, fld, spec.column(name)))
        if fld.required:
            required[name] = _message(lambda f=fld: f.deserialize(missing))
        else:
            default = fld.load_default
            defaults[name] = default() if callable(default) else default
    table = spec.model.__table__
    covered = {spec.column(n) for n in spec.fields} | set(spec.on_create) | {"id",
                                                                              "tenant_id"}
    extra = dict(spec.on_create)
    for column in table.columns:
        if column.name in covered:
            continue
        if column.default is not None and column.default.is_scalar:
            extra[column.name] = column.default.arg
        elif column.default is not None and column.default.is_callable:
            extra[column.name] = column.default.arg  # called at each import (a timestamp)
        elif not column.nullable and column.server_default is None:
            raise Unsupported(f"column {column.name} has no value")
    return Plan(spec, fields, rules, defaults, required, extra)


# --- 1. the file into the staging table ------------------------------------------------------

def _escape(cell: str) -> str:
    return (cell.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
            .replace("\r", "\\r"))


class Staging:
    """Streams the records of a CSV file into the staging table with COPY.

    Most rows are staged for the SQL checks. A row with blanks around a cell (or a blank
    cell) is staged as it is but marked ``odd``: stripping, and what a blank means, are
    marshmallow's to decide (bulk files rarely have them). A row with a NUL character
    cannot be stored as PostgreSQL text: it is kept (with its cells) for marshmallow and
    staged with only its external id, so that a later repeat of that id is still found.
    A record with the wrong number of cells is an error of its own and is not staged, as in
    the marshmallow path.
    """

    def __init__(self, plan: Plan, rows: CsvRows) -> None:
        self.plan = plan
        self.rows = rows
        self.total = 0
        self.first_line = 0  # of the first row staged
        self.odd = 0  # rows staged as they are, for marshmallow (those with a NUL too)
        self.with_nul: dict[int, dict] = {}  # line -> raw dict
        self.bad_width: list[tuple[int, Coded]] = []
        self.format_error: FormatError | None = None

    def load(self, cursor) -> None:
        # row_no numbers the lines from 2 (the header is line 1) when the server reads the file
        cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
        cursor.execute(f"CREATE TEMP TABLE {STAGE} (row_no integer GENERATED BY DEFAULT AS "
                       "IDENTITY (START 2), odd boolean NOT NULL DEFAULT false, "
                       + ", ".join(f'"r_{n}" text' for n in self.plan.spec.fields)
                       + ") ON COMMIT DROP")
        if self._load_plain(cursor):
            return
        records = self.rows.records()
        try:
            first = next(records, None)
        except FormatError as exc:
            self.format_error = exc
            first = None
        columns = self.rows.columns or []
        if first is None:
            return
        names = ", ".join(f'"r_{c}"' for c in columns)
        with cursor.copy(f"COPY {STAGE} (row_no, odd, {names}) FROM STDIN") as copy:
            try:
                self._stream(copy, _chain(first, records), columns)
            except FormatError as exc:
                self.format_error = exc

    def _load_plain(self, cursor) -> bool:
        """A plain file, parsed by the server's own CSV reader: True when staged so.

        Plain: a seekable stream, a header of two or more columns, no quote anywhere, no
        line near Python's cell limit (``_may_have_long_cell``), and every line one row —
        which the server proves by refusing a blank line, a wrong number of cells, a byte
        that is not UTF-8, a NUL or a stray line end, and by taking as many rows as the
        file has lines (a line ``\\.`` ends its data early).
        Where Python's csv reader and PostgreSQL's could differ (a quote inside a cell,
        a quoted line break) or the file is not plain, the staging is undone and the rows
        go through ``_stream``, from the start of the file. Measured at 1 M ledger rows
        (bench/import_ledger.py): the Python loop took 1.5 s of the staging's 2.2 s; the
        server's reader takes 0.75 s, and the first import went from 14.3-14.7 s to
        12.9-13.8 s (bench/README.md).
        """
        stream = self.rows.stream
        if not isinstance(stream, io.IOBase) or not stream.seekable() \
                or cursor.connection.info.encoding != "utf-8":
            return False
        start = stream.tell()
        columns = self.rows.plain_header(stream.readline(HEADER_BYTES))
        if columns is None or len(columns) < 2:
            stream.seek(start)
            return False
        names = ", ".join(f'"r_{c}"' for c in columns)
        cursor.execute("SAVEPOINT iok_import_plain")
        try:
            with cursor.copy(f"COPY {STAGE} ({names}) FROM STDIN (FORMAT csv)") as copy:
                lines, last, blanks = 0, b"\n", False
                while block := stream.read(COPY_BLOCK):
                    if b'"' in block or _may_have_long_cell(block):
                        raise NotPlain
                    lines += block.count(b"\n")
                    blanks = blanks or _may_have_blanks(last + block)
                    last = block[-1:]
                    copy.write(block)
                blanks = blanks or _may_have_blanks(last + b"\n")
            staged = cursor.rowcount
            if staged != lines + (last != b"\n"):
                raise NotPlain
        except (NotPlain, psycopg.Error):
            cursor.execute("ROLLBACK TO SAVEPOINT iok_import_plain")
            stream.seek(start)
            self.rows.columns = None
            return False
        cursor.execute("RELEASE SAVEPOINT iok_import_plain")
        self.total = staged
        self.first_line = 2 if staged else 0
        if blanks:
            self._mark_odd(cursor, columns)
        return True

    def _mark_odd(self, cursor, columns: list[str]) -> None:
        """Marks the rows with blanks around a cell (as ``_stream`` does as it reads)."""
        ws = whitespace()
        cursor.execute(f"UPDATE {STAGE} SET odd = true WHERE "
                       + " OR ".join(f'"r_{c}" <> btrim("r_{c}", %(ws)s)' for c in columns),
                       {"ws": ws})
        self.odd = cursor.rowcount

    def _stream(self, copy, records, columns: list[str]) -> None:
        tabs = len(columns) - 1
        ext_index = columns.index("external_id") if "external_id" in columns else None
        buffer: list[str] = []
        size = 0
        for line, cells in records:
            self.total += 1
            if isinstance(cells, Coded):
                self.bad_width.append((line, cells))
                continue
            joined = "\t".join(cells)
            odd = "f" if [c.strip() for c in cells] == cells else "t"
            if joined.count("\t") != tabs or "\\" in joined or "\n" in joined \
                    or "\r" in joined or "\x00" in joined:
                if "\x00" in joined:
                    joined, odd = self._with_nul(line, cells, columns, ext_index), "t"
                else:
                    joined = "\t".join(map(_escape, cells))
            if odd == "t":
                self.odd += 1
            entry = f"{line}\t{odd}\t{joined}\n"
            if not buffer and not self.first_line:
                self.first_line = line
            buffer.append(entry)
            size += len(entry)
            if size >= COPY_BLOCK:
                copy.write("".join(buffer))
                buffer, size = [], 0
        if buffer:
            copy.write("".join(buffer))

    def _with_nul(self, line: int, cells: list[str], columns: list[str],
                  ext_index: int | None) -> str:
        self.with_nul[line] = {n: v for n, v in zip(columns, cells, strict=True) if v != ""}
        staged = ["\\N"] * len(cells)
        if ext_index is not None and "\x00" not in cells[ext_index]:
            staged[ext_index] = _escape(cells[ext_index])
        return "\t".join(staged)


def _may_have_long_cell(block: bytes) -> bool:
    """True when a whole ``LINE_PIECE`` of the block has no line end: a cell longer than
    Python's csv reader takes (``csv.field_size_limit()``, which it reports as malformed)
    would span one; such a file is left to that reader."""
    return any(block.find(b"\n", at, at + LINE_PIECE) < 0
               for at in range(0, len(block) - LINE_PIECE + 1, LINE_PIECE))


@cache
def _blank_marks() -> bytes:
    """A byte table that turns into a space each byte that can begin a whitespace character
    at the start of a cell, or end one at the end of a cell (line ends aside)."""
    marked = set()
    for char in whitespace():
        if char in "\r\n":
            continue
        encoded = char.encode()
        marked.update((encoded[0], encoded[-1]))
    marked = sorted(marked)
    return bytes.maketrans(bytes(marked), b" " * len(marked))


def _may_have_blanks(text: bytes) -> bool:
    """False when no cell of these whole lines of a quote-free file (the byte before them
    included) starts or ends with whitespace; True may be wrong (a cell starting with
    '€' or ending with 'ń' shares a byte with a whitespace character), and the rows are
    then checked one by one. One translate and five searches: measured at 1 M ledger rows,
    0.45 s of the client's time, while the server parses the blocks already sent, against
    0.69 s of the server's for checking every cell in SQL."""
    marked = text.translate(_blank_marks())
    # a lone carriage return never reaches here (the server refuses it): " \r" ends a line
    return b", " in marked or b" ," in marked or b"\n " in marked or b" \n" in marked \
        or b" \r" in marked


def _chain(first, rest):
    yield first
    yield from rest


# --- 2.-3. typed values and checks -------------------------------------------------------------

def _fill(template: str, index: int) -> str:
    return (template.replace("@c@", f"raw_{index}").replace("@num@", f"num_{index}")
            .replace("@shape@", f"shape_{index}"))


def _missing(index: int) -> str:
    return f"(raw_{index} IS NULL OR raw_{index} = '')"


def _value_of(plan: Plan, name: str) -> str:
    """The value a field writes: a reference's resolved id, else the typed value."""
    return f"c.id_{name}" if name in plan.spec.references else f"c.v_{name}"


def checked_select(plan: Plan, where: str, trusted: bool = False) -> str:
    """SELECT of the checked rows of the staging table (``where`` picks them).

    Fenced layers (OFFSET 0 keeps PostgreSQL from folding them into one and so computing
    a shape or number once per use): cells and shapes, numbers, errors, typed values; then
    the schema's rules and the references, resolved against this tenant's rows. A field
    ``by_value`` is checked once per distinct cell (``_by_value``) and joined in.
    ``trusted`` rows were found valid by marshmallow (and staged in canonical form): only
    their values are read, and repeats and references checked.

    Measured at 1 M ledger rows (bench/import_ledger.py, bench/README.md): the two date
    fields checked per row cost about 1.3 s of the first import's INSERT; by value, the
    import went from 14.6-14.9 s to 13.3-14.1 s and the re-import from 7.3-7.6 s to 6.1 s.
    """
    fields = plan.fields
    joined = [] if trusted else [i for i, f in enumerate(fields) if f.by_value]
    inline = [(i, f) for i, f in enumerate(fields) if i not in joined]
    cells = ", ".join(f'"r_{f.name}" AS raw_{i}' for i, f in enumerate(fields))
    lookups = "".join(f", k_{i}.e_{i}, k_{i}.p_{i}, k_{i}.t_{i}" for i in joined)
    joins = "".join(f" JOIN ({_by_value(plan, i, fields[i], where)}) k_{i} ON "
                    f"k_{i}.key_{i} = coalesce(\"r_{fields[i].name}\", '')"
                    for i in joined)
    if trusted:
        checks = [f"NULL::smallint AS e_{i}, false AS p_{i}" for i, _f in inline]
    else:
        checks = [f"{_error_case(plan, i, f)} AS e_{i}, {_python_flag(i, f)} AS p_{i}"
                  for i, f in inline]
    values = [f"t_{i} AS v_{f.name}" if i in joined else f"{_typed_value(i, f)} AS v_{f.name}"
              for i, f in enumerate(fields)]
    flags = " OR ".join(f"p_{i}" for i in range(len(fields)))
    no_field_error = " AND ".join(f"e_{i} IS NULL" for i in range(len(fields)))
    if plan.rules and not trusted:
        whens = " ".join(f"WHEN {condition} THEN {k}"
                         for k, (condition, _f, _m) in enumerate(plan.rules))
        rule = f"CASE WHEN {no_field_error} THEN CASE {whens} END END::smallint"
    else:
        rule = "NULL::smallint"
    ids, references = [], []
    for name, target in plan.spec.references.items():
        table = _table(target)
        ids.append(f", t_{name}.id AS id_{name}")
        references.append(f'LEFT JOIN "{table}" t_{name} ON t_{name}.tenant_id = :tenant '
                          f"AND t_{name}.external_id = d.v_{name}")
    error_columns = ", ".join(f"e_{i}" for i in range(len(fields)))
    return (
        f"SELECT d.*, {rule} AS e_rule{''.join(ids)} FROM ("
        f"SELECT row_no, ({flags}) AS py, {error_columns}, {', '.join(values)} FROM ("
        f"SELECT b.*{''.join(', ' + c for c in checks)} FROM ("
        f"SELECT a.*{_numbers(inline)} FROM ("
        f"SELECT row_no, {cells}{_shapes(inline)}{lookups} FROM {STAGE}{joins} "
        f"WHERE {where} OFFSET 0"
        f") a OFFSET 0) b OFFSET 0) c OFFSET 0) d {' '.join(references)}")


def _by_value(plan: Plan, index: int, f: FieldPlan, where: str) -> str:
    """One field's error, flag and typed value (``e_``, ``p_``, ``t_``) for each distinct
    cell of the rows ``where`` picks, keyed by the cell (``key_``; a NULL cell is keyed
    as empty: both are missing, and a join cannot match NULL). The same layers as
    ``checked_select``, for one field."""
    pair = [(index, f)]
    return (
        f"SELECT raw_{index} AS key_{index}, e_{index}, p_{index}, "
        f"{_typed_value(index, f)} AS t_{index} FROM ("
        f"SELECT b.*, {_error_case(plan, index, f)} AS e_{index}, "
        f"{_python_flag(index, f)} AS p_{index} FROM ("
        f"SELECT a.*{_numbers(pair)} FROM ("
        f'SELECT "r_{f.name}" AS raw_{index}{_shapes(pair)} FROM ('
        f'SELECT DISTINCT coalesce("r_{f.name}", \'\') AS "r_{f.name}" FROM {STAGE} '
        f"WHERE {where}) s OFFSET 0) a OFFSET 0) b OFFSET 0) c")


def _shapes(pairs) -> str:
    return "".join(", " + f.shape.replace("@c@", f'"r_{f.name}"') + f" AS shape_{i}"
                   for i, f in pairs if f.shape)


def _numbers(pairs) -> str:
    return "".join(f", {_fill(f.number, i)} AS num_{i}" for i, f in pairs if f.number)


def _error_case(plan: Plan, index: int, f: FieldPlan) -> str:
    """The number of the field's first failed check (0: missing, but required), or NULL."""
    whens = [f"WHEN {_missing(index)} THEN {0 if f.name in plan.required else 'NULL'}"]
    whens += [f"WHEN {_fill(condition, index)} THEN {k + 1}"
              for k, (condition, _message) in enumerate(f.checks)]
    return f"CASE {' '.join(whens)} END::smallint"


def _python_flag(index: int, f: FieldPlan) -> str:
    """True when marshmallow must decide the cell."""
    if f.python == "false":
        return "false"
    return f"(NOT {_missing(index)} AND {_fill(f.python, index)})"


def _typed_value(index: int, f: FieldPlan) -> str:
    """The typed value (the default when missing); NULL after an error or a flag."""
    return (f"CASE WHEN e_{index} IS NULL AND NOT p_{index} THEN CASE WHEN {_missing(index)} "
            f"THEN CAST(:d_{index} AS {f.sql_type}) ELSE ({_fill(f.value, index)})::"
            f"{f.sql_type} END END")


def _table(dataset: str) -> str:
    return DATASETS[dataset].model.__table__.name


@cache
def whitespace() -> str:
    """Every character Python's str.strip() removes (Text fields strip exactly these)."""
    return "".join(chr(c) for c in range(0x110000) if chr(c).isspace())


def _params(plan: Plan, tenant_id: int, **more) -> dict:
    params = {"ws": whitespace(), "tenant": tenant_id, **more}
    for i, f in enumerate(plan.fields):
        params[f"d_{i}"] = plan.defaults.get(f.name)
    return params


def _good(plan: Plan) -> str:
    """A checked row with no error of its own: every check passed, nothing left for
    marshmallow to decide, its references found."""
    parts = [f"c.e_{i} IS NULL" for i in range(len(plan.fields))]
    parts += ["c.e_rule IS NULL", "NOT c.py"]
    parts += [f"c.id_{name} IS NOT NULL" for name in plan.spec.references]
    return " AND ".join(parts)


def _ok(plan: Plan) -> str:
    """A checked row that may be written: good, and not a repeat of an earlier row."""
    return f"{_good(plan)} AND (r.first_row IS NULL OR r.first_row >= c.row_no)"


# --- 4. errors, in the marshmallow path's order ----------------------------------------------

def _error_query(plan: Plan) -> str:
    fields = plan.fields
    valid = " AND ".join([f"c.e_{i} IS NULL" for i in range(len(fields))]
                         + ["c.e_rule IS NULL"])
    repeat = f"({valid} AND r.first_row IS NOT NULL AND r.first_row < c.row_no)"
    items = [f"({i}, c.e_{i}, NULL::text, NULL::integer)" for i in range(len(fields))]
    items.append("(1000, c.e_rule, NULL, NULL)")
    items.append(f"(2000, CASE WHEN {repeat} THEN 0 END, c.v_external_id, r.first_row)")
    for k, name in enumerate(plan.spec.references):
        index = next(i for i, f in enumerate(fields) if f.name == name)
        items.append(f"({3000 + k}, CASE WHEN c.e_{index} IS NULL AND c.v_{name} IS NOT NULL "
                     f"AND c.id_{name} IS NULL AND NOT {repeat} THEN 0 END, c.v_{name}, "
                     "NULL)")
    return (f"SELECT c.row_no, v.seq, v.code, v.extra, v.first_row, count(*) OVER () "
            f"FROM {CHECKED} c LEFT JOIN {REPEATED} r ON r.key = c.v_external_id "
            f"CROSS JOIN LATERAL (VALUES {', '.join(items)}) v(seq, code, extra, first_row) "
            f"WHERE NOT ({_ok(plan)}) AND v.code IS NOT NULL "
            "ORDER BY c.row_no, v.seq LIMIT :kept")


def _describe(plan: Plan, seq: int, code: int, extra: str | None,
              first_row: int | None) -> tuple[str | None, Coded]:
    if seq < 1000:
        f = plan.fields[seq]
        if code == 0:
            return f.name, plan.required[f.name]
        return f.name, f.checks[code - 1][1]
    if seq == 1000:
        _condition, name, message = plan.rules[code]
        return name, message
    if seq == 2000:
        return "external_id", duplicate_problem(extra, first_row)
    name = list(plan.spec.references)[seq - 3000]
    return name, reference_problem(plan.spec.references[name], extra)


# --- the whole dataset -----------------------------------------------------------------------

# The datasets whose generated SQL checks are proven against the marshmallow path on the
# shared corpus (tests/imports/test_copy_path.py); a new dataset joins once the corpus has
# its good and bad rows, until then it takes the marshmallow path.
PROVEN = frozenset({"associations", "units", "titles", "charges", "ledger", "meters",
                    "readings", "memberships", "court_cases", "land_costs", "services"})


def _raw(statement, params=None):
    """The COPY path's textual SQL, on the import's own connection and transaction. It names
    tenant tables, which the ORM's scoping refuses in text: each statement binds the tenant
    id itself, and row-level security still holds (the tenant setting was applied by the
    session's first statement of this import, ``SET LOCAL work_mem``)."""
    return db.session.connection().execute(statement, params or {})


def usable(importer: _Importer, spec: Dataset, rows) -> Plan | None:
    """The plan when this dataset can take the COPY path, else None."""
    if spec.name not in PROVEN or not isinstance(rows, CsvRows) \
            or db.session.get_bind().dialect.name != "postgresql":
        return None
    if not current_app.config.get("IOK_IMPORT_COPY", True):
        return None
    # References to rows of an earlier part of this import are resolved in Python only.
    if any(importer.seen.get(target) for target in spec.references.values()):
        return None
    return plan_for(spec)


def run(importer: _Importer, plan: Plan, rows: CsvRows, counts) -> None:
    """Stage, check, count and (when the import may write) write one CSV dataset."""
    session = db.session
    session.execute(text("SET LOCAL work_mem = '256MB'"))  # the joins and sorts below
    staging = Staging(plan, rows)
    cursor = session.connection().connection.dbapi_connection.cursor()
    try:
        staging.load(cursor)
    finally:
        cursor.close()
    counts.total += staging.total
    params = _params(plan, importer.tenant_id)
    if _write_first(importer, plan, staging, params):
        counts.created += staging.total
        return
    _raw(text(f"DROP TABLE IF EXISTS {CHECKED}"))
    _raw(text(f"CREATE TEMP TABLE {CHECKED} ON COMMIT DROP AS "
                         f"{checked_select(plan, 'NOT odd')}"), params)
    # The id as the marshmallow path keys it: stripped (only an odd row may need it).
    key = "CASE WHEN odd THEN btrim(r_external_id, :ws) ELSE r_external_id END"
    _raw(text(f"DROP TABLE IF EXISTS {REPEATED}"))
    _raw(text(
        f"CREATE TEMP TABLE {REPEATED} ON COMMIT DROP AS SELECT {key} AS key, "
        f"min(row_no) AS first_row FROM {STAGE} WHERE {key} <> '' GROUP BY 1 "
        "HAVING count(*) > 1"), params)
    # The repeats' statistics (autovacuum never sees temporary tables; this one is small):
    # without them the planner guessed ~1 300 repeats and joined them to the checked rows by
    # sorting every row on its external id (text, in the database's collation) rather than
    # hashing. (Analysing the checked table too cost more than it saved.)
    _raw(text(f"ANALYZE {REPEATED}"))
    python_errors = _check_in_python(importer, plan, staging, params)
    if staging.format_error is not None:
        _report(importer, plan, python_errors, staging, True)
        raise staging.format_error  # as the marshmallow path: rows read so far are reported
    bad, found = _tally(plan, params)
    _report(importer, plan, python_errors, staging, bad > 0)
    counts.created += found.created
    counts.updated += found.updated
    counts.unchanged += found.unchanged
    if importer.writing:
        _write(importer, plan, found, params, staging.first_line)


def _write_first(importer: _Importer, plan: Plan, staging: Staging, params: dict) -> bool:
    """A tenant's first import of a dataset, checked while it is written: True when done.

    The first file is the largest (a full history). The usual path materialises the
    checked rows, finds the repeats and counts the rows against the stored ones, then
    writes; with nothing stored there is nothing to count, and one INSERT can check and
    write: a row that fails a check, or that marshmallow must decide, is given no external
    id, which the table refuses, and a repeated id breaks the unique key. The first refusal
    undoes the attempt (a savepoint; the server logs the refusal) and the usual path runs
    and reports every error. Measured with bench/import_ledger.py at 1 M ledger rows:
    17.6-19.6 s before, 15.8-16.8 s with it (the checked table, repeats and count took
    5.9 s; the checks inside the INSERT cost 4.4 s); a bad file pays for the attempt up to
    its first bad row.
    """
    spec = plan.spec
    table = spec.model.__table__
    if not importer.writing or staging.total == 0 or staging.odd or staging.bad_width \
            or staging.format_error is not None or table.c.external_id.nullable:
        return False
    if _raw(text(f'SELECT EXISTS (SELECT FROM "{table.name}" WHERE tenant_id = :tenant)'),
            params).scalar():
        return False
    statement, values = _insert(plan, f"({checked_select(plan, 'true')}) c",
                                f"CASE WHEN {_good(plan)} THEN c.v_external_id END")
    savepoint = db.session.begin_nested()
    try:
        _raw(statement, params | values)
    except DBAPIError:
        savepoint.rollback()
        return False
    savepoint.commit()
    if staging.total >= ANALYZE_AFTER:
        rls.analyze(db.session.connection(), table.name)
    return True


def _check_in_python(importer: _Importer, plan: Plan, staging: Staging,
                     params: dict) -> list[tuple[int, int, str | None, Coded]]:
    """Odd rows, and rows with a cell the SQL cannot decide, go through the marshmallow
    schema, a batch at a time: a valid one is staged again in its canonical form and
    checked with the rest (repeats and references), a bad one is reported from here."""
    lines = sorted(set(_raw(text(
        f"SELECT row_no FROM {CHECKED} WHERE py UNION ALL "
        f"SELECT row_no FROM {STAGE} WHERE odd")).scalars()))
    if not lines:
        return []
    _raw(text(f"DELETE FROM {CHECKED} WHERE py"))
    names = list(plan.spec.fields)
    columns = ", ".join(f'"r_{n}"' for n in names)
    schema = plan.spec.schema()
    errors = []
    for start in range(0, len(lines), PYTHON_BATCH):
        batch = lines[start:start + PYTHON_BATCH]
        raws = {}
        for row in _raw(text(f"SELECT row_no, {columns} FROM {STAGE} "
                                        "WHERE row_no = ANY(:rows)"), {"rows": batch}):
            raws[row[0]] = staging.with_nul.get(row[0]) or {
                n: v for n, v in zip(names, row[1:], strict=True) if v is not None and v != ""}
        canonical = []
        for line in batch:
            data, problems = importer.row_problems(plan.spec, schema, raws[line])
            if data is None:
                errors += [(line, k, name, message)
                           for k, (name, message) in enumerate(problems)]
            else:
                canonical.append({"row": line, **{
                    f"c_{n}": _canonical(schema.fields[n], data[n]) for n in names}})
        if canonical:
            sets = ", ".join(f'"r_{n}" = :c_{n}' for n in names)
            _raw(text(f"UPDATE {STAGE} SET {sets}, odd = false "
                                 "WHERE row_no = :row"), canonical)
            _raw(text(f"INSERT INTO {CHECKED} "
                                 f"{checked_select(plan, 'row_no = ANY(:rows)', True)}"),
                            params | {"rows": [entry["row"] for entry in canonical]})
    return errors


def _canonical(fld, value) -> str | None:
    """A valid value as a cell the SQL reads back as the same value."""
    if value is None:
        return None
    if isinstance(fld, S.Period):
        return f"{value.year:04d}-{value.month:02d}"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _report(importer: _Importer, plan: Plan, python_errors: list, staging: Staging,
            sql_errors: bool) -> None:
    """Every error of the dataset, in row order and in each row in the marshmallow path's
    order, to the importer (which keeps the first ERRORS_KEPT and counts them all)."""
    found = [(line, -1, None, problem) for line, problem in staging.bad_width]
    found += python_errors
    total = len(found)
    sql = _raw(text(_error_query(plan)), {"kept": ERRORS_KEPT}) \
        if sql_errors else ()
    for row_no, seq, code, extra, first_row, total_sql in sql:
        total = len(staging.bad_width) + len(python_errors) + total_sql
        found.append((row_no, seq, *_describe(plan, seq, code, extra, first_row)))
    found.sort(key=lambda item: (item[0], item[1]))
    kept = found[:ERRORS_KEPT]
    for line, _seq, name, message in kept:
        importer.error(plan.spec.name, line, name, message)
    importer.errors_total += total - len(kept)  # counted, not kept (as importer.error does)


def _evaluated(value):
    return value(None) if callable(value) else value


def _tally(plan: Plan, params: dict):
    """(rows with an error, Counts of the good rows against the stored ones): one join."""
    spec = plan.spec
    bad, good, existing, changed = _raw(text(
        f"SELECT count(*) FILTER (WHERE NOT ok), count(*) FILTER (WHERE ok), "
        f"count(t.id) FILTER (WHERE ok), count(*) FILTER (WHERE ok AND t.id IS NOT NULL AND "
        f"({_stored(plan)}) IS DISTINCT FROM ({_new(plan)})) FROM (SELECT c.*, {_ok(plan)} "
        f"AS ok FROM {CHECKED} c LEFT JOIN {REPEATED} r ON r.key = c.v_external_id) c "
        f'LEFT JOIN "{spec.model.__table__.name}" t ON {MATCH}'), params).one()
    return bad, Counts(created=good - existing, updated=changed, unchanged=existing - changed)


MATCH = "t.tenant_id = :tenant AND t.external_id = c.v_external_id"


def _names(plan: Plan) -> list[str]:
    return [n for n in plan.spec.fields if n != "external_id"]


def _stored(plan: Plan) -> str:
    return ", ".join(f't."{plan.spec.column(n)}"' for n in _names(plan))


def _new(plan: Plan) -> str:
    return ", ".join(_value_of(plan, n) for n in _names(plan))


def _insert(plan: Plan, source: str, external_id: str):
    """INSERT of new rows from the checked rows ``c`` of ``source``; its own parameters."""
    spec = plan.spec
    extra = list(plan.extra_columns)
    columns = ", ".join(f'"{c}"' for c in ["tenant_id", *extra, "external_id",
                                           *(spec.column(n) for n in _names(plan))])
    values = ", ".join([":tenant", *(f":x_{i}" for i in range(len(extra))), external_id,
                        _new(plan)])
    return (text(f'INSERT INTO "{spec.model.__table__.name}" ({columns}) SELECT {values} '
                 f"FROM {source}"),
            {f"x_{i}": _evaluated(plan.extra_columns[c]) for i, c in enumerate(extra)})


def _write(importer: _Importer, plan: Plan, found, params: dict, first_line: int) -> None:
    """One UPDATE of the changed rows, one INSERT of the new ones (every row is good)."""
    spec = plan.spec
    table = spec.model.__table__.name
    names = _names(plan)
    try:
        if found.updated:
            sets = ", ".join(f'"{spec.column(n)}" = {_value_of(plan, n)}' for n in names)
            _raw(text(
                f'UPDATE "{table}" t SET {sets} FROM {CHECKED} c WHERE {MATCH} AND '
                f"({_stored(plan)}) IS DISTINCT FROM ({_new(plan)})"), params)
        if found.created:
            # With no stored row matched, there is nothing to skip (a row another import
            # adds meanwhile makes the unique constraint refuse, as in the other path).
            # The checked table is in file order, and so are the new ids.
            skip = "" if found.updated + found.unchanged == 0 else \
                f' WHERE NOT EXISTS (SELECT 1 FROM "{table}" t WHERE {MATCH})'
            statement, values = _insert(plan, f"{CHECKED} c{skip}", "c.v_external_id")
            _raw(statement, params | values)
    except DBAPIError as exc:
        db.session.rollback()
        importer.refused(spec.name, first_line, exc)
        return
    if found.created + found.updated >= ANALYZE_AFTER:
        rls.analyze(db.session.connection(), table)
