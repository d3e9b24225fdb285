"""One marshmallow schema per import dataset: every row of every entry point passes here.

A schema turns one raw row (strings from CSV, JSON values from a document or the API) into
clean Python values, or raises ``ValidationError`` naming each bad field. References to other
rows stay external ids here; the import service resolves them. Unknown fields are refused.
Every error message is coded (``problems.Coded``): an English text for the CLI and the API,
plus a stable code and parameters from which the back office words it in the page's
language. That covers marshmallow's own messages too (required, null, type, length, range,
choice, e-mail), set below on the field types and validators.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from iok_saas.modules.housing.models import COMMERCIAL, RESIDENTIAL, TITLE_KINDS
from iok_saas.modules.ledger.models import CHARGE, CORRECTION, ENTRY_KINDS, INTEREST, PAYMENT
from iok_saas.modules.meters.models import METER_KINDS

from .problems import Coded, coded

MONEY_LIMIT = Decimal("1000000000000")  # Numeric(14, 2): 12 digits before the point
READING_LIMIT = Decimal("1000000000")  # Numeric(12, 3)
UNIT_KINDS = (RESIDENTIAL, COMMERCIAL)
PERIOD_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
BANK_ACCOUNT_PATTERN = r"^[0-9 ]+$"


# --- coded messages of marshmallow's checks -----------------------------------------------------

COMMON_MESSAGES = {
    "required": Coded("required", "Missing data for required field."),
    "null": Coded("null", "Field may not be null."),
    "validator_failed": Coded("invalid_value", "Invalid value."),
}
TEXT_MESSAGES = COMMON_MESSAGES | {
    "invalid": Coded("not_text", "Not a valid string."),
    "invalid_utf8": Coded("invalid_utf8", "Not a valid utf-8 string."),
}
NUMBER_MESSAGES = COMMON_MESSAGES | {
    "invalid": Coded("not_a_number", "Not a valid number."),
    "too_large": Coded("number_too_large", "Number too large."),
    "special": Coded("special_number",
                     "Special numeric values (nan or infinity) are not permitted."),
}
INTEGER_MESSAGES = COMMON_MESSAGES | {
    "invalid": Coded("not_an_integer", "Not a valid integer."),
    "too_large": Coded("number_too_large", "Number too large."),
}
DATE_MESSAGES = COMMON_MESSAGES | {
    "invalid": Coded("invalid_date", "Not a valid date: use YYYY-MM-DD, e.g. 2025-01-31."),
}
MONTH_ERROR = Coded("invalid_month", "Not a valid month: use YYYY-MM, e.g. 2025-01.")


class Length(validate.Length):
    message_min = Coded("too_short", "Shorter than minimum length {min}.", "min")
    message_max = Coded("too_long", "Longer than maximum length {max}.", "max")
    message_all = Coded("length_between", "Length must be between {min} and {max}.",
                        "min", "max")
    message_equal = Coded("length_equal", "Length must be {equal}.", "equal")


class Range(validate.Range):
    """marshmallow's Range, its message coded by which bound was broken."""

    def _format_error(self, value, message: str) -> Coded:
        text = super()._format_error(value, message)
        if self.min is not None and self.max is not None:
            code = "between" if self.min_inclusive and self.max_inclusive else "out_of_range"
            return coded(code, text, min=self.min, max=self.max)
        if self.min is not None:
            return coded("at_least" if self.min_inclusive else "greater_than", text,
                         min=self.min)
        return coded("at_most" if self.max_inclusive else "less_than", text, max=self.max)


def one_of_validator(choices: tuple[str, ...]) -> validate.OneOf:
    return validate.OneOf(choices, error=Coded("one_of", "Must be one of: {choices}.",
                                               "choices"))


EMAIL = validate.Email(error=Coded("invalid_email", "Not a valid email address."))


# --- field types ------------------------------------------------------------------------------

class Text(fields.String):
    """A string with surrounding blanks removed; an empty optional value means "none"."""

    default_error_messages = TEXT_MESSAGES

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if "\x00" in text:
            raise ValidationError(Coded("nul_character", "Must not contain NUL characters."))
        if not text and self.allow_none:
            return None
        return text

    def _validate(self, value):
        # A blank optional value became None above: nothing is left to validate (a length
        # check on None would raise TypeError instead of a validation error).
        if value is not None:
            super()._validate(value)


