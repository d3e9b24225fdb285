"""Language and time zone choice: Polish by default, English on request."""

from __future__ import annotations

from flask import Flask, current_app, g, has_request_context, request
from flask_babel import get_locale, get_translations

from .tenancy import current_tenant_or_none

LANGUAGE_COOKIE = "iok_lang"


def select_locale() -> str:
    languages = current_app.config["IOK_LANGUAGES"]
    chosen = request.cookies.get(LANGUAGE_COOKIE) if has_request_context() else None
    if chosen in languages:
        return chosen
    tenant = current_tenant_or_none()
    return tenant.locale if tenant and tenant.locale in languages else languages[0]


def select_timezone() -> str:
    return "Europe/Warsaw"


def install_template_gettext(app: Flask) -> None:
    """Templates' ``_()`` and ``ngettext()`` with the request's translations kept at hand.

    Flask-Babel finds the catalogue again on every call (context, domain, locale name),
    about half the cost of a call, and a page makes dozens. The catalogue is kept per
    locale object, so ``force_locale`` (an e-mail rendered in the tenant's language
    during a request) still gets its own."""

    def translations():
        locale = get_locale()
        kept = g.get("iok_translations")
        if kept is None or kept[0] is not locale:
            kept = g.iok_translations = (locale, get_translations())
        return kept[1]

    app.jinja_env.install_gettext_callables(
        gettext=lambda text: translations().ugettext(text),
        ngettext=lambda singular, plural, n: translations().ungettext(singular, plural, n),
        newstyle=True,
        pgettext=lambda context, text: translations().upgettext(context, text),
        npgettext=lambda context, singular, plural, n: translations().unpgettext(
            context, singular, plural, n),
    )
