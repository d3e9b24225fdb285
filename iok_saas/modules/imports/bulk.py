# ruff: noqa: S608 (SQL is built from the schemas' and models' names; every value is bound)
"""The PostgreSQL path of a CSV import: COPY into a staging table, checks in set-based SQL.

``import_data`` (services.py) stays the one entry point; on PostgreSQL it hands a CSV
dataset here when ``plan_for`` can express every rule of the dataset's marshmallow schema
in SQL. The steps, all inside the import's transaction:

1. the file is streamed (Python's csv reader, the same one the marshmallow path uses, so
   line numbers and the header rules are the same) into a temporary table of raw cells,
   with ``COPY … FROM STDIN``;
2. cells whose syntax the SQL cannot decide with certainty (a number written "1e3" or
   "1_000", a date that is not plain YYYY-MM-DD, non-ASCII digits, a NUL character) send
   their row through the marshmallow schema itself — rare, and exact by construction;
3. one statement turns the raw cells into typed values and, per field, the index of the
   first failed check; the checks and their messages are generated from the schema's
   fields, validators and hooks (``FieldPlan``), the messages taken from marshmallow
   itself, so both paths word an error identically;
4. duplicates inside the file, references to this tenant's rows, and the row's errors in
   the order the marshmallow path reports them are read in one query (the first
   ``ERRORS_KEPT`` of them, and their total);
5. rows are classified against the stored ones (created / updated / unchanged) with one
   join, and, when the import may write, written with one UPDATE and one INSERT.

Nothing here commits. Row-level security applies to every statement on a tenant table
(they run through the session, which sets the tenant for the transaction); the temporary
tables are the session's own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from marshmallow import ValidationError, missing, validate
from marshmallow.decorators import VALIDATES_SCHEMA
from sqlalchemy import text

from iok_saas.extensions import db
from iok_saas.modules.ledger.models import CHARGE, CORRECTION, INTEREST, PAYMENT

from . import schemas as S
from .formats import CsvRows, Dataset, FormatError
from .problems import Coded

if TYPE_CHECKING:
    from .services import _Importer

# Every character Python's str.strip() removes: Text fields strip exactly these.
WHITESPACE = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())
COPY_BLOCK = 1 << 18  # characters of COPY data sent at a time
NUMBER_SYNTAX = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)$"  # what Decimal() and numeric agree on
INTEGER_SYNTAX = r"^[+-]?[0-9]+$"
DATE_SYNTAX = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
NUMBER_DIGITS = 1000  # longer numbers go to Python (numeric's own limits are far above)
# Conflict-free names: one staging table per dataset, dropped before it is made again.
STAGE, CHECKED, REPEATED = "iok_import_stage", "iok_import_checked", "iok_import_repeated"


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
    field's error. The conditions may use ``@raw@`` (the cell, NULL when empty or absent),
    ``@st@`` (stripped) and ``@num@`` (the cell as a number when its syntax is plain). ``value``
    is the typed value, used only when no check failed. ``python`` is true for a cell the
    SQL cannot decide: its row is checked by marshmallow instead.
    """

    name: str
    column: str  # the target table's column
    sql_type: str
    value: str
    checks: list[tuple[str, Coded]] = field(default_factory=list)
    python: str = "false"
    number: str | None = None  # how ``@num@`` is computed, for number fields


