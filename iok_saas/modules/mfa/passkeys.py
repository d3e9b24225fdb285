"""Passkeys (WebAuthn, verified by py_webauthn): registering one, using it as the second
step after the password, and signing in with it alone where the policy allows.

Every ceremony starts with a challenge kept server-side (``PasskeyChallenge``) and named in
the browser's session; answering deletes it, so each challenge is accepted at most once and
only from the browser that asked for it. The relying party is the host the page was served
from (a tenant's host, or the admin host) and the answer must come from that very origin.
Services stage changes; the view commits.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import request, session
from sqlalchemy import delete, select
from webauthn import (
    base64url_to_bytes,
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url, parse_authentication_credential_json
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from iok_saas.extensions import db
from iok_saas.modules.notifications.services import queue_email, render_notification
from iok_saas.modules.security import services as security
from iok_saas.tenancy import current_tenant_or_none, site_key
from iok_saas.timeutil import as_utc, utcnow

from . import services
from .models import OperatorPasskey, Passkey, PasskeyChallenge, PasskeyColumns
from .services import OPERATOR, RESIDENT

REGISTER, SECOND_STEP, SIGN_IN = "register", "second_step", "sign_in"
SECOND_FACTOR, PASSWORDLESS = "second_factor", "passwordless"
CHALLENGE_VALID = timedelta(minutes=5)
SESSION_KEY = "iok_passkey"
OPERATOR_RP_NAME = "IOK SaaS (operator)"


class PasskeyError(Exception):
    """A ceremony that did not verify (stale or reused challenge, wrong origin, bad
    signature), or a change that is not allowed."""


# --- the relying party and the challenges ----------------------------------------------------

# What py_webauthn's parsing and verifying raise on an answer a browser would never send: its
# own errors, and plain KeyError/TypeError/IndexError from a COSE key or CBOR map that lacks
# a field (seen: a key without "alg"). All mean "refused", never a 500.
MALFORMED = (WebAuthnException, ValueError, KeyError, TypeError, IndexError)


def _rp_id() -> str:
    return urlsplit(request.host_url).hostname or ""


def _origin() -> str:
    return f"{request.scheme}://{request.host}"


def _user_key(user) -> str | None:
    return user.get_id() if user is not None else None


def _issue(purpose: str, user) -> bytes:
    """A fresh challenge for ``purpose``, kept until answered or expired."""
    now = utcnow()
    db.session.execute(delete(PasskeyChallenge).where(PasskeyChallenge.expires_at < now))
    challenge = secrets.token_bytes(32)
    encoded = bytes_to_base64url(challenge)
    db.session.add(PasskeyChallenge(challenge=encoded, site=site_key(), purpose=purpose,
                                    user_key=_user_key(user),
                                    expires_at=now + CHALLENGE_VALID))
    session[SESSION_KEY] = {"c": encoded, "p": purpose}
    return challenge


def _take(purpose: str, user) -> bytes:
    """The challenge this browser was given for ``purpose``, consumed: a second answer to
    it finds nothing."""
    held = session.pop(SESSION_KEY, None)
    if not isinstance(held, dict) or held.get("p") != purpose:
        raise PasskeyError("no challenge")
    row = db.session.scalar(select(PasskeyChallenge).where(
        PasskeyChallenge.challenge == str(held.get("c")),
        PasskeyChallenge.site == site_key(), PasskeyChallenge.purpose == purpose))
    if row is None or row.user_key != _user_key(user):
        raise PasskeyError("no challenge")
    db.session.delete(row)
    if as_utc(row.expires_at) < utcnow():
        raise PasskeyError("expired")
    return base64url_to_bytes(row.challenge)


def _descriptors(rows: list[PasskeyColumns]) -> list[PublicKeyCredentialDescriptor]:
    known = {t.value for t in AuthenticatorTransport}
    return [PublicKeyCredentialDescriptor(
        id=row.credential_id,
        transports=[AuthenticatorTransport(t) for t in row.transports or [] if t in known])
        for row in rows]


# --- who may use passkeys --------------------------------------------------------------------

def passwordless_for(kind: str) -> bool:
    """Whether the login page of ``kind`` offers signing in with a passkey alone."""
    tenant = current_tenant_or_none()
    if tenant is None:
        return False
    rules = tenant.policy.second_factor
    if rules.passkeys != PASSWORDLESS:
        return False
    return kind != RESIDENT or rules.residents != services.OFF


# --- registration ----------------------------------------------------------------------------

def registration_options(user, account_label: str, display_name: str) -> str:
    """The JSON options for navigator.credentials.create()."""
    if not services.passkeys_allowed(user):
        raise PasskeyError("not allowed")
    tenant = current_tenant_or_none()
    options = generate_registration_options(
        rp_id=_rp_id(), rp_name=tenant.short_name if tenant else OPERATOR_RP_NAME,
        user_id=user.get_id().encode(), user_name=account_label,
        user_display_name=display_name, challenge=_issue(REGISTER, user),
        exclude_credentials=_descriptors(services.passkeys_of(user)),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED))
    return options_to_json(options)


def register(user, name: str, credential: str) -> PasskeyColumns:
    """Store the passkey the browser created for the challenge it was given."""
    if not services.passkeys_allowed(user):
        raise PasskeyError("not allowed")
    expected = _take(REGISTER, user)
    try:
        verified = verify_registration_response(
            credential=credential, expected_challenge=expected,
            expected_rp_id=_rp_id(), expected_origin=_origin())
    except MALFORMED as exc:
        raise PasskeyError("invalid") from exc
    if _find(verified.credential_id, services.kind_of(user)) is not None:
        raise PasskeyError("known")
    row = _new_row(user)
    row.name, row.credential_id = name.strip(), verified.credential_id
    row.public_key, row.sign_count = verified.credential_public_key, verified.sign_count
    row.transports, row.created_at = _transports(credential), utcnow()
    db.session.add(row)
    services.audit(user, "passkey.register", name=row.name)
    _tell(user, "passkey_added", row.name)
    return row


def _new_row(user) -> PasskeyColumns:
    if services.kind_of(user) == OPERATOR:
        return OperatorPasskey(operator_id=user.id)
    return Passkey(user_kind=services.kind_of(user), user_id=user.id)


def _transports(credential: str) -> list[str]:
    """The transports the browser reported (hints for later sign-ins), at most eight."""
    found = json.loads(credential).get("response", {}).get("transports")
    return [t[:20] for t in found if isinstance(t, str)][:8] if isinstance(found, list) else []


# --- the second step and the passwordless sign-in ---------------------------------------------

def authentication_options(user=None) -> str:
    """The JSON options for navigator.credentials.get(): ``user``'s passkeys after their
    password, or any passkey of this site (the browser offers its own) for a passwordless
    sign-in, which needs the authenticator to verify its user (PIN, fingerprint)."""
    if user is not None:
        options = generate_authentication_options(
            rp_id=_rp_id(), challenge=_issue(SECOND_STEP, user),
            allow_credentials=_descriptors(services.passkeys_of(user)),
            user_verification=UserVerificationRequirement.PREFERRED)
    else:
        options = generate_authentication_options(
            rp_id=_rp_id(), challenge=_issue(SIGN_IN, None),
            user_verification=UserVerificationRequirement.REQUIRED)
    return options_to_json(options)


@dataclass(frozen=True)
class Outcome:
    ok: bool
    locked_until: datetime | None = None


def verify_second_step(user, credential: str) -> Outcome:
    """A passkey of ``user`` answering their second-step challenge; a failure counts
    towards the same lock as wrong codes."""
    locked = services.locked_until(user)
    if locked is not None:
        return Outcome(False, locked)
    try:
        expected = _take(SECOND_STEP, user)
        row = _check(credential, expected, services.passkeys_of(user), needs_verified=False)
    except PasskeyError:
        check = services.note_failure(user)
        return Outcome(False, check.locked_until)
    services.note_success(user)
    services.audit(user, "passkey.second_step", name=row.name)
    return Outcome(True)


def passwordless_user(credential: str, kind: str) -> tuple[str, int]:
    """(kind, id) of the user whose passkey, verified with its PIN or fingerprint, answered
    this browser's sign-in challenge."""
    if not passwordless_for(kind):
        raise PasskeyError("not allowed")
    expected = _take(SIGN_IN, None)
    row = _find(_credential_id(credential), kind)
    if row is None:
        raise PasskeyError("unknown")
    _check(credential, expected, [row], needs_verified=True)
    return row.user_kind, row.user_id


