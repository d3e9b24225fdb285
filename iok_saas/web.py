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
from .features import ADMIN_SITE, ANY_SITE, load_features
from .i18n import LANGUAGE
from .modules.auth.guards import current_staff
from .modules.portal import resident_nav, staff_nav
from .tenancy import admin_only, any_site, current_tenant_or_none, on_admin_site

ROW_ID_MAX = 2**31 - 1  # the largest id of an integer primary key in PostgreSQL


class RowIdConverter(IntegerConverter):
    """Every route's ``<int:…>``: an id no larger than a table's key can be, so that a
    larger number in a URL is a plain 404, not an out-of-range error from PostgreSQL."""

    def __init__(self, url_map, *args, **kwargs) -> None:
        kwargs.setdefault("max", ROW_ID_MAX)
        super().__init__(url_map, *args, **kwargs)


def register_blueprints(app: Flask) -> None:
    """Every feature's blueprints where it declares them (iok_saas.features), then the
    login manager's wording and the template context every page shares."""
    app.url_map.converters["int"] = RowIdConverter  # before any route is added
    registry = load_features()
    sites: dict[str, list[str]] = {ADMIN_SITE: [], ANY_SITE: []}
    for feature in registry:
        for mount in feature.mounts:
            blueprint = feature.resolve(mount.blueprint)
            app.register_blueprint(blueprint, url_prefix=mount.url_prefix)
            sites.get(mount.site, []).append(blueprint.name)
    admin_only(app, *sites[ADMIN_SITE])
    any_site(app, *sites[ANY_SITE])
    for _feature, install in registry.each("setup"):
        install(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = lazy_gettext("Zaloguj się, aby zobaczyć tę stronę.")
    login_manager.login_message_category = "info"
    app.context_processor(_shell_context)
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.filters["money"] = _money_filter
    # `|strftime('%d.%m.%Y')`: a filter is a plain call, a method call in a template goes
    # through Jinja's Context.call (a statement prints two dates a line).
    app.jinja_env.filters["strftime"] = _strftime


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
    tenant = current_tenant_or_none()
    shell = {"tenant": tenant, "on_admin_site": on_admin_site(),
             "resident_nav": resident_nav, "staff_nav": staff_nav}
    if tenant is not None:
        # What every staff page's layout reads (navigation, signed-in member).
        shell.update(member=current_staff(), department_name=tenant.department_name,
                     batch_available=tenant.policy is not None
                     and tenant.policy.enrolment.manager_creates)
    return shell
