"""Self-service links by e-mail: password recovery (``recovery.methods`` lists ``email``)
and lifting a failed-login lock (the failed_logins rule lists ``email_link``).

A link is signed (each kind with its own salt), expires after the policy's
``email_link_valid`` / ``blocking.unlock_link.valid``, names its tenant (a Gdynia link means
nothing at Brzeg) and carries a fingerprint of the account's current state, so it stops
working the moment it has been used (the password changed, the lock lifted).
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

from . import services
from .models import ACTIVE, MUST_CHANGE, ResidentAccount

SALT = "iok-password-recovery"
UNLOCK_SALT = "iok-unlock"


class RecoveryLinkError(Exception):
    """The link is tampered with, expired, used, or for another tenant."""


def _serializer(salt: str = SALT) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _fingerprint(account: ResidentAccount, *extra: object) -> str:
    material = "|".join(str(part) for part in (account.password_hash or "", *extra))
    return hashlib.sha256(material.encode()).hexdigest()[:20]


def _unlock_fingerprint(account: ResidentAccount) -> str:
    # An unlock changes the state or the reset mark, so a used link is dead.
    return _fingerprint(account, account.state, account.failures_reset_at)


def make_link(account: ResidentAccount) -> str:
    token = _serializer().dumps({"t": current_tenant.id, "a": account.id,
                                 "h": _fingerprint(account)})
    return tenant_url("accounts.recover", token=token)


def make_unlock_link(account: ResidentAccount) -> str:
    token = _serializer(UNLOCK_SALT).dumps({"t": current_tenant.id, "a": account.id,
                                            "h": _unlock_fingerprint(account)})
    return tenant_url("accounts.unlock", token=token)


def _account_with_email(login: str, email: str) -> ResidentAccount | None:
    return db.session.scalar(
        select(ResidentAccount).join(Person, Person.id == ResidentAccount.person_id)
        .where(ResidentAccount.login == login.strip(),
               func.lower(Person.email) == email.strip().lower()))


def request_unlock_link(login: str, email: str) -> None:
    """Send an unlock link when login and e-mail belong together and the account is locked
    after failed logins; say nothing either way."""
    account = _account_with_email(login, email)
    if account is None or not services.locked_out(account):
        return
    valid = current_tenant.policy.blocking.unlock_link.valid
    until = (utcnow() + valid).astimezone(WARSAW).strftime("%d.%m.%Y %H:%M")
    person = account.person
    rules = services.password_rules_text() \
        if current_tenant.policy.blocking.unlock_link.new_password else []
    subject, text = render_notification("unlock_link", to_name=person.full_name,
                                        link=make_unlock_link(account), valid_until=until,
                                        rules=rules)
    queue_email("unlock_link", person.email, person.full_name, subject, text)


def account_for_unlock_link(token: str) -> ResidentAccount:
    max_age = int(current_tenant.policy.blocking.unlock_link.valid.total_seconds())
    account, fingerprint = _account_for_token(token, UNLOCK_SALT, max_age)
    if fingerprint != _unlock_fingerprint(account) or not services.locked_out(account):
        raise RecoveryLinkError("used")
    return account


def _account_for_token(token: str, salt: str, max_age: int) -> tuple[ResidentAccount, str]:
    """The account a valid link names, with the fingerprint the link carries."""
    try:
        data = _serializer(salt).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise RecoveryLinkError("expired") from exc
    except BadSignature as exc:
        raise RecoveryLinkError("invalid") from exc
    if data.get("t") != current_tenant.id:
        raise RecoveryLinkError("other_tenant")
    account = db.session.get(ResidentAccount, data.get("a"))
    if account is None:
        raise RecoveryLinkError("used")
    return account, data.get("h")


def request_link(login: str, email: str) -> None:
    """Send a link when login and e-mail belong together; say nothing either way."""
    account = _account_with_email(login, email)
    if account is None or account.state not in (ACTIVE, MUST_CHANGE):
        return
    valid = current_tenant.policy.recovery.email_link_valid
    until = (utcnow() + valid).astimezone(WARSAW).strftime("%d.%m.%Y %H:%M")
    person = account.person
    subject, text = render_notification("password_reset_link", to_name=person.full_name,
                                        link=make_link(account), valid_until=until,
                                        rules=services.password_rules_text())
    queue_email("password_reset_link", person.email, person.full_name, subject, text)


def account_for_link(token: str) -> ResidentAccount:
    max_age = int(current_tenant.policy.recovery.email_link_valid.total_seconds())
    account, fingerprint = _account_for_token(token, SALT, max_age)
    if fingerprint != _fingerprint(account) or account.state not in (ACTIVE, MUST_CHANGE):
        raise RecoveryLinkError("used")
    return account
