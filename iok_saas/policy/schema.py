"""The policy language: vocabulary, marshmallow schemas and cross-field checks.

Every file of a policy chain is validated on its own with ``partial=True`` (everything
optional, so each error points at the file that has it); the merged chain is then validated
in full, which enforces required keys and runs the cross-field checks below. The checks are
skipped on partial loads because a single file rarely holds both sides of a rule.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

KeyPath = tuple[str | int, ...]
Problem = tuple[KeyPath, str]

PLATFORM_MIN_LENGTH = 8
"""Shortest password the platform accepts unless a policy records a waiver."""

HOME = "home"
TABS = (
    "ledger",
    "water_meters",
    "meter_submission",
    "faults",
    "occupants",
    "announcements",
    "contact",
    "membership",
    "court_cases",
    "land_costs",
    "services",
)
_FEATURE_TABS: list[str] = []


def register_tabs(keys) -> None:
    """Tab names a feature brings (``Feature.tab_keys``): policies may list them too."""
    for key in keys:
        if key not in TABS and key not in _FEATURE_TABS and key != HOME:
            _FEATURE_TABS.append(key)


def forget_tabs(keys) -> None:
    """Undo ``register_tabs`` (a feature taken out of the registry)."""
    for key in keys:
        if key in _FEATURE_TABS:
            _FEATURE_TABS.remove(key)


def known_tabs() -> tuple[str, ...]:
    """Every tab a policy may name: the built-in ones, then those the features registered
    (``iok_saas.features.load_features``, run by the app factory and the test suite)."""
    return (*TABS, *_FEATURE_TABS)


def tab_list(*, with_home: bool, min_items: int = 0, **kwargs) -> fields.List:
    """A list of distinct tab names, checked against the tabs known when a policy loads."""
    def check(value: str) -> None:
        allowed = ((HOME,) if with_home else ()) + known_tabs()
        if value not in allowed:
            raise ValidationError(f"Must be one of: {', '.join(allowed)}.")

    return fields.List(fields.String(validate=check),
                       validate=[_distinct, validate.Length(min=min_items)], **kwargs)


FILING_STEPS = ("electronic_form", "paper_application", "in_person_request")
ENROLMENT_STEPS = (
    *FILING_STEPS,
    "confirm_email",
    "staff_review",
    "notify_account_ready",
    "schedule_pickup",
    "in_person_pickup",
    "manager_creates",
)
ACCOUNT_STEPS = {"staff_review", "in_person_pickup", "schedule_pickup"}
"""An application procedure needs one of these: staff_review creates the account, and
in_person_pickup (which schedule_pickup leads to) creates it at the pickup."""
ENROLMENT_CHANNELS = ("electronic", "paper", "email_scan", "in_person")
STEP_CHANNELS = {
    "electronic_form": ("electronic",),
    "paper_application": ("paper", "email_scan"),
    "in_person_request": ("in_person",),
}
APPLICANT_TYPES = ("owner", "tenant", "member", "commercial", "association_owner")
NOTIFY_BY = ("email", "phone")
CHARACTER_CLASSES = ("digits", "uppercase", "lowercase", "special")
INITIAL_DELIVERY = ("printed_letter_in_person", "printed_letter_by_post")
USABLE_FROM = ("immediately", "next_day")
RECOVERY_METHODS = ("email", "written_request", "in_person", "initial_document")
SELF_SERVICE_RECOVERY = ("email",)
FLOOR_RULES = ("min_length", "common_passwords", "login", "name", "cooperative_name")
"""Rules of the platform floor; a policy waives each one separately, with its own reason."""
SEQUENCE_LENGTH = (3, 8)
"""Range of ``password.forbid_sequences``: how long a forbidden sequence is."""
SECOND_FACTOR_FOR_RESIDENTS = ("off", "optional", "required")
PASSKEY_USES = ("off", "second_factor", "passwordless")
BALANCE_AS_OF = ("login_day", "today")
CONTACT_CHANNELS = ("in_person", "phone", "email", "written")
BLOCK_TRIGGERS = (
    "failed_logins",
    "reported_lost",
    "misuse",
    "settlements_ceased",
    "title_ended",
    "written_request",
)
BLOCK_ACTIONS = ("block_now", "staff_decides")
UNBLOCK_METHODS = (
    "new_credentials_in_person",
    "staff_unblock",
    "new_password_on_written_request",
    "initial_document",
    "email_link",
)
SELF_SERVICE_UNBLOCK = ("email_link",)
"""Unblock methods the resident uses alone; only a failed_logins rule may offer them."""
UNTIL_UNLOCKED = "until_unlocked"
WRITTEN_REQUEST_CHANNELS = ("written", "in_person")
"""Channels through which a written request to block reaches the office (a letter posted or
handed in): never a phone call."""
REPORT_DEADLINES = ("immediately", "next_working_day")
REVOCATION_CHANNELS = ("electronic", "paper", "email_scan")
REVOCATION_REASONS = ("sale", "exchange", "donation", "other")
REVOCATION_CHOICES = ("block", "remove_permanently")
NOTIFICATIONS = (
    "email_confirmation",
    "application_received",
    "correction_requested",
    "application_rejected",
    "account_ready",
    "pickup_scheduled",
    "account_activated",
    "password_changed",
    "account_blocked",
    "account_unblocked",
    "revocation_done",
    "meter_reading_decided",
    "fault_status_changed",
    "announcement_published",
    "occupants_change_decided",
    "contact_correction_decided",
)
NOTICES = (
    "balance_disclaimer",
    "balance_lag",
    "availability",
    "confidentiality",
    "lost_credentials",
    "data_protection",
    "questions",
)
REQUEST_KINDS = (
    "fault_reports",
    "occupant_changes",
    "meter_readings",
    "contact_corrections",
    "questions",
)

PRESET_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
KEY = re.compile(r"[a-z][a-z0-9_]*")
DURATION = re.compile(r"([1-9][0-9]*)([smhd])")
DURATION_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}

IDENTIFIER_RANDOM = {"#": "digit", "?": "letter"}
IDENTIFIER_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O: they read as 1 and 0
IDENTIFIER_LITERALS = re.compile(r"[A-Za-z0-9._-]")
IDENTIFIER_MIN_RANDOM = 4
IDENTIFIER_MAX_LENGTH = 32


# --- value parsers shared by fields and the model -------------------------------------------


def parse_duration(text: str) -> timedelta:
    """'15m' -> 15 minutes; units s, m, h, d; raises ValueError on anything else."""
    match = DURATION.fullmatch(text)
    if not match:
        raise ValueError(
            f"{text!r} is not a duration: write a whole number and a unit s, m, h or d "
            "(e.g. 15m, 2h, 7d)."
        )
    amount, unit = match.groups()
    return timedelta(**{DURATION_UNITS[unit]: int(amount)})


def parse_identifier_format(pattern: str) -> tuple[tuple[str, str], ...]:
    """Split an identifier format into (kind, char) tokens; kind is digit, letter or literal.

    ``#`` is a random digit, ``?`` a random upper-case letter (no I or O); letters, digits,
    '.', '_' and '-' stand for themselves. Raises ValueError with the reason otherwise.
    """
    tokens: list[tuple[str, str]] = []
    for char in pattern:
        if char in IDENTIFIER_RANDOM:
            tokens.append((IDENTIFIER_RANDOM[char], char))
        elif IDENTIFIER_LITERALS.fullmatch(char):
            tokens.append(("literal", char))
        else:
            raise ValueError(f"character {char!r} is not allowed in an identifier.")
    random_positions = sum(kind != "literal" for kind, _ in tokens)
    if random_positions < IDENTIFIER_MIN_RANDOM:
        raise ValueError(f"needs at least {IDENTIFIER_MIN_RANDOM} random positions (# or ?), "
                         f"has {random_positions}.")
    if len(tokens) > IDENTIFIER_MAX_LENGTH:
        raise ValueError(f"makes identifiers longer than {IDENTIFIER_MAX_LENGTH} characters.")
    return tuple(tokens)


# --- fields ---------------------------------------------------------------------------------


class Flag(fields.Boolean):
    """A YAML boolean (true/false); unlike marshmallow's Boolean, no 1, 'yes' or 'on' text."""

    def _deserialize(self, value, attr, data, **kwargs) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class Renamed(fields.Field):
    """A key of language v1 that v2 replaced: any value is an error telling what to write."""

    def __init__(self, hint: str, **kwargs):
        super().__init__(**kwargs)
        self.hint = hint

    def _deserialize(self, value, attr, data, **kwargs):
        raise ValidationError(f"Replaced in policy language v2: {self.hint}")


