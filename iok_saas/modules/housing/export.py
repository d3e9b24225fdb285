"""The housing part of a resident's personal-data export: their titles to units."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.features import ExportSection

from .labels import TITLE_LABELS
from .models import Person, Title, Unit


def titles_of(person: Person) -> list[Title]:
    """Every title of the person (past ones too), newest first, with its unit."""
    return list(db.session.scalars(
        select(Title).where(Title.person_id == person.id)
        .order_by(Title.valid_from.desc(), Title.id)))


def unit_labels(ids: Iterable[int]) -> dict[int, str]:
    """Unit id -> its address label, for the export sections that name a unit."""
    wanted = set(ids)
    if not wanted:
        return {}
    return {unit.id: unit.label
            for unit in db.session.scalars(select(Unit).where(Unit.id.in_(wanted)))}


def sections(_account, person: Person) -> list[ExportSection]:
    rows = [{
        "kind": t.kind, "valid_from": t.valid_from, "valid_to": t.valid_to,
        "unit": {"label": t.unit.label, "street": t.unit.street,
                 "building_number": t.unit.building_number,
                 "unit_number": t.unit.unit_number, "city": t.unit.city,
                 "kind": t.unit.kind, "bank_account": t.unit.bank_account},
    } for t in titles_of(person)]
    return [ExportSection("titles", _l("Tytuły prawne do lokali"), rows, order=10,
                          vocabularies={"kind": TITLE_LABELS},
                          audit_subjects=(("Person", (person.id,)),))]