def _credential_id(credential: str) -> bytes:
    try:
        return parse_authentication_credential_json(credential).raw_id
    except MALFORMED as exc:
        raise PasskeyError("invalid") from exc


def _check(credential: str, expected: bytes, rows: list[PasskeyColumns],
           needs_verified: bool) -> PasskeyColumns:
    """The row among ``rows`` that signed ``expected``; its counter and last use updated."""
    raw_id = _credential_id(credential)
    row = next((r for r in rows if bytes(r.credential_id) == raw_id), None)
    if row is None:
        raise PasskeyError("unknown")
    try:
        verified = verify_authentication_response(
            credential=credential, expected_challenge=expected,
            expected_rp_id=_rp_id(), expected_origin=_origin(),
            credential_public_key=bytes(row.public_key),
            credential_current_sign_count=row.sign_count or 0,
            require_user_verification=needs_verified)
    except MALFORMED as exc:
        raise PasskeyError("invalid") from exc
    row.sign_count, row.last_used_at = verified.new_sign_count, utcnow()
    return row


def _find(credential_id: bytes, kind: str) -> PasskeyColumns | None:
    if kind == OPERATOR:
        return db.session.scalar(select(OperatorPasskey).where(
            OperatorPasskey.credential_id == credential_id))
    return db.session.scalar(select(Passkey).where(
        Passkey.credential_id == credential_id, Passkey.user_kind == kind))


# --- removal ---------------------------------------------------------------------------------

def passkey_of(user, passkey_id: int) -> PasskeyColumns | None:
    """``user``'s own passkey ``passkey_id`` (None for anyone else's)."""
    return next((row for row in services.passkeys_of(user) if row.id == passkey_id), None)


def remove(user, passkey_id: int, password_ok: bool) -> str:
    """Remove one of ``user``'s passkeys after they re-entered their password; the owner
    is told by e-mail. Returns the removed passkey's name."""
    row = passkey_of(user, passkey_id)
    if row is None:
        raise PasskeyError("unknown")
    if not password_ok:
        raise PasskeyError("password")
    if services.required_for(user) and not services.has_totp(user) \
            and len(services.passkeys_of(user)) == 1:
        raise PasskeyError("last factor")
    db.session.delete(row)
    services.audit(user, "passkey.remove", name=row.name)
    _tell(user, "passkey_removed", row.name)
    return row.name


def _tell(user, event: str, name: str) -> None:
    """A passkey added or removed: the owner is told by e-mail (a new one matters most: it
    would let whoever holds a stolen session come back). Operators have no tenant outbox;
    the platform audit records their changes."""
    kind = services.kind_of(user)
    if kind == RESIDENT:
        security.tell(user, event, passkey=name)
    elif kind != OPERATOR and user.email:
        subject, text = render_notification(event, to_name=user.full_name,
                                             block_link=None, passkey=name)
        queue_email(event, user.email, user.full_name, subject, text)
