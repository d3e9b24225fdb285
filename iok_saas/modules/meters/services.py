"""Water meters: reading histories, residents' submissions, the staff decision.

Rules for a resident's reading (policy ``meter_submission``):
- the date is not in the future and not before the meter's last accepted reading;
- the value is not lower than that last accepted reading;
- one submission per meter waits for staff at a time;
- an implausible value (see :func:`assess`) is not refused, but the resident has to
  confirm explicitly that it is right; staff see the flag on their desk.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import partial

from flask_babel import force_locale, format_date, format_decimal, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from iok_saas.domain import NotFound
from iok_saas.extensions import db
from iok_saas.i18n import translated
from iok_saas.modules.accounts.models import ResidentAccount
from iok_saas.modules.audit.services import record_event
from iok_saas.modules.housing.held import HeldUnit
from iok_saas.modules.housing.models import Person, Unit
from iok_saas.modules.notifications.services import notify
from iok_saas.modules.portal import desk, resident_units, unit_or_404
from iok_saas.tenancy import current_tenant, tenant_url
from iok_saas.timeutil import warsaw_today as today

from .chart import Bar, bar_chart
from .models import (
    ACCEPTED,
    REJECTED,
    SOURCE_MANAGER,
    SOURCE_RESIDENT,
    SUBMITTED,
    Meter,
    MeterReading,
)

KIND_LABELS = {"cold_water": _l("zimna woda"), "hot_water": _l("ciepła woda")}
STATE_LABELS = {SUBMITTED: _l("oczekuje na decyzję"), ACCEPTED: _l("przyjęty"),
                REJECTED: _l("odrzucony")}
SOURCE_LABELS = {SOURCE_MANAGER: _l("odczyt administracji"), SOURCE_RESIDENT: _l("mieszkaniec")}

# Plausibility: a period's daily consumption above this multiple of the meter's average
# daily consumption (over its accepted history) needs the resident's confirmation ...
RATE_FACTOR = Decimal(3)
# ... unless the whole period's consumption is this small (a nearly unused flat's meter
# would otherwise flag every ordinary reading).
NEGLIGIBLE = Decimal("1.000")
# Without a usable average (fewer than two accepted readings): more than this per day on
# one meter (about 30 m³ a month, several times what a household uses) is a big jump.
NO_HISTORY_DAILY_LIMIT = Decimal("1.000")
THOUSANDTH = Decimal("0.001")


def m3(value: Decimal | None) -> str:
    """A volume with three decimals in the page's locale ("12,345")."""
    if value is None:
        return "—"
    return format_decimal(Decimal(value).quantize(THOUSANDTH), format="#,##0.000")


def kind_label(kind: str) -> str:
    return translated(KIND_LABELS).get(kind, kind)


state_label = desk.state_labeller(STATE_LABELS)
handling_department = partial(desk.handling_department, "meter_readings")


class ReadingError(desk.DeskError):
    """A reading that cannot be filed or decided; ``field`` names the form field."""


# --- reading ---------------------------------------------------------------------------------

def meters_of(unit: HeldUnit) -> list[Meter]:
    return list(db.session.scalars(
        select(Meter).where(Meter.unit_id == unit.id)
        .order_by(Meter.removed_on.is_not(None), Meter.kind, Meter.serial_number)))


def resident_meter_or_404(meter_id: int) -> Meter:
    """The signed-in resident's meter; any other id (resident, tenant) is a 404."""
    meter = db.session.scalar(select(Meter).where(Meter.id == meter_id))
    if meter is None:
        raise NotFound
    unit_or_404(meter.unit_id)
    return meter


def resident_meters(*, for_submission: bool = False) -> list[tuple[HeldUnit, Meter]]:
    """(unit, meter) of every unit the resident holds; only working meters for submission."""
    day = today()
    pairs = []
    for unit in resident_units():
        for meter in meters_of(unit):
            if for_submission and meter.removed_on is not None and meter.removed_on <= day:
                continue
            pairs.append((unit, meter))
    return pairs


def _readings(meter: Meter) -> list[MeterReading]:
    return list(db.session.scalars(
        select(MeterReading).where(MeterReading.meter_id == meter.id)
        .order_by(MeterReading.read_on, MeterReading.id)))


def accepted_readings(meter: Meter) -> list[MeterReading]:
    return [r for r in _readings(meter) if r.state == ACCEPTED]


def last_accepted(meter: Meter) -> MeterReading | None:
    accepted = accepted_readings(meter)
    return accepted[-1] if accepted else None


def pending_of(meter: Meter) -> MeterReading | None:
    return db.session.scalar(select(MeterReading).where(
        MeterReading.meter_id == meter.id, MeterReading.state == SUBMITTED).limit(1))


@dataclass(frozen=True)
class HistoryRow:
    reading: MeterReading
    previous: MeterReading | None   # the accepted reading this one is measured against
    consumption: Decimal | None
    days: int | None