class Duration(fields.Field):
    """A duration such as 15m, 2h or 7d, loaded as ``datetime.timedelta``.

    With ``until_unlocked=True`` the word ``until_unlocked`` is accepted and kept as is.
    """

    def __init__(self, *, until_unlocked: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.until_unlocked = until_unlocked

    def _deserialize(self, value, attr, data, **kwargs):
        if self.until_unlocked and value == UNTIL_UNLOCKED:
            return value
        if self.until_unlocked and value == "until_staff_unblocks":
            raise ValidationError("Replaced in policy language v2: write until_unlocked (the "
                                  "lock lasts until one of the rule's unblock methods lifts it).")
        if not isinstance(value, str):
            raise ValidationError("Not a duration: write it as text such as 15m, 2h or 7d.")
        try:
            return parse_duration(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class IdentifierFormat(fields.String):
    """An identifier pattern, checked with :func:`parse_identifier_format`."""

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            parse_identifier_format(text)
        except ValueError as exc:
            raise ValidationError(f"Invalid identifier format: {exc}") from None
        return text


class Department(fields.String):
    """A department key; the tenant's manifest defines which keys exist."""

    def __init__(self, **kwargs):
        error = "Not a department key: use lower-case letters, digits and '_' (e.g. finance)."
        super().__init__(validate=validate.Regexp(KEY, error=error), **kwargs)


def count(low: int, high: int | None = None, **kwargs) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=low, max=high), **kwargs)


