"""Self-service password recovery by e-mail link, for tenants whose policy chooses it.

The link is signed, expires after the policy's ``email_link_valid``, names its tenant (a
Gdynia link means nothing at Brzeg) and carries a fingerprint of the current password hash,
so it stops working the moment it has been used (or the password changed otherwise).
"""

from __future__ import annotations

import hashlib

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from iok_saas.extensions import db
from iok_saas.modules.housing.models import Person
from iok_saas.modules.notifications.services import queue_email, render_notification
from iok_saas.tenancy import current_tenant, tenant_url
from iok_saas.timeutil import WARSAW, utcnow

from .models import ACTIVE, MUST_CHANGE, ResidentAccount

SALT = "iok-password-recovery"


class RecoveryLinkError(Exception):
    """The link is tampered with, expired, used, or for another tenant."""


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _fingerprint(account: ResidentAccount) -> str:
    return hashlib.sha256((account.password_hash or "").encode()).hexdigest()[:20]


def make_link(account: ResidentAccount) -> str:
    token = _serializer().dumps({"t": current_tenant.id, "a": account.id,
                                 "h": _fingerprint(account)})
    return tenant_url("accounts.recover", token=token)


def request_link(login: str, email: str) -> None:
    """Send a link when login and e-mail belong together; say nothing either way."""
    account = db.session.scalar(
        select(ResidentAccount).join(Person, Person.id == ResidentAccount.person_id)
        .where(ResidentAccount.login == login.strip(),
               func.lower(Person.email) == email.strip().lower()))
    if account is None or account.state not in (ACTIVE, MUST_CHANGE):
        return
    valid = current_tenant.policy.recovery.email_link_valid
    until = (utcnow() + valid).astimezone(WARSAW).strftime("%d.%m.%Y %H:%M")
    person = account.person
    subject, text = render_notification("password_reset_link", to_name=person.full_name,
                                        link=make_link(account), valid_until=until)
    queue_email("password_reset_link", person.email, person.full_name, subject, text)


def account_for_link(token: str) -> ResidentAccount:
    max_age = int(current_tenant.policy.recovery.email_link_valid.total_seconds())
    try:
        data = _serializer().loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise RecoveryLinkError("expired") from exc
    except BadSignature as exc:
        raise RecoveryLinkError("invalid") from exc
    if data.get("t") != current_tenant.id:
        raise RecoveryLinkError("other_tenant")
    account = db.session.get(ResidentAccount, data.get("a"))
    if account is None or data.get("h") != _fingerprint(account) \
            or account.state not in (ACTIVE, MUST_CHANGE):
        raise RecoveryLinkError("used")
    return account
