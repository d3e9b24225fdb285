"""Demo data from a (fictional) accounting system, loaded through the real import path.

``seed_demo`` runs inside a tenant scope after the demo housing exists (units "DEMO-U1"…,
persons "DEMO-P1"…). It builds two years of ledger entries, a charge schedule, water meters
with monthly readings and, where the tenant's policy shows them, memberships, a court case,
land costs and service invoices — and sends them through ``import_rows`` (source "demo"),
so the demo shows exactly what an import produces. Deterministic: seeded by the tenant.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.housing.models import Person, Title, Unit
from iok_saas.tenancy import current_tenant

from .models import APPLIED
from .services import import_rows

PREFIX = "DEMO-"
MONTHS = 24
DEFAULT_COMPONENTS = ("eksploatacja", "fundusz remontowy", "woda", "wywóz odpadów")
# Polish names for component keys a policy may use; others are shown capitalised.
COMPONENT_TITLES = {
    "eksploatacja": "Opłata eksploatacyjna",
    "fundusz remontowy": "Fundusz remontowy",
    "woda": "Woda i ścieki",
    "wywóz odpadów": "Wywóz odpadów",
    "rent": "Czynsz",
    "loan": "Spłata kredytu",
}
# zł per m² of floor area a month, or a flat amount, per component
RATE_PER_M2 = {"eksploatacja": Decimal("3.35"), "fundusz remontowy": Decimal("1.80"),
               "rent": Decimal("4.10"), "loan": Decimal("1.25")}
FLAT = {"wywóz odpadów": Decimal("39.00")}
WATER_PRICE = Decimal("16.42")  # zł per m³, water and sewage
AREAS = (Decimal("48.50"), Decimal("62.00"), Decimal("37.80"), Decimal("71.20"),
         Decimal("55.00"), Decimal("44.30"))
# How each demo unit pays: on time, overpaying, in debt, late, with a correction, partial.
HABITS = ("on_time", "overpays", "debtor", "late", "on_time", "partial")
CENT = Decimal("0.01")


def seed_demo(today: date) -> None:
    policy = current_tenant.policy
    units = list(db.session.execute(
        select(Unit.external_id, Unit.city).where(Unit.external_id.like(f"{PREFIX}U%"))
        .order_by(Unit.id)))
    persons = list(db.session.scalars(
        select(Person.external_id).where(Person.external_id.like(f"{PREFIX}P%"))
        .order_by(Person.id)))
    if not units:
        return
    rng = random.Random(f"iok-demo-imports-{current_tenant.slug}")  # noqa: S311 — demo data
    months = _months(today)
    water = _water(units, months, rng)
    datasets: dict[str, list[dict]] = {}
    if policy.shows("ledger"):
        components = tuple(policy.ledger.components) or DEFAULT_COMPONENTS
        datasets["charges"], datasets["ledger"] = _ledger(
            units, months, components, water, rng, today,
            split_by_component=bool(policy.ledger.components))
    if policy.shows("water_meters") or policy.shows("meter_submission"):
        datasets["meters"], datasets["readings"] = _meters(units, months, water)
    if policy.shows("membership") and persons:
        datasets["memberships"] = _memberships(persons, rng)
    if policy.shows("voting"):
        _voting_rights(datasets, policy.voting.electorate)
    if policy.shows("court_cases") and len(units) >= 3:
        datasets["court_cases"] = _court_case(units[2], today) + _settled_case(units[0])
    if policy.shows("land_costs"):
        datasets["land_costs"] = _land_costs(units, today)
    if policy.shows("services"):
        datasets["services"] = _services(units, today)
    if not datasets:
        return
    run = import_rows(datasets, source="demo", actor="demo")
    if run.status != APPLIED:
        raise RuntimeError(f"demo import rejected: {run.errors[:5]}")


def _months(today: date) -> list[date]:
    """The first days of the MONTHS months before the current one, oldest first."""
    first = today.replace(day=1)
    months = []
    for _ in range(MONTHS):
        first = (first - timedelta(days=1)).replace(day=1)
        months.append(first)
    return months[::-1]


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _water(units, months, rng) -> dict[str, list[tuple[Decimal, Decimal]]]:
    """Per unit, per month: (cold, hot) consumption in m³ with three decimals."""
    usage = {}
    for index, (unit, _city) in enumerate(units):
        people = 1 + index % 4
        usage[unit] = [
            (Decimal(rng.uniform(1.1, 1.6) * people).quantize(Decimal("0.001")),
             Decimal(rng.uniform(0.5, 0.9) * people).quantize(Decimal("0.001")))
            for _ in months]
    return usage


def _ledger(units, months, components, water, rng, today, *, split_by_component: bool):
    schedule, entries = [], []
    for index, (unit, _city) in enumerate(units):
        area = AREAS[index % len(AREAS)]
        habit = HABITS[index % len(HABITS)]
        owed_total = Decimal(0)
        paid_total = Decimal(0)
        for number, month in enumerate(months):
            stamp = f"{month:%Y%m}"
            month_total = Decimal(0)
            charged = []
            for c, component in enumerate(components):
                amount = _charge(component, area, water[unit][number])
                charged.append(amount)
                month_total += amount
                entries.append({
                    "external_id": f"{PREFIX}L-{unit}-{stamp}-{c}", "unit": unit,
                    "booking_date": month.isoformat(), "period": f"{month:%Y-%m}",
                    "kind": "charge", "component": component,
                    "title": f"{_title(component)} {month:%m/%Y}", "amount": str(amount)})
            owed_total += month_total
            payment = _payment(habit, number, len(months), month_total, rng)
            if payment is not None:
                amount, day = payment
                paid_on = month + timedelta(days=day - 1)
                if paid_on < today:
                    paid_total += amount
                    entries.extend(_payment_entries(unit, month, paid_on, amount, charged,
                                                    components, split_by_component))
        if habit == "debtor":
            late = months[-3]
            interest = _money((owed_total - paid_total) * Decimal("0.0125"))
            entries.append({
                "external_id": f"{PREFIX}O-{unit}-{late:%Y%m}", "unit": unit,
                "booking_date": (late + timedelta(days=27)).isoformat(),
                "period": f"{late:%Y-%m}", "kind": "interest",
                "title": "Odsetki za zwłokę w zapłacie opłat", "amount": str(max(interest, CENT))})
        if index == 4:
            fixed = months[6]
            entries.append({
                "external_id": f"{PREFIX}K-{unit}-{fixed:%Y%m}", "unit": unit,
                "booking_date": (fixed + timedelta(days=14)).isoformat(),
                "period": f"{fixed:%Y-%m}", "kind": "correction",
                "title": "Korekta rozliczenia wody za poprzedni rok", "amount": "-85.40"})
        for c, component in enumerate(components):
            recent = [_charge(component, area, water[unit][n]) for n in range(-3, 0)]
            schedule.append({
                "external_id": f"{PREFIX}S-{unit}-{c}", "unit": unit, "component": component,
                "title": _title(component),
                "amount": str(_money(sum(recent) / len(recent))),
                "valid_from": months[0].isoformat(), "due_day": 10})
    return schedule, entries


def _title(component: str) -> str:
    return COMPONENT_TITLES.get(component, component.capitalize())


def _charge(component: str, area: Decimal, usage: tuple[Decimal, Decimal]) -> Decimal:
    if component == "woda":
        return _money((usage[0] + usage[1]) * WATER_PRICE)
    if component in FLAT:
        return FLAT[component]
    return _money(area * RATE_PER_M2.get(component, Decimal("2.00")))


def _payment_entries(unit, month, paid_on, amount, charged, components, split):
    """One payment line, or, where the policy shows balances per component, the payment
    booked against each component in proportion to its charge (as accounting splits it)."""
    common = {"unit": unit, "booking_date": paid_on.isoformat(), "period": f"{month:%Y-%m}",
              "kind": "payment", "title": "Wpłata na konto lokalu"}
    stamp = f"{month:%Y%m}"
    if not split:
        return [{**common, "external_id": f"{PREFIX}W-{unit}-{stamp}", "amount": str(-amount)}]
    total, left, lines = sum(charged), amount, []
    for c, (component, charge) in enumerate(zip(components, charged, strict=True)):
        part = left if c == len(components) - 1 else _money(amount * charge / total)
        left -= part
        lines.append({**common, "external_id": f"{PREFIX}W-{unit}-{stamp}-{c}",
                      "component": component, "amount": str(-part)})
    return lines


def _payment(habit: str, number: int, count: int, due: Decimal, rng):
    """(amount, day of the month) paid for month ``number``, or None for no payment."""
    if habit == "overpays":
        return (due + 50).quantize(Decimal(1)), rng.randint(3, 9)
    if habit == "debtor":
        if number % 5 == 4 or number >= count - 4:
            return None
        return _money(due * Decimal("0.6")), rng.randint(12, 28)
    if habit == "late":
        if number == count - 1:
            return None
        return due, rng.randint(18, 28)
    if habit == "partial" and number == count - 2:
        return _money(due / 2), rng.randint(5, 10)
    return due, rng.randint(4, 10)


def _meters(units, months, water):
    meters, readings = [], []
    for index, (unit, _city) in enumerate(units):
        for kind, code, place in (("cold_water", "ZW", "łazienka"),
                                  ("hot_water", "CW", "łazienka")):
            meter = f"{PREFIX}M-{unit}-{code}"
            meters.append({"external_id": meter, "unit": unit, "kind": kind,
                           "serial_number": f"{code}-{2019}{index + 1:02d}{len(meters):03d}",
                           "location": place, "installed_on": "2019-06-01"})
            state = Decimal(120 + 37 * index + (0 if kind == "cold_water" else 11))
            for number, month in enumerate(months):
                state += water[unit][number][0 if kind == "cold_water" else 1]
                last_day = (month.replace(day=28) + timedelta(days=4)).replace(day=1) \
                    - timedelta(days=1)
                readings.append({"external_id": f"{meter}-{month:%Y%m}", "meter": meter,
                                 "read_on": last_day.isoformat(), "value": str(state)})
    return meters, readings


def _memberships(persons, rng):
    rows = []
    for index, person in enumerate(persons):
        share_paid = Decimal("1500.00") if index % 3 else Decimal("750.00")
        rows.append({
            "external_id": f"{PREFIX}C-{person}", "person": person,
            "member_number": f"{1201 + index}",
            "member_since": date(1998 + index * 3, 1 + rng.randint(0, 11), 1).isoformat(),
            "contribution_due": "100.00", "contribution_paid": "100.00",
            "share_due": "1500.00", "share_paid": str(share_paid)})
    return rows


def _voting_rights(datasets: dict, electorate: str) -> None:
    """Owners' shares per association (summing to 1), or member titles for the persons who
    own a demo unit: what a vote's electorate is built from."""
    held = db.session.execute(
        select(Title.external_id, Person.external_id, Unit.external_id, Unit.association_id)
        .join(Person, Person.id == Title.person_id).join(Unit, Unit.id == Title.unit_id)
        .where(Title.external_id.like(f"{PREFIX}T%"), Title.kind == "owner")
        .order_by(Unit.id)).all()
    if electorate == "members":
        datasets["titles"] = [
            {"external_id": f"{PREFIX}M{title[len(PREFIX) + 1:]}", "person": person,
             "unit": unit, "kind": "member", "valid_from": "2019-05-01"}
            for title, person, unit, _ in held]
        return
    by_association: dict[int, list[str]] = {}
    for _, _, unit, association_id in held:
        if unit not in by_association.setdefault(association_id, []):
            by_association[association_id].append(unit)
    rows = []
    for units in by_association.values():
        part = (Decimal(1) / len(units)).quantize(Decimal("0.000001"))
        for index, unit in enumerate(units):
            share = Decimal(1) - part * (len(units) - 1) if index == len(units) - 1 else part
            rows.append({"external_id": f"{PREFIX}S-{unit}", "unit": unit, "share": str(share)})
    datasets["shares"] = rows


