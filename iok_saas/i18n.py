"""Language and time zone choice: Polish by default, English on request."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from flask import Flask, current_app, has_request_context, request
from flask_babel import get_locale, get_translations
from jinja2 import pass_context
from markupsafe import Markup

from .tenancy import current_tenant_or_none

LANGUAGE_COOKIE = "iok_lang"
K = TypeVar("K")


def select_locale() -> str:
    languages = current_app.config["IOK_LANGUAGES"]
    chosen = request.cookies.get(LANGUAGE_COOKIE) if has_request_context() else None
    if chosen in languages:
        return chosen
    tenant = current_tenant_or_none()
    return tenant.locale if tenant and tenant.locale in languages else languages[0]


def select_timezone() -> str:
    return "Europe/Warsaw"


CATALOGUE = "iok_catalogue"  # the template context's translations (install_template_gettext)
LANGUAGE = "iok_language"  # and its language code ("pl"), for filters such as |money


def _render_language() -> dict:
    locale = get_locale()
    return {CATALOGUE: get_translations(), LANGUAGE: locale.language if locale else None}


def translated(labels: Mapping[K, Any]) -> dict[K, str]:
    """A module's constant map of lazy labels as text in the current language, translated
    once per language: turning a lazy string into text looks the catalogue up each time."""
    key = (id(labels), str(get_locale()))
    kept = _translated.get(key)
    if kept is None or kept[0] is not labels:  # the map itself is kept, so its id stays its own
        kept = _translated[key] = (labels, {name: str(label) for name, label in labels.items()})
    return kept[1]


_translated: dict[tuple[int, str], tuple[Mapping, dict]] = {}


def install_template_gettext(app: Flask) -> None:
    """Templates' ``_()`` and ``ngettext()`` with the catalogue looked up once per render.

    Flask-Babel finds the catalogue again on every call (context, domain, locale name),
    about half the cost of a call, and a page makes dozens. A context processor puts the
    catalogue in each render's context instead, so a template rendered under
    ``force_locale`` (an e-mail in the tenant's language during an English request) still
    gets its own. ``_()``, by far the most used, is one function instead of Jinja's chain
    of three (alias, new-style wrapper, callable), with the same new-style behaviour:
    the text is escaped as Markup and always %-formatted with the keyword arguments."""
    app.context_processor(_render_language)

    def catalogue(context):
        return context.get(CATALOGUE) or get_translations()

    @pass_context
    def template_gettext(context, text: str, **variables) -> str:
        translation = catalogue(context).ugettext(text)
        if context.eval_ctx.autoescape:
            translation = Markup(translation)  # noqa: S704  (the catalogue's own text)
        # "%" formatting with no % in the text changes nothing: skip its cost.
        return translation % variables if variables or "%" in translation else translation

    app.jinja_env.install_gettext_callables(
        gettext=pass_context(lambda context, text: catalogue(context).ugettext(text)),
        ngettext=pass_context(lambda context, singular, plural, n: catalogue(
            context).ungettext(singular, plural, n)),
        newstyle=True,
        pgettext=pass_context(lambda context, msgctxt, text: catalogue(
            context).upgettext(msgctxt, text)),
        npgettext=pass_context(lambda context, msgctxt, singular, plural, n: catalogue(
            context).unpgettext(msgctxt, singular, plural, n)),
    )
    app.jinja_env.globals["_"] = template_gettext  # after the extension set its alias
