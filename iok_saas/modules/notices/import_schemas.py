"""Import schemas of the notice datasets (declared in imports.formats like every dataset).

``notices`` is one unit's notice for a period; ``notice_lines`` are its charges, one per
component, so the platform can print the breakdown the manager computed."""

from __future__ import annotations

from marshmallow.validate import Range

from iok_saas.modules.imports.schemas import (
    PERIOD_PATTERN,
    ImportSchema,
    Period,
    WholeNumber,
    money,
    optional_text,
    reference,
    required_text,
)


class NoticeSchema(ImportSchema):
    unit = reference("units", "U-1")
    period = Period(required=True, metadata={
        "description": "Month the charges apply from, YYYY-MM", "example": "2027-01",
        "pattern": PERIOD_PATTERN})
    due_day = WholeNumber(load_default=10, validate=Range(min=1, max=28),
                          metadata={"description": "Day of the month the charges are due, "
                                                   "1–28 (default 10)", "example": 10})
    note = optional_text(500, "A remark printed on the notice", "Zmiana stawki za wodę "
                         "od stycznia.")


class NoticeLineSchema(ImportSchema):
    notice = reference("notices", "N-2027-01-U-1")
    component = optional_text(32, "Which charge this is", "fundusz remontowy")
    title = required_text(200, "Text printed on the notice", "Fundusz remontowy")
    basis = optional_text(100, "How it is computed", "62,00 m² × 2,50 zł")
    amount = money("Monthly amount (a discount is negative)", "155.00")
