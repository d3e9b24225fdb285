"""Typed, immutable view of a validated policy.

Build one with :func:`build_policy` from data that ``PolicySchema`` has loaded; the loader
does that. Every section is a frozen dataclass whose field names match the policy keys
documented in ``policies/README.md``.
"""

from __future__ import annotations

import copy
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from random import Random

from .schema import (
    CHARACTER_CLASSES,
    FILING_STEPS,
    FLOOR_RULES,
    HOME,
    IDENTIFIER_LETTERS,
    NOTIFICATIONS,
    SELF_SERVICE_RECOVERY,
    SELF_SERVICE_UNBLOCK,
    UNTIL_UNLOCKED,
    PolicySchema,
    department_keys,
    known_tabs,
    parse_identifier_format,
)

NAME_PART_MIN = 3
"""Parts of a person's name shorter than this are not searched for inside passwords."""


def character_class(char: str) -> str:
    """The class a character counts towards: digits, uppercase, lowercase or special.

    Letters without case (and everything that is neither a digit nor a letter) are special;
    Polish letters such as 'Ł' and 'ż' count as upper- and lower-case letters.
    """
    if char.isdigit():
        return "digits"
    if char.isupper():
        return "uppercase"
    if char.islower():
        return "lowercase"
    return "special"


def longest_run(text: str, *, case_sensitive: bool = True) -> int:
    """Length of the longest run of one repeated character ('aaab' -> 3); without case
    sensitivity 'aAa' is a run of 3 as well."""
    if not case_sensitive:
        text = text.casefold()
    best = run = 0
    previous = None
    for char in text:
        run = run + 1 if char == previous else 1
        best = max(best, run)
        previous = char
    return best


KEYBOARD_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm")
ALPHABET = "abcdefghijklmnopqrstuvwxyz"
DIGITS = "0123456789"


def find_sequence(text: str, length: int) -> str | None:
    """The first run of ``length`` characters of ``text`` that follows the alphabet, the
    digits or a keyboard row, forwards or backwards ('abcd', '4321', 'qwer', 'lkjh'), case
    ignored; None when there is none."""
    folded = text.casefold()
    rows = (ALPHABET, DIGITS, *KEYBOARD_ROWS)
    for start in range(len(folded) - length + 1):
        chunk = folded[start:start + length]
        if any(chunk in row or chunk in row[::-1] for row in rows):
            return text[start:start + length]
    return None


@dataclass(frozen=True)
class FloorWaivers:
    """The recorded reason for each platform floor rule the policy waives (None = applies)."""

    min_length: str | None = None
    common_passwords: str | None = None
    login: str | None = None
    name: str | None = None
    cooperative_name: str | None = None

    def waives(self, rule: str) -> bool:
        return getattr(self, rule) is not None

    def notes(self) -> list[tuple[str, str]]:
        return [(rule, getattr(self, rule)) for rule in FLOOR_RULES if self.waives(rule)]


@dataclass(frozen=True)
class ClassCounts:
    """Minimum number of characters of each class."""

    digits: int
    uppercase: int
    lowercase: int
    special: int


