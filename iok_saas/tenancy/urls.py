"""Absolute URLs on a tenant's canonical host, never on the request's Host header."""

from __future__ import annotations

from flask import current_app

from .context import require_tenant
from .snapshot import TenantSnapshot


def public_netloc(host: str) -> str:
    port = current_app.config.get("IOK_PUBLIC_PORT")
    return f"{host}:{port}" if port else host


def tenant_url(endpoint: str, tenant: TenantSnapshot | None = None, **values) -> str:
    """``url_for`` for e-mails and redirects that leave the current request's context."""
    tenant = tenant or require_tenant()
    return site_url(tenant.canonical_host, endpoint, **values)


def admin_url(endpoint: str, **values) -> str:
    return site_url(current_app.config["IOK_ADMIN_HOST"], endpoint, **values)


def site_url(host: str, endpoint: str, **values) -> str:
    adapter = current_app.url_map.bind(
        public_netloc(host), url_scheme=current_app.config["IOK_URL_SCHEME"]
    )
    return adapter.build(endpoint, values, force_external=True)
