"""Blueprint registration and the template context every page shares."""

from __future__ import annotations

from flask import Flask
from flask_babel import get_locale, lazy_gettext

from .extensions import login_manager
from .tenancy import admin_only, any_site, current_tenant_or_none, on_admin_site


def register_blueprints(app: Flask) -> None:
    from .modules.accounts.blueprint import bp as accounts_bp
    from .modules.accounts.blueprint import first_login_gate
    from .modules.backoffice.blueprint import bp as backoffice_bp
    from .modules.enrolment.blueprint import bp as enrolment_bp
    from .modules.enrolment.staff_blueprint import bp as enrolment_staff_bp
    from .modules.notifications.blueprint import bp as notifications_bp
    from .modules.operator.blueprint import bp as operator_bp
    from .modules.public.blueprint import bp as public_bp
    from .modules.public.blueprint import site_bp
    from .modules.staff.blueprint import bp as staff_bp

    app.register_blueprint(site_bp)
    app.register_blueprint(public_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(staff_bp, url_prefix="/staff")
    app.register_blueprint(backoffice_bp, url_prefix="/staff")
    app.register_blueprint(enrolment_bp)
    app.register_blueprint(enrolment_staff_bp, url_prefix="/staff/wnioski")
    app.before_request(first_login_gate)
    app.register_blueprint(operator_bp, url_prefix="/operator")
    app.register_blueprint(notifications_bp, url_prefix="/operator/poczta")
    admin_only(app, operator_bp.name, notifications_bp.name)
    any_site(app, site_bp.name)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = lazy_gettext("Zaloguj się, aby zobaczyć tę stronę.")
    login_manager.login_message_category = "info"
    app.context_processor(_shell_context)
    app.jinja_env.globals["get_locale"] = get_locale


def _shell_context() -> dict:
    return {"tenant": current_tenant_or_none(), "on_admin_site": on_admin_site()}
