"""The unit's account with the manager: statements with a running balance, and the balance.

Money stays ``Decimal`` throughout. Sums come from the database as whole grosze (an
integer), exact on every database: PostgreSQL sums NUMERIC exactly, SQLite sums it as
floating point, so there each amount is turned into grosze first (``grosze_sum``).

A statement covers whole months by ``period`` (the month an entry settles): the opening
balance is the sum of every entry of an earlier period, the lines are the range's entries
in booking order, and each line carries the balance after it. The balance "as of" a day is
the sum of entries booked up to that day (plus, where the policy simulates the current
month, that month's scheduled charges not yet posted).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    Date,
    Integer,
    String,
    and_,
    bindparam,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from iok_saas.extensions import db
from iok_saas.i18n import translated
from iok_saas.modules.auth.sessions import session_started
from iok_saas.tenancy import current_tenant
from iok_saas.timeutil import add_months, local, utcnow

from .models import CHARGE, CORRECTION, INTEREST, PAYMENT, ChargeSchedule, LedgerEntry

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
HISTORY_MONTHS = 12  # shown when the policy does not let the resident pick a month

KIND_LABELS = {
    CHARGE: _l("naliczenie"),
    PAYMENT: _l("wpłata"),
    CORRECTION: _l("korekta"),
    INTEREST: _l("odsetki"),
}
COMPONENT_LABELS = {
    "rent": _l("czynsz"),
    "loan": _l("kredyt"),
    "water": _l("woda"),
    "heating": _l("ogrzewanie"),
    "repair_fund": _l("fundusz remontowy"),
}
OTHER_COMPONENT = _l("pozostałe (bez przypisanego składnika, np. wpłaty)")
DISPUTE_CHANNELS = {
    "in_person": _l("osobiście w siedzibie"),
    "phone": _l("telefonicznie"),
    "email": _l("e-mailem"),
    "written": _l("pisemnie"),
}


# --- months ---------------------------------------------------------------------------------


def month_start(day: date) -> date:
    return day.replace(day=1)


def parse_month(text: str | None) -> date | None:
    """``"2025-03"`` -> 1 March 2025; anything else -> None."""
    try:
        year, month = (text or "").split("-")
        if len(year) != 4 or len(month) != 2:
            return None
        return date(int(year), int(month), 1)
    except ValueError:
        return None


def balance_date(balance_as_of: str, session_started: datetime | None,
                 now: datetime | None = None) -> date:
    """The day the balance is given for: the session's first day (``login_day``) or today.

    Both in Europe/Warsaw; a ``login_day`` policy with no known session start uses today.
    """
    if balance_as_of == "login_day" and session_started is not None:
        return local(session_started).date()
    return local(now or utcnow()).date()


# --- amounts ----------------------------------------------------------------------------------


def _grosze(column):
    """The amount as whole grosze (an integer): exact to sum on every database."""
    return cast(func.round(column * 100), BigInteger)


class grosze_sum(FunctionElement):  # noqa: N801  (used like func.sum)
    """``grosze_sum(amount[, where])``: the sum of an amount column (of the rows that meet
    ``where``) as whole grosze, NULL when no row counts."""

    type = BigInteger()
    inherit_cache = True


@compiles(grosze_sum)
def _grosze_sum_per_row(element, compiler, **kw):
    """Each amount made an integer first: exact where NUMERIC is summed as a float."""
    amount, *where = element.clauses
    total = func.sum(_grosze(amount))
    return compiler.process(total.filter(*where) if where else total, **kw)


@compiles(grosze_sum, "postgresql")
def _grosze_sum_of_numeric(element, compiler, **kw):
    """PostgreSQL sums NUMERIC exactly: one multiplication per sum, not per row (a
    balance reads the flat's whole history)."""
    amount, *where = element.clauses
    total = func.sum(amount)
    return compiler.process(cast((total.filter(*where) if where else total) * 100,
                                 BigInteger), **kw)


def _zloty(grosze: int | None) -> Decimal:
    return (Decimal(int(grosze or 0)) / 100).quantize(CENT)


# --- statements -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    booking_date: date
    period: date
    kind: str
    component: str | None
    title: str
    amount: Decimal  # signed: positive adds to the amount due
    balance: Decimal  # the running balance after this line
    scheduled: bool = False  # this month's charges the balance counts before their due date

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))

    @property
    def debit(self) -> Decimal | None:
        """The "Wn" column: charges, interest, corrections that add to the amount due."""
        return self.amount if self.amount > 0 else None

    @property
    def credit(self) -> Decimal | None:
        """The "Ma" column: payments and corrections in the resident's favour."""
        return -self.amount if self.amount < 0 else None


