"""Password checks with lockout, shared by residents and staff.

Failed attempts are rows in the database, so the count holds across workers and restarts.
The lock itself follows the tenant policy's ``failed_logins`` rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from iok_saas.extensions import db
from iok_saas.tenancy import current_tenant
from iok_saas.timeutil import as_utc, utcnow

from .models import LoginAttempt
from .passwords import hash_password, needs_rehash, verify_password

# Used when a policy has no failed_logins rule: nobody gets unlimited guesses.
DEFAULT_THRESHOLD, DEFAULT_WINDOW, DEFAULT_LOCK = 5, timedelta(minutes=15), timedelta(minutes=30)


@dataclass(frozen=True)
class PasswordCheck:
    ok: bool
    locked_until: datetime | None = None
    """Set when this failure (or an earlier one) locked the user."""
    lock_until_unlocked: bool = False
    """The policy locks until an unblock method lifts the lock, not for a duration."""


def check_password(user, user_kind: str, login: str, password: str,
                   client: str | None) -> PasswordCheck:
    """Verify ``password`` for ``user`` (None = unknown login: same cost, same answer)."""
    now = utcnow()
    if user is not None and user.locked_until and as_utc(user.locked_until) > now:
        return PasswordCheck(ok=False, locked_until=as_utc(user.locked_until))
    ok = verify_password(user.password_hash if user is not None else None, password)
    db.session.add(LoginAttempt(login=login, user_kind=user_kind, success=ok, client=client))
    if ok:
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        return PasswordCheck(ok=True)
    if user is None:
        return PasswordCheck(ok=False)
    return _lock_if_over_threshold(user, user_kind, login, now)


def _lock_if_over_threshold(user, user_kind: str, login: str, now: datetime) -> PasswordCheck:
    rule = current_tenant.policy.blocking.rule("failed_logins")
    threshold = rule.threshold if rule else DEFAULT_THRESHOLD
    window = rule.within if rule else DEFAULT_WINDOW
    lock_for = rule.lock_for if rule else DEFAULT_LOCK
    # Only resident accounts carry a reset mark (recovery and unlock are resident paths).
    reset_at = getattr(user, "failures_reset_at", None)
    since = [now - window] if window is not None else []
    if _recent_failures(user_kind, login, since + ([as_utc(reset_at)] if reset_at else [])) \
            < threshold:
        return PasswordCheck(ok=False)
    if lock_for is None and user_kind == "resident":
        return PasswordCheck(ok=False, lock_until_unlocked=True)
    user.locked_until = now + (lock_for or DEFAULT_LOCK)
    return PasswordCheck(ok=False, locked_until=user.locked_until)


def _recent_failures(user_kind: str, login: str, starts: list[datetime]) -> int:
    """Failures since the latest of ``starts`` and the last success (all of them when there
    is neither: a policy without a window counts consecutive failures)."""
    last_success = db.session.scalar(
        select(func.max(LoginAttempt.at)).where(
            LoginAttempt.user_kind == user_kind, LoginAttempt.login == login,
            LoginAttempt.success.is_(True)))
    if last_success:
        starts = [*starts, as_utc(last_success)]
    query = select(func.count(LoginAttempt.id)).where(
        LoginAttempt.user_kind == user_kind, LoginAttempt.login == login,
        LoginAttempt.success.is_(False))
    if starts:
        query = query.where(LoginAttempt.at >= max(starts))
    db.session.flush()
    return db.session.scalar(query) or 0
