"""Second factors: one row per user who has (or is setting up) an authenticator app.

Tenant users (residents, staff) keep theirs in the tenant's scope like every other tenant
row; operators, who belong to no tenant, in a platform table with the same columns.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from iok_saas.extensions import db
from iok_saas.tenancy import TenantScoped
from iok_saas.timeutil import utcnow


def new_device_key() -> str:
    return secrets.token_hex(16)


class FactorColumns:
    """What a second factor keeps, whoever it belongs to."""

    # The confirmed TOTP secret (base32); None while the first set-up is unfinished.
    secret: Mapped[str | None] = mapped_column(String(64))
    # A secret shown for scanning but not yet confirmed by a code from the app.
    pending_secret: Mapped[str | None] = mapped_column(String(64))
    confirmed_at: Mapped[datetime | None]
    # The last 30-second step a code was accepted for: a code is never accepted twice.
    last_step: Mapped[int] = mapped_column(BigInteger, default=0)
    # Argon2 hashes of the unused recovery codes; a used code's hash is removed.
    recovery_hashes: Mapped[list] = mapped_column(JSON, default=list)
    # Wrong codes in a row, and the lock they caused.
    failures: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    # Remembered-device tokens carry this key; a new key forgets every remembered device.
    device_key: Mapped[str] = mapped_column(String(32), default=new_device_key)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def active(self) -> bool:
        return self.secret is not None


class SecondFactor(FactorColumns, TenantScoped, db.Model):
    """A resident's or staff member's second factor (``user_kind`` as in auth.models)."""

    __table_args__ = (UniqueConstraint("tenant_id", "user_kind", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_kind: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int]


class OperatorSecondFactor(FactorColumns, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(
        ForeignKey("operator.id", ondelete="CASCADE"), unique=True)


class PasskeyColumns:
    """A registered passkey (WebAuthn credential), whoever it belongs to."""

    name: Mapped[str] = mapped_column(String(60))
    # The credential id and the COSE public key, as the authenticator gave them.
    credential_id: Mapped[bytes] = mapped_column(LargeBinary(1024))
    public_key: Mapped[bytes] = mapped_column(LargeBinary(2048))
    # The authenticator's signature counter (0 for authenticators that keep none).
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)
    transports: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]


class Passkey(PasskeyColumns, TenantScoped, db.Model):
    """A resident's or staff member's passkey, valid on their tenant's host."""

    __table_args__ = (UniqueConstraint("tenant_id", "credential_id"),
                      Index("ix_passkey_user", "tenant_id", "user_kind", "user_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_kind: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int]


class OperatorPasskey(PasskeyColumns, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(
        ForeignKey("operator.id", ondelete="CASCADE"), index=True)
    credential_id: Mapped[bytes] = mapped_column(LargeBinary(1024), unique=True)


class PasskeyChallenge(db.Model):
    """A challenge handed to the browser for one ceremony; deleted when answered, so an
    answer is accepted at most once. Platform-wide: the admin host has no tenant, and a
    passwordless sign-in has no user yet; ``site`` binds it to where it was issued."""

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge: Mapped[str] = mapped_column(String(100), unique=True)
    site: Mapped[str] = mapped_column(String(40))
    purpose: Mapped[str] = mapped_column(String(16))
    # "resident:12" for a known user; None for a passwordless sign-in.
    user_key: Mapped[str | None] = mapped_column(String(40))
    expires_at: Mapped[datetime] = mapped_column(index=True)