@dataclass(frozen=True)
class Statement:
    unit_id: int
    first_month: date
    last_month: date
    opening: Decimal
    lines: tuple[Line, ...]

    @property
    def closing(self) -> Decimal:
        return self.lines[-1].balance if self.lines else self.opening

    @property
    def total_debit(self) -> Decimal:
        return sum((line.debit or ZERO for line in self.lines), ZERO)

    @property
    def total_credit(self) -> Decimal:
        return sum((line.credit or ZERO for line in self.lines), ZERO)


SCHEDULED_TITLE = _l("Opłaty za bieżący miesiąc (przed terminem płatności)")


def with_scheduled(stmt: Statement, balance: Balance) -> Statement:
    """The statement plus one line, marked as scheduled, for the current month's charges that
    the balance already counts (policy ``simulate_current_month``): a statement that ends this
    month then closes at the balance the page's headline shows."""
    if not (balance.simulated and balance.scheduled) \
            or stmt.last_month != month_start(balance.as_of):
        return stmt
    line = Line(balance.as_of, stmt.last_month, CHARGE, None, str(SCHEDULED_TITLE),
                balance.scheduled, stmt.closing + balance.scheduled, scheduled=True)
    return replace(stmt, lines=(*stmt.lines, line))


def _line_columns(unit_id: int, first_month: date, last_month: date):
    """The range's entries (plain columns, no ORM objects), amounts in grosze."""
    return (select(LedgerEntry.period, LedgerEntry.booking_date, LedgerEntry.kind,
                   LedgerEntry.component, LedgerEntry.title, _grosze(LedgerEntry.amount))
            .where(LedgerEntry.unit_id == unit_id, LedgerEntry.period >= first_month,
                   LedgerEntry.period <= last_month))


def _running(rows, opening: Decimal) -> tuple[Line, ...]:
    """Lines with the balance after each, from (period, booking_date, kind, component,
    title, grosze) rows in booking order."""
    running, lines = opening, []
    for period, booking_date, kind, component, title, grosze in rows:
        amount = _zloty(grosze)
        running += amount
        lines.append(Line(booking_date, period, kind, component, title, amount, running))
    return tuple(lines)


def statement(unit_id: int, first_month: date, last_month: date | None = None) -> Statement:
    """Entries of the months ``first_month``..``last_month`` (inclusive) with a running balance.

    Two queries: the opening balance (one aggregate) and the range's entries.
    """
    first_month = month_start(first_month)
    last_month = month_start(last_month or first_month)
    opening = _zloty(db.session.scalar(
        select(grosze_sum(LedgerEntry.amount))
        .where(LedgerEntry.unit_id == unit_id, LedgerEntry.period < first_month)
    ))
    rows = db.session.execute(_line_columns(unit_id, first_month, last_month).order_by(
        LedgerEntry.period, LedgerEntry.booking_date, LedgerEntry.id)).all()
    return Statement(unit_id, first_month, last_month, opening, _running(rows, opening))


# --- the balance ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Balance:
    as_of: date
    posted: Decimal  # entries booked up to ``as_of``
    scheduled: Decimal  # the current month's charges not yet posted (when simulated)
    simulated: bool
    by_component: dict[str | None, Decimal] = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return self.posted + self.scheduled

    @property
    def due(self) -> Decimal:
        """What is to pay (0 when nothing is)."""
        return max(self.total, ZERO)

    @property
    def overpaid(self) -> Decimal:
        return max(-self.total, ZERO)

    def components(self, keys: Sequence[str]) -> list[tuple[str, Decimal]]:
        """(label, amount) for the policy's components, then the rest (when not zero)."""
        labels = translated(COMPONENT_LABELS)
        shown = [(labels.get(key, key), self.by_component.get(key, ZERO)) for key in keys]
        rest = sum((amount for key, amount in self.by_component.items() if key not in keys),
                   ZERO)
        if rest:
            shown.append((str(OTHER_COMPONENT), rest))
        return shown


def _posted_by_component(unit_id: int, as_of: date) -> dict[str | None, Decimal]:
    rows = db.session.execute(
        select(LedgerEntry.component, grosze_sum(LedgerEntry.amount))
        .where(LedgerEntry.unit_id == unit_id, LedgerEntry.booking_date <= as_of)
        .group_by(LedgerEntry.component)
    ).all()
    return {component: _zloty(grosze) for component, grosze in rows}


