"""Resident accounts: every rule comes from the current tenant's policy.

Each public function owns its transaction and writes an audit event for every state change.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from functools import lru_cache

from flask import current_app
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import joinedload, with_expression

from iok_saas.extensions import db
from iok_saas.modules.audit.services import record_event
from iok_saas.modules.auth.login import check_password
from iok_saas.modules.auth.models import RESIDENT, PasswordHistory
from iok_saas.modules.auth.password_check import (
    PlatformFloor,
    check_new_password,
    describe_rules,
)
from iok_saas.modules.auth.passwords import hash_password, one_time_password, verify_password
from iok_saas.modules.auth.sessions import end_sessions
from iok_saas.modules.housing.held import stamp_of
from iok_saas.modules.housing.models import COMMERCIAL, Person, Title, Unit
from iok_saas.modules.notifications.services import notify
from iok_saas.modules.security.services import block_link
from iok_saas.policy.schema import WRITTEN_REQUEST_CHANNELS
from iok_saas.tenancy import current_tenant, tenant_url
from iok_saas.timeutil import WARSAW, as_utc, utcnow, warsaw_today

from .models import (
    ACTIVE,
    BLOCKED,
    MUST_CHANGE,
    PENDING,
    REVOKED,
    AccountBlock,
    EmailChange,
    ResidentAccount,
)
from .wording import CHANNELS_FOR_RESIDENTS

IDENTIFIER_ATTEMPTS = 100
UNLOCKED_BY_LINK = "email_link"


class AccountError(Exception):
    """A request the rules do not allow; ``code`` names which rule (the UI words it)."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(detail or code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Credentials:
    """What goes on the printed letter; the password exists nowhere else."""

    account: ResidentAccount
    login: str
    password: str
    valid_until: datetime
    letter_number: str


class LoginOutcome(Enum):
    OK = "ok"
    INVALID = "invalid"
    LOCKED = "locked"
    BLOCKED = "blocked"
    REVOKED = "revoked"
    NOT_READY = "not_ready"
    NOT_YET = "not_yet"
    """The credentials were issued today and the policy opens them from the next day."""
    EXPIRED = "expired"


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    account: ResidentAccount | None = None
    locked_until: datetime | None = None
    unblock_methods: tuple[str, ...] = ()
    """How the lock or block ends under the policy (LOCKED and BLOCKED only)."""


def _policy():
    return current_tenant.policy


def _view(account: ResidentAccount) -> dict:
    return {"state": account.state, "login": account.login}


def find_by_login(login: str) -> ResidentAccount | None:
    return db.session.scalar(select(ResidentAccount).where(
        ResidentAccount.login == login.strip()))


# Every page shows the resident's name: load the person with the account.
# The signed-in account's statement also brings the tenant's housing stamp, so the
# resident's units can be answered from a memo without a statement of their own.
ACCOUNT_WITH_PERSON = (joinedload(ResidentAccount.person), with_expression(
    ResidentAccount.housing_stamp, stamp_of(ResidentAccount.tenant_id)))


def get_account(account_id: int) -> ResidentAccount | None:
    return db.session.get(ResidentAccount, account_id, options=ACCOUNT_WITH_PERSON)


# --- creation and credentials --------------------------------------------------------------

def new_login() -> str:
    rules = _policy().identifier
    for _ in range(IDENTIFIER_ATTEMPTS):
        login = rules.generate()
        if find_by_login(login) is None:
            return login
    raise AccountError("identifiers_exhausted", f"no free identifier for format {rules.format}")


def title_eligible(title: Title) -> bool:
    """Whether ``title`` gives its holder an account under the policy's ``eligible``."""
    eligible = _policy().enrolment.eligible
    return (title.kind in eligible
            or ("commercial" in eligible and title.unit.kind == COMMERCIAL)
            or ("association_owner" in eligible and title.kind == "owner"))


def person_eligible(person: Person) -> bool:
    """Whether ``person`` holds a title the policy admits that has not ended (a buyer moving
    in next month may have the account prepared)."""
    today = warsaw_today()
    titles = db.session.scalars(select(Title).where(Title.person_id == person.id)
                                .options(joinedload(Title.unit)))
    return any((title.valid_to is None or title.valid_to >= today) and title_eligible(title)
               for title in titles)