def _court_case(unit, today):
    external_id, city = unit
    filed = (today.replace(day=1) - timedelta(days=150)).replace(day=14)
    return [{"external_id": f"{PREFIX}SC-{external_id}", "unit": external_id,
             "case_number": f"I C {filed.month * 37 + 100}/{filed:%y}",
             "court": f"Sąd Rejonowy, I Wydział Cywilny ({city})"[:200],
             "subject": "Zapłata zaległych opłat za używanie lokalu",
             "claim_amount": "3840.00", "filed_on": filed.isoformat(),
             "status": "w toku — wyznaczono termin rozprawy"}]


def _settled_case(unit):
    """An old case that ended in a settlement: what most residents with a case see."""
    external_id, city = unit
    return [{"external_id": f"{PREFIX}SC-{external_id}", "unit": external_id,
             "case_number": "I C 412/21",
             "court": f"Sąd Rejonowy, I Wydział Cywilny ({city})"[:200],
             "subject": "Zapłata za naprawę instalacji wodnej po zalaniu lokalu poniżej",
             "claim_amount": "1260.00", "filed_on": "2021-03-09",
             "status": "zakończona — zawarto ugodę", "closed_on": "2021-11-30"}]


def _land_costs(units, today):
    due = date(today.year + 1, 3, 31)
    rows = []
    for index, (unit, _city) in enumerate(units):
        amount = _money(AREAS[index % len(AREAS)] * Decimal("62.40"))
        paid = amount if index % 3 == 0 else _money(amount / 2) if index % 3 == 1 else 0
        rows.append({"external_id": f"{PREFIX}G-{unit}", "unit": unit,
                     "description": "Udział w kosztach nabycia własności gruntu pod budynkiem",
                     "amount": str(amount), "paid": str(Decimal(paid)),
                     "due_date": due.isoformat()})
    return rows


def _services(units, today):
    first = today - timedelta(days=75)
    second = today - timedelta(days=12)
    rows = [{"external_id": f"{PREFIX}F-1", "unit": units[0][0],
             "document_number": f"FV/{first:%Y/%m}/041", "issued_on": first.isoformat(),
             "description": "Wymiana wkładki zamka w drzwiach do piwnicy",
             "amount": "180.00", "paid": "180.00",
             "due_date": (first + timedelta(days=14)).isoformat()}]
    if len(units) > 3:
        rows.append({"external_id": f"{PREFIX}F-2", "unit": units[3][0],
                     "document_number": f"FV/{second:%Y/%m}/117",
                     "issued_on": second.isoformat(),
                     "description": "Dorobienie pilota do bramy garażowej",
                     "amount": "95.00", "paid": "0.00",
                     "due_date": (second + timedelta(days=14)).isoformat()})
    return rows
