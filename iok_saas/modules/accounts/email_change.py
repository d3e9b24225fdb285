"""A resident changes their e-mail address themselves.

The current password is asked again; the new address gets a link (a random token, stored
only as its SHA-256, single use, valid ``IOK_EMAIL_CHANGE_VALID``, 24 hours by default) and
the old address is told at once, with the link that blocks the account where the policy
lets residents block their own. The address changes only when the link is opened and
confirmed — signed in or not, on any device: the password proved the request, the link
proves the new mailbox — and the old address is told again. A newer request, a block, or
any other change of the address (the office applying a correction) voids a waiting link.

Services stage changes; the caller commits.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.audit.services import record_event
from iok_saas.modules.auth.passwords import verify_password
from iok_saas.modules.notifications.services import queue_email, render_notification
from iok_saas.modules.security.services import tell
from iok_saas.tenancy import tenant_url
from iok_saas.timeutil import WARSAW, as_utc, utcnow

from .models import ACTIVE, EmailChange, ResidentAccount
from .services import get_account, void_email_changes

DEFAULT_VALID = timedelta(hours=24)


class EmailChangeError(Exception):
    """A request or link that cannot be honoured; ``code`` names why."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def valid_for() -> timedelta:
    return current_app.config.get("IOK_EMAIL_CHANGE_VALID", DEFAULT_VALID)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _same(one: str | None, other: str | None) -> bool:
    return (one or "").strip().lower() == (other or "").strip().lower()


def request_change(account: ResidentAccount, password: str, new_email: str) -> EmailChange:
    """Check the password, void any waiting request, e-mail the link to the new address
    and tell the old one. EmailChangeError("password") or ("same")."""
    if not verify_password(account.password_hash, password):
        raise EmailChangeError("password")
    person = account.person
    new_email = new_email.strip()
    if _same(person.email, new_email):
        raise EmailChangeError("same")
    void_email_changes(account)
    token = secrets.token_urlsafe(32)
    change = EmailChange(account_id=account.id, token_hash=_digest(token),
                         old_email=person.email, new_email=new_email,
                         expires_at=utcnow() + valid_for())
    db.session.add(change)
    db.session.flush()
    record_event(f"resident:{account.login}", "account.email_change_requested", account,
                 before={"email": person.email}, after={"new_email": new_email})
    until = as_utc(change.expires_at).astimezone(WARSAW).strftime("%d.%m.%Y %H:%M")
    subject, text = render_notification(
        "email_change_confirm", to_name=person.full_name, valid_until=until,
        link=tenant_url("accounts.confirm_email_change", token=token))
    queue_email("email_change_confirm", new_email, person.full_name, subject, text)
    tell(account, "email_change_requested", new_email=new_email)
    return change


def waiting_change(account: ResidentAccount) -> EmailChange | None:
    """The account's request still waiting for its link, if any."""
    change = db.session.scalar(
        select(EmailChange).where(EmailChange.account_id == account.id,
                                  EmailChange.confirmed_at.is_(None),
                                  EmailChange.voided_at.is_(None))
        .order_by(EmailChange.id.desc()).limit(1))
    if change is None or as_utc(change.expires_at) <= utcnow() \
            or not _same(account.person.email, change.old_email):
        return None       # expired, or the office changed the address since: the link is dead
    return change


def change_for_link(token: str) -> tuple[EmailChange, ResidentAccount]:
    """The request and account a link confirms, while it may still be used:
    EmailChangeError("invalid"), ("used") or ("expired") otherwise."""
    change = db.session.scalar(select(EmailChange)
                               .where(EmailChange.token_hash == _digest(token)))
    if change is None:
        raise EmailChangeError("invalid")
    account = get_account(change.account_id)
    if change.confirmed_at is not None or change.voided_at is not None \
            or account is None or account.state != ACTIVE \
            or not _same(account.person.email, change.old_email):
        raise EmailChangeError("used")
    if as_utc(change.expires_at) <= utcnow():
        raise EmailChangeError("expired")
    return change, account


def confirm_change(change: EmailChange, account: ResidentAccount) -> None:
    """Put the new address on the person (the link has been checked by change_for_link)
    and tell the old address it is no longer the account's."""
    person = account.person
    old = person.email
    person.email = change.new_email
    change.confirmed_at = utcnow()
    record_event(f"resident:{account.login}", "account.email_changed", account,
                 before={"email": old}, after={"email": change.new_email})
    if old:
        tell(account, "email_changed", to_email=old, new_email=change.new_email)
