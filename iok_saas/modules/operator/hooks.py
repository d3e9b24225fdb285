"""The operator user loader: operators exist on the admin host only."""

from __future__ import annotations

from flask import Flask, session
from flask_login import login_user

from iok_saas.extensions import db
from iok_saas.modules.auth.identity import register_user_kind
from iok_saas.modules.auth.models import OPERATOR
from iok_saas.modules.mfa.flow import register_sign_in
from iok_saas.tenancy import SESSION_SITE_KEY, on_admin_site, site_key
from iok_saas.timeutil import utcnow

from .models import Operator
from .services import OPERATOR_SINCE_KEY, session_operator


def _load_operator(operator_id: int):
    if not on_admin_site():
        return None
    return session_operator(operator_id, session.get(OPERATOR_SINCE_KEY))


def _start_session(operator: Operator) -> None:
    """A fresh session once the password and the second factor are right."""
    session.clear()
    login_user(operator)
    session[SESSION_SITE_KEY] = site_key()
    session[OPERATOR_SINCE_KEY] = utcnow().isoformat()
    db.session.commit()


def install(app: Flask) -> None:
    register_user_kind(OPERATOR, _load_operator)
    register_sign_in(OPERATOR, Operator, _start_session, "mfa_operator",
                     "operator/_layout.html")
