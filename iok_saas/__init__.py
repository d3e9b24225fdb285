"""IOK SaaS: one multi-tenant resident portal for Polish housing cooperatives and managers."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from . import config as settings
from .routing import IokFlask


def create_app(config: dict | None = None) -> Flask:
    """Application factory: settings, extensions, tenancy, blueprints, CLI — nothing else."""
    app = IokFlask(__name__)
    from .security import install_converters
    install_converters(app)  # bounded <int:…> ids: before any rule is added
    app.config.update(settings.from_environment())
    app.config.update(config or {})
    Path(app.config["IOK_VAR_DIR"]).mkdir(parents=True, exist_ok=True)

    from .cli import register_cli
    from .errors import register_error_pages
    from .extensions import babel, bootstrap, csrf, db, limiter, login_manager, migrate
    from .features import load_models
    from .i18n import install_template_gettext, select_locale, select_timezone
    from .modules.tenants.services import load_snapshots, load_version
    from .observability import init_app as init_observability
    from .security import init_app as init_security
    from .tasks import celery_init_app
    from .tenancy import TenantDirectory
    from .tenancy import init_app as init_tenancy
    from .web import register_blueprints

    load_models()  # every feature's tables registered before anything queries
    db.init_app(app)
    migrate.init_app(app, db, directory=str(settings.REPO_ROOT / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    install_template_gettext(app)
    bootstrap.init_app(app)
    limiter.init_app(app)
    init_tenancy(app, TenantDirectory(load_snapshots, load_version,
                                      app.config["IOK_TENANT_CACHE_SECONDS"]))
    celery_init_app(app)
    register_blueprints(app)
    register_error_pages(app)
    init_security(app)
    init_observability(app)
    register_cli(app)
    return app
