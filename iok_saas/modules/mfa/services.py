"""Second factors: enrolment, verification with lockout, recovery codes, remembered devices,
turning off and staff reset. Services stage changes; the view commits.

Who needs one: operators and staff always (the platform floor); residents as the tenant's
``second_factor.residents`` says. A factor is a confirmed authenticator app (TOTP) or a
registered passkey where ``second_factor.passkeys`` allows them (the ceremonies themselves
live in passkeys.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from markupsafe import Markup
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.audit.services import Actor, record_event, record_platform_event
from iok_saas.modules.security import services as security
from iok_saas.modules.security.models import WRONG_CODE
from iok_saas.tenancy import current_tenant, current_tenant_or_none
from iok_saas.timeutil import as_utc, utcnow

from . import totp
from .models import (
    FactorColumns,
    OperatorPasskey,
    OperatorSecondFactor,
    Passkey,
    PasskeyColumns,
    SecondFactor,
    new_device_key,
)

RESIDENT, STAFF, OPERATOR = "resident", "staff", "operator"
OFF, OPTIONAL, REQUIRED = "off", "optional", "required"
# Without a failed_logins rule (and for operators): five wrong codes lock for 30 minutes.
DEFAULT_THRESHOLD, DEFAULT_LOCK = 5, timedelta(minutes=30)
DEVICE_SALT = "iok-remembered-device"
OPERATOR_ISSUER = "IOK SaaS (operator)"


class FactorError(Exception):
    """A second-factor change that is not allowed (policy, state or a wrong code)."""


def kind_of(user) -> str:
    return user.get_id().partition(":")[0]


def factor_of(user) -> FactorColumns | None:
    if kind_of(user) == OPERATOR:
        return db.session.scalar(select(OperatorSecondFactor).where(
            OperatorSecondFactor.operator_id == user.id))
    return db.session.scalar(select(SecondFactor).where(
        SecondFactor.user_kind == kind_of(user), SecondFactor.user_id == user.id))


def _factor_or_new(user) -> FactorColumns:
    row = factor_of(user)
    if row is None:
        row = OperatorSecondFactor(operator_id=user.id) if kind_of(user) == OPERATOR \
            else SecondFactor(user_kind=kind_of(user), user_id=user.id)
        row.last_step, row.recovery_hashes, row.failures = 0, [], 0
        db.session.add(row)
    return row


def has_totp(user) -> bool:
    row = factor_of(user)
    return row is not None and row.active


def has_factor(user) -> bool:
    """A confirmed authenticator app, or a passkey usable here."""
    return has_totp(user) or bool(passkeys_of(user))


def passkeys_allowed(user) -> bool:
    """Operators always; tenant users unless the policy turns passkeys off (and residents
    only where they may have a second factor at all)."""
    if kind_of(user) == OPERATOR:
        return True
    if current_tenant.policy.second_factor.passkeys == OFF:
        return False
    return kind_of(user) != RESIDENT or resident_setting() != OFF


def passkeys_of(user) -> list[PasskeyColumns]:
    """``user``'s passkeys, oldest first; none where the policy does not allow them."""
    if not passkeys_allowed(user):
        return []
    if kind_of(user) == OPERATOR:
        query = select(OperatorPasskey).where(OperatorPasskey.operator_id == user.id)
        return list(db.session.scalars(query.order_by(OperatorPasskey.id)))
    query = select(Passkey).where(Passkey.user_kind == kind_of(user), Passkey.user_id == user.id)
    return list(db.session.scalars(query.order_by(Passkey.id)))


def resident_setting() -> str:
    return current_tenant.policy.second_factor.residents


def required_for(user) -> bool:
    """Whether ``user`` may not sign in without a second factor."""
    return kind_of(user) != RESIDENT or resident_setting() == REQUIRED


def recovery_code_count() -> int:
    tenant = current_tenant_or_none()
    return tenant.policy.second_factor.recovery_codes if tenant else 10


# --- enrolment -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Enrolment:
    secret: str
    uri: str
    qr: Markup

    @property
    def grouped(self) -> str:
        return totp.grouped_secret(self.secret)


