"""The operator's figures per tenant: accounts by state, sign-ins, e-mails, imports, queues.

The same grouped statements serve both pages. For one tenant's page they run inside
``tenant_scope(tenant)``, so the tenancy hook (and PostgreSQL's row-level security) admits
that tenant's rows only; for the platform page they run once inside ``cross_tenant`` and are
grouped by ``tenant_id``. The work queues are each feature's own counts and need the
tenant's policy, so they are counted tenant by tenant, in that tenant's scope.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import and_, case, func, or_, select

from iok_saas.extensions import db
from iok_saas.features import WorkQueue
from iok_saas.modules.accounts.models import ACTIVE, BLOCKED, STATES, ResidentAccount
from iok_saas.modules.imports.models import APPLIED, REJECTED, ImportRun
from iok_saas.modules.notifications.models import (
    FAILED,
    PENDING,
    SENDING,
    SENT,
    OutboxMessage,
)
from iok_saas.modules.portal.queues import queues_for
from iok_saas.modules.security.models import SIGNED_IN, SignInEvent
from iok_saas.tenancy import TenantSnapshot, cross_tenant, tenant_scope
from iok_saas.timeutil import as_utc, utcnow

WINDOW = timedelta(days=30)
RECENT_IMPORTS = 10


@dataclass
class TenantFigures:
    """What the console shows about one tenant (counts over the last WINDOW unless said)."""

    tenant: TenantSnapshot
    accounts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATES, 0))
    sign_ins: int = 0            # successful sign-ins (residents and staff)
    failed_sign_ins: int = 0     # wrong passwords or codes of known users
    emails_sent: int = 0
    emails_failed: int = 0       # given up after the last attempt
    emails_waiting: int = 0      # not sent yet, whatever their age
    imports_applied: int = 0
    imports_rejected: int = 0
    last_import_at: datetime | None = None
    queues: list[WorkQueue] = field(default_factory=list)  # the non-empty ones
    recent_imports: list[ImportRun] = field(default_factory=list)  # tenant page only

    @property
    def accounts_total(self) -> int:
        return sum(self.accounts.values())

    @property
    def active(self) -> int:
        return self.accounts[ACTIVE]

    @property
    def blocked(self) -> int:
        return self.accounts[BLOCKED]

    @property
    def queued(self) -> int:
        return sum(q.count for q in self.queues)

    @property
    def oldest_waiting(self) -> datetime | None:
        ages = [as_utc(q.oldest) for q in self.queues if q.oldest is not None]
        return min(ages) if ages else None


def tenant_overview(tenant: TenantSnapshot) -> TenantFigures:
    """One tenant's figures, read inside its own scope, with its latest imports."""
    with tenant_scope(tenant):
        figures = _figures([tenant])[tenant.id]
        figures.recent_imports = list(db.session.scalars(
            select(ImportRun).order_by(ImportRun.id.desc()).limit(RECENT_IMPORTS)))
        figures.queues = _open_queues(tenant)
    return figures


def platform_overview(tenants: list[TenantSnapshot]) -> list[TenantFigures]:
    """Every tenant's figures: one grouped statement per kind of figure across the
    platform, then each tenant's queues in its own scope."""
    with cross_tenant("operator console: the platform overview counts rows per tenant"):
        by_id = _figures(tenants)
    for tenant in tenants:
        with tenant_scope(tenant):
            by_id[tenant.id].queues = _open_queues(tenant)
    return [by_id[t.id] for t in tenants]


def _figures(tenants: list[TenantSnapshot]) -> dict[int, TenantFigures]:
    by_id = {t.id: TenantFigures(tenant=t) for t in tenants}
    since = utcnow() - WINDOW

    def each(statement):
        for tenant_id, *values in db.session.execute(statement):
            if tenant_id in by_id:
                yield by_id[tenant_id], values

    for figures, (state, count) in each(
            select(ResidentAccount.tenant_id, ResidentAccount.state, func.count())
            .group_by(ResidentAccount.tenant_id, ResidentAccount.state)):
        figures.accounts[state] = figures.accounts.get(state, 0) + count

    signed_in = SignInEvent.outcome == SIGNED_IN
    for figures, (good, bad) in each(
            select(SignInEvent.tenant_id, _count_if(signed_in), _count_if(~signed_in))
            .where(SignInEvent.at >= since).group_by(SignInEvent.tenant_id)):
        figures.sign_ins, figures.failed_sign_ins = good, bad

    sent = and_(OutboxMessage.state == SENT, OutboxMessage.sent_at >= since)
    failed = and_(OutboxMessage.state == FAILED, OutboxMessage.created_at >= since)
    waiting = OutboxMessage.state.in_((PENDING, SENDING))
    for figures, (n_sent, n_failed, n_waiting) in each(
            select(OutboxMessage.tenant_id, _count_if(sent), _count_if(failed),
                   _count_if(waiting))
            .where(or_(sent, failed, waiting)).group_by(OutboxMessage.tenant_id)):
        figures.emails_sent, figures.emails_failed, figures.emails_waiting = (
            n_sent, n_failed, n_waiting)

    for figures, (applied, rejected, last) in each(
            select(ImportRun.tenant_id, _count_if(ImportRun.status == APPLIED),
                   _count_if(ImportRun.status == REJECTED), func.max(ImportRun.created_at))
            .where(ImportRun.created_at >= since).group_by(ImportRun.tenant_id)):
        figures.imports_applied, figures.imports_rejected = applied, rejected
        figures.last_import_at = as_utc(last) if last else None
    return by_id


def _count_if(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _open_queues(tenant: TenantSnapshot) -> list[WorkQueue]:
    """The tenant's staff work queues that hold something (none while its policy is broken:
    the queues exist only through the policy)."""
    if tenant.policy is None:
        return []
    return [q for q in queues_for(SimpleNamespace(department=None)) if q.count]


# --- sorting the platform table ---------------------------------------------------------

def _name_key(f: TenantFigures):
    return f.tenant.short_name.casefold()


def _waiting_seconds(f: TenantFigures) -> float:
    oldest = f.oldest_waiting
    return (utcnow() - oldest).total_seconds() if oldest else 0.0


SORT_KEYS = {
    "name": _name_key,
    "status": lambda f: (f.tenant.suspended, f.tenant.misconfigured),
    "accounts": lambda f: f.accounts_total,
    "active": lambda f: f.active,
    "blocked": lambda f: f.blocked,
    "sign_ins": lambda f: f.sign_ins,
    "sent": lambda f: f.emails_sent,
    "failed": lambda f: f.emails_failed,
    "imports": lambda f: f.imports_applied,
    "rejected": lambda f: f.imports_rejected,
    "queued": lambda f: f.queued,
    "oldest": _waiting_seconds,
}
DEFAULT_SORT = "name"


def sort_figures(rows: list[TenantFigures], column: str | None,
                 direction: str | None) -> tuple[list[TenantFigures], str, str]:
    """Rows in the asked order (an unknown column or direction falls back to the name,
    ascending); ties keep the order of names. Returns the rows, column and direction used."""
    column = column if column in SORT_KEYS else DEFAULT_SORT
    direction = direction if direction in ("asc", "desc") else "asc"
    ordered = sorted(rows, key=_name_key)
    ordered.sort(key=SORT_KEYS[column], reverse=direction == "desc")
    return ordered, column, direction