def text(**kwargs) -> fields.String:
    """Non-blank text."""
    return fields.String(validate=_not_blank, **kwargs)


def choice(values: tuple[str, ...], **kwargs) -> fields.String:
    return fields.String(validate=validate.OneOf(values), **kwargs)


class ChoiceList(fields.List):
    """A list of distinct values; a single bare value (language v1) gets a precise hint."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            raise ValidationError(f"Write a list, e.g. [{value}] (policy language v2 accepts "
                                  "several methods).")
        return super()._deserialize(value, attr, data, **kwargs)


def choice_list(values: tuple[str, ...], *, min_items: int = 0, **kwargs) -> fields.List:
    """A list of distinct values from ``values``."""
    checks = [_distinct, validate.Length(min=min_items)]
    return ChoiceList(choice(values), validate=checks, **kwargs)


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("Must not be blank.")


def _distinct(values: list) -> None:
    seen = set()
    for value in values:
        if value in seen:
            raise ValidationError(f"{value!r} is listed twice.")
        seen.add(value)


# --- schemas --------------------------------------------------------------------------------


class CheckedSchema(Schema):
    """A schema whose cross-field ``problems`` run on complete (non-partial) loads only."""

    def problems(self, data: dict) -> list[Problem]:
        return []

    @validates_schema
    def _cross_checks(self, data, partial=None, **_kwargs):
        if not partial:
            raise_problems(self.problems(data))


def raise_problems(problems: list[Problem]) -> None:
    """Raise one ValidationError whose nested messages follow each problem's key path.

    Messages sit under marshmallow's ``_schema`` key so that one node can carry its own
    message and its children's (e.g. ``steps`` and ``steps[0]``).
    """
    if not problems:
        return
    tree: dict = {}
    for path, message in problems:
        node = tree
        for part in path:
            node = node.setdefault(part, {})
        node.setdefault("_schema", []).append(message)
    raise ValidationError(tree)


class ClassCountsSchema(Schema):
    digits = count(0, load_default=0)
    uppercase = count(0, load_default=0)
    lowercase = count(0, load_default=0)
    special = count(0, load_default=0)


class ClassMixSchema(Schema):
    at_least = count(0, len(CHARACTER_CLASSES), required=True)
    of = choice_list(CHARACTER_CLASSES, min_items=1, required=True)


FloorWaiverSchema = Schema.from_dict(
    {rule: text(allow_none=True, load_default=None) for rule in FLOOR_RULES},
    name="FloorWaiverSchema",
)


class FloorWaivers(fields.Nested):
    """``below_platform_floor``: one recorded reason per waived floor rule."""

    def __init__(self, **kwargs):
        super().__init__(FloorWaiverSchema, **kwargs)

    def _deserialize(self, value, attr, data, partial=None, **kwargs):
        if isinstance(value, str):
            raise ValidationError(
                "Replaced in policy language v2: give a reason per floor rule you waive, e.g. "
                "below_platform_floor: {min_length: \"<the published rule>\"}; rules: "
                + ", ".join(FLOOR_RULES) + ".")
        return super()._deserialize(value, attr, data, partial=False, **kwargs)


LONGEST_PASSWORD = 1024
"""The most any policy's ``max_length`` may allow; every password field takes this much."""


