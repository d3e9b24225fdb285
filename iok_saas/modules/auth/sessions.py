"""Server-side sessions for tenant users: start, end, idle/absolute timeouts.

The signed cookie holds only a random session id; the row decides whether it is still
valid, so logout, a block or a password change end a session on its very next request.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import lru_cache

from flask import g, request, session
from flask_login import current_user, login_user, logout_user
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm.interfaces import ORMOption

from iok_saas.extensions import db
from iok_saas.tenancy import SESSION_SITE_KEY, current_tenant, site_key
from iok_saas.timeutil import as_utc, utcnow

from .models import RESIDENT, UserSession

SESSION_ID_KEY = "iok_sid"
_STARTED = "iok_session_started"  # g: when the request's valid session began
# Writing last_seen on every request would turn each page view into a write.
LAST_SEEN_RESOLUTION = timedelta(seconds=60)
# Session timeouts of base.yaml, for staff while their tenant's policy is invalid.
FALLBACK_IDLE, FALLBACK_ABSOLUTE = timedelta(minutes=15), timedelta(hours=12)


def start_session(user, user_kind: str) -> None:
    """A fresh session for a successful login (never reuse the pre-login one)."""
    session.clear()
    row = UserSession(id=secrets.token_urlsafe(32), user_kind=user_kind, user_id=user.id,
                      client=(request.user_agent.string or "")[:200])
    db.session.add(row)
    session[SESSION_ID_KEY] = row.id
    session[SESSION_SITE_KEY] = site_key()
    session.permanent = True
    login_user(user)


def end_current_session(reason: str = "logout") -> None:
    sid = session.get(SESSION_ID_KEY)
    row = db.session.get(UserSession, sid) if sid else None
    if row is not None and row.ended_at is None:
        row.ended_at, row.end_reason = utcnow(), reason
    logout_user()
    session.clear()


def end_sessions(user_kind: str, user_id: int, reason: str, keep_current: bool = False) -> None:
    """End every open session of one user (in the caller's transaction)."""
    query = update(UserSession).where(
        UserSession.user_kind == user_kind, UserSession.user_id == user_id,
        UserSession.ended_at.is_(None),
    ).values(ended_at=utcnow(), end_reason=reason)
    if keep_current and session.get(SESSION_ID_KEY):
        query = query.where(UserSession.id != session[SESSION_ID_KEY])
    db.session.execute(query, execution_options={"synchronize_session": False})


def load_session_user(user_kind: str, user_id: int, model: type,
                      options: Sequence[ORMOption] = ()):
    """The user behind this request's session, or None when the session is over.

    Every signed-in request pays for this, so the session row and its user (``model``,
    with ``options`` such as eager loads) come back in one statement."""
    sid = session.get(SESSION_ID_KEY)
    if not sid:
        return None
    found = db.session.execute(_session_user_query(model, tuple(options)), {
        "sid": sid, "user_kind": user_kind, "user_id": user_id}).first()
    if found is None or found[0].ended_at is not None:
        return None
    row, user = found
    policy = current_tenant.policy
    if policy is None and user_kind == RESIDENT:
        # The tenant's policy became invalid: the request ends in the branded 503, and no
        # resident is signed in meanwhile (the session row stays, for when it is fixed).
        return None
    now = utcnow()
    # Staff stay signed in under the platform's timeouts: they may read the error's details.
    idle, absolute = ((policy.session.idle_timeout, policy.session.absolute_timeout)
                      if policy else (FALLBACK_IDLE, FALLBACK_ABSOLUTE))
    if (now - as_utc(row.last_seen_at) > idle
            or now - as_utc(row.created_at) > absolute):
        return _end_row(row, "timeout")
    if user is None or not user.is_active:
        return _end_row(row, "inactive")
    setattr(g, _STARTED, row.created_at)
    if now - as_utc(row.last_seen_at) > LAST_SEEN_RESOLUTION:
        row.last_seen_at = now
    return user


def session_started() -> datetime | None:
    """When the signed-in user's session began (None when nobody is signed in): read
    from the row every signed-in request loads anyway."""
    if not current_user.is_authenticated:  # loads the user, and with it the row
        return None
    return g.get(_STARTED)


@lru_cache(maxsize=8)
def _session_user_query(model: type, options: tuple[ORMOption, ...]):
    """Built once per kind of user (values are bound parameters): it runs on every
    signed-in request."""
    return (select(UserSession, model)
            .outerjoin(model, model.id == UserSession.user_id)
            .where(UserSession.id == bindparam("sid"),
                   UserSession.user_kind == bindparam("user_kind"),
                   UserSession.user_id == bindparam("user_id"))
            .options(*options))


def _end_row(row: UserSession, reason: str) -> None:
    row.ended_at, row.end_reason = utcnow(), reason
    return None
