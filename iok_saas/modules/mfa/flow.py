"""The second step of signing in, between a correct password and a session.

A login view calls :func:`after_password` once the password is right. Without a factor to
ask for (a resident who has none and need not have one, or a remembered device) the session
starts at once; otherwise the user waits in a *pending* state kept in the signed session
cookie — who, where to go next, since when — and is sent to the code page, or to the set-up
page when a factor is required but missing. Only a correct code starts the real session.

Each kind of user registers how it is loaded and how its session starts, so this module
knows nothing of residents, staff or operators beyond their kind's name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, jsonify, redirect, request, session, url_for
from werkzeug.wrappers import Response

from iok_saas.extensions import db
from iok_saas.modules.security import services as security
from iok_saas.tenancy import site_key
from iok_saas.timeutil import as_utc, utcnow

from . import services

PENDING_KEY = "iok_2fa_pending"
DEVICE_COOKIE = "iok_device"
PENDING_FOR = timedelta(minutes=10)


@dataclass(frozen=True)
class SignInKind:
    model: type
    start: Callable[[object], None]   # starts the real session for a user of this kind
    blueprint: str                    # the second-step blueprint serving this kind's site
    layout: str                       # the template the second-step pages extend


_kinds: dict[str, SignInKind] = {}


def register_sign_in(kind: str, model: type, start: Callable[[object], None],
                     blueprint: str, layout: str) -> None:
    _kinds[kind] = SignInKind(model, start, blueprint, layout)


def after_password(user, landing: str) -> Response:
    """The response to a correct password: the landing page, or the second step first."""
    kind = services.kind_of(user)
    enrolled = services.has_factor(user)
    if not enrolled and not services.required_for(user):
        return _finish(user, landing)
    if enrolled and services.device_remembered(user, request.cookies.get(DEVICE_COOKIE)):
        return _finish(user, landing)
    session.clear()
    session[PENDING_KEY] = {"k": kind, "u": user.id, "s": site_key(), "l": landing,
                            "at": utcnow().isoformat()}
    db.session.commit()  # a pending enrolment or a rehashed password is kept
    step = "challenge" if enrolled else "enrol"
    return redirect(url_for(f"{_kinds[kind].blueprint}.{step}"))


@dataclass(frozen=True)
class Pending:
    user: object
    kind: SignInKind
    landing: str


def pending() -> Pending | None:
    """The user waiting for their second step on this site, if the wait is not over."""
    data = session.get(PENDING_KEY)
    if not isinstance(data, dict) or data.get("s") != site_key() or data.get("k") not in _kinds:
        return None
    try:
        since = datetime.fromisoformat(data["at"])
    except (KeyError, TypeError, ValueError):
        return None
    if since.tzinfo is None or utcnow() - since > PENDING_FOR:
        return None
    kind = _kinds[data["k"]]
    user = db.session.get(kind.model, data.get("u"))
    if user is None or not user.is_active:
        return None
    return Pending(user, kind, data.get("l") or "/")


def finish(found: Pending, remember: bool = False) -> Response:
    """The code was right: the real session starts (a fresh one), the device is
    remembered if asked and allowed."""
    response = _finish(found.user, found.landing)
    lifetime = services.remember_for(found.user)
    if remember and lifetime is not None:
        response.set_cookie(DEVICE_COOKIE, services.remember_token(found.user),
                            max_age=int(lifetime.total_seconds()), httponly=True,
                            secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
                            samesite="Lax")
    return response


def _finish(user, landing: str) -> Response:
    _kinds[services.kind_of(user)].start(user)
    response = redirect(landing)
    security.after_sign_in(user, response)
    db.session.commit()
    return response


def user_of(kind: str, user_id: int):
    """The user of a registered kind, if they exist and may sign in now."""
    registered = _kinds.get(kind)
    user = db.session.get(registered.model, user_id) if registered else None
    if user is None or not user.is_active:
        return None
    return user


def sign_in_without_password(user, landing: str) -> Response | None:
    """A passkey verified with its own PIN or fingerprint is both factors: the session
    starts at once, unless the account is locked."""
    until = getattr(user, "locked_until", None)
    if until is not None and as_utc(until) > utcnow():
        return None
    return _finish(user, landing)


def as_json(response: Response) -> Response:
    """A sign-in's redirect as JSON for static/js/passkeys.js, keeping the cookies it sets."""
    answer = jsonify(redirect=response.location)
    for cookie in response.headers.getlist("Set-Cookie"):
        answer.headers.add("Set-Cookie", cookie)
    return answer
