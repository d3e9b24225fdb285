"""Language and time zone choice: Polish by default, English on request."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from flask import Flask, current_app, has_request_context, request
from flask_babel import get_locale, get_translations
from jinja2 import pass_context
from jinja2.ext import Extension
from jinja2.lexer import (
    TOKEN_COMMA,
    TOKEN_DOT,
    TOKEN_LPAREN,
    TOKEN_NAME,
    TOKEN_PIPE,
    TOKEN_RPAREN,
    TOKEN_STRING,
    Token,
)
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
TEXTS = "iok_texts"  # and its constant texts, translated once (TemplateTexts)


def _render_language() -> dict:
    locale = get_locale()
    catalogue = get_translations()
    return {CATALOGUE: catalogue, LANGUAGE: locale.language if locale else None,
            TEXTS: _constant_texts(catalogue)}


def _catalogue(context):
    """The render's catalogue (the context processor's keys are in every render's parent
    context); a macro imported without context has none: the request's."""
    return context.parent.get(CATALOGUE) or get_translations()


@pass_context
def template_gettext(context, text: str, **variables) -> str:
    """Templates' ``_()`` with Jinja's new-style rules: the translation is Markup where the
    template autoescapes (the variables are escaped, not the catalogue's own text) and is
    always %-formatted with the keyword arguments."""
    translation = _catalogue(context).ugettext(text)
    if context.eval_ctx.autoescape:
        translation = Markup(translation)  # noqa: S704  (the catalogue's own text)
    # "%" formatting with no % in the text changes nothing: skip its cost.
    return translation % variables if variables or "%" in translation else translation


class _TranslatedTexts(dict):
    """Constant texts of one catalogue as ``_()`` shows them, translated on first use."""

    def __init__(self, catalogue, markup: bool):
        super().__init__()
        self.catalogue, self.markup = catalogue, markup

    def __missing__(self, text: str) -> str:
        translation = self.catalogue.ugettext(text)
        if "%" in translation:  # new-style gettext always formats: "%%" shows as "%"
            translation = translation % {}
        shown = self[text] = Markup(translation) if self.markup else translation  # noqa: S704
        return shown


_texts_by_catalogue: WeakKeyDictionary = WeakKeyDictionary()


def _constant_texts(catalogue) -> tuple[_TranslatedTexts, _TranslatedTexts]:
    """The catalogue's texts for templates without autoescaping [0] and with it [1]."""
    texts = _texts_by_catalogue.get(catalogue)
    if texts is None:
        texts = _texts_by_catalogue[catalogue] = (_TranslatedTexts(catalogue, False),
                                                  _TranslatedTexts(catalogue, True))
    return texts


@pass_context
def _constant_text(context, text: str) -> str:
    """``_("text")`` as TemplateTexts compiles it (see template_gettext for the rules)."""
    texts = context.parent.get(TEXTS) or _constant_texts(get_translations())
    return texts[1 if context.eval_ctx.autoescape else 0][text]


class TemplateTexts(Extension):
    """Compiles ``_("text")`` and ``_("text", name=value)`` (a string literal first) to
    filters: ``("text"|iok_text)`` and ``("text"|iok_gettext(name=value))``.

    Jinja makes every call in a template through ``Context.call``, which inspects the
    callee each time; a filter is a plain call. A page shows dozens of translated labels,
    and the constant ones are translated once per language. The source keeps ``_()``, so
    pybabel extracts the same messages; any other ``_()`` (a variable's text) stays a call
    of ``template_gettext``, with the same result."""

    CONSTANT, FORMATTED = "iok_text", "iok_gettext"

    def __init__(self, environment):
        super().__init__(environment)
        environment.filters[self.CONSTANT] = _constant_text
        environment.filters[self.FORMATTED] = template_gettext

    def filter_stream(self, stream):
        tokens = list(stream)
        closes_twice: set[int] = set()  # rparens that must close a group we opened too
        index = 0
        while index < len(tokens):
            end = _end_of_text_call(tokens, index)
            if end is None:
                yield tokens[index]
                if index in closes_twice:
                    yield Token(tokens[index].lineno, TOKEN_RPAREN, ")")
                index += 1
                continue
            lparen, text, after = tokens[index + 1:index + 4]
            yield from (lparen, text, Token(text.lineno, TOKEN_PIPE, "|"))
            if end == index + 3:  # _ ( "text" )  ->  ( "text" | iok_text )
                yield from (Token(text.lineno, TOKEN_NAME, self.CONSTANT), after)
            else:  # _ ( "text" , args )  ->  ( "text" | iok_gettext ( args ) )
                yield from (Token(text.lineno, TOKEN_NAME, self.FORMATTED),
                            Token(text.lineno, TOKEN_LPAREN, "("))
                closes_twice.add(end)
            index += 4


def _end_of_text_call(tokens: list[Token], index: int) -> int | None:
    """Where ``_("text" …)`` starting at ``index`` ends (its closing parenthesis), or None
    when the tokens there are anything else (``obj._(…)``, ``_(variable)``, unbalanced)."""
    if (tokens[index].type != TOKEN_NAME or tokens[index].value != "_"
            or (index and tokens[index - 1].type == TOKEN_DOT)
            or [t.type for t in tokens[index + 1:index + 3]] != [TOKEN_LPAREN, TOKEN_STRING]
            or index + 3 >= len(tokens)):
        return None
    if tokens[index + 3].type == TOKEN_RPAREN:
        return index + 3
    if tokens[index + 3].type != TOKEN_COMMA:
        return None
    depth = 0
    for position in range(index + 1, len(tokens)):
        depth += {TOKEN_LPAREN: 1, TOKEN_RPAREN: -1}.get(tokens[position].type, 0)
        if depth == 0:
            return position
    return None


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
    """Templates' ``_()``, ``gettext()`` and ``ngettext()`` with the catalogue looked up
    once per render.

    Flask-Babel finds the catalogue again on every call (context, domain, locale name),
    about half the cost of a call, and a page makes dozens. A context processor puts the
    catalogue in each render's context instead, so a template rendered under
    ``force_locale`` (an e-mail in the tenant's language during an English request) still
    gets its own. ``_()``, by far the most used, is compiled to filters (TemplateTexts)."""
    app.context_processor(_render_language)
    app.jinja_env.install_gettext_callables(
        gettext=pass_context(lambda context, text: _catalogue(context).ugettext(text)),
        ngettext=pass_context(lambda context, singular, plural, n: _catalogue(
            context).ungettext(singular, plural, n)),
        newstyle=True,
        pgettext=pass_context(lambda context, msgctxt, text: _catalogue(
            context).upgettext(msgctxt, text)),
        npgettext=pass_context(lambda context, msgctxt, singular, plural, n: _catalogue(
            context).unpgettext(msgctxt, singular, plural, n)),
    )
    app.jinja_env.globals["_"] = template_gettext  # after the extension set its alias
    app.jinja_env.add_extension(TemplateTexts)