def begin_enrolment(user, account_label: str) -> Enrolment:
    """A secret to scan, kept pending until a code from the app confirms it (the same one
    while the page is reloaded, so a scanned code keeps working)."""
    row = _factor_or_new(user)
    if row.pending_secret is None:
        row.pending_secret = totp.new_secret()
    issuer = current_tenant.short_name if current_tenant_or_none() else OPERATOR_ISSUER
    uri = totp.provisioning_uri(row.pending_secret, account_label, issuer)
    svg = Markup(totp.qr_svg(uri, issuer))  # noqa: S704  (segno escapes the title)
    return Enrolment(row.pending_secret, uri, svg)


def confirm_enrolment(user, code: str, now: datetime | None = None) -> list[str] | None:
    """The new recovery codes when ``code`` proves the app holds the pending secret."""
    row = factor_of(user)
    if row is None or row.pending_secret is None:
        return None
    step = totp.matching_step(row.pending_secret, code, now or utcnow(), after_step=0)
    if step is None:
        return None
    codes = _activate(row, row.pending_secret, step)
    audit(user, "second_factor.enrol")
    if kind_of(user) == RESIDENT:
        security.tell(user, "second_factor_enabled")
    return codes


def enrol_with_secret(user, secret: str) -> list[str]:
    """Give ``user`` a working factor with a secret chosen elsewhere (the demo prints its
    staff's secret); returns the recovery codes."""
    return _activate(_factor_or_new(user), secret, 0)


def _activate(row: FactorColumns, secret: str, step: int) -> list[str]:
    codes = totp.new_recovery_codes(recovery_code_count())
    row.secret, row.pending_secret = secret, None
    row.confirmed_at, row.last_step = utcnow(), step
    row.recovery_hashes = [totp.hash_recovery_code(code) for code in codes]
    row.failures, row.locked_until = 0, None
    row.device_key = new_device_key()
    return codes


def new_recovery_codes(user) -> list[str]:
    """Fresh recovery codes; the earlier ones stop working."""
    row = factor_of(user)
    if row is None or not row.active:
        raise FactorError("no second factor")
    codes = totp.new_recovery_codes(recovery_code_count())
    row.recovery_hashes = [totp.hash_recovery_code(code) for code in codes]
    audit(user, "second_factor.recovery_codes")
    if kind_of(user) == RESIDENT:
        security.tell(user, "second_factor_recovery_codes")
    return codes


def recovery_codes_left(user) -> int:
    row = factor_of(user)
    return len(row.recovery_hashes or []) if row is not None else 0


# --- sign-in ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Check:
    ok: bool
    locked_until: datetime | None = None
    recovery_used: bool = False
    codes_left: int = 0


def verify(user, code: str, now: datetime | None = None) -> Check:
    """A TOTP code or a recovery code for ``user``'s active factor; wrong ones count
    towards the lock."""
    now = now or utcnow()
    row = factor_of(user)
    if row is None or not row.active:
        return Check(ok=False)
    if row.locked_until and as_utc(row.locked_until) > now:
        return Check(ok=False, locked_until=as_utc(row.locked_until))
    check = _try_code(row, code, now)
    if check.ok:
        row.failures, row.locked_until = 0, None
        return check
    return _failed(user, row, now)


def _try_code(row: FactorColumns, code: str, now: datetime) -> Check:
    if totp.looks_like_totp(code):
        step = totp.matching_step(row.secret, code, now, row.last_step)
        if step is None:
            return Check(ok=False)
        row.last_step = step
        return Check(ok=True)
    used = totp.used_recovery_hash(list(row.recovery_hashes or []), code)
    if used is None:
        return Check(ok=False)
    row.recovery_hashes = [stored for stored in row.recovery_hashes if stored != used]
    return Check(ok=True, recovery_used=True, codes_left=len(row.recovery_hashes))


def locked_until(user, now: datetime | None = None) -> datetime | None:
    """When the second step opens again for ``user`` (None: it is open)."""
    row = factor_of(user)
    if row is None or not row.locked_until or as_utc(row.locked_until) <= (now or utcnow()):
        return None
    return as_utc(row.locked_until)


def note_failure(user, now: datetime | None = None) -> Check:
    """A failed second step other than a code (a passkey that did not verify): it counts
    towards the same lock."""
    return _failed(user, _factor_or_new(user), now or utcnow())


def note_success(user) -> None:
    row = factor_of(user)
    if row is not None:
        row.failures, row.locked_until = 0, None


