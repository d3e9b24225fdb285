from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from iok_saas.extensions import db
from iok_saas.tenancy import TenantScoped, colocated_key, referable_by_tenant
from iok_saas.timeutil import utcnow

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"   # gave up after MAX_ATTEMPTS; visible to staff and the operator


class OutboxMessage(TenantScoped, db.Model):
    """One e-mail, rendered when queued; ``delivery_key`` doubles as its Message-ID."""

    __table_args__ = (Index("ix_outbox_message_due", "state", "next_attempt_at"),
                      referable_by_tenant())

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_key: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    to_address: Mapped[str] = mapped_column(String(254))
    to_name: Mapped[str | None] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    # Loaded only when sent; written with the message (no flush needed to link them).
    attachments: Mapped[list[OutboxAttachment]] = relationship(order_by="OutboxAttachment.id")


class OutboxAttachment(TenantScoped, db.Model):
    """A file sent with an outbox message (e.g. a notice PDF), stored with it until sent."""

    __table_args__ = (colocated_key("message_id", "outbox_message"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)


class StaffTask(TenantScoped, db.Model):
    """Work for a department, e.g. phoning a resident who gave no e-mail address."""

    id: Mapped[int] = mapped_column(primary_key=True)
    department: Mapped[str] = mapped_column(String(40), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    details: Mapped[str] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]
    done_by: Mapped[str | None] = mapped_column(String(200))