def required_text(max_length: int, description: str, example: str) -> Text:
    return Text(required=True, validate=Length(min=1, max=max_length),
                metadata={"description": description, "example": example})


def optional_text(max_length: int, description: str, example: str) -> Text:
    return Text(load_default=None, allow_none=True, validate=Length(max=max_length),
                metadata={"description": description, "example": example})


def reference(dataset: str, example: str) -> Text:
    return required_text(64, f"external_id of a row of the '{dataset}' dataset (in the "
                         "database already or in the same import)", example)


class ExactDecimal(fields.Decimal):
    """A decimal number with at most ``places`` decimal places, never rounded.

    JSON numbers, strings ("1234.50") and integers are accepted; a decimal comma, more
    places than allowed, NaN or infinity are refused.
    """

    default_error_messages = NUMBER_MESSAGES

    def __init__(self, places: int, limit: Decimal, **kwargs):
        self.max_places = places
        self.limit = limit
        super().__init__(**kwargs)

    def _validated(self, value):
        if isinstance(value, str):
            value = value.strip()
        number = super()._validated(value)
        if abs(number) >= self.limit:
            raise ValidationError(coded("too_large", f"Must be smaller than {self.limit} in "
                                        "absolute value.", limit=self.limit))
        quantum = Decimal(1).scaleb(-self.max_places)
        try:
            exact = number.quantize(quantum)
        except InvalidOperation:
            exact = None
        if exact is None or exact != number:
            raise ValidationError(coded("decimal_places", f"At most {self.max_places} decimal "
                                        "places are allowed.", places=self.max_places))
        return exact


def money(description: str, example: str, *, required: bool = True, minimum: int | None = None,
          positive: bool = False):
    kwargs = {"required": True} if required else {"load_default": None, "allow_none": True}
    validators = [Range(min=0, min_inclusive=False)] if positive else \
        [Range(min=minimum)] if minimum is not None else []
    metadata = {"description": description, "example": example}
    if positive:
        metadata["exclusiveMinimum"] = True
    return ExactDecimal(2, MONEY_LIMIT, validate=validators, metadata=metadata, **kwargs)


class Period(fields.String):
    """An accounting month, "YYYY-MM", loaded as the first day of that month."""

    default_error_messages = TEXT_MESSAGES

    def _deserialize(self, value, attr, data, **kwargs) -> date:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not re.match(PERIOD_PATTERN, text):
            raise ValidationError(MONTH_ERROR)
        try:
            return date(int(text[:4]), int(text[5:7]), 1)
        except ValueError:  # year 0000
            raise ValidationError(MONTH_ERROR) from None