class PasswordSchema(CheckedSchema):
    min_length = count(1, 128, required=True)
    max_length = count(1, LONGEST_PASSWORD, required=True)
    require = fields.Nested(ClassCountsSchema, required=True)
    classes = fields.Nested(ClassMixSchema, required=True)
    max_repeated_run = count(1, allow_none=True, load_default=None)
    repeated_case_sensitive = Flag(load_default=True)
    forbid_sequences = count(*SEQUENCE_LENGTH, allow_none=True, load_default=None)
    forbidden_characters = fields.String(load_default="")
    forbid_login = Flag(required=True)
    forbid_name = Flag(required=True)
    history = count(0, 24, required=True)
    below_platform_floor = FloorWaivers(allow_none=True, load_default=None)

    def problems(self, data: dict) -> list[Problem]:
        return _length_problems(data) + _class_problems(data) + _floor_problems(data)


def _length_problems(data: dict) -> list[Problem]:
    low, high = data["min_length"], data["max_length"]
    if low <= high:
        return []
    return [(("min_length",), f"{low} is greater than max_length ({high}).")]


def _class_problems(data: dict) -> list[Problem]:
    problems: list[Problem] = []
    required = sum(data["require"].values())
    if required > data["max_length"]:
        problems.append((
            ("require",),
            f"asks for {required} characters in total, more than max_length "
            f"({data['max_length']}).",
        ))
    mix = data["classes"]
    if mix["at_least"] > len(mix["of"]):
        problems.append((
            ("classes", "at_least"),
            f"{mix['at_least']} is more than the {len(mix['of'])} classes listed in classes.of.",
        ))
    return problems


def _floor_problems(data: dict) -> list[Problem]:
    """Each floor rule the policy goes below needs its own waiver; a waiver of a floor rule
    the policy meets anyway is stale. ``common_passwords`` and ``cooperative_name`` have no
    policy key of their own: their waiver is what switches the floor rule off."""
    waivers = data["below_platform_floor"] or {}
    problems: list[Problem] = []
    below = dict(below_floor_reasons(data))
    for rule, (path, reason) in below.items():
        if waivers.get(rule) is None:
            problems.append((path, f"{reason}; add password.below_platform_floor.{rule} with "
                             "the reason."))
    for rule in ("min_length", "login", "name"):
        if waivers.get(rule) is not None and rule not in below:
            problems.append((("below_platform_floor", rule),
                             "the rules meet this floor rule, so there is nothing to waive; "
                             "remove the waiver."))
    return problems


def below_floor_reasons(data: dict) -> list[tuple[str, Problem]]:
    """Where a password section falls below the platform floor: (floor rule, (path, reason))."""
    reasons: list[tuple[str, Problem]] = []
    if data["min_length"] < PLATFORM_MIN_LENGTH:
        reasons.append(("min_length", (
            ("min_length",),
            f"{data['min_length']} is below the platform floor of {PLATFORM_MIN_LENGTH} "
            "characters",
        )))
    for rule, key in (("login", "forbid_login"), ("name", "forbid_name")):
        if not data[key]:
            reasons.append((rule, ((key,), "the platform floor requires true")))
    return reasons


class IdentifierSchema(Schema):
    generated = Flag(required=True)
    format = IdentifierFormat(required=True)
    permanent = Flag(required=True)
    unique_within = choice(("tenant",), required=True)


class InitialPasswordSchema(CheckedSchema):
    one_time = Flag(required=True)
    change_on_first_login = Flag(required=True)
    valid_days = count(1, 365, required=True)
    length = count(PLATFORM_MIN_LENGTH, 64, required=True)
    delivery = choice(INITIAL_DELIVERY, required=True)
    usable_from = choice(USABLE_FROM, load_default="immediately")

    def problems(self, data: dict) -> list[Problem]:
        if data["one_time"] and not data["change_on_first_login"]:
            return [(("change_on_first_login",),
                     "must be true when the initial password is one_time.")]
        return []


class ReviewSchema(Schema):
    department = Department(allow_none=True, load_default=None)
    may_refuse = Flag(required=True)


class PickupSchema(Schema):
    department = Department(allow_none=True, load_default=None)
    places = fields.List(Department(), validate=_distinct, load_default=list)
    identity_document = Flag(required=True)
    signed_receipt = Flag(required=True)
    sign_application = Flag(required=True)


ACTIVATION_VALID = (timedelta(days=1), timedelta(days=365))
"""Range of ``enrolment.activation_codes.valid``."""


class ActivationCodesSchema(Schema):
    """One-time activation codes printed for residents: registration without a visit."""

    enabled = Flag(load_default=False)
    valid = Duration(load_default=lambda: timedelta(days=60), validate=validate.Range(
        *ACTIVATION_VALID, error="Must be between 1d and 365d."))
    max_attempts = count(1, 20, load_default=5)


def _activation_defaults() -> dict:
    return ActivationCodesSchema().load({})