def _field_plan(name: str, fld, column: str) -> FieldPlan:
    kind = type(fld)
    validators = list(fld.validators)
    if len(validators) > 1:
        raise Unsupported(f"{name}: more than one validator")
    if kind in (S.Text, S.BankAccount):
        plan = _text_plan(name, fld, column, validators)
    elif kind is S.Period:
        plan = FieldPlan(name, column, "date", "make_date(substr(@st@, 1, 4)::integer, "
                         "substr(@st@, 6, 2)::integer, 1)")
        month = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
        plan.checks.append((f"NOT (@st@ ~ '{month}' AND substr(@st@, 1, 4) <> '0000')",
                            _message(lambda: fld.deserialize("2025-13"))))
        plan.python = f"(@st@ !~ '{month}' AND octet_length(@st@) <> char_length(@st@))"
    elif kind is S.Day:
        # fields.Date does not strip: the cell as it is. Month and day are checked before
        # make_date sees them (CASE keeps the order).
        valid = ("CASE WHEN substr(@raw@, 1, 4)::integer >= 1 AND substr(@raw@, 6, 2)::integer "
                 "BETWEEN 1 AND 12 THEN substr(@raw@, 9, 2)::integer BETWEEN 1 AND "
                 "extract(day FROM make_date(substr(@raw@, 1, 4)::integer, "
                 "substr(@raw@, 6, 2)::integer, 1) + interval '1 month - 1 day')::integer "
                 "ELSE false END")
        plan = FieldPlan(name, column, "date", "make_date(substr(@raw@, 1, 4)::integer, "
                         "substr(@raw@, 6, 2)::integer, substr(@raw@, 9, 2)::integer)")
        plan.checks.append((f"(@raw@ ~ '{DATE_SYNTAX}' AND NOT ({valid}))",
                            _message(lambda: fld.deserialize("2025-02-31"))))
        plan.python = f"@raw@ !~ '{DATE_SYNTAX}'"
    elif kind is S.ExactDecimal:
        plan = FieldPlan(name, column, "numeric", f"round(@num@, {fld.max_places})")
        plan.number = (f"CASE WHEN @st@ ~ '{NUMBER_SYNTAX}' AND char_length(@st@) <= "
                       f"{NUMBER_DIGITS} THEN @st@::numeric END")
        plan.checks.append((f"abs(@num@) >= {_sql_number(fld.limit)}",
                            _message(lambda: fld.deserialize(str(fld.limit)))))
        tiny = "0." + "0" * fld.max_places + "1"
        plan.checks.append((f"round(@num@, {fld.max_places}) <> @num@",
                            _message(lambda: fld.deserialize(tiny))))
        plan.python = "@num@ IS NULL"
    elif kind is S.WholeNumber:
        if not validators or not isinstance(validators[0], validate.Range):
            raise Unsupported(f"{name}: a whole number without a range")
        # int() strips blanks itself, and so does numeric; any other form goes to Python.
        plan = FieldPlan(name, column, "integer", "@num@::integer")
        plan.number = (f"CASE WHEN @raw@ ~ '{INTEGER_SYNTAX}' AND char_length(@raw@) <= "
                       f"{NUMBER_DIGITS} THEN @raw@::numeric END")
        plan.python = "@num@ IS NULL"
    else:
        raise Unsupported(f"{name}: field type {kind.__name__}")
    if kind in (S.ExactDecimal, S.WholeNumber):
        for validator in validators:
            plan.checks.append(_range_check(fld, validator))
    return plan


