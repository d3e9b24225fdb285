"""Tenancy: which tenant a request, task or command runs for, and fail-closed scoping.

The whole public face is re-exported here; nothing outside this package re-implements it.
"""

from . import rls
from .context import (
    TenantRequired,
    cross_tenant,
    cross_tenant_active,
    current_tenant,
    current_tenant_or_none,
    require_tenant,
    tenant_scope,
)
from .directory import TenantDirectory, normalize_host
from .scoping import (
    TenantScoped,
    colocated_key,
    referable_by_tenant,
    tenant_id_column,
    tenant_table_names,
)
from .snapshot import ACTIVE, SUSPENDED, TenantSnapshot
from .urls import admin_url, site_url, tenant_url
from .web import (
    ADMIN_SITE,
    SESSION_SITE_KEY,
    TenantMisconfigured,
    TenantSuspended,
    UnknownHost,
    admin_only,
    any_site,
    directory,
    init_app,
    on_admin_site,
    site_key,
)

__all__ = [
    "ACTIVE", "ADMIN_SITE", "SESSION_SITE_KEY", "SUSPENDED", "TenantDirectory",
    "TenantMisconfigured", "TenantRequired", "TenantScoped", "TenantSnapshot",
    "TenantSuspended", "UnknownHost", "admin_only", "admin_url", "any_site", "colocated_key",
    "cross_tenant", "cross_tenant_active", "current_tenant", "current_tenant_or_none",
    "directory", "init_app", "normalize_host", "on_admin_site", "referable_by_tenant",
    "require_tenant", "rls", "site_key", "site_url", "tenant_id_column", "tenant_scope",
    "tenant_table_names", "tenant_url",
]