def create_account(person: Person, actor: str, login: str | None = None) -> ResidentAccount:
    """A pending account for ``person`` (one per person per tenant).

    Every path that creates an account comes here, so the policy's ``eligible`` titles are
    enforced for all of them (enrolment, the back office, the manager's batch, activation
    codes). ``login``: one the caller drew from new_login() (checked a password against)."""
    existing = db.session.scalar(select(ResidentAccount).where(
        ResidentAccount.person_id == person.id))
    if existing is not None:
        raise AccountError("account_exists", existing.login)
    if not person_eligible(person):
        raise AccountError("not_eligible")
    account = ResidentAccount(login=login or new_login(), person_id=person.id, state=PENDING)
    db.session.add(account)
    db.session.flush()
    record_event(actor, "account.create", account, after=_view(account))
    return account


def issue_credentials(account: ResidentAccount, actor: str, reason: str,
                      *, unblocking: bool = False) -> Credentials:
    """A new one-time initial password (and letter number); ends the account's sessions.

    A blocked account gets new credentials only as the way its block is lifted (unblock()).
    """
    if account.state == REVOKED:
        raise AccountError("revoked")
    if account.state == BLOCKED and not unblocking:
        raise AccountError("blocked")
    rules = _policy().initial_password
    password = one_time_password(rules.length)
    before = _view(account)
    account.password_hash = hash_password(password)
    account.initial_password_expires_at = utcnow() + timedelta(days=rules.valid_days)
    account.letter_number = f"{current_tenant.slug[:3].upper()}-{secrets.token_hex(4).upper()}"
    account.state = MUST_CHANGE
    _reset_failures(account)
    end_sessions(RESIDENT, account.id, "credentials_reissued")
    record_event(actor, "account.credentials", account, before=before,
                 after={**_view(account), "reason": reason,
                        "letter_number": account.letter_number})
    return Credentials(account, account.login, password, account.initial_password_expires_at,
                       account.letter_number)


# --- login ---------------------------------------------------------------------------------

def authenticate(login: str, password: str, client: str | None) -> LoginResult:
    account = find_by_login(login)
    check = check_password(account, RESIDENT, login.strip(), password, client)
    if check.lock_until_unlocked and account.state != BLOCKED:
        _block(account, "failed_logins", None, "too many failed logins", "system")
    if check.locked_until or check.lock_until_unlocked:
        # An account the office blocked stays under its own block's rule, whatever is guessed.
        methods = (unblock_methods(account) if account.state == BLOCKED
                   else _policy().blocking.unblock_methods("failed_logins"))
        if check.locked_until:
            return LoginResult(LoginOutcome.LOCKED, account, check.locked_until, methods)
        return LoginResult(LoginOutcome.BLOCKED, account, unblock_methods=methods)
    if not check.ok:
        return LoginResult(LoginOutcome.INVALID)
    outcome = _state_outcome(account)
    if outcome is LoginOutcome.BLOCKED:
        return LoginResult(outcome, account, unblock_methods=unblock_methods(account))
    # The account goes with OK (to sign in) and NOT_READY (the page says what it waits for).
    keep = outcome in (LoginOutcome.OK, LoginOutcome.NOT_READY)
    return LoginResult(outcome, account if keep else None)


def _state_outcome(account: ResidentAccount) -> LoginOutcome:
    if account.state == BLOCKED:
        return LoginOutcome.BLOCKED
    if account.state == REVOKED:
        return LoginOutcome.REVOKED
    if account.state == PENDING:
        return LoginOutcome.NOT_READY
    expires = account.initial_password_expires_at
    if account.state == MUST_CHANGE and expires and as_utc(expires) < utcnow():
        return LoginOutcome.EXPIRED
    if account.state == MUST_CHANGE and expires and _issued_today(expires):
        return LoginOutcome.NOT_YET
    return LoginOutcome.OK


def _issued_today(expires: datetime) -> bool:
    """Credentials issued today (Warsaw) under a policy that opens them the next day; the
    issue day is the expiry less the policy's validity."""
    rules = _policy().initial_password
    if rules.usable_from != "next_day":
        return False
    issued = as_utc(expires) - timedelta(days=rules.valid_days)
    return issued.astimezone(WARSAW).date() >= warsaw_today()


def _reset_failures(account: ResidentAccount) -> None:
    """A recovery or an unlock starts the failed-login count afresh and ends a timed lock."""
    account.locked_until = None
    account.failures_reset_at = utcnow()