class EnrolmentSchema(CheckedSchema):
    steps = choice_list(ENROLMENT_STEPS, min_items=1, required=True)
    channels = choice_list(ENROLMENT_CHANNELS, required=True)
    eligible = choice_list(APPLICANT_TYPES, min_items=1, required=True)
    notify_by = choice_list(NOTIFY_BY, required=True)
    filed_with = Department(allow_none=True, load_default=None)
    review = fields.Nested(ReviewSchema, required=True)
    pickup = fields.Nested(PickupSchema, required=True)
    accept_regulations_at_filing = Flag(required=True)
    activation_codes = fields.Nested(ActivationCodesSchema, load_default=_activation_defaults)

    def problems(self, data: dict) -> list[Problem]:
        steps = data["steps"]
        if "manager_creates" in steps:
            return _manager_creates_problems(steps, data["channels"])
        problems = _step_order_problems(steps) + _channel_problems(steps, data["channels"])
        if "notify_account_ready" in steps and not data["notify_by"]:
            problems.append((("notify_by",), "notify_account_ready needs at least one way "
                             "to notify (email or phone)."))
        return problems


def _manager_creates_problems(steps: list[str], channels: list[str]) -> list[Problem]:
    if len(steps) > 1:
        return [(("steps",), "manager_creates must be the only step: the manager creates "
                 "accounts without any application.")]
    if channels:
        return [(("channels",), "must be empty when the manager creates accounts.")]
    return []


def _step_order_problems(steps: list[str]) -> list[Problem]:
    problems: list[Problem] = []
    if steps[0] not in FILING_STEPS:
        problems.append((("steps", 0), f"{steps[0]} cannot come first: the first step files "
                         f"the application ({', '.join(FILING_STEPS)})."))
    filing_done = False
    for index, step in enumerate(steps):
        filing_done = filing_done or step not in FILING_STEPS
        if filing_done and step in FILING_STEPS:
            problems.append((("steps", index), f"{step} must come before every non-filing "
                             "step (listed filing steps are alternatives)."))
    problems += _must_follow(steps, "confirm_email", "electronic_form")
    if "staff_review" in steps:
        problems += _must_follow(steps, "notify_account_ready", "staff_review")
        problems += _must_follow(steps, "schedule_pickup", "staff_review")
    if "schedule_pickup" in steps and "in_person_pickup" not in steps:
        problems.append((("steps", steps.index("schedule_pickup")),
                         "schedule_pickup needs in_person_pickup: it sets the pickup's time "
                         "and place."))
    if "in_person_pickup" in steps and steps[-1] != "in_person_pickup":
        problems.append((("steps", steps.index("in_person_pickup")),
                         "in_person_pickup hands over the credentials and must be the last step."))
    if not set(steps) & ACCOUNT_STEPS:
        problems.append((("steps",), "no step creates the account: add staff_review (staff "
                         "create it after checking the data) or in_person_pickup (it is "
                         "created when the credentials are collected)."))
    return problems


def _must_follow(steps: list[str], later: str, earlier: str) -> list[Problem]:
    if later not in steps:
        return []
    index = steps.index(later)
    if earlier in steps[:index]:
        return []
    return [(("steps", index), f"{later} must come after {earlier}.")]


def _channel_problems(steps: list[str], channels: list[str]) -> list[Problem]:
    problems: list[Problem] = []
    used: set[str] = set()
    for step in (s for s in steps if s in STEP_CHANNELS):
        accepted = STEP_CHANNELS[step]
        used.update(accepted)
        if not set(accepted) & set(channels):
            problems.append((("channels",), f"step {step} needs channel "
                             f"{' or '.join(accepted)}."))
    for index, channel in enumerate(channels):
        if channel not in used:
            problems.append((("channels", index), f"no enrolment step takes channel {channel}."))
    return problems


class RecoverySchema(Schema):
    methods = choice_list(RECOVERY_METHODS, min_items=1, required=True)
    method = Renamed("write methods: [<method>, …] (several recovery methods may be offered).")
    department = Department(allow_none=True, load_default=None)
    identity_document = Flag(required=True)
    new_identifier = Flag(required=True)
    email_link_valid = Duration(required=True)


class DisputesSchema(Schema):
    department = Department(allow_none=True, load_default=None)
    channels = choice_list(CONTACT_CHANNELS, min_items=1, required=True)