def _unposted_query(unit_id, as_of, month, month_end):
    """Scheduled charges of ``month`` (which holds ``as_of``; ``month_end`` is the next
    month's first day) with no charge posted by ``as_of`` for the same period and component;
    the "already posted" check is a correlated NOT EXISTS. Values or bound parameters."""
    posted = exists().where(
        LedgerEntry.unit_id == ChargeSchedule.unit_id,
        LedgerEntry.kind == CHARGE,
        LedgerEntry.period == month,
        LedgerEntry.booking_date <= as_of,
        or_(LedgerEntry.component == ChargeSchedule.component,
            and_(LedgerEntry.component.is_(None), ChargeSchedule.component.is_(None))),
    )
    return (select(ChargeSchedule.component, _grosze(ChargeSchedule.amount))
            .where(ChargeSchedule.unit_id == unit_id, ChargeSchedule.valid_from < month_end,
                   or_(ChargeSchedule.valid_to.is_(None), ChargeSchedule.valid_to >= month),
                   ~posted))


def _schedule_month(as_of: date) -> dict[str, date]:
    """The month whose schedule is simulated on ``as_of``: its first day and the next's."""
    month = month_start(as_of)
    return {"month": month, "month_end": add_months(month, 1)}


def balance(unit_id: int, as_of: date, simulate: bool) -> Balance:
    """The unit's balance on ``as_of``: posted entries booked by then, and with ``simulate``
    the month's scheduled charges that are not posted yet (never both for one charge)."""
    return _with_schedule(unit_id, as_of, simulate, _posted_by_component(unit_id, as_of))


def _with_schedule(unit_id: int, as_of: date, simulate: bool,
                   by_component: dict[str | None, Decimal]) -> Balance:
    unposted = db.session.execute(_unposted_query(
        unit_id, as_of, **_schedule_month(as_of))).all() if simulate else []
    return _balance_of(as_of, simulate, by_component, unposted)


def _balance_of(as_of: date, simulate: bool, by_component: dict[str | None, Decimal],
                unposted) -> Balance:
    """The balance from posted sums per component and (component, grosze) unposted charges."""
    posted = sum(by_component.values(), ZERO)
    scheduled = ZERO
    for component, grosze in unposted:
        amount = _zloty(grosze)
        scheduled += amount
        by_component[component] = by_component.get(component, ZERO) + amount
    return Balance(as_of, posted, scheduled, simulate, by_component)


@dataclass(frozen=True)
class Overview:
    statement: Statement
    balance: Balance
    months: tuple[date, ...]  # the first to the last month with entries, newest first


def _none(type_):
    """A typed NULL: a UNION's parts fill the columns they do not have with these."""
    return cast(null(), type_)


# The parts of the ledger page's one statement (``overview``), told apart by its first column.
_COMPONENTS, _LINES, _UNPOSTED = 0, 1, 2
_COLUMNS = ("part", "period", "booking_date", "kind", "component", "title", "grosze",
            "booked", "entry_id", "last_period")


def _part(number: int, period=None, booking_date=None, kind=None, component=None, title=None,
          grosze=None, booked=None, entry_id=None, last_period=None):
    """The columns of one part of ``overview``'s UNION ALL, typed NULLs where it has none."""
    given = (period, booking_date, kind, component, title, grosze, booked, entry_id,
             last_period)
    types = (Date, Date, String, String, String, BigInteger, BigInteger, Integer, Date)
    columns = [literal(number)] + [_none(type_) if column is None else column
                                   for column, type_ in zip(given, types, strict=True)]
    return [column.label(name) for column, name in zip(columns, _COLUMNS, strict=True)]


def overview(unit_id: int, first_month: date, last_month: date, as_of: date,
             simulate: bool) -> Overview:
    """What the ledger page shows, in one round trip and few rows (see _overview_query)."""
    first_month, last_month = month_start(first_month), month_start(last_month)
    rows = db.session.execute(_overview_query(simulate), {
        "unit_id": unit_id, "first_month": first_month, "last_month": last_month,
        "as_of": as_of, **_schedule_month(as_of)}).all()
    return _overview_of(rows, unit_id, first_month, last_month, as_of, simulate)