def _text_plan(name: str, fld, column: str, validators) -> FieldPlan:
    # A blank optional cell is None: no validator sees it.
    blank = "@st@ = ''" if fld.allow_none else "false"
    value = "NULLIF(@st@, '')" if fld.allow_none else "@st@"
    if type(fld) is S.BankAccount:
        digits = "replace(@st@, ' ', '')"
        plan = FieldPlan(name, column, "text", f"NULLIF({digits}, '')")
        bad = f"(NOT ({blank}) AND {digits} !~ '^[0-9]{{26}}$')"
        plan.checks.append((bad, _message(lambda: fld.deserialize("12"))))
        plan.python = f"({bad} AND octet_length(@st@) <> char_length(@st@))"
        return plan
    plan = FieldPlan(name, column, "text", value)
    for validator in validators:
        if isinstance(validator, validate.Length) and validator.equal is None:
            parts = []
            if validator.min is not None:
                parts.append(f"char_length(@st@) < {int(validator.min)}")
                sample = "x" * (validator.min - 1)
            if validator.max is not None:
                parts.append(f"char_length(@st@) > {int(validator.max)}")
                sample = "x" * (validator.max + 1)
            message = _message(lambda s=sample: fld.deserialize(s))
            plan.checks.append((f"(NOT ({blank}) AND ({' OR '.join(parts)}))", message))
        elif isinstance(validator, validate.OneOf):
            choices = ", ".join(_sql_text(c) for c in validator.choices)
            message = _message(lambda: fld.deserialize("\x01"))
            plan.checks.append((f"(NOT ({blank}) AND @st@ NOT IN ({choices}))", message))
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

    A record with a NUL character cannot be stored as PostgreSQL text: it is kept (with
    its cells) for marshmallow, and staged with only its external id, so that duplicates
    are still found. A record with the wrong number of cells is an error of its own and
    is not staged, as in the marshmallow path.
    """

    def __init__(self, plan: Plan, rows: CsvRows) -> None:
        self.plan = plan
        self.rows = rows
        self.total = 0
        self.odd: dict[int, dict] = {}  # line -> raw dict, for the rows with a NUL
        self.bad_width: list[tuple[int, Coded]] = []
        self.format_error: FormatError | None = None

    def load(self, cursor) -> None:
        records = self.rows.records()
        try:
            first = next(records, None)
        except FormatError as exc:
            self.format_error = exc
            first = None
        columns = self.rows.columns or []
        names = ", ".join(f'"r_{c}"' for c in columns)
        cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
        cursor.execute(f"CREATE TEMP TABLE {STAGE} (row_no integer, odd boolean, "
                       + ", ".join(f'"r_{n}" text' for n in self.plan.spec.fields)
                       + ") ON COMMIT DROP")
        if first is None:
            return
        width = len(columns) - 1
        ext_index = columns.index("external_id") if "external_id" in columns else None
        with cursor.copy(f"COPY {STAGE} (row_no, odd, {names}) FROM STDIN") as copy:
            buffer: list[str] = []
            size = 0
            try:
                for line, cells in _chain(first, records):
                    self.total += 1
                    if isinstance(cells, Coded):
                        self.bad_width.append((line, cells))
                        continue
                    joined = "\t".join(cells)
                    flag = "f"
                    if joined.count("\t") != width or "\\" in joined or "\n" in joined \
                            or "\r" in joined or "\x00" in joined:
                        if "\x00" in joined:
                            joined, flag = self._odd(line, cells, columns, ext_index), "t"
                        else:
                            joined = "\t".join(map(_escape, cells))
                    entry = f"{line}\t{flag}\t{joined}\n"
                    buffer.append(entry)
                    size += len(entry)
                    if size >= COPY_BLOCK:
                        copy.write("".join(buffer))
                        buffer, size = [], 0
            except FormatError as exc:
                self.format_error = exc
            if buffer:
                copy.write("".join(buffer))
        cursor.execute(f"ANALYZE {STAGE}")

    def _odd(self, line: int, cells: list[str], columns: list[str],
             ext_index: int | None) -> str:
        self.odd[line] = {n: v for n, v in zip(columns, cells, strict=True) if v != ""}
        staged = ["\\N"] * len(cells)
        if ext_index is not None and "\x00" not in cells[ext_index]:
            staged[ext_index] = _escape(cells[ext_index])
        return "\t".join(staged)


def _chain(first, rest):
    yield first
    yield from rest


# --- 2.-3. typed values and checks -------------------------------------------------------------

def _fill(template: str, index: int) -> str:
    return (template.replace("@raw@", f"raw_{index}").replace("@st@", f"st_{index}")
            .replace("@num@", f"num_{index}"))


def _missing(index: int) -> str:
    return f"(raw_{index} IS NULL OR raw_{index} = '')"


def _value_of(plan: Plan, name: str) -> str:
    """The value a field writes: a reference's resolved id, else the typed value."""
    return f"c.id_{name}" if name in plan.spec.references else f"c.v_{name}"


def checked_select(plan: Plan, where: str) -> str:
    """SELECT of the checked rows of the staging table (``where`` picks them).

    Four fenced layers (OFFSET 0 keeps PostgreSQL from folding them into one and so
    computing a stripped cell once per use): cells, numbers, errors, typed values; then
    the schema's rules and the references, resolved against this tenant's rows.
    """
    fields = plan.fields
    cells = ", ".join(f'"r_{f.name}" AS raw_{i}, btrim("r_{f.name}", :ws) AS st_{i}'
                      for i, f in enumerate(fields))
    numbers = "".join(f", {_fill(f.number, i)} AS num_{i}" for i, f in enumerate(fields)
                      if f.number)
    errors, python = [], []
    for i, f in enumerate(fields):
        whens = [f"WHEN {_missing(i)} THEN {0 if f.name in plan.required else 'NULL'}"]
        whens += [f"WHEN {_fill(condition, i)} THEN {k + 1}"
                  for k, (condition, _message) in enumerate(f.checks)]
        errors.append(f"CASE {' '.join(whens)} END::smallint AS e_{i}")
        python.append(f"(NOT {_missing(i)} AND {_fill(f.python, i)}) AS p_{i}")
    values = []
    for i, f in enumerate(fields):
        values.append(
            f"CASE WHEN e_{i} IS NULL AND NOT p_{i} THEN CASE WHEN {_missing(i)} THEN "
            f"CAST(:d_{i} AS {f.sql_type}) ELSE ({_fill(f.value, i)})::{f.sql_type} END "
            f"END AS v_{f.name}")
    flags = " OR ".join(f"p_{i}" for i in range(len(fields)))
    no_field_error = " AND ".join(f"e_{i} IS NULL" for i in range(len(fields)))
    if plan.rules:
        whens = " ".join(f"WHEN {condition} THEN {k}"
                         for k, (condition, _f, _m) in enumerate(plan.rules))
        rule = f"CASE WHEN {no_field_error} THEN CASE {whens} END END::smallint"
    else:
        rule = "NULL::smallint"
    ids, joins = [], []
    for name, target in plan.spec.references.items():
        table = _table(target)
        ids.append(f", t_{name}.id AS id_{name}")
        joins.append(f'LEFT JOIN "{table}" t_{name} ON t_{name}.tenant_id = :tenant '
                     f"AND t_{name}.external_id = d.v_{name}")
    error_columns = ", ".join(f"e_{i}" for i in range(len(fields)))
    return (
        f"SELECT d.*, {rule} AS e_rule{''.join(ids)} FROM ("
        f"SELECT row_no, ({flags}) AS py, {error_columns}, {', '.join(values)} FROM ("
        f"SELECT b.*, {', '.join(errors)}, {', '.join(python)} FROM ("
        f"SELECT a.*{numbers} FROM ("
        f"SELECT row_no, {cells} FROM {STAGE} WHERE {where} OFFSET 0"
        f") a OFFSET 0) b OFFSET 0) c OFFSET 0) d {' '.join(joins)}")


