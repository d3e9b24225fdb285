"""Error pages: the platform's own for unknown hosts, the tenant's branded ones otherwise."""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, InternalServerError

from .tenancy import TenantMisconfigured, TenantSuspended, UnknownHost, current_tenant


def register_error_pages(app: Flask) -> None:
    app.register_error_handler(UnknownHost, _unknown_host)
    app.register_error_handler(TenantSuspended, _suspended)
    app.register_error_handler(TenantMisconfigured, _misconfigured)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)


def _unknown_host(_error):
    # No tenant here: render without any tenant branding.
    return render_template("errors/unknown_host.html"), 404


def _suspended(_error):
    return render_template("errors/suspended.html"), 503, {"Retry-After": "3600"}


def _misconfigured(_error):
    return render_template("errors/misconfigured.html",
                           problems=current_tenant.policy_errors), 503


_TITLES = {
    400: "Nieprawidłowe żądanie",
    403: "Brak dostępu",
    404: "Nie znaleziono strony",
    405: "Niedozwolona metoda",
    413: "Przesłany plik jest za duży",
    429: "Zbyt wiele prób",
    500: "Błąd serwera",
    503: "Usługa chwilowo niedostępna",
}


def _http_error(error: HTTPException):
    code = error.code or 500
    title = _(_TITLES.get(code, "Błąd"))
    return render_template("errors/error.html", code=code, title=title), code


def _unexpected(error: Exception):
    from flask import current_app

    current_app.logger.exception("unhandled error", exc_info=error)
    return _http_error(InternalServerError())