class BankAccount(Text):
    """A Polish account number (NRB): 26 digits; spaces are allowed and dropped."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if text is None:
            return None
        digits = text.replace(" ", "")
        if not digits.isdigit() or len(digits) != 26:
            raise ValidationError(Coded("invalid_bank_account", "A bank account number must "
                                        "have exactly 26 digits (spaces allowed)."))
        return digits


class Day(fields.Date):
    """An ISO date, YYYY-MM-DD."""

    default_error_messages = DATE_MESSAGES


class WholeNumber(fields.Integer):
    """An integer; a number with a fraction (10.5) is refused, never truncated."""

    default_error_messages = INTEGER_MESSAGES

    def _format_num(self, value) -> int:
        if isinstance(value, Decimal | float):
            if value != value:  # NaN
                raise ValueError(value)
            if abs(value) >= READING_LIMIT:  # infinity, 1e999999: never made into an int
                raise OverflowError(value)
            if value != int(value):
                raise ValueError(value)
        return super()._format_num(value)


def day(description: str, example: str, *, required: bool = True) -> Day:
    kwargs = {"required": True} if required else {"load_default": None, "allow_none": True}
    return Day(metadata={"description": description, "example": example}, **kwargs)


def one_of(choices: tuple[str, ...], description: str, **kwargs) -> Text:
    return Text(validate=one_of_validator(choices), metadata={"description": description,
                                                             "enum": list(choices)}, **kwargs)


def _not_before(data: dict, later: str, earlier: str) -> None:
    if data.get(later) and data.get(earlier) and data[later] < data[earlier]:
        raise ValidationError(coded("earlier_than", f"Must not be earlier than {earlier}.",
                                    earlier=earlier), field_name=later)


# --- the datasets -----------------------------------------------------------------------------

class ImportSchema(Schema):
    error_messages = {  # noqa: RUF012 (marshmallow's class-level override)
        "unknown": Coded("unknown_field", "Unknown field."),
        "type": Coded("not_an_object", "Invalid input type."),
    }

    class Meta:
        unknown = RAISE
        ordered = True

    # (later, earlier) date fields: the later one, when both are given, must not be earlier.
    # Data rather than code so that the PostgreSQL COPY path (bulk.py) checks the same.
    date_order: tuple[tuple[str, str], ...] = ()

    @validates_schema
    def _dates_in_order(self, data, **kwargs):
        for later, earlier in self.date_order:
            _not_before(data, later, earlier)

    external_id = required_text(64, "The row's identifier in the accounting system; unique "
                                "within the dataset. Rows are matched on it (upsert).", "1001")


class AssociationSchema(ImportSchema):
    name = required_text(200, "Name of the association, building or estate",
                         "Wspólnota Mieszkaniowa ul. Lipowa 3")
    street = required_text(200, "Street address", "ul. Lipowa 3")
    postal_code = optional_text(10, "Postal code", "49-300")
    city = required_text(100, "City", "Brzeg")


class UnitSchema(ImportSchema):
    association = reference("associations", "A-1")
    street = required_text(200, "Street", "ul. Lipowa")
    building_number = required_text(20, "Building number", "3")
    unit_number = optional_text(20, "Flat or premises number (empty for a whole building)",
                                "12")
    city = required_text(100, "City", "Brzeg")
    kind = one_of(UNIT_KINDS, "residential or commercial", load_default=RESIDENTIAL)
    bank_account = BankAccount(
        load_default=None, allow_none=True,
        metadata={"description": "The unit's own account for payments: 26 digits, spaces "
                                 "allowed (stored as digits only)",
                  "example": "12 1020 1020 1020 1020 1020 1020", "pattern": BANK_ACCOUNT_PATTERN})


class PersonSchema(ImportSchema):
    first_name = required_text(100, "First name", "Anna")
    last_name = required_text(150, "Last name", "Nowicka")
    email = Text(load_default=None, allow_none=True,
                 validate=[Length(max=254), EMAIL],
                 metadata={"description": "E-mail address", "example": "anna@example.com",
                           "format": "email"})
    phone = optional_text(40, "Phone number", "600 100 200")
    correspondence_address = optional_text(300, "Address for letters, if not the unit",
                                           "ul. Polna 1, 49-300 Brzeg")


class TitleSchema(ImportSchema):
    person = reference("persons", "P-1")
    unit = reference("units", "U-1")
    kind = one_of(TITLE_KINDS, "owner, tenant or member", required=True)
    valid_from = day("First day of the title", "2019-05-01")
    valid_to = day("Last day of the title (empty while it lasts)", "2030-12-31", required=False)

    date_order = (("valid_to", "valid_from"),)


class LedgerSchema(ImportSchema):
    unit = reference("units", "U-1")
    booking_date = day("Date the entry was posted", "2025-01-10")
    period = Period(required=True, metadata={
        "description": "Month the entry settles, YYYY-MM", "example": "2025-01",
        "pattern": PERIOD_PATTERN})
    kind = one_of(ENTRY_KINDS, "charge, payment, correction or interest", required=True)
    component = optional_text(32, "Which charge the entry belongs to", "eksploatacja")
    title = required_text(200, "Text shown to the resident", "Opłata eksploatacyjna 01/2025")
    amount = money("Signed amount, debt-positive: charge and interest > 0, payment < 0, "
                   "correction either way but not 0", "412.30")

    @validates_schema
    def _sign(self, data, **kwargs):
        kind, amount = data.get("kind"), data.get("amount")
        if kind is None or amount is None:
            return
        if kind == CHARGE and amount <= 0:
            raise ValidationError(Coded("charge_not_positive", "A charge must be positive "
                                        "(amounts are debt-positive)."), field_name="amount")
        if kind == INTEREST and amount <= 0:
            raise ValidationError(Coded("interest_not_positive", "Interest must be positive "
                                        "(amounts are debt-positive)."), field_name="amount")
        if kind == PAYMENT and amount >= 0:
            raise ValidationError(Coded("payment_not_negative", "A payment must be negative "
                                        "(amounts are debt-positive)."), field_name="amount")
        if kind == CORRECTION and amount == 0:
            raise ValidationError(Coded("correction_zero", "A correction must not be zero."),
                                  field_name="amount")


class ChargeSchema(ImportSchema):
    unit = reference("units", "U-1")
    component = optional_text(32, "Which charge this is", "fundusz remontowy")
    title = required_text(200, "Text shown to the resident", "Fundusz remontowy")
    amount = money("Monthly amount, greater than 0", "150.00", positive=True)
    valid_from = day("First day the charge applies", "2025-01-01")
    valid_to = day("Last day (empty while it applies)", "2025-12-31", required=False)
    due_day = WholeNumber(load_default=10, validate=Range(min=1, max=28),
                             metadata={"description": "Day of the month it is due, 1–28 "
                                                      "(default 10)", "example": 10})

    date_order = (("valid_to", "valid_from"),)


class MeterSchema(ImportSchema):
    unit = reference("units", "U-1")
    serial_number = required_text(40, "Serial number on the meter", "WM-2019-004512")
    kind = one_of(METER_KINDS, "cold_water or hot_water", required=True)
    location = optional_text(100, "Where the meter is", "łazienka")
    installed_on = day("Installation date", "2019-06-01", required=False)
    removed_on = day("Removal date (empty while installed)", "2027-06-01", required=False)

    date_order = (("removed_on", "installed_on"),)


class ReadingSchema(ImportSchema):
    meter = reference("meters", "M-1")
    read_on = day("Date of the reading", "2025-01-31")
    value = ExactDecimal(3, READING_LIMIT, required=True, validate=Range(min=0),
                         metadata={"description": "Meter state in m³, at most 3 decimal "
                                                  "places", "example": "123.456"})


class MembershipSchema(ImportSchema):
    person = reference("persons", "P-1")
    member_number = optional_text(40, "Membership number", "1234")
    member_since = day("Member since", "2001-03-15")
    member_until = day("Member until (empty while a member)", "2030-01-01", required=False)
    contribution_due = money("Entry contribution due", "100.00", minimum=0)
    contribution_paid = money("Entry contribution paid", "100.00", minimum=0)
    share_due = money("Membership share due", "500.00", minimum=0)
    share_paid = money("Membership share paid", "250.00", minimum=0)

    date_order = (("member_until", "member_since"),)


class ShareSchema(ImportSchema):
    unit = reference("units", "U-1")
    share = ExactDecimal(6, Decimal(2), required=True, validate=Range(
        min=Decimal("0.000001"), max=Decimal(1)), metadata={
            "description": "The unit's share in the common property as a fraction of 1 "
                           "(523/10000 is 0.0523), at most 6 decimal places; votes of a "
                           "housing community are weighted by it", "example": "0.0523"})


class CourtCaseSchema(ImportSchema):
    unit = reference("units", "U-1")
    case_number = required_text(60, "Court file number", "I C 123/25")
    court = required_text(200, "Court", "Sąd Rejonowy w Brzegu")
    subject = required_text(300, "What the case is about", "Zapłata zaległych opłat")
    claim_amount = money("Amount claimed", "4200.00", minimum=0)
    filed_on = day("Date filed", "2025-02-01")
    status = required_text(100, "Current status, as the manager words it", "w toku")
    closed_on = day("Date closed (empty while open)", "2025-09-30", required=False)

    date_order = (("closed_on", "filed_on"),)


class LandCostSchema(ImportSchema):
    unit = reference("units", "U-1")
    description = required_text(300, "What the cost is", "Udział w kosztach zakupu gruntu")
    amount = money("The unit's share", "3200.00", minimum=0)
    paid = money("Paid so far", "1600.00", minimum=0)
    due_date = day("Payment due date", "2026-03-31", required=False)


class ServiceSchema(ImportSchema):
    unit = reference("units", "U-1")
    document_number = required_text(60, "Invoice or note number", "FV/2025/01/17")
    issued_on = day("Date issued", "2025-01-17")
    description = required_text(300, "What was sold or bought", "Wymiana zamka w drzwiach")
    amount = money("Amount of the document", "180.00", minimum=0)
    paid = money("Paid so far", "0.00", minimum=0)
    due_date = day("Payment due date", "2025-01-31", required=False)