def _table(dataset: str) -> str:
    from .formats import DATASETS

    return DATASETS[dataset].model.__table__.name


def _params(plan: Plan, tenant_id: int, **more) -> dict:
    params = {"ws": WHITESPACE, "tenant": tenant_id, **more}
    for i, f in enumerate(plan.fields):
        params[f"d_{i}"] = plan.defaults.get(f.name)
    return params


def _ok(plan: Plan) -> str:
    """A checked row that may be written: no error, not a repeat, its references found."""
    parts = [f"c.e_{i} IS NULL" for i in range(len(plan.fields))]
    parts.append("c.e_rule IS NULL")
    parts.append("(r.first_row IS NULL OR r.first_row >= c.row_no)")
    parts += [f"c.id_{name} IS NOT NULL" for name in plan.spec.references]
    return " AND ".join(parts)


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
    from .services import duplicate_problem, reference_problem

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

def usable(importer: _Importer, spec: Dataset, rows) -> Plan | None:
    """The plan when this dataset can take the COPY path, else None."""
    if not isinstance(rows, CsvRows) or db.session.get_bind().dialect.name != "postgresql":
        return None
    from flask import current_app

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
    session.execute(text(f"DROP TABLE IF EXISTS {CHECKED}"))
    session.execute(text(f"CREATE TEMP TABLE {CHECKED} ON COMMIT DROP AS "
                         f"{checked_select(plan, 'NOT odd')}"), params)
    session.execute(text(f"DROP TABLE IF EXISTS {REPEATED}"))
    session.execute(text(
        f"CREATE TEMP TABLE {REPEATED} ON COMMIT DROP AS SELECT btrim(r_external_id, :ws) "
        f"AS key, min(row_no) AS first_row FROM {STAGE} WHERE btrim(r_external_id, :ws) <> '' "
        "GROUP BY 1 HAVING count(*) > 1"), params)
    python_errors = _check_in_python(importer, plan, staging, params)
    session.execute(text(f"ANALYZE {CHECKED}"))
    _report(importer, plan, python_errors, staging)
    if staging.format_error is not None:
        raise staging.format_error  # as the marshmallow path: rows read so far are reported
    _classify_and_write(importer, plan, counts, params)