def pending_first_login_steps(account: ResidentAccount) -> list[str]:
    """What the resident must do before anything else: 'password', 'regulations'."""
    steps = []
    if account.state == MUST_CHANGE:
        steps.append("password")
    if (_policy().regulations.accept_at_first_login
            and account.regulations_version != current_regulations_version()):
        steps.append("regulations")
    return steps


def current_regulations_version() -> str | None:
    return (current_tenant.info("regulations") or {}).get("version")


def accept_regulations(account: ResidentAccount) -> None:
    before = {"regulations_version": account.regulations_version}
    account.regulations_version = current_regulations_version()
    record_event(f"resident:{account.login}", "account.regulations", account, before=before,
                 after={"regulations_version": account.regulations_version})


# --- passwords -----------------------------------------------------------------------------

def password_problems(account: ResidentAccount, new_password: str) -> list[str]:
    rules = _policy().password
    history = db.session.scalars(
        select(PasswordHistory.password_hash)
        .where(PasswordHistory.user_kind == RESIDENT, PasswordHistory.user_id == account.id)
        .order_by(PasswordHistory.id.desc()).limit(rules.history)).all()[::-1]
    person = account.person
    return check_new_password(
        new_password, rules=rules, floor=PlatformFloor.from_config(current_app.config),
        login=account.login, names=[person.first_name, person.last_name],
        cooperative_names=[current_tenant.short_name, current_tenant.legal_name],
        previous_hashes=history, current_hash=account.password_hash)


def change_password(account: ResidentAccount, current: str, new: str) -> list[str]:
    """Errors (Polish, one per broken rule), or [] once the password is changed.

    The current password is required even at first login (it is the initial one); every
    other session of the account ends.
    """
    if not verify_password(account.password_hash, current):
        return ["current_password"]
    return _set_password(account, new, keep_current_session=True)


def set_password_from_link(account: ResidentAccount, new: str) -> list[str]:
    """Self-service recovery: the signed link stood in for the current password."""
    return _set_password(account, new, keep_current_session=False)


def _set_password(account: ResidentAccount, new: str, keep_current_session: bool) -> list[str]:
    problems = password_problems(account, new)
    if problems:
        return problems
    before = _view(account)
    db.session.add(PasswordHistory(user_kind=RESIDENT, user_id=account.id,
                                   password_hash=account.password_hash))
    account.password_hash = hash_password(new)
    account.password_changed_at = utcnow()
    account.initial_password_expires_at = None
    _reset_failures(account)
    if account.state == MUST_CHANGE:
        account.state = ACTIVE
    end_sessions(RESIDENT, account.id, "password_changed", keep_current=keep_current_session)
    record_event(f"resident:{account.login}", "account.password", account, before=before,
                 after=_view(account))
    if before["state"] == ACTIVE:  # a first-login change is not news to the resident
        _notify(account, "password_changed", **_password_changed_context(account))
    return []


def _password_changed_context(account: ResidentAccount) -> dict:
    """What the "password changed" e-mail may offer: self-blocking only where the policy
    lets residents block their own account (a signed link that works without signing in,
    since whoever changed the password may have locked the resident out), else the ways to
    report it to the office."""
    policy = _policy()
    lost = policy.blocking.rule("reported_lost")
    return {"self_block_link": block_link(account),
            "report_channels": [str(CHANNELS_FOR_RESIDENTS[c]) for c in sorted(lost.channels)]
            if lost else []}


def _notify(account: ResidentAccount, kind: str, **context) -> None:
    person = account.person
    notify(kind, to_email=person.email, to_name=person.full_name, phone=person.phone,
           **context)


# --- blocking ------------------------------------------------------------------------------

def may_decide_blocks(department: str) -> bool:
    return department == _policy().blocking.decided_by


def block(account: ResidentAccount, trigger: str, channel: str | None, reason: str,
          staff) -> AccountBlock:
    """Staff block an account; only the policy's deciding department may."""
    if not may_decide_blocks(staff.department):
        raise AccountError("not_allowed", _policy().blocking.decided_by)
    if account.state in (BLOCKED, REVOKED):
        raise AccountError("already_blocked")
    rule = _policy().blocking.rule(trigger)
    if rule is None or trigger == "failed_logins":
        raise AccountError("unknown_trigger", trigger)
    if rule.channels and channel not in rule.channels:
        raise AccountError("channel_not_allowed", channel or "")
    if trigger == "written_request" and channel not in WRITTEN_REQUEST_CHANNELS:
        raise AccountError("channel_not_allowed", channel or "")
    entry = _block(account, trigger, channel, reason, f"staff:{staff.login}")
    return entry