def history(meter: Meter) -> list[HistoryRow]:
    """Every reading, newest first, each with its consumption since the accepted reading
    before it (a pending or rejected reading is measured but never becomes a base)."""
    rows = []
    previous: MeterReading | None = None
    for reading in _readings(meter):
        consumption = days = None
        if previous is not None:
            consumption = reading.value - previous.value
            days = (reading.read_on - previous.read_on).days
        rows.append(HistoryRow(reading, previous, consumption, days))
        if reading.state == ACCEPTED:
            previous = reading
    return rows[::-1]


@dataclass(frozen=True)
class Period:
    start: MeterReading
    end: MeterReading

    @property
    def consumption(self) -> Decimal:
        return self.end.value - self.start.value

    @property
    def days(self) -> int:
        return (self.end.read_on - self.start.read_on).days


def periods(accepted: list[MeterReading]) -> list[Period]:
    return [Period(a, b) for a, b in zip(accepted, accepted[1:], strict=False)]


@dataclass(frozen=True)
class Assessment:
    plausible: bool
    reason: str | None = None
    consumption: Decimal | None = None
    average_daily: Decimal | None = None


def assess(meter: Meter, read_on: date, value: Decimal,
           accepted: list[MeterReading] | None = None) -> Assessment:
    """Whether ``value`` on ``read_on`` fits the meter's accepted history.

    The new period's daily consumption is compared with the average daily consumption
    of the whole accepted history: more than RATE_FACTOR times as much (and more than
    NEGLIGIBLE in all) is implausible. With fewer than two accepted readings there is no
    average, so a daily consumption above NO_HISTORY_DAILY_LIMIT counts as a big jump.
    """
    accepted = accepted_readings(meter) if accepted is None else accepted
    base = next((r for r in reversed(accepted) if r.read_on <= read_on), None)
    if base is None:
        return Assessment(True)
    consumption = value - base.value
    days = max(1, (read_on - base.read_on).days)
    daily = consumption / days
    spans = [p for p in periods([r for r in accepted if r.read_on <= base.read_on])
             if p.days > 0]
    total_days = sum(p.days for p in spans)
    average = (sum((p.consumption for p in spans), Decimal(0)) / total_days
               if total_days else None)
    if average is not None and average > 0:
        if daily > RATE_FACTOR * average and consumption > NEGLIGIBLE:
            return Assessment(False, _(
                "Zużycie %(daily)s m³ na dobę jest ponad %(factor)s razy większe od "
                "dotychczasowej średniej (%(average)s m³ na dobę).",
                daily=m3(daily), factor=RATE_FACTOR, average=m3(average)),
                consumption, average)
        return Assessment(True, None, consumption, average)
    if daily > NO_HISTORY_DAILY_LIMIT:
        return Assessment(False, _(
            "Zużycie %(consumption)s m³ w ciągu %(period)s to duży skok jak na jeden "
            "wodomierz (ponad %(limit)s m³ na dobę).",
            consumption=m3(consumption), period=ngettext("%(num)s doby", "%(num)s dób", days),
            limit=m3(NO_HISTORY_DAILY_LIMIT)), consumption, average)
    return Assessment(True, None, consumption, average)


def chart(meter: Meter) -> Markup:
    """Consumption per period between accepted readings, as an accessible SVG."""
    bars = []
    for period in periods(accepted_readings(meter)):
        start = format_date(period.start.read_on, "dd.MM.yyyy")
        end = format_date(period.end.read_on, "dd.MM.yyyy")
        bars.append(Bar(
            label=format_date(period.end.read_on, "MM.yyyy"),
            value=max(period.consumption, Decimal(0)),
            tooltip=_("%(start)s – %(end)s: %(value)s m³", start=start, end=end,
                      value=m3(period.consumption))))
    kind = kind_label(meter.kind)
    if bars:
        description = _("Zużycie wody w %(count)s okresach między przyjętymi odczytami, "
                        "od %(first)s do %(last)s. Te same liczby są w tabeli odczytów.",
                        count=len(bars), first=bars[0].label, last=bars[-1].label)
    else:
        description = _("Brak co najmniej dwóch przyjętych odczytów: nie ma jeszcze "
                        "okresu, dla którego można policzyć zużycie.")
    return bar_chart(
        bars, chart_id=f"meter-chart-{meter.id}",
        title=_("Zużycie wody — wodomierz %(serial)s (%(kind)s)", serial=meter.serial_number,
                kind=kind),
        description=description, axis_label="m³", format_value=m3,
        # Hot water in stripes, cold water solid: told apart without colour too.
        legend=_("%(kind)s: zużycie między odczytami", kind=kind.capitalize()),
        pattern="hatched" if meter.kind == "hot_water" else "solid")


# --- resident submission ---------------------------------------------------------------------

def _already_pending() -> ReadingError:
    return ReadingError(_("Ten wodomierz ma już odczyt oczekujący na decyzję spółdzielni. "
                          "Nowy odczyt podasz, gdy tamten zostanie rozpatrzony."), "meter")


