"""Blueprint registration and the template context every page shares."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import lru_cache

from flask import Flask
from flask_babel import format_currency, get_locale, lazy_gettext
from jinja2 import pass_context
from werkzeug.routing import IntegerConverter

from .extensions import login_manager
from .i18n import LANGUAGE
from .tenancy import admin_only, any_site, current_tenant_or_none, on_admin_site

ROW_ID_MAX = 2**31 - 1  # the largest id of an integer primary key in PostgreSQL


class RowIdConverter(IntegerConverter):
    """Every route's ``<int:…>``: an id no larger than a table's key can be, so that a
    larger number in a URL is a plain 404, not an out-of-range error from PostgreSQL."""

    def __init__(self, url_map, *args, **kwargs) -> None:
        kwargs.setdefault("max", ROW_ID_MAX)
        super().__init__(url_map, *args, **kwargs)


def register_blueprints(app: Flask) -> None:
    app.url_map.converters["int"] = RowIdConverter  # before any route is added
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

    _register_portal(app)
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
    app.jinja_env.filters["money"] = _money_filter
    # `|strftime('%d.%m.%Y')`: a filter is a plain call, a method call in a template goes
    # through Jinja's Context.call (a statement prints two dates a line).
    app.jinja_env.filters["strftime"] = _strftime


# (feature module, URL prefix of its resident pages, URL prefix of its staff desk)
PORTAL_MODULES = (
    ("ledger", "/konto/saldo", None),
    ("meters", "/konto/wodomierze", "/staff/odczyty"),
    ("faults", "/konto/usterki", "/staff/usterki"),
    ("occupants", "/konto/liczba-osob", "/staff/liczba-osob"),
    ("announcements", "/konto/ogloszenia", "/staff/ogloszenia"),
    ("contact", "/konto/dane", "/staff/korekty-danych"),
    ("records", "/konto", None),
    ("imports", None, "/staff/import"),
    ("documents", "/konto/dokumenty", "/staff/dokumenty"),
)


def _register_portal(app: Flask) -> None:
    from importlib import import_module

    from .modules.imports.api import bp as api_bp

    for name, resident_prefix, staff_prefix in PORTAL_MODULES:
        if resident_prefix:
            module = import_module(f".modules.{name}.blueprint", __package__)
            app.register_blueprint(module.bp, url_prefix=resident_prefix)
        if staff_prefix:
            module = import_module(f".modules.{name}.staff_blueprint", __package__)
            app.register_blueprint(module.bp, url_prefix=staff_prefix)
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    from .modules.documents.public_blueprint import bp as documents_public_bp

    app.register_blueprint(documents_public_bp, url_prefix="/dokumenty")


def format_money(amount, language: str | None = None) -> str:
    """A Decimal amount in złoty, in ``language`` or the page's ("1 234,50 zł").

    Polish, every tenant's language, is written directly: Babel's general formatter costs
    ~50 µs an amount and a statement shows hundreds (tests compare the two)."""
    if (language or get_locale().language) == "pl":
        return polish_money(amount)
    return format_currency(amount, "PLN")


@pass_context
def _money_filter(context, amount) -> str:
    """``|money``: the render's context carries its language (i18n.LANGUAGE), which spares
    a locale lookup per amount."""
    return format_money(amount, context.get(LANGUAGE))


def _strftime(moment, pattern: str) -> str:
    """Statements print the same few hundred days again and again, so days are memoised;
    other values are not (equal aware datetimes in two zones would share one answer)."""
    if type(moment) is date:
        return _day_strftime(moment, pattern)
    return moment.strftime(pattern)


@lru_cache(maxsize=4096)
def _day_strftime(day: date, pattern: str) -> str:
    return day.strftime(pattern)


@lru_cache(maxsize=8192)
def polish_money(amount) -> str:
    """"-1 234,50 zł" with no-break spaces, as Babel's pl locale formats PLN."""
    amount = Decimal(amount).quantize(Decimal("0.01"))
    whole, fraction = f"{abs(amount):.2f}".split(".")
    grouped = f"{int(whole):,}".replace(",", "\u00a0")
    return f"{'-' if amount < 0 else ''}{grouped},{fraction}\u00a0zł"


def _shell_context() -> dict:
    from .modules.portal import resident_nav, staff_nav
    from .modules.staff.blueprint import current_staff

    tenant = current_tenant_or_none()
    shell = {"tenant": tenant, "on_admin_site": on_admin_site(),
             "resident_nav": resident_nav, "staff_nav": staff_nav}
    if tenant is not None:
        # What every staff page's layout reads (navigation, signed-in member).
        shell.update(member=current_staff(), department_name=tenant.department_name,
                     batch_available=tenant.policy is not None
                     and tenant.policy.enrolment.manager_creates)
    return shell