def self_block(account: ResidentAccount, reason: str) -> AccountBlock:
    """The resident blocks their own account at once (lost password, someone knows it)."""
    if not _policy().blocking.self_block:
        raise AccountError("not_allowed")
    entry = _block(account, "reported_lost", "self", reason, f"resident:{account.login}")
    return entry


def _block(account: ResidentAccount, trigger: str, channel: str | None, reason: str,
           actor: str) -> AccountBlock:
    before = _view(account)
    account.state = BLOCKED
    entry = AccountBlock(account_id=account.id, trigger=trigger, channel=channel,
                         reason=reason, blocked_by=actor)
    db.session.add(entry)
    end_sessions(RESIDENT, account.id, "blocked")
    void_email_changes(account)
    record_event(actor, "account.block", account, before=before,
                 after={**_view(account), "trigger": trigger, "channel": channel,
                        "reason": reason})
    _notify(account, "account_blocked", reason=reason)
    return entry


def void_email_changes(account: ResidentAccount) -> None:
    """Every e-mail change of the account still waiting for its link stops working."""
    db.session.execute(
        update(EmailChange)
        .where(EmailChange.account_id == account.id, EmailChange.confirmed_at.is_(None),
               EmailChange.voided_at.is_(None))
        .values(voided_at=utcnow()), execution_options={"synchronize_session": False})


def open_block(account: ResidentAccount) -> AccountBlock | None:
    return db.session.scalar(select(AccountBlock).where(
        AccountBlock.account_id == account.id, AccountBlock.lifted_at.is_(None))
        .order_by(AccountBlock.id.desc()))


def unblock_methods(account: ResidentAccount) -> tuple[str, ...]:
    """How this block ends under the policy (the trigger's own rule, else the default)."""
    entry = open_block(account)
    return _policy().blocking.unblock_methods(entry.trigger if entry else None)


def staff_unblock_methods(account: ResidentAccount) -> tuple[str, ...]:
    """The methods of :func:`unblock_methods` the office carries out."""
    return tuple(m for m in unblock_methods(account) if m != UNLOCKED_BY_LINK)


def _require_letter(account: ResidentAccount, document_number: str) -> None:
    """The resident shows the credentials letter; its printed number must be the latest."""
    if document_number.strip().upper() != (account.letter_number or ""):
        raise AccountError("document_mismatch")


def unblock(account: ResidentAccount, staff, evidence: str = "",
            method: str | None = None) -> Credentials | None:
    """Lift the block by one of the office's methods the policy lists for it (``method``;
    None = the first); returns new credentials when the method issues them."""
    if not may_decide_blocks(staff.department):
        raise AccountError("not_allowed", _policy().blocking.decided_by)
    if account.state != BLOCKED:
        raise AccountError("not_blocked")
    offered = staff_unblock_methods(account)
    method = method or (offered[0] if offered else None)
    if method not in offered:
        raise AccountError("method_not_offered", method or "")
    actor = f"staff:{staff.login}"
    if method == "initial_document":
        _require_letter(account, evidence)
    if method == "staff_unblock":
        _lift_block(account, actor, method)
        return None
    entry = open_block(account)
    if entry is not None:
        entry.lifted_at, entry.lifted_by, entry.lift_method = utcnow(), actor, method
    record_event(actor, "account.unblock", account, before={"state": BLOCKED},
                 after={"method": method})
    _notify(account, "account_unblocked", new_credentials=True, link=tenant_url("accounts.login"))
    _renew_login_if_required(account, actor)
    return issue_credentials(account, actor, f"unblock:{method}", unblocking=True)


def lift_timed_lock(account: ResidentAccount, staff) -> None:
    """End a timed lock after failed sign-ins before it expires (the resident phoned the
    office and proved who they are); the deciding department only, as for blocks."""
    if not may_decide_blocks(staff.department):
        raise AccountError("not_allowed", _policy().blocking.decided_by)
    if not timed_lock_running(account):
        raise AccountError("not_locked")
    actor = f"staff:{staff.login}"
    before = {"locked_until": account.locked_until.isoformat()}
    _reset_failures(account)
    record_event(actor, "account.lock_lifted", account, before=before,
                 after={"locked_until": None})
    _notify(account, "account_unblocked", new_credentials=False,
            link=tenant_url("accounts.login"))


