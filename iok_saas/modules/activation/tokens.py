"""The e-mail confirmation link sent after a resident registers with an activation code.

Like ``enrolment/tokens.py``: signed (itsdangerous, own salt), expiring, naming its tenant and
single use — it carries the code's ``link_nonce``, which confirming clears.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from iok_saas.extensions import db
from iok_saas.tenancy import current_tenant, tenant_url
from iok_saas.timeutil import WARSAW, utcnow

from .models import USED, ActivationCode

SALT = "iok-activation-email"
# Overridable in the app config (a timedelta).
CONFIG_KEY = "IOK_ACTIVATION_CONFIRM_VALID"
DEFAULT_VALID = timedelta(days=3)


class LinkError(Exception):
    """The link is tampered with, expired, used, or for another tenant."""


def valid_for() -> timedelta:
    return current_app.config.get(CONFIG_KEY, DEFAULT_VALID)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def make_token(code: ActivationCode) -> str:
    return _serializer().dumps({"t": current_tenant.id, "c": code.id, "n": code.link_nonce})


def make_link(code: ActivationCode) -> str:
    return tenant_url("activation.confirm", token=make_token(code))


def valid_until_text() -> str:
    return (utcnow() + valid_for()).astimezone(WARSAW).strftime("%d.%m.%Y %H:%M")


def code_for(token: str) -> ActivationCode:
    try:
        data = _serializer().loads(token, max_age=int(valid_for().total_seconds()))
    except (SignatureExpired, BadSignature) as exc:
        raise LinkError(type(exc).__name__) from exc
    if not isinstance(data, dict) or data.get("t") != current_tenant.id:
        raise LinkError("other_tenant")
    code = db.session.get(ActivationCode, data.get("c"))
    if code is None or code.state != USED or not code.link_nonce \
            or code.link_nonce != data.get("n"):
        raise LinkError("used")
    return code
