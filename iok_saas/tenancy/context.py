"""Which tenant the current code runs for.

A context variable rather than ``flask.g`` so that the same scope works in requests, CLI
commands and Celery tasks alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import TYPE_CHECKING

from werkzeug.local import LocalProxy

if TYPE_CHECKING:
    from .snapshot import TenantSnapshot


class TenantRequired(RuntimeError):
    """Tenant data was touched with no tenant in scope: a bug, never a user error."""


_current: ContextVar[TenantSnapshot | None] = ContextVar("iok_current_tenant", default=None)
_cross_tenant_reason: ContextVar[str | None] = ContextVar("iok_cross_tenant", default=None)


def current_tenant_or_none() -> TenantSnapshot | None:
    return _current.get()


def require_tenant() -> TenantSnapshot:
    tenant = _current.get()
    if tenant is None:
        raise TenantRequired("no tenant in scope")
    return tenant


current_tenant: TenantSnapshot = LocalProxy(require_tenant)  # type: ignore[assignment]


def enter_tenant(tenant: TenantSnapshot | None) -> Token:
    return _current.set(tenant)


def leave_tenant(token: Token) -> None:
    _current.reset(token)


@contextmanager
def tenant_scope(tenant: TenantSnapshot) -> Iterator[TenantSnapshot]:
    """Run a block as ``tenant`` (CLI commands, Celery tasks, tests)."""
    token = _current.set(tenant)
    try:
        yield tenant
    finally:
        _current.reset(token)


@contextmanager
def cross_tenant(reason: str) -> Iterator[None]:
    """Explicitly marked platform code that may read or write every tenant's rows.

    Only the operator console, tenant sync and similar platform jobs use this; ``reason``
    documents why at the call site and shows up in errors.
    """
    if not reason:
        raise ValueError("cross_tenant() needs a reason")
    token = _cross_tenant_reason.set(reason)
    try:
        yield
    finally:
        _cross_tenant_reason.reset(token)


def cross_tenant_active() -> bool:
    return _cross_tenant_reason.get() is not None
