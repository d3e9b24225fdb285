"""TOTP (RFC 6238) codes and recovery codes: pure functions, no database.

Codes are six digits over 30-second steps. One step either side of now is accepted, because
a phone's clock and the server's drift apart by a few seconds; a step is accepted at most
once (the caller keeps the last accepted step), so a code seen over a shoulder is useless.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime

import pyotp
import segno

from iok_saas.modules.auth.passwords import hash_password, verify_password

DIGITS = 6
STEP_SECONDS = 30
DRIFT_STEPS = 1
# Readable when copied from paper: no 0/O, 1/l/I.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_GROUPS = (4, 4, 4)  # 12 characters, about 59 bits


def new_secret() -> str:
    return pyotp.random_base32()


def step_at(moment: datetime) -> int:
    return int(moment.timestamp()) // STEP_SECONDS


def code_for_step(secret: str, step: int) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).generate_otp(step)


def matching_step(secret: str, code: str, now: datetime, after_step: int) -> int | None:
    """The step ``code`` belongs to, if it is within the drift around ``now`` and later
    than ``after_step`` (the last accepted one); None otherwise."""
    code = "".join(code.split())
    if len(code) != DIGITS or not code.isdigit():
        return None
    current = step_at(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if step > after_step and hmac.compare_digest(code_for_step(secret, step), code):
            return step
    return None


def looks_like_totp(code: str) -> bool:
    code = "".join(code.split())
    return len(code) == DIGITS and code.isdigit()


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=account, issuer_name=issuer)


def qr_svg(uri: str, title: str) -> str:
    """The URI as an inline SVG QR code (escaped by segno; safe to mark as markup)."""
    return segno.make(uri, error="m").svg_inline(scale=4, title=title)


def grouped_secret(secret: str) -> str:
    """The secret in groups of four, for typing it into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def new_recovery_codes(count: int) -> list[str]:
    return ["-".join("".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(size))
                     for size in _RECOVERY_GROUPS) for _ in range(count)]


def normalise_recovery_code(text: str) -> str:
    """What the resident typed, as the code was generated: lower case, dashes between groups."""
    bare = "".join(ch for ch in text.lower() if ch.isalnum())
    if len(bare) != sum(_RECOVERY_GROUPS):
        return ""
    parts, start = [], 0
    for size in _RECOVERY_GROUPS:
        parts.append(bare[start:start + size])
        start += size
    return "-".join(parts)


def hash_recovery_code(code: str) -> str:
    return hash_password(code)


def used_recovery_hash(hashes: list[str], typed: str) -> str | None:
    """The stored hash ``typed`` matches, if any (Argon2, like passwords)."""
    code = normalise_recovery_code(typed)
    if not code:
        return None
    return next((stored for stored in hashes if verify_password(stored, code)), None)