@lru_cache(maxsize=2)
def _overview_query(simulate: bool):
    """A UNION ALL of, per component, its first and last month, the sum before the range
    (its opening balance) and the sum booked by ``as_of`` (the posted balance); the range's
    entries in booking order; and, only when simulating, the month's unposted charges.

    Built once (every value is a bound parameter): constructing a statement of this size
    costs more than running it."""
    unit_id, as_of = bindparam("unit_id", type_=Integer), bindparam("as_of", type_=Date)
    first_month, last_month = (bindparam(name, type_=Date)
                               for name in ("first_month", "last_month"))
    of_unit = LedgerEntry.unit_id == unit_id
    parts = [
        select(*_part(_COMPONENTS, component=LedgerEntry.component,
                      period=func.min(LedgerEntry.period),
                      last_period=func.max(LedgerEntry.period),
                      grosze=grosze_sum(LedgerEntry.amount, LedgerEntry.period < first_month),
                      booked=grosze_sum(LedgerEntry.amount, LedgerEntry.booking_date <= as_of)))
        .where(of_unit).group_by(LedgerEntry.component),
    ]
    lines = _line_columns(unit_id, first_month, last_month)
    period, booking_date, kind, component, title, amount = lines.selected_columns
    parts.append(lines.with_only_columns(*_part(
        _LINES, period, booking_date, kind, component, title, amount, entry_id=LedgerEntry.id)))
    if simulate:
        unposted = _unposted_query(unit_id, as_of, bindparam("month", type_=Date),
                                   bindparam("month_end", type_=Date))
        component, amount = unposted.selected_columns
        parts.append(unposted.with_only_columns(
            *_part(_UNPOSTED, component=component, grosze=amount)))
    query = union_all(*parts)
    order = query.selected_columns
    return query.order_by(order.part, order.period, order.booking_date, order.entry_id)


def _overview_of(rows, unit_id: int, first_month: date, last_month: date, as_of: date,
                 simulate: bool) -> Overview:
    spans, opening, posted, entries, unposted = [], ZERO, {}, [], []
    for part, period, booking_date, kind, component, title, grosze, booked, _, last in rows:
        if part == _COMPONENTS:
            spans.append((period, last))
            opening += _zloty(grosze)
            posted[component] = _zloty(booked)
        elif part == _LINES:
            entries.append((period, booking_date, kind, component, title, grosze))
        else:
            unposted.append((component, grosze))
    stmt = Statement(unit_id, first_month, last_month, opening, _running(entries, opening))
    return Overview(stmt, _balance_of(as_of, simulate, posted, unposted),
                    _months_between(spans))


def _months_between(spans: list[tuple[date, date]]) -> tuple[date, ...]:
    """Every month from the earliest to the latest of ``spans``, newest first (a month with
    no entries inside the history is shown too: its statement says so)."""
    if not spans:
        return ()
    return month_range(min(start for start, _ in spans), max(end for _, end in spans))


@lru_cache(maxsize=1024)
def month_range(first: date, last: date) -> tuple[date, ...]:
    """Every month from ``first`` to ``last``, newest first (most flats share one range)."""
    months, month = [], last
    while month >= first:
        months.append(month)
        month = add_months(month, -1)
    return tuple(months)


# --- what the resident sees around the balance -------------------------------------------------


@dataclass(frozen=True)
class DisputeInfo:
    department: str | None
    phone: str | None
    email: str | None
    channels: tuple[str, ...]


def dispute_info(tenant) -> DisputeInfo:
    """Where and how to question the balance, from the policy and the tenant's manifest."""
    rules = tenant.policy.ledger.disputes
    department = tenant.department(rules.department) if rules.department else None
    contact = tenant.info("contact") or {}
    phones = [p.get("number") for p in contact.get("phones") or () if p.get("number")]
    phone = (department or {}).get("phone") or (phones[0] if phones else None)
    email = (department or {}).get("email") or contact.get("email")
    order = ("in_person", "phone", "email", "written")
    labels = translated(DISPUTE_CHANNELS)
    channels = tuple(labels[c] for c in order if c in rules.channels)
    return DisputeInfo(
        department=(department or {}).get("name"),
        phone=phone if "phone" in rules.channels else None,
        email=email if "email" in rules.channels else None,
        channels=channels,
    )


def tenant_nip(tenant) -> str:
    """The tenant's NIP (tax id) from its manifest, digits only; "" when it has none."""
    tax_ids = tenant.info("tax_ids") or {}
    return "".join(ch for ch in str(tax_ids.get("nip") or "") if ch.isdigit())


def grouped_account(number: str | None) -> str:
    """26 digits as printed on Polish statements: "12 3456 7890 1234 5678 9012 3456"."""
    digits = "".join(ch for ch in number or "" if ch.isdigit())
    if len(digits) != 26:
        return digits
    return " ".join([digits[:2]] + [digits[i:i + 4] for i in range(2, 26, 4)])


def unit_short_number(unit) -> str:
    """"3/12" (building/flat) or the building number alone."""
    return f"{unit.building_number}/{unit.unit_number}" if unit.unit_number \
        else unit.building_number


