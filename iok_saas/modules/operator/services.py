from __future__ import annotations

import base64
import difflib
import hashlib
import json
from dataclasses import dataclass, replace
from datetime import datetime

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from sqlalchemy import func, select

from iok_saas.extensions import db
from iok_saas.modules.audit.models import PlatformAuditEvent
from iok_saas.modules.audit.services import Actor, record_platform_event
from iok_saas.modules.auth.passwords import (
    hash_password,
    needs_rehash,
    verify_password,
)
from iok_saas.modules.tenants.models import Tenant
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
    return operator


def load_operator(operator_id: int) -> Operator | None:
    return db.session.get(Operator, operator_id)


def recent_events(tenant_id: int | None = None, limit: int = 100) -> list[PlatformAuditEvent]:
    query = select(PlatformAuditEvent).order_by(PlatformAuditEvent.id.desc()).limit(limit)
    if tenant_id is not None:
        query = query.where(PlatformAuditEvent.tenant_id == tenant_id)
    return list(db.session.scalars(query))


# --- policy versions --------------------------------------------------------------------

POLICY_ACTIONS = ("tenant.create", "tenant.update", "tenant.policy")


@dataclass(frozen=True)
class PolicyVersion:
    """One text a tenant's policy had: who set it and when (from the platform audit)."""

    number: int
    event_id: int | None  # None: the current text, older than any audit event about it
    at: datetime | None
    actor: str | None
    action: str | None
    source: str
    current: bool = False


def policy_versions(tenant: Tenant) -> list[PolicyVersion]:
    """Every version of the tenant's policy, oldest first, read from the audit events that
    set it (onboarding, a sync from the files, a console edit or roll-back); the last one is
    the text in force."""
    events = db.session.scalars(
        select(PlatformAuditEvent)
        .where(PlatformAuditEvent.tenant_id == tenant.id,
               PlatformAuditEvent.action.in_(POLICY_ACTIONS))
        .order_by(PlatformAuditEvent.id))
    found: list[tuple[PlatformAuditEvent, str]] = []
    for event in events:
        source = (event.after or {}).get("policy_source")
        if not isinstance(source, str):
            continue
        if found and found[-1][1] == source:
            continue  # a sync that changed something else
        found.append((event, source))
    versions = [PolicyVersion(number=n, event_id=e.id, at=e.at, actor=e.actor,
                              action=e.action, source=source)
                for n, (e, source) in enumerate(found, start=1)]
    if not versions or versions[-1].source != tenant.policy_source:
        versions.append(PolicyVersion(number=len(versions) + 1, event_id=None, at=None,
                                      actor=None, action=None, source=tenant.policy_source))
    return [*versions[:-1], replace(versions[-1], current=True)]


def policy_diff(old: str, new: str, old_label: str, new_label: str) -> list[tuple[str, str]]:
    """A unified diff as (kind, line) pairs for the template, which escapes every line;
    kind is "file", "hunk", "add", "del" or "same". Empty when the texts are equal."""
    kinds = {"+": "add", "-": "del", " ": "same", "@": "hunk"}
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), old_label, new_label,
                                 lineterm="")
    return [("file" if line.startswith(("---", "+++")) and n < 2 else kinds.get(line[:1], "same"),
             line) for n, line in enumerate(lines)]


# --- a secret shown once, after a redirect ------------------------------------------------

REVEAL_SECONDS = 600


def _reveal_cipher() -> Fernet:
    digest = hashlib.sha256(b"operator-reveal:" + current_app.secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal_for_reveal(data: dict) -> str:
    """``data`` encrypted for the session cookie, which Flask signs but does not encrypt: a
    one-time password must not sit readable in the browser's cookie store or in logs."""
    return _reveal_cipher().encrypt(json.dumps(data).encode()).decode()


def opened_reveal(token: str | None) -> dict | None:
    """What :func:`seal_for_reveal` sealed, within REVEAL_SECONDS; None otherwise."""
    if not token:
        return None
    try:
        return json.loads(_reveal_cipher().decrypt(token.encode(), ttl=REVEAL_SECONDS))
    except InvalidToken:
        return None
