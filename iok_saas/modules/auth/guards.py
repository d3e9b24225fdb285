"""Who is signed in, and the guards every feature's views lean on.

A leaf: it imports no feature. Users carry their kind (``user_kind``: resident, staff,
operator), so a guard asks the kind rather than importing each feature's user model.
"""

from __future__ import annotations

from functools import wraps

from flask import redirect, request, url_for
from flask_login import current_user

from .models import OPERATOR, RESIDENT, STAFF

# Staff pages reachable before the member's own password is set.
STAFF_OPEN_ENDPOINTS = frozenset({"staff.login", "staff.logout", "staff.first_password"})


def _signed_in(kind: str):
    user = current_user._get_current_object()
    return user if getattr(user, "user_kind", None) == kind else None


def current_resident():
    """The signed-in resident's account, or None (staff and operators are not residents)."""
    return _signed_in(RESIDENT)


def current_staff():
    """The signed-in staff member, or None."""
    return _signed_in(STAFF)


def current_operator():
    """The signed-in platform operator, or None."""
    return _signed_in(OPERATOR)


def resident_required(view):
    """Like login_required, but only a resident's session opens resident pages."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_resident() is None:
            return redirect(url_for("accounts.login", next=request.path))
        return view(*args, **kwargs)

    return wrapped


def staff_required():
    """before_request of every staff blueprint: signed in, and own password set."""
    if request.endpoint in STAFF_OPEN_ENDPOINTS:
        return None
    member = current_staff()
    if member is None:
        return redirect(url_for("staff.login", next=request.path))
    if member.must_change_password:
        return redirect(url_for("staff.first_password"))
    return None


def operators_only():
    """before_request of every admin-host blueprint except the login page."""
    if request.endpoint == "operator.login":
        return None
    if current_operator() is None:
        return redirect(url_for("operator.login", next=request.full_path))
    return None
