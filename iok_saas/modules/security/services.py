"""Sign-in history, open sessions, new-device and security-change e-mails, blocking by link.

Services stage changes; the caller commits.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.auth.models import RESIDENT, UserSession
from iok_saas.modules.notifications.services import queue_email, render_notification
from iok_saas.tenancy import current_tenant, current_tenant_or_none, tenant_url
from iok_saas.timeutil import WARSAW, as_utc, utcnow

from .devices import device_label
from .models import SIGNED_IN, WRONG_PASSWORD, SignInEvent

HISTORY_LENGTH = 30
KNOWN_COOKIE = "iok_known"
KNOWN_FOR = timedelta(days=400)  # browsers cap cookie lifetimes near this anyway
KNOWN_MAX = 8                    # users remembered per browser
KNOWN_SALT = "iok-known-device"
BLOCK_SALT = "iok-self-block-link"
BLOCK_LINK_VALID = timedelta(days=14)


def _kind(user) -> str:
    return user.get_id().partition(":")[0]


def _tenant_user(user) -> bool:
    return current_tenant_or_none() is not None and _kind(user) != "operator"


# --- history ---------------------------------------------------------------------------------

def record(user, outcome: str) -> None:
    """A sign-in event of a tenant user, from the current request."""
    if not _tenant_user(user):
        return
    db.session.add(SignInEvent(
        user_kind=_kind(user), user_id=user.id, outcome=outcome,
        client=(request.remote_addr or "")[:64] or None,
        user_agent=(request.user_agent.string or "")[:300] or None))


def note_wrong_password(account) -> None:
    """A wrong password for a known account, in its sign-in history."""
    if account is not None:
        record(account, WRONG_PASSWORD)


@dataclass(frozen=True)
class HistoryRow:
    at: datetime
    device: str
    client: str | None
    outcome: str


def history(user, limit: int = HISTORY_LENGTH) -> list[HistoryRow]:
    rows = db.session.scalars(
        select(SignInEvent).where(SignInEvent.user_kind == _kind(user),
                                  SignInEvent.user_id == user.id)
        .order_by(SignInEvent.at.desc(), SignInEvent.id.desc()).limit(limit))
    return [HistoryRow(as_utc(row.at), device_label(row.user_agent), row.client, row.outcome)
            for row in rows]


# --- open sessions ---------------------------------------------------------------------------

def session_handle(session_id: str) -> str:
    """What pages and URLs show of a session: never the id itself, which is its cookie."""
    return hashlib.sha256(session_id.encode()).hexdigest()[:24]


@dataclass(frozen=True)
class OpenSession:
    handle: str
    started: datetime
    last_seen: datetime
    device: str
    current: bool


def open_sessions(user, current_id: str | None) -> list[OpenSession]:
    """The user's sessions that are still valid (not ended, not timed out), newest first."""
    return [OpenSession(session_handle(row.id), as_utc(row.created_at),
                        as_utc(row.last_seen_at), device_label(row.client),
                        row.id == current_id)
            for row in _open_rows(user)]


def _open_rows(user) -> list[UserSession]:
    rules = current_tenant.policy.session
    now = utcnow()
    rows = db.session.scalars(
        select(UserSession).where(UserSession.user_kind == _kind(user),
                                  UserSession.user_id == user.id,
                                  UserSession.ended_at.is_(None))
        .order_by(UserSession.created_at.desc()))
    return [row for row in rows
            if now - as_utc(row.last_seen_at) <= rules.idle_timeout
            and now - as_utc(row.created_at) <= rules.absolute_timeout]


def end_session(user, handle: str) -> bool:
    """End one of the user's own open sessions (False: no such session of theirs)."""
    row = next((row for row in _open_rows(user) if session_handle(row.id) == handle), None)
    if row is None:
        return False
    row.ended_at, row.end_reason = utcnow(), "ended_by_user"
    return True


# --- new devices -----------------------------------------------------------------------------

def _known_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=KNOWN_SALT)


def _user_key(user) -> str:
    return f"{current_tenant.id}:{_kind(user)}:{user.id}"


def _known_users(token: str | None) -> list[str]:
    if not token:
        return []
    try:
        known = _known_serializer().loads(token, max_age=int(KNOWN_FOR.total_seconds()))
    except BadSignature:
        return []
    return [str(entry) for entry in known] if isinstance(known, list) else []


def after_sign_in(user, response) -> None:
    """Record the sign-in; e-mail a resident signing in on a browser they never used
    before (not on their very first sign-in); remember the browser for next time."""
    if not _tenant_user(user):
        return
    known = _known_users(request.cookies.get(KNOWN_COOKIE))
    key = _user_key(user)
    signed_in_before = db.session.scalar(
        select(SignInEvent.id).where(SignInEvent.user_kind == _kind(user),
                                     SignInEvent.user_id == user.id,
                                     SignInEvent.outcome == SIGNED_IN).limit(1)) is not None
    record(user, SIGNED_IN)
    if key not in known and signed_in_before and _kind(user) == RESIDENT:
        tell(user, "security_new_device", device=device_label(request.user_agent.string),
             client=request.remote_addr or "", when=_warsaw(utcnow()))
    known = [entry for entry in known if entry != key][-(KNOWN_MAX - 1):] + [key]
    response.set_cookie(KNOWN_COOKIE, _known_serializer().dumps(known),
                        max_age=int(KNOWN_FOR.total_seconds()), httponly=True,
                        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
                        samesite="Lax")


def _warsaw(moment: datetime) -> str:
    return moment.astimezone(WARSAW).strftime("%d.%m.%Y %H:%M")


# --- security e-mails and the block link -----------------------------------------------------

def _block_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=BLOCK_SALT)


def block_link(account) -> str | None:
    """A link that blocks the resident's account without signing in, where the policy
    lets residents block their own account; None elsewhere."""
    if not current_tenant.policy.blocking.self_block:
        return None
    token = _block_serializer().dumps({"t": current_tenant.id, "a": account.id})
    return tenant_url("security.block_by_link", token=token)


def account_id_for_block_link(token: str) -> int | None:
    try:
        data = _block_serializer().loads(token, max_age=int(BLOCK_LINK_VALID.total_seconds()))
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("t") != current_tenant.id:
        return None
    return data.get("a") if isinstance(data.get("a"), int) else None


def tell(account, kind: str, *, to_email: str | None = None, **context) -> None:
    """A security e-mail to a resident (always sent: it is not a policy notification),
    with the block link where the policy allows it; to the account's address, or to
    ``to_email`` (the address an e-mail change just replaced)."""
    person = account.person
    address = to_email or person.email
    if not address:
        return
    subject, text = render_notification(kind, to_name=person.full_name,
                                        block_link=block_link(account), **context)
    queue_email(kind, address, person.full_name, subject, text)
