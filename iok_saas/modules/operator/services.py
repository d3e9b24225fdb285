from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from iok_saas.extensions import db
from iok_saas.modules.audit.models import PlatformAuditEvent
from iok_saas.modules.audit.services import Actor, record_platform_event
from iok_saas.modules.auth.passwords import (
    hash_password,
    needs_rehash,
    verify_password,
)
from iok_saas.timeutil import as_utc, utcnow

from .models import Operator

OPERATOR_MIN_PASSWORD = 12


class OperatorError(ValueError):
    pass


def actor_of(operator: Operator) -> Actor:
    return Actor(label=f"operator:{operator.email}", operator_id=operator.id)


def create_operator(email: str, name: str, password: str, actor: Actor) -> Operator:
    email = email.strip().lower()
    if len(password) < OPERATOR_MIN_PASSWORD:
        raise OperatorError(f"operator passwords need at least {OPERATOR_MIN_PASSWORD} characters")
    if db.session.scalar(select(Operator.id).where(func.lower(Operator.email) == email)):
        raise OperatorError(f"operator {email} already exists")
    operator = Operator(email=email, name=name.strip(), password_hash=hash_password(password))
    db.session.add(operator)
    db.session.flush()
    record_platform_event(actor, "operator.create", after={"email": email, "name": name})
    db.session.commit()
    return operator


# When the operator logged in (ISO time), checked against their last logout on every request.
OPERATOR_SINCE_KEY = "iok_operator_since"


def session_operator(operator_id: int, started: str | None) -> Operator | None:
    """The operator behind a session cookie, unless switched off or the session began
    before their last logout (``started``: the ISO time the login stored in the session)."""
    operator = db.session.get(Operator, operator_id)
    if operator is None or not operator.active:
        return None
    if operator.sessions_ended_at is None:
        return operator
    try:
        began = datetime.fromisoformat(started) if started else None
    except (TypeError, ValueError):
        began = None
    if began is None or began.tzinfo is None or began <= as_utc(operator.sessions_ended_at):
        return None
    return operator


def end_sessions(operator: Operator) -> None:
    """Logout: every session of this operator started until now is over."""
    operator.sessions_ended_at = utcnow()
    db.session.commit()


def authenticate(email: str, password: str) -> Operator | None:
    """The operator, if the password matches; an unknown e-mail costs the same time."""
    operator = db.session.scalar(
        select(Operator).where(func.lower(Operator.email) == email.strip().lower())
    )
    if not verify_password(operator.password_hash if operator else None, password):
        return None
    if not operator.active:
        return None
    if needs_rehash(operator.password_hash):
        operator.password_hash = hash_password(password)
    operator.last_login_at = utcnow()
    db.session.commit()
    return operator


def load_operator(operator_id: int) -> Operator | None:
    return db.session.get(Operator, operator_id)


def recent_events(tenant_id: int | None = None, limit: int = 100) -> list[PlatformAuditEvent]:
    query = select(PlatformAuditEvent).order_by(PlatformAuditEvent.id.desc()).limit(limit)
    if tenant_id is not None:
        query = query.where(PlatformAuditEvent.tenant_id == tenant_id)
    return list(db.session.scalars(query))