class LedgerSchema(Schema):
    balance_as_of = choice(BALANCE_AS_OF, required=True)
    simulate_current_month = Flag(required=True)
    choose_association = Flag(required=True)
    choose_month = Flag(required=True)
    components = fields.List(
        fields.String(validate=validate.Regexp(KEY, error="Not a key: use a-z, 0-9 and '_'.")),
        validate=_distinct,
        load_default=list,
    )
    lag_disclaimer = Flag(required=True)
    disputes = fields.Nested(DisputesSchema, required=True)


class RuleSchema(Schema):
    """Settings every blocking rule has; each trigger adds its own (see RULE_SCHEMAS)."""

    trigger = choice(BLOCK_TRIGGERS, required=True)
    unblock = choice_list(UNBLOCK_METHODS, min_items=1, allow_none=True, load_default=None)


class FailedLoginsRuleSchema(RuleSchema):
    threshold = count(1, required=True)
    within = Duration(allow_none=True, load_default=None)
    lock_for = Duration(until_unlocked=True, required=True)


class ReportedLostRuleSchema(RuleSchema):
    action = choice(BLOCK_ACTIONS, required=True)
    channels = choice_list(CONTACT_CHANNELS, min_items=1, required=True)
    report_deadline = choice(REPORT_DEADLINES, allow_none=True, load_default=None)


class ActionRuleSchema(RuleSchema):
    action = choice(BLOCK_ACTIONS, required=True)


RULE_SCHEMAS: dict[str, type[RuleSchema]] = {
    trigger: ActionRuleSchema for trigger in BLOCK_TRIGGERS
} | {"failed_logins": FailedLoginsRuleSchema, "reported_lost": ReportedLostRuleSchema}


class BlockRule(fields.Field):
    """One blocking rule, validated by the schema its ``trigger`` selects.

    A list item is always complete (lists replace, never merge), so it is loaded in full
    even when the surrounding file is validated partially.
    """

    def _deserialize(self, value, attr, data, **kwargs) -> dict:
        if not isinstance(value, Mapping):
            raise ValidationError("Not a rule: write a mapping with a trigger and its settings.")
        trigger = value.get("trigger")
        if not isinstance(trigger, str) or trigger not in RULE_SCHEMAS:
            known = ", ".join(BLOCK_TRIGGERS)
            problem = "Missing: every rule needs one" if trigger is None else "Must be one"
            raise ValidationError({"trigger": [f"{problem} of: {known}."]})
        return RULE_SCHEMAS[trigger]().load(value)


class UnlockLinkSchema(Schema):
    valid = Duration(required=True)
    new_password = Flag(required=True)


class BlockingSchema(CheckedSchema):
    decided_by = Department(required=True)
    unblock_by = choice_list(UNBLOCK_METHODS, min_items=1, required=True)
    unlock_link = fields.Nested(UnlockLinkSchema, required=True)
    self_block = Flag(required=True)
    rules = fields.List(BlockRule(), required=True)

    def problems(self, data: dict) -> list[Problem]:
        seen: set[str] = set()
        problems: list[Problem] = []
        for index, rule in enumerate(data["rules"]):
            if rule["trigger"] in seen:
                problems.append((("rules", index, "trigger"),
                                 f"a rule for {rule['trigger']} is already given above."))
            seen.add(rule["trigger"])
            if rule["trigger"] != "failed_logins":
                problems += _self_service_problems(rule["unblock"] or [],
                                                   ("rules", index, "unblock"))
        return problems + _self_service_problems(data["unblock_by"], ("unblock_by",))


def _self_service_problems(methods: list[str], path: KeyPath) -> list[Problem]:
    """Only a lock after failed logins may be lifted by the resident alone: a block someone
    decided on (misuse, a lost password reported) needs the office."""
    return [(path, f"{method} lifts a lock without the office, so only the failed_logins "
             "rule may offer it.") for method in methods if method in SELF_SERVICE_UNBLOCK]


class RevocationSchema(CheckedSchema):
    channels = choice_list(REVOCATION_CHANNELS, required=True)
    reasons = choice_list(REVOCATION_REASONS, required=True)
    choices = choice_list(REVOCATION_CHOICES, required=True)
    handled_by = Department(allow_none=True, load_default=None)
    auto_on_title_end = Flag(required=True)

    def problems(self, data: dict) -> list[Problem]:
        if not data["channels"]:
            return []
        return [((key,), "must not be empty while residents may apply (channels is set).")
                for key in ("reasons", "choices") if not data[key]]


NotificationsSchema = Schema.from_dict(
    {kind: Flag(required=True) for kind in NOTIFICATIONS}
    | {"phone_fallback": Department(allow_none=True, load_default=None)},
    name="NotificationsSchema",
)
NoticesSchema = Schema.from_dict(
    {key: text(allow_none=True, load_default=None) for key in NOTICES}, name="NoticesSchema"
)
HandledBySchema = Schema.from_dict(
    {kind: Department(allow_none=True, load_default=None) for kind in REQUEST_KINDS},
    name="HandledBySchema",
)