@dataclass(frozen=True)
class PasswordRules:
    """Rules for the passwords residents choose (the initial password is generated)."""

    min_length: int
    max_length: int
    require: ClassCounts
    classes_at_least: int
    """At least this many of ``classes_of`` must occur at least once."""
    classes_of: tuple[str, ...]
    max_repeated_run: int | None
    """Longest allowed run of one repeated character; None = no limit."""
    repeated_case_sensitive: bool
    """Whether 'a' and 'A' are different characters for ``max_repeated_run``."""
    forbid_sequences: int | None
    """Length of the alphabet / digit / keyboard-row sequences refused; None = allowed."""
    forbidden_characters: str
    forbid_login: bool
    forbid_name: bool
    history: int
    """The new password must differ from this many previous ones (0 = no history)."""
    below_platform_floor: FloorWaivers
    """The platform floor rules this policy waives, each with its recorded reason."""

    def waives(self, floor_rule: str) -> bool:
        return self.below_platform_floor.waives(floor_rule)

    def violations(self, password: str, *, login: str = "", names: Iterable[str] = ()) -> list[str]:
        """Names of the rules ``password`` breaks (empty when it is acceptable).

        Possible names: min_length, max_length, digits, uppercase, lowercase, special,
        classes, max_repeated_run, sequence, forbidden_characters, contains_login,
        contains_name.
        ``names`` are the resident's names; each is split into words. History and the
        platform floor are checked elsewhere.
        """
        counts = {cls: 0 for cls in CHARACTER_CLASSES}
        for char in password:
            counts[character_class(char)] += 1
        found = [rule for rule, broken in self._checks(password, counts) if broken]
        return found + self._context_violations(password.casefold(), login, names)

    def _checks(self, password: str, counts: dict[str, int]) -> list[tuple[str, bool]]:
        present = sum(1 for cls in self.classes_of if counts[cls])
        return [
            ("min_length", len(password) < self.min_length),
            ("max_length", len(password) > self.max_length),
            *((cls, counts[cls] < getattr(self.require, cls)) for cls in CHARACTER_CLASSES),
            ("classes", present < self.classes_at_least),
            ("max_repeated_run", bool(self.max_repeated_run)
             and longest_run(password, case_sensitive=self.repeated_case_sensitive)
             > self.max_repeated_run),
            ("sequence", bool(self.forbid_sequences)
             and find_sequence(password, self.forbid_sequences or 0) is not None),
            ("forbidden_characters", any(char in self.forbidden_characters for char in password)),
        ]

    def _context_violations(self, folded: str, login: str, names: Iterable[str]) -> list[str]:
        found = []
        if self.forbid_login and login and login.casefold() in folded:
            found.append("contains_login")
        words = [word.casefold() for name in names for word in name.split()]
        if self.forbid_name and any(len(w) >= NAME_PART_MIN and w in folded for w in words):
            found.append("contains_name")
        return found


@dataclass(frozen=True)
class IdentifierRules:
    """How logins are made: ``format`` uses '#' for a random digit, '?' for a random letter."""

    generated: bool
    """True: the platform generates the login from ``format``; False: staff type it in."""
    format: str
    permanent: bool
    unique_within: str

    def generate(self, rng: Random | None = None) -> str:
        """A fresh login following ``format`` (uniqueness is the caller's check)."""
        rng = rng or secrets.SystemRandom()
        alphabet = {"digit": "0123456789", "letter": IDENTIFIER_LETTERS}
        return "".join(char if kind == "literal" else rng.choice(alphabet[kind])
                       for kind, char in parse_identifier_format(self.format))

    def matches(self, login: str) -> bool:
        """Whether ``login`` could have been produced by ``format``."""
        classes = {"digit": "[0-9]", "letter": f"[{IDENTIFIER_LETTERS}]"}
        pattern = "".join(re.escape(char) if kind == "literal" else classes[kind]
                          for kind, char in parse_identifier_format(self.format))
        return re.fullmatch(pattern, login) is not None

    @property
    def capacity(self) -> int:
        """How many distinct logins the format can produce."""
        sizes = {"digit": 10, "letter": len(IDENTIFIER_LETTERS), "literal": 1}
        total = 1
        for kind, _ in parse_identifier_format(self.format):
            total *= sizes[kind]
        return total


@dataclass(frozen=True)
class InitialPasswordRules:
    one_time: bool
    change_on_first_login: bool
    valid_days: int
    length: int
    delivery: str
    usable_from: str
    """immediately, or next_day: the credentials open the portal from the day after issue."""


@dataclass(frozen=True)
class ReviewRules:
    department: str | None
    may_refuse: bool


@dataclass(frozen=True)
class PickupRules:
    department: str | None
    places: tuple[str, ...]
    """Departments where a pickup may be scheduled (empty: any department of the manifest)."""
    identity_document: bool
    signed_receipt: bool
    sign_application: bool


@dataclass(frozen=True)
class ActivationCodeRules:
    enabled: bool
    valid: timedelta
    """How long a printed code stays usable."""
    max_attempts: int
    """Wrong flat numbers or amounts entered with a code before it is refused for good."""


@dataclass(frozen=True)
class EnrolmentRules:
    steps: tuple[str, ...]
    """Ordered steps; leading filing steps are alternatives the applicant picks from."""
    channels: frozenset[str]
    eligible: frozenset[str]
    notify_by: tuple[str, ...]
    filed_with: str | None
    review: ReviewRules
    pickup: PickupRules
    accept_regulations_at_filing: bool
    activation_codes: ActivationCodeRules

    @property
    def manager_creates(self) -> bool:
        return self.steps == ("manager_creates",)

    def has_step(self, step: str) -> bool:
        return step in self.steps

    @property
    def filing_steps(self) -> tuple[str, ...]:
        """The ways to file an application; the applicant picks one of them."""
        return tuple(s for s in self.steps if s in FILING_STEPS)

    @property
    def later_steps(self) -> tuple[str, ...]:
        """What follows the filing, in order."""
        return tuple(s for s in self.steps if s not in FILING_STEPS)


