"""Links sent to applicants: confirm the e-mail address, correct the application.

Like ``accounts/recovery.py``: signed (itsdangerous, own salt), expiring, naming their tenant
(a Gdynia link means nothing at Brzeg) and their purpose, and single use — each carries the
application's ``token_nonce``, which every transition replaces, and is honoured only while
the application stands at the step the link is for.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from iok_saas.extensions import db
from iok_saas.tenancy import current_tenant, tenant_url
from iok_saas.timeutil import WARSAW, utcnow

from .models import CORRECTION, Application

SALT = "iok-enrolment-link"
CONFIRM = "confirm"
CORRECT = "correct"

_STATE = {CONFIRM: "confirm_email", CORRECT: CORRECTION}
_ENDPOINT = {CONFIRM: "enrolment.confirm", CORRECT: "enrolment.correct"}
# Overridable in the app config (a timedelta); defaults: three days to confirm the address,
# two weeks to correct the data.
_CONFIG_KEY = {CONFIRM: "IOK_ENROLMENT_CONFIRM_VALID", CORRECT: "IOK_ENROLMENT_CORRECTION_VALID"}
_DEFAULT_VALID = {CONFIRM: timedelta(days=3), CORRECT: timedelta(days=14)}


class LinkError(Exception):
    """The link is tampered with, expired, used or stale, or for another tenant."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def valid_for(purpose: str) -> timedelta:
    return current_app.config.get(_CONFIG_KEY[purpose], _DEFAULT_VALID[purpose])


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def make_token(application: Application, purpose: str) -> str:
    return _serializer().dumps({"t": current_tenant.id, "a": application.id, "p": purpose,
                                "n": application.token_nonce})


def make_link(application: Application, purpose: str) -> str:
    return tenant_url(_ENDPOINT[purpose], token=make_token(application, purpose))


def valid_until_text(purpose: str) -> str:
    return (utcnow() + valid_for(purpose)).astimezone(WARSAW).strftime("%d.%m.%Y %H:%M")


def application_for(token: str, purpose: str) -> Application:
    """The application the link is for, while the link may still be used."""
    max_age = int(valid_for(purpose).total_seconds())
    try:
        data = _serializer().loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise LinkError("expired") from exc
    except BadSignature as exc:
        raise LinkError("invalid") from exc
    if not isinstance(data, dict) or data.get("p") != purpose:
        raise LinkError("invalid")
    if data.get("t") != current_tenant.id:
        raise LinkError("other_tenant")
    application = db.session.get(Application, data.get("a"))
    if application is None or application.token_nonce != data.get("n") \
            or application.state != _STATE[purpose]:
        raise LinkError("used")
    return application