def check_submission(meter: Meter, read_on: date | None, value: Decimal | None) -> None:
    """Raise ReadingError for a reading that must be refused (not for implausible ones)."""
    if pending_of(meter) is not None:
        raise _already_pending()
    if read_on is None or value is None:
        return
    if read_on > today():
        raise ReadingError(_("Data odczytu nie może być z przyszłości."), "read_on")
    last = last_accepted(meter)
    if last is not None and read_on < last.read_on:
        raise ReadingError(_("Data odczytu nie może być wcześniejsza niż data ostatniego "
                             "przyjętego odczytu (%(date)s).",
                             date=format_date(last.read_on, "dd.MM.yyyy")), "read_on")
    if value < 0:
        raise ReadingError(_("Stan wodomierza nie może być ujemny."), "value")
    if last is not None and value < last.value:
        raise ReadingError(_("Podany stan %(value)s m³ jest niższy niż ostatni przyjęty "
                             "odczyt tego wodomierza: %(last)s m³ z dnia %(date)s. Licznik "
                             "wody się nie cofa — sprawdź, czy odczytano właściwy wodomierz "
                             "i wszystkie cyfry przed przecinkiem.",
                             value=m3(value), last=m3(last.value),
                             date=format_date(last.read_on, "dd.MM.yyyy")), "value")


class ConfirmationNeeded(ReadingError):
    """The reading looks implausible and the resident has not confirmed it."""


def submit_reading(account: ResidentAccount, meter: Meter, read_on: date, value: Decimal,
                   confirmed: bool) -> MeterReading:
    """File a resident's reading (state submitted) and commit."""
    value = Decimal(value).quantize(THOUSANDTH)
    check_submission(meter, read_on, value)
    verdict = assess(meter, read_on, value)
    if not verdict.plausible and not confirmed:
        raise ConfirmationNeeded(verdict.reason or "", "confirm")
    reading = MeterReading(meter_id=meter.id, read_on=read_on, value=value,
                           source=SOURCE_RESIDENT, state=SUBMITTED,
                           submitted_by_account_id=account.id)
    db.session.add(reading)
    try:
        db.session.flush()
    except IntegrityError:  # another request filed one for this meter a moment ago
        db.session.rollback()
        raise _already_pending() from None
    record_event(f"resident:{account.login}", "meter_reading.submitted", reading,
                 after={"meter": meter.serial_number, "read_on": read_on.isoformat(),
                        "value": str(value), "plausible": verdict.plausible})
    return reading


# --- staff desk -------------------------------------------------------------------------------

@dataclass(frozen=True)
class DeskRow:
    reading: MeterReading
    meter: Meter
    unit: Unit
    person: Person | None
    previous: MeterReading | None
    assessment: Assessment


def _desk_row(reading: MeterReading) -> DeskRow:
    meter = reading.meter
    unit = db.session.scalar(select(Unit).where(Unit.id == meter.unit_id))
    person = None
    if reading.submitted_by_account_id is not None:
        person = db.session.scalar(
            select(Person).join(ResidentAccount, ResidentAccount.person_id == Person.id)
            .where(ResidentAccount.id == reading.submitted_by_account_id))
    accepted = [r for r in accepted_readings(meter) if r.id != reading.id]
    previous = next((r for r in reversed(accepted) if r.read_on <= reading.read_on), None)
    return DeskRow(reading, meter, unit, person, previous,
                   assess(meter, reading.read_on, reading.value, accepted))


SUBMISSIONS = desk.Submissions(
    MeterReading, _desk_row, ACCEPTED, REJECTED, ReadingError,
    already_decided=_l("Ten odczyt został już rozpatrzony."),
    reason_needed=_l("Podaj powód odrzucenia — mieszkaniec zobaczy go w historii odczytów."),
    where=(MeterReading.source == SOURCE_RESIDENT,))


def decide(row: DeskRow, accept: bool, comment: str | None, actor: str) -> MeterReading:
    """Accept or reject a waiting reading, audit it, tell the resident (staged)."""
    reading = row.reading
    comment = SUBMISSIONS.checked_comment(reading, accept, comment)
    if accept and row.previous is not None and reading.value < row.previous.value:
        raise ReadingError(_("Nie można przyjąć odczytu niższego niż ostatni przyjęty "
                             "(%(last)s m³). Odrzuć go z wyjaśnieniem.",
                             last=m3(row.previous.value)))
    SUBMISSIONS.claim(reading, accept, comment, actor)
    record_event(actor, f"meter_reading.{reading.state}", reading, before={"state": SUBMITTED},
                 after={"state": reading.state, "comment": comment,
                        "value": str(reading.value), "read_on": reading.read_on.isoformat()})
    if row.person is not None:
        _tell_resident(row, accept, comment)
    return reading


def _tell_resident(row: DeskRow, accept: bool, comment: str | None) -> None:
    reading = row.reading
    with force_locale(current_tenant.locale):  # numbers and dates as the e-mail's language
        notify("meter_reading_decided", to_email=row.person.email,
               to_name=row.person.full_name, phone=row.person.phone,
               accepted=accept, serial=row.meter.serial_number,
               meter_kind=kind_label(row.meter.kind), unit=row.unit.label,
               read_on=format_date(reading.read_on, "dd.MM.yyyy"), value=m3(reading.value),
               comment=comment, link=tenant_url("meters.index"))
