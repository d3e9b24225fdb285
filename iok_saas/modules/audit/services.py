from __future__ import annotations

from dataclasses import dataclass

from iok_saas.extensions import db

from .models import PlatformAuditEvent


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
