"""Per-request site resolution: the admin host, a tenant's host, or nothing we serve."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask, current_app, g, request, session
from werkzeug.exceptions import NotFound, ServiceUnavailable

from .context import current_tenant_or_none, enter_tenant, leave_tenant
from .directory import TenantDirectory, normalize_host
from .snapshot import TenantSnapshot

ADMIN_SITE = "admin"
SESSION_SITE_KEY = "iok_site"


class UnknownHost(NotFound):
    """No tenant answers to this host name."""


class TenantSuspended(ServiceUnavailable):
    """The operator suspended this tenant."""


class TenantMisconfigured(ServiceUnavailable):
    """This tenant's policy or manifest does not validate; other tenants keep serving."""


@dataclass
class TenancyState:
    directory: TenantDirectory
    admin_blueprints: set[str] = field(default_factory=set)
    any_site_blueprints: set[str] = field(default_factory=set)


def init_app(app: Flask, directory: TenantDirectory) -> None:
    app.extensions["iok_tenancy"] = TenancyState(directory)
    # First in line: everything after it may rely on the site being known.
    app.before_request_funcs.setdefault(None, []).insert(0, _resolve_site)
    app.teardown_request(_leave_site)


def admin_only(app: Flask, *blueprint_names: str) -> None:
    """Blueprints served on the admin host only (404 on tenant hosts)."""
    app.extensions["iok_tenancy"].admin_blueprints.update(blueprint_names)


def any_site(app: Flask, *blueprint_names: str) -> None:
    """Blueprints served on the admin host and tenant hosts alike.

    Every other blueprint is tenant-only and answers 404 on the admin host.
    """
    app.extensions["iok_tenancy"].any_site_blueprints.update(blueprint_names)


def directory() -> TenantDirectory:
    return current_app.extensions["iok_tenancy"].directory


def on_admin_site() -> bool:
    return g.get("iok_site") == ADMIN_SITE


def site_key() -> str:
    """What a login binds its session to: the admin site or one tenant."""
    tenant = current_tenant_or_none()
    return f"tenant:{tenant.id}" if tenant else ADMIN_SITE


def _resolve_site() -> None:
    if request.endpoint is not None and request.endpoint.rpartition(".")[2] == "static":
        return  # public assets (ours and Bootstrap's) need no site
    state: TenancyState = current_app.extensions["iok_tenancy"]
    host = normalize_host(request.host)
    if host == current_app.config["IOK_ADMIN_HOST"]:
        g.iok_site = ADMIN_SITE
        _drop_foreign_session()
        if request.blueprint not in state.admin_blueprints | state.any_site_blueprints:
            raise NotFound()
        return
    tenant = state.directory.resolve(host)
    if tenant is None:
        raise UnknownHost()
    g.iok_tenant_token = enter_tenant(tenant)
    g.iok_site = f"tenant:{tenant.id}"
    _drop_foreign_session()
    _refuse_unservable(tenant)
    if request.blueprint in state.admin_blueprints:
        raise NotFound()


def _refuse_unservable(tenant: TenantSnapshot) -> None:
    if tenant.suspended:
        raise TenantSuspended()
    if tenant.misconfigured:
        raise TenantMisconfigured()


def _drop_foreign_session() -> None:
    """A session minted on another site (a copied cookie) is worth nothing here."""
    if current_app.config["SESSION_COOKIE_NAME"] not in request.cookies:
        return  # anonymous visitor: leave the session untouched (no Vary: Cookie)
    bound = session.get(SESSION_SITE_KEY)
    if bound is not None and bound != g.iok_site:
        session.clear()


def _leave_site(_exc: BaseException | None) -> None:
    token = g.pop("iok_tenant_token", None)
    if token is not None:
        leave_tenant(token)
