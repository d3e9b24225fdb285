"""Language and time zone choice: Polish by default, English on request."""

from __future__ import annotations

from flask import current_app, has_request_context, request

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