@dataclass(frozen=True)
class RecoveryRules:
    methods: tuple[str, ...]
    """The ways to recover a forgotten password, in the policy's order."""
    department: str | None
    identity_document: bool
    new_identifier: bool
    email_link_valid: timedelta

    def offers(self, method: str) -> bool:
        return method in self.methods

    @property
    def staff_methods(self) -> tuple[str, ...]:
        """The methods the office carries out (a new one-time password letter)."""
        return tuple(m for m in self.methods if m not in SELF_SERVICE_RECOVERY)


@dataclass(frozen=True)
class DisputeRules:
    department: str | None
    channels: frozenset[str]


@dataclass(frozen=True)
class LedgerRules:
    balance_as_of: str
    simulate_current_month: bool
    choose_association: bool
    choose_month: bool
    components: tuple[str, ...]
    lag_disclaimer: bool
    disputes: DisputeRules


@dataclass(frozen=True)
class BlockRule:
    trigger: str
    unblock: tuple[str, ...]
    """How the account may be unblocked (the rule's own list or blocking.unblock_by)."""
    action: str | None = None
    """block_now or staff_decides; None for failed_logins, which locks automatically."""
    threshold: int | None = None
    within: timedelta | None = None
    """failed_logins: the window the failures are counted in; None = consecutive failures
    since the last successful login, recovery or unlock, however long ago."""
    lock_for: timedelta | None = None
    """failed_logins lock length; None = until one of ``unblock`` lifts it."""
    channels: frozenset[str] = frozenset()
    report_deadline: str | None = None

    @property
    def staff_unblock(self) -> tuple[str, ...]:
        return tuple(m for m in self.unblock if m not in SELF_SERVICE_UNBLOCK)

    @property
    def self_service_unblock(self) -> tuple[str, ...]:
        return tuple(m for m in self.unblock if m in SELF_SERVICE_UNBLOCK)


@dataclass(frozen=True)
class UnlockLinkRules:
    valid: timedelta
    new_password: bool
    """The link asks for a new password as well; false: it only lifts the lock."""


@dataclass(frozen=True)
class BlockingRules:
    decided_by: str
    unblock_by: tuple[str, ...]
    unlock_link: UnlockLinkRules
    self_block: bool
    rules: tuple[BlockRule, ...]

    def rule(self, trigger: str) -> BlockRule | None:
        return next((rule for rule in self.rules if rule.trigger == trigger), None)

    def unblock_methods(self, trigger: str | None) -> tuple[str, ...]:
        """How a block with ``trigger`` ends: its rule's methods, else ``unblock_by``."""
        rule = self.rule(trigger) if trigger else None
        return rule.unblock if rule else self.unblock_by

    @property
    def unlock_by_email(self) -> bool:
        """Whether a failed-login lock may be lifted with a link sent by e-mail."""
        rule = self.rule("failed_logins")
        return rule is not None and "email_link" in rule.unblock


@dataclass(frozen=True)
class RevocationRules:
    channels: frozenset[str]
    reasons: frozenset[str]
    choices: frozenset[str]
    handled_by: str | None
    auto_on_title_end: bool

    @property
    def residents_may_apply(self) -> bool:
        return bool(self.channels)


@dataclass(frozen=True)
class NotificationRules:
    enabled: frozenset[str]
    phone_fallback: str | None
    """Department that gets a call task when the resident has no e-mail; None = no calls."""


@dataclass(frozen=True)
class Notices:
    """Tenant wordings shown to residents (None where the tenant has none)."""

    balance_disclaimer: str | None
    balance_lag: str | None
    availability: str | None
    confidentiality: str | None
    lost_credentials: str | None
    data_protection: str | None
    questions: str | None


@dataclass(frozen=True)
class RegulationRules:
    version: str | None
    accept_at_first_login: bool
    reaccept_on_new_version: bool


@dataclass(frozen=True)
class SessionRules:
    idle_timeout: timedelta
    absolute_timeout: timedelta


@dataclass(frozen=True)
class SecondFactorRules:
    """The second factor at sign-in. Staff always need one (the platform floor); residents
    as ``residents`` says: off, optional (they may turn it on) or required."""

    residents: str
    remember_device: timedelta | None
    """How long "remember this device" spares the second factor (None: never)."""
    recovery_codes: int
    passkeys: str
    """off: no passkeys; second_factor: a passkey instead of a code after the password;
    passwordless: also signing in with a passkey alone (the login page offers it)."""