NOTICE_EMAIL = ("attachment", "link")


class ChargeNoticesSchema(Schema):
    """Paperless charge notices: how the e-mail carries the PDF, which consent wording."""

    email = choice(NOTICE_EMAIL, load_default="link")
    consent_version = text(load_default="1")
    consent_text = text(load_default=(
        "Zgadzam się na doręczanie mi zawiadomień o wysokości opłat wyłącznie w formie "
        "elektronicznej: w serwisie IOK i pocztą e-mail. Zgodę mogę w każdej chwili wycofać; "
        "wtedy zawiadomienia znów otrzymam na papierze."))


class RegulationsSchema(Schema):
    version = text(allow_none=True, load_default=None)
    accept_at_first_login = Flag(required=True)
    reaccept_on_new_version = Flag(required=True)


class SessionSchema(CheckedSchema):
    idle_timeout = Duration(required=True)
    absolute_timeout = Duration(required=True)

    def problems(self, data: dict) -> list[Problem]:
        if data["idle_timeout"] <= data["absolute_timeout"]:
            return []
        return [(("idle_timeout",), "is longer than absolute_timeout.")]


class SecondFactorSchema(Schema):
    residents = choice(SECOND_FACTOR_FOR_RESIDENTS, required=True)
    remember_device = Duration(allow_none=True, required=True)
    recovery_codes = count(5, 20, required=True)
    passkeys = choice(PASSKEY_USES, required=True)


DOCUMENT_DEFAULTS = ("cooperative", "community")
VOTING_ELECTORATES = ("owners_by_share", "members")
VOTING_MAJORITIES = ("shares", "members", "voting")
PAPER_BALLOT_RULES = ("replaces", "refused")
JOINT_OWNER_RULES = ("any_owner", "first_voter")


class DocumentCategorySchema(Schema):
    key = fields.String(required=True, validate=validate.Regexp(
        KEY, error="Not a key: lowercase letters, digits and _ (e.g. statute)."))
    name = text(required=True)


class DocumentsSchema(CheckedSchema):
    defaults = choice(DOCUMENT_DEFAULTS, load_default="cooperative")
    categories = fields.List(fields.Nested(DocumentCategorySchema), load_default=list)
    max_size_mb = count(1, 50, load_default=10)

    def problems(self, data: dict) -> list[Problem]:
        keys = [category["key"] for category in data["categories"]]
        if len(keys) != len(set(keys)):
            return [(("categories",), "names one category key twice.")]
        return []


class VotingSchema(Schema):
    electorate = choice(VOTING_ELECTORATES, load_default="owners_by_share")
    minimum_days = count(0, 60, load_default=0)
    quorum_percent = count(0, 100, load_default=0)
    majority = choice(VOTING_MAJORITIES, load_default="shares")
    may_change = Flag(load_default=True)
    paper_ballot = choice(PAPER_BALLOT_RULES, load_default="replaces")
    joint_owners = choice(JOINT_OWNER_RULES, load_default="any_owner")
    reminder_hours = count(0, 336, load_default=48)


def _voting_defaults() -> dict:
    return VotingSchema().load({})


def _documents_defaults() -> dict:
    return DocumentsSchema().load({})


class PolicySchema(CheckedSchema):
    extends = fields.String(validate=validate.Regexp(
        PRESET_NAME, error="Not a preset name: use the file name without .yaml (e.g. base)."))
    description = text(allow_none=True, load_default=None)
    password = fields.Nested(PasswordSchema, required=True)
    identifier = fields.Nested(IdentifierSchema, required=True)
    initial_password = fields.Nested(InitialPasswordSchema, required=True)
    enrolment = fields.Nested(EnrolmentSchema, required=True)
    recovery = fields.Nested(RecoverySchema, required=True)
    tabs = tab_list(with_home=True, min_items=1, required=True)
    home = tab_list(with_home=False, load_default=list)
    ledger = fields.Nested(LedgerSchema, required=True)
    blocking = fields.Nested(BlockingSchema, required=True)
    revocation = fields.Nested(RevocationSchema, required=True)
    notifications = fields.Nested(NotificationsSchema, required=True)
    notices = fields.Nested(NoticesSchema, required=True)
    charge_notices = fields.Nested(ChargeNoticesSchema, load_default=lambda: {
        name: field.load_default for name, field in ChargeNoticesSchema().fields.items()})
    regulations = fields.Nested(RegulationsSchema, required=True)
    session = fields.Nested(SessionSchema, required=True)
    second_factor = fields.Nested(SecondFactorSchema, required=True)
    handled_by = fields.Nested(HandledBySchema, required=True)
    documents = fields.Nested(DocumentsSchema, load_default=_documents_defaults)
    voting = fields.Nested(VotingSchema, load_default=_voting_defaults)

    def problems(self, data: dict) -> list[Problem]:
        return (_tab_problems(data) + _enrolment_link_problems(data)
                + _notice_problems(data) + _title_end_problems(data)
                + _revocation_block_problems(data))