def _lift_block(account: ResidentAccount, actor: str, method: str) -> None:
    """End the block (and any timed lock) without new credentials; the password stays."""
    entry = open_block(account)
    if entry is not None:
        entry.lifted_at, entry.lifted_by, entry.lift_method = utcnow(), actor, method
    before = _view(account)
    account.state = ACTIVE if account.password_changed_at else MUST_CHANGE
    _reset_failures(account)
    record_event(actor, "account.unblock", account, before=before,
                 after={**_view(account), "method": method})
    _notify(account, "account_unblocked", new_credentials=False,
            link=tenant_url("accounts.login"))


def locked_out(account: ResidentAccount) -> bool:
    """Locked after failed logins: a timed lock still running, or a block they caused."""
    if account.state == BLOCKED:
        entry = open_block(account)
        return entry is not None and entry.trigger == "failed_logins"
    return timed_lock_running(account)


def timed_lock_running(account: ResidentAccount) -> bool:
    return bool(account.locked_until) and as_utc(account.locked_until) > utcnow()


def unlock_from_link(account: ResidentAccount, new_password: str | None) -> list[str]:
    """Self-service unlock with the e-mailed link: lifts the failed-login lock; with a new
    password when the policy's ``unlock_link.new_password`` asks for one (errors, or [])."""
    rules = _policy().blocking.unlock_link
    if rules.new_password:
        problems = password_problems(account, new_password or "")
        if problems:
            return problems
    actor = f"resident:{account.login}"
    if account.state == BLOCKED:
        _lift_block(account, actor, UNLOCKED_BY_LINK)
    else:
        _reset_failures(account)
        record_event(actor, "account.unlock", account, before=_view(account),
                     after={**_view(account), "method": UNLOCKED_BY_LINK})
    if rules.new_password:
        return _set_password(account, new_password or "", keep_current_session=False)
    return []


def reset(account: ResidentAccount, staff, request_note: str, evidence: str = "",
          method: str | None = None) -> Credentials:
    """Recovery by staff with one of the office's methods the policy offers (``method``;
    None = the first): in person, written request or initial document.

    A blocked account is recovered through unblock(), which follows the blocking rules.
    """
    offered = _policy().recovery.staff_methods
    if not offered:
        raise AccountError("self_service")
    method = method or offered[0]
    if method not in offered:
        raise AccountError("method_not_offered", method)
    if method == "initial_document":
        _require_letter(account, evidence)
    _renew_login_if_required(account, f"staff:{staff.login}")
    return issue_credentials(account, f"staff:{staff.login}",
                             f"recovery:{method}: {request_note}")


def _renew_login_if_required(account: ResidentAccount, actor: str) -> None:
    """Some cooperatives hand out a new identifier along with every replacement password."""
    if not _policy().recovery.new_identifier:
        return
    before = _view(account)
    account.login = new_login()
    record_event(actor, "account.new_login", account, before=before, after=_view(account))


def revoke(account: ResidentAccount, actor: str, reason: str) -> None:
    """Remove access for good (``actor``: "staff:<login>" or a system job's name)."""
    if account.state == REVOKED:
        raise AccountError("already_revoked")
    before = _view(account)
    entry = open_block(account)
    if entry is not None:
        entry.lifted_at, entry.lifted_by, entry.lift_method = utcnow(), actor, "revoked"
    account.state = REVOKED
    end_sessions(RESIDENT, account.id, "revoked")
    record_event(actor, "account.revoke", account, before=before,
                 after={**_view(account), "reason": reason})


def current_titles(account: ResidentAccount) -> list[Title]:
    """The resident's titles valid today, with their units and the units' associations
    (what the back office lists for an account; the portal asks housing.held)."""
    today = warsaw_today()
    titles = db.session.scalars(_titles_query(), {"person_id": account.person_id}).all()
    return [t for t in titles if t.current_on(today)]


@lru_cache(maxsize=1)
def _titles_query():
    """Built once (the person is a bound parameter)."""
    return (select(Title).where(Title.person_id == bindparam("person_id"))
            .options(joinedload(Title.unit).joinedload(Unit.association)))


def password_rules_text() -> list[str]:
    """The tenant's password requirements as Polish sentences (forms, letters)."""
    return describe_rules(_policy().password, PlatformFloor.from_config(current_app.config))
