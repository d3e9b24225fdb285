"""Blueprint registration and the template context every page shares."""

from __future__ import annotations

from flask import Flask
from flask_babel import get_locale

from .tenancy import admin_only, any_site, current_tenant_or_none, on_admin_site


def register_blueprints(app: Flask) -> None:
    from .modules.operator.blueprint import bp as operator_bp
    from .modules.public.blueprint import bp as public_bp
    from .modules.public.blueprint import site_bp

    app.register_blueprint(site_bp)
    app.register_blueprint(public_bp)
    app.register_blueprint(operator_bp, url_prefix="/operator")
    admin_only(app, operator_bp.name)
    any_site(app, site_bp.name)
    app.context_processor(_shell_context)
    app.jinja_env.globals["get_locale"] = get_locale


def _shell_context() -> dict:
    return {"tenant": current_tenant_or_none(), "on_admin_site": on_admin_site()}