# --- downloads ------------------------------------------------------------------------------


def _polish_amount(amount: Decimal | None) -> str:
    """Decimal comma, no thousands separator (what a Polish spreadsheet reads as a number)."""
    return "" if amount is None else f"{amount:.2f}".replace(".", ",")


def statement_csv(stmt: Statement, unit_label: str) -> bytes:
    """The statement as CSV for Polish Excel: UTF-8 with a BOM (so Excel detects UTF-8),
    semicolons between fields (the comma is Poland's decimal separator), decimal comma."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([str(_l("Lokal")), unit_label])
    writer.writerow([str(_l("Data księgowania")), str(_l("Okres")), str(_l("Rodzaj")),
                     str(_l("Tytuł")), str(_l("Wn (naliczenie)")), str(_l("Ma (wpłata)")),
                     str(_l("Saldo"))])
    writer.writerow(["", stmt.first_month.strftime("%Y-%m"), "", str(_l("Saldo otwarcia")),
                     "", "", _polish_amount(stmt.opening)])
    for line in stmt.lines:
        writer.writerow([line.booking_date.strftime("%d.%m.%Y"), line.period.strftime("%Y-%m"),
                         line.kind_label, line.title, _polish_amount(line.debit),
                         _polish_amount(line.credit), _polish_amount(line.balance)])
    writer.writerow(["", stmt.last_month.strftime("%Y-%m"), "", str(_l("Saldo zamknięcia")),
                     _polish_amount(stmt.total_debit), _polish_amount(stmt.total_credit),
                     _polish_amount(stmt.closing)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# --- choosing the unit and the months ---------------------------------------------------------


class NotYours(LookupError):
    """An association or unit id that is not among the resident's (the page answers 404)."""


@dataclass(frozen=True)
class Choice:
    associations: tuple  # the resident's associations, in address order
    association: object | None  # the chosen one, when the policy has the resident choose
    units: tuple  # the units to pick from (of the chosen association, where it applies)
    unit: object | None  # the chosen unit, None while there is still something to choose


def choose_unit(units: Sequence, associations: Mapping[int, object] | None,
                association_id: int | None, unit_id: int | None) -> Choice:
    """Resolves the resident's choice among their own ``units`` (never anyone else's).

    With ``associations`` (id -> association of those units; None when the policy does not
    ask) the address of the association comes first and narrows the units; a single option
    is chosen without asking. Ids not among the resident's raise NotYours.
    """
    by_association = associations is not None
    associations = dict(associations or {})
    ordered = tuple(sorted(associations.values(), key=lambda a: (a.street, a.city, a.id)))
    unit = None
    if unit_id is not None:
        unit = next((u for u in units if u.id == unit_id), None)
        if unit is None:
            raise NotYours(unit_id)
    association = None
    if by_association:
        if association_id is not None:
            association = associations.get(association_id)
            if association is None:
                raise NotYours(association_id)
        elif unit is not None:
            association = associations[unit.association_id]
        elif len(ordered) == 1:
            association = ordered[0]
        if association is None:
            return Choice(ordered, None, (), None)
        units = [u for u in units if u.association_id == association.id]
        if unit is not None and unit.association_id != association.id:
            unit = None  # the resident switched the address: pick again
    if unit is None and len(units) == 1:
        unit = units[0]
    return Choice(ordered, association, tuple(units), unit)


def shown_months(choose_month: bool, chosen: date | None, today: date) -> tuple[date, date]:
    """The statement's first and last month: the chosen one (default: this month) where the
    policy lets the resident pick, else the last twelve months up to this one."""
    current = month_start(today)
    if choose_month:
        month = chosen or current
        return month, month
    return add_months(current, 1 - HISTORY_MONTHS), current


def balance_wording(balance: Balance) -> str:
    """"do zapłaty" (amount due), "nadpłata" (overpaid) or "rozliczone" (zero)."""
    if balance.total > 0:
        return str(_l("do zapłaty"))
    if balance.total < 0:
        return str(_l("nadpłata"))
    return str(_l("rozliczone"))


def home_panel(_person_id: int, units: Sequence) -> list[tuple[object, Balance, str]]:
    """(unit, balance, wording) for the Home page, as the ledger tab gives them for this
    session and the tenant's policy."""
    rules = current_tenant.policy.ledger
    as_of = balance_date(rules.balance_as_of, session_started())
    rows = []
    for unit in units:
        unit_balance = balance(unit.id, as_of, rules.simulate_current_month)
        rows.append((unit, unit_balance, balance_wording(unit_balance)))
    return rows