def _failed(user, row: FactorColumns, now: datetime) -> Check:
    security.record(user, WRONG_CODE)
    threshold, lock_for = _lock_rule(user)
    row.failures = (row.failures or 0) + 1
    if row.failures < threshold:
        return Check(ok=False)
    row.failures, row.locked_until = 0, now + lock_for
    if kind_of(user) != OPERATOR:
        # The password step refuses a locked user too, with the usual lock message.
        user.locked_until = row.locked_until
    return Check(ok=False, locked_until=row.locked_until)


def _lock_rule(user) -> tuple[int, timedelta]:
    """The tenant's failed_logins rule (threshold, lock); a lock "until staff unblock"
    becomes the default timed lock: nobody is shut out by a phone's wrong clock."""
    if kind_of(user) == OPERATOR:
        return DEFAULT_THRESHOLD, DEFAULT_LOCK
    rule = current_tenant.policy.blocking.rule("failed_logins")
    if rule is None:
        return DEFAULT_THRESHOLD, DEFAULT_LOCK
    return rule.threshold, rule.lock_for or DEFAULT_LOCK


# --- remembered devices ----------------------------------------------------------------------

def remember_for(user) -> timedelta | None:
    """How long a device may be remembered for ``user`` (operators: never)."""
    if kind_of(user) == OPERATOR:
        return None
    return current_tenant.policy.second_factor.remember_device


def _device_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=DEVICE_SALT)


def _device_claim(user, row: FactorColumns) -> dict:
    tenant = current_tenant_or_none()
    return {"k": kind_of(user), "u": user.id, "t": tenant.id if tenant else None,
            "d": row.device_key}


def remember_token(user) -> str:
    return _device_serializer().dumps(_device_claim(user, factor_of(user)))


def device_remembered(user, token: str | None) -> bool:
    lifetime = remember_for(user)
    row = factor_of(user)
    if not token or lifetime is None or row is None or not row.active:
        return False
    try:
        claim = _device_serializer().loads(token, max_age=int(lifetime.total_seconds()))
    except BadSignature:
        return False
    return claim == _device_claim(user, row)


def forget_devices(user) -> None:
    row = factor_of(user)
    if row is not None:
        row.device_key = new_device_key()
        audit(user, "second_factor.forget_devices")


# --- turning off and resetting ---------------------------------------------------------------

def turn_off(account, password_ok: bool, code: str) -> None:
    """A resident turns their factor off, having re-entered the password and a current
    code; refused where the policy requires it. The resident is told by e-mail."""
    if resident_setting() == REQUIRED:
        raise FactorError("required")
    if not password_ok:
        raise FactorError("password")
    if not verify(account, code).ok:
        raise FactorError("code")
    _remove(account)
    audit(account, "second_factor.disable")
    security.tell(account, "second_factor_disabled")


def may_reset(member) -> bool:
    """Whether a staff member may reset a resident's second factor: the recovery
    department's staff (any admin when the policy names none)."""
    department = current_tenant.policy.recovery.department
    return member.department == department if department else member.is_admin


def reset_needs_document() -> bool:
    return current_tenant.policy.recovery.identity_document


def reset_by_staff(account, member, request_note: str, document: str) -> None:
    """Staff remove a resident's factor (lost phone, no codes) as the recovery rules say:
    the identity document checked is recorded when the policy requires one."""
    if not may_reset(member):
        raise FactorError("department")
    if reset_needs_document() and not document.strip():
        raise FactorError("document")
    if factor_of(account) is None and not passkeys_of(account):
        raise FactorError("no second factor")
    _remove(account)
    for passkey in passkeys_of(account):
        db.session.delete(passkey)
    record_event(f"staff:{member.login}", "second_factor.reset", account,
                 after={"request": request_note.strip(), "document": document.strip()})
    security.tell(account, "second_factor_reset")


def _remove(user) -> None:
    row = factor_of(user)
    if row is not None:
        db.session.delete(row)


def audit(user, action: str, **after) -> None:
    """An audit event about ``user``'s own factors (platform-wide for operators)."""
    if kind_of(user) == OPERATOR:
        record_platform_event(Actor(label=f"operator:{user.email}", operator_id=user.id),
                              action, after=after or None)
        return
    record_event(f"{kind_of(user)}:{user.login}", action, user, after=after or None)