def shown_tabs(data: dict) -> set[str]:
    """Every feature a policy shows: its own tabs and the panels of its Home page."""
    return (set(data["tabs"]) - {HOME}) | set(data["home"])


def _tab_problems(data: dict) -> list[Problem]:
    problems: list[Problem] = []
    if data["home"] and HOME not in data["tabs"]:
        problems.append((("home",), "has panels, so list home among the tabs too."))
    if not data["home"] and HOME in data["tabs"]:
        problems.append((("tabs",), "lists home, but home has no panels."))
    shown = shown_tabs(data)
    if "meter_submission" in shown and "water_meters" not in shown:
        problems.append((("tabs",), "meter_submission needs water_meters shown too."))
    return problems


def _enrolment_link_problems(data: dict) -> list[Problem]:
    enrolment, notifications = data["enrolment"], data["notifications"]
    steps = enrolment["steps"]
    problems: list[Problem] = []
    for step, kind in (("confirm_email", "email_confirmation"),
                       ("notify_account_ready", "account_ready")):
        if step in steps and not notifications[kind]:
            problems.append((("notifications", kind), f"must be true: enrolment step {step} "
                             "sends this message."))
    if "phone" in enrolment["notify_by"] and notifications["phone_fallback"] is None:
        problems.append((("notifications", "phone_fallback"), "enrolment.notify_by includes "
                         "phone: name the department that makes the calls."))
    if enrolment["activation_codes"]["enabled"] and not notifications["email_confirmation"]:
        problems.append((("notifications", "email_confirmation"), "must be true: "
                         "enrolment.activation_codes confirms the resident's e-mail address."))
    if "schedule_pickup" in steps and not notifications["pickup_scheduled"]:
        problems.append((("notifications", "pickup_scheduled"), "must be true: enrolment step "
                         "schedule_pickup e-mails the pickup's time and place."))
    if ("in_person_pickup" in steps
            and data["initial_password"]["delivery"] != "printed_letter_in_person"):
        problems.append((("initial_password", "delivery"), "must be printed_letter_in_person "
                         "when enrolment ends with in_person_pickup."))
    return problems


def _notice_problems(data: dict) -> list[Problem]:
    problems: list[Problem] = []
    notices = data["notices"]
    if "ledger" in shown_tabs(data) and notices["balance_disclaimer"] is None:
        problems.append((("notices", "balance_disclaimer"),
                         "is required when the ledger is shown."))
    if data["ledger"]["lag_disclaimer"] and notices["balance_lag"] is None:
        problems.append((("notices", "balance_lag"),
                         "is required when ledger.lag_disclaimer is true."))
    return problems


def _title_end_problems(data: dict) -> list[Problem]:
    blocks = any(rule["trigger"] == "title_ended" for rule in data["blocking"]["rules"])
    if blocks and data["revocation"]["auto_on_title_end"]:
        return [(("revocation", "auto_on_title_end"), "conflicts with the blocking rule for "
                 "title_ended: choose either blocking or removal when the title ends.")]
    return []


def _revocation_block_problems(data: dict) -> list[Problem]:
    """An application to block access is carried out as a written_request block."""
    triggers = {rule["trigger"] for rule in data["blocking"]["rules"]}
    if "block" in data["revocation"]["choices"] and "written_request" not in triggers:
        return [(("revocation", "choices"), "offers block: add a blocking rule with trigger "
                 "written_request (the application is the resident's written request).")]
    return []


def department_keys(schema: Schema, data: Mapping) -> set[str]:
    """Values of every Department field in ``data`` (nested mappings included)."""
    found: set[str] = set()
    for name, field in schema.fields.items():
        value = data.get(name)
        if isinstance(field, Department) and value:
            found.add(value)
        elif (isinstance(field, fields.List) and isinstance(field.inner, Department)
              and isinstance(value, list)):
            found |= set(value)
        elif isinstance(field, fields.Nested) and isinstance(value, Mapping):
            found |= department_keys(field.schema, value)
    return found
