from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from iok_saas.extensions import db

from .models import AuditEvent, PlatformAuditEvent


@dataclass(frozen=True)
class Actor:
    """Who acts: an operator in the console, or a named CLI user."""

    label: str
    operator_id: int | None = None

    @classmethod
    def cli(cls, name: str = "cli") -> Actor:
        return cls(label=f"cli:{name}")


def record_platform_event(actor: Actor, action: str, *, tenant_id: int | None = None,
                          before: dict | None = None, after: dict | None = None) -> None:
    """Add the audit row to the caller's transaction (it commits with the change itself)."""
    db.session.add(PlatformAuditEvent(
        operator_id=actor.operator_id, actor=actor.label, action=action,
        tenant_id=tenant_id, before=before, after=after,
    ))


def record_event(actor: Actor | str, action: str, subject: object, *,
                 before: dict | None = None, after: dict | None = None) -> None:
    """A tenant-level audit row for ``subject`` (any model with an id), in the caller's
    transaction and the current tenant."""
    db.session.add(AuditEvent(
        actor=actor.label if isinstance(actor, Actor) else actor, action=action,
        subject_type=type(subject).__name__, subject_id=subject.id, before=before, after=after,
    ))


def events_of(subject: object, limit: int = 200) -> list[AuditEvent]:
    query = (select(AuditEvent)
             .where(AuditEvent.subject_type == type(subject).__name__,
                    AuditEvent.subject_id == subject.id)
             .order_by(AuditEvent.id.desc()).limit(limit))
    return list(db.session.scalars(query))