@dataclass(frozen=True)
class HandledBy:
    """Department that handles each kind of resident request (None = default contact)."""

    fault_reports: str | None
    occupant_changes: str | None
    meter_readings: str | None
    contact_corrections: str | None
    questions: str | None


# Document categories a policy gets when it names none: what art. 8¹ of the housing
# cooperatives act asks a cooperative to publish, and what a community's manager publishes.
DEFAULT_DOCUMENT_CATEGORIES = {
    "cooperative": (
        ("statute", "Statut"),
        ("regulations", "Regulaminy"),
        ("general_meeting", "Uchwały walnego zgromadzenia"),
        ("supervisory_board", "Uchwały rady nadzorczej"),
        ("management_board", "Uchwały zarządu"),
        ("minutes", "Protokoły"),
        ("audit", "Protokoły lustracji"),
        ("financial_statements", "Sprawozdania finansowe"),
    ),
    "community": (
        ("resolutions", "Uchwały wspólnoty"),
        ("plans", "Plany gospodarcze"),
        ("reports", "Sprawozdania zarządcy"),
        ("minutes", "Protokoły zebrań"),
        ("regulations", "Regulaminy"),
    ),
}


@dataclass(frozen=True)
class DocumentRules:
    categories: tuple[tuple[str, str], ...]
    """(key, name) of every category, in the order staff and residents see them."""
    max_size_mb: int

    @property
    def category_names(self) -> dict[str, str]:
        return dict(self.categories)


@dataclass(frozen=True)
class VotingRules:
    electorate: str
    minimum_days: int
    quorum_percent: int
    majority: str
    may_change: bool
    paper_ballot: str
    joint_owners: str
    reminder_hours: int


@dataclass(frozen=True)
class ChargeNoticeRules:
    email: str            # "attachment" (the PDF rides along) or "link" (to the portal)
    consent_version: str  # recorded with every consent, so a changed wording is traceable
    consent_text: str


@dataclass(frozen=True)
class Policy:
    """One tenant's validated policy: the merged ``extends`` chain, typed."""

    name: str
    source: str
    extends_chain: tuple[str, ...]
    """Names from the root preset to this policy, e.g. ('base', 'brzeg')."""
    description: str | None
    navigation: tuple[str, ...]
    """Top-level tabs in display order; may contain 'home'."""
    home: tuple[str, ...]
    """Panels of the Home page, in order (empty when there is no Home page)."""
    password: PasswordRules
    identifier: IdentifierRules
    initial_password: InitialPasswordRules
    enrolment: EnrolmentRules
    recovery: RecoveryRules
    ledger: LedgerRules
    blocking: BlockingRules
    revocation: RevocationRules
    notifications: NotificationRules
    notices: Notices
    charge_notices: ChargeNoticeRules
    regulations: RegulationRules
    session: SessionRules
    second_factor: SecondFactorRules
    handled_by: HandledBy
    documents: DocumentRules
    voting: VotingRules
    _data: dict = field(repr=False, compare=False)

    @property
    def tabs(self) -> frozenset[str]:
        """Every feature shown, whether as its own tab or as a Home panel."""
        return frozenset(self.navigation + self.home) - {HOME}

    def shows(self, tab: str) -> bool:
        if tab not in known_tabs():
            raise ValueError(f"unknown tab {tab!r}; known: {', '.join(known_tabs())}")
        return tab in self.tabs

    def switch(self, path: str) -> bool:
        """A switch by its dotted key path, e.g. ``enrolment.activation_codes.enabled``."""
        value = self._data
        for key in path.split("."):
            value = value[key]
        if not isinstance(value, bool):
            raise ValueError(f"{path} is not a switch of the policy language")
        return value

    def notifies(self, kind: str) -> bool:
        if kind not in NOTIFICATIONS:
            raise ValueError(f"unknown notification {kind!r}; known: {', '.join(NOTIFICATIONS)}")
        return kind in self.notifications.enabled

    @property
    def waivers(self) -> list[str]:
        """Human-readable notes on every waiver of a platform rule."""
        return [f'password is below the platform floor rule {rule} (waiver: "{reason}")'
                for rule, reason in self.password.below_platform_floor.notes()]

    def departments_referenced(self) -> set[str]:
        """Every department key named anywhere in the policy."""
        return department_keys(PolicySchema(), self._data)

    def as_dict(self) -> dict:
        """A copy of the merged, validated data (durations as timedelta)."""
        return copy.deepcopy(self._data)