def _check_in_python(importer: _Importer, plan: Plan, staging: Staging,
                     params: dict) -> list[tuple[int, int, str | None, Coded]]:
    """Rows with a cell the SQL cannot decide go through the marshmallow schema: a valid
    one is staged again in its canonical form and checked with the rest (repeats and
    references), a bad one is reported from here."""
    session = db.session
    lines = list(session.execute(text(f"SELECT row_no FROM {CHECKED} WHERE py")).scalars())
    if not lines and not staging.odd:
        return []
    names = list(plan.spec.fields)
    raws = dict(staging.odd)
    if lines:
        columns = ", ".join(f'"r_{n}"' for n in names)
        for row in session.execute(text(f"SELECT row_no, {columns} FROM {STAGE} "
                                        "WHERE row_no = ANY(:rows)"), {"rows": lines}):
            raws[row[0]] = {n: v for n, v in zip(names, row[1:], strict=True)
                            if v is not None and v != ""}
    schema = plan.spec.schema()
    errors, canonical = [], []
    for line in sorted(raws):
        data, problems = importer.row_problems(plan.spec, schema, raws[line])
        if data is None:
            errors += [(line, k, name, message) for k, (name, message) in enumerate(problems)]
        else:
            canonical.append({"row": line, **{f"c_{n}": _canonical(data[n]) for n in names}})
    session.execute(text(f"DELETE FROM {CHECKED} WHERE py"))
    if canonical:
        sets = ", ".join(f'"r_{n}" = :c_{n}' for n in names)
        session.execute(text(f"UPDATE {STAGE} SET {sets}, odd = false WHERE row_no = :row"),
                        canonical)
        rows = [entry["row"] for entry in canonical]
        session.execute(text(f"INSERT INTO {CHECKED} "
                             f"{checked_select(plan, 'row_no = ANY(:rows)')}"),
                        params | {"rows": rows})
    return errors


def _canonical(value) -> str | None:
    """A valid value as a cell the SQL reads back as the same value."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _report(importer: _Importer, plan: Plan, python_errors: list,
            staging: Staging) -> None:
    from .services import ERRORS_KEPT

    found = [(line, -1, None, problem) for line, problem in staging.bad_width]
    found += python_errors
    total = len(found)
    for row_no, seq, code, extra, first_row, total_sql in db.session.execute(
            text(_error_query(plan)), {"kept": ERRORS_KEPT}):
        total = len(staging.bad_width) + len(python_errors) + total_sql
        found.append((row_no, seq, *_describe(plan, seq, code, extra, first_row)))
    found.sort(key=lambda item: (item[0], item[1]))
    kept = found[:ERRORS_KEPT]
    for line, _seq, name, message in kept:
        importer.error(plan.spec.name, line, name, message)
    importer.errors_total += total - len(kept)  # counted, not kept (as importer.error does)


def _evaluated(value):
    return value(None) if callable(value) else value


def _classify_and_write(importer: _Importer, plan: Plan, counts, params: dict) -> None:
    from .services import ANALYZE_AFTER, Counts

    spec = plan.spec
    table = spec.model.__table__.name
    names = [n for n in spec.fields if n != "external_id"]
    stored = ", ".join(f't."{spec.column(n)}"' for n in names)
    new = ", ".join(_value_of(plan, n) for n in names)
    match = "t.tenant_id = :tenant AND t.external_id = c.v_external_id"
    good, existing, changed = db.session.execute(text(
        f"SELECT count(*), count(t.id), count(*) FILTER (WHERE t.id IS NOT NULL AND "
        f"({stored}) IS DISTINCT FROM ({new})) FROM {CHECKED} c "
        f"LEFT JOIN {REPEATED} r ON r.key = c.v_external_id "
        f'LEFT JOIN "{table}" t ON {match} WHERE {_ok(plan)}'), params).one()
    found = Counts(created=good - existing, updated=changed, unchanged=existing - changed)
    counts.created += found.created
    counts.updated += found.updated
    counts.unchanged += found.unchanged
    if not importer.writing:
        return
    if found.updated:
        sets = ", ".join(f'"{spec.column(n)}" = {_value_of(plan, n)}' for n in names)
        db.session.execute(text(
            f'UPDATE "{table}" t SET {sets} FROM {CHECKED} c WHERE {match} AND '
            f"({stored}) IS DISTINCT FROM ({new})"), params)
    if found.created:
        extra = list(plan.extra_columns)
        columns = ", ".join(f'"{c}"' for c in ["tenant_id", *extra, "external_id",
                                               *(spec.column(n) for n in names)])
        values = ", ".join([":tenant", *(f":x_{i}" for i in range(len(extra))),
                            "c.v_external_id", new])
        db.session.execute(text(
            f'INSERT INTO "{table}" ({columns}) SELECT {values} FROM {CHECKED} c '
            f'WHERE NOT EXISTS (SELECT 1 FROM "{table}" t WHERE {match}) ORDER BY c.row_no'),
            params | {f"x_{i}": _evaluated(plan.extra_columns[c]) for i, c in enumerate(extra)})
    if found.created + found.updated >= ANALYZE_AFTER:
        db.session.execute(text(f'ANALYZE "{table}"'))