def build_policy(name: str, source: str, chain: tuple[str, ...], data: dict) -> Policy:
    """The typed Policy for ``data``, which PolicySchema has loaded in full."""
    return Policy(
        name=name,
        source=source,
        extends_chain=chain,
        description=data["description"],
        navigation=tuple(data["tabs"]),
        home=tuple(data["home"]),
        password=_password(data["password"]),
        identifier=IdentifierRules(**data["identifier"]),
        initial_password=InitialPasswordRules(**data["initial_password"]),
        enrolment=_enrolment(data["enrolment"]),
        recovery=RecoveryRules(**dict(data["recovery"], methods=tuple(
            data["recovery"]["methods"]))),
        ledger=_ledger(data["ledger"]),
        blocking=_blocking(data["blocking"]),
        revocation=_revocation(data["revocation"]),
        notifications=_notifications(data["notifications"]),
        notices=Notices(**data["notices"]),
        charge_notices=ChargeNoticeRules(**data["charge_notices"]),
        regulations=RegulationRules(**data["regulations"]),
        session=SessionRules(**data["session"]),
        second_factor=SecondFactorRules(**data["second_factor"]),
        handled_by=HandledBy(**data["handled_by"]),
        documents=_documents(data["documents"]),
        voting=VotingRules(**data["voting"]),
        _data=copy.deepcopy(data),
    )


def _password(data: dict) -> PasswordRules:
    nested = ("require", "classes", "below_platform_floor")
    values = {key: value for key, value in data.items() if key not in nested}
    return PasswordRules(
        require=ClassCounts(**data["require"]),
        classes_at_least=data["classes"]["at_least"],
        classes_of=tuple(data["classes"]["of"]),
        below_platform_floor=FloorWaivers(**(data["below_platform_floor"] or {})),
        **values,
    )


def _enrolment(data: dict) -> EnrolmentRules:
    return EnrolmentRules(
        steps=tuple(data["steps"]),
        channels=frozenset(data["channels"]),
        eligible=frozenset(data["eligible"]),
        notify_by=tuple(data["notify_by"]),
        filed_with=data["filed_with"],
        review=ReviewRules(**data["review"]),
        pickup=PickupRules(**dict(data["pickup"], places=tuple(data["pickup"]["places"]))),
        accept_regulations_at_filing=data["accept_regulations_at_filing"],
        activation_codes=ActivationCodeRules(**data["activation_codes"]),
    )


def _ledger(data: dict) -> LedgerRules:
    disputes = data["disputes"]
    return LedgerRules(
        **{key: value for key, value in data.items() if key not in ("components", "disputes")},
        components=tuple(data["components"]),
        disputes=DisputeRules(disputes["department"], frozenset(disputes["channels"])),
    )


def _blocking(data: dict) -> BlockingRules:
    default = tuple(data["unblock_by"])
    rules = tuple(_block_rule(rule, default) for rule in data["rules"])
    return BlockingRules(data["decided_by"], default, UnlockLinkRules(**data["unlock_link"]),
                         data["self_block"], rules)


def _block_rule(data: dict, default_unblock: tuple[str, ...]) -> BlockRule:
    values = dict(data, unblock=tuple(data["unblock"] or default_unblock))
    if "channels" in values:
        values["channels"] = frozenset(values["channels"])
    if values.get("lock_for") == UNTIL_UNLOCKED:
        values["lock_for"] = None
    return BlockRule(**values)


def _revocation(data: dict) -> RevocationRules:
    return RevocationRules(
        channels=frozenset(data["channels"]),
        reasons=frozenset(data["reasons"]),
        choices=frozenset(data["choices"]),
        handled_by=data["handled_by"],
        auto_on_title_end=data["auto_on_title_end"],
    )


def _documents(data: dict) -> DocumentRules:
    own = tuple((category["key"], category["name"]) for category in data["categories"])
    return DocumentRules(categories=own or DEFAULT_DOCUMENT_CATEGORIES[data["defaults"]],
                         max_size_mb=data["max_size_mb"])


def _notifications(data: dict) -> NotificationRules:
    enabled = frozenset(kind for kind in NOTIFICATIONS if data[kind])
    return NotificationRules(enabled=enabled, phone_fallback=data["phone_fallback"])
