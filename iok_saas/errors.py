"""Error pages: the platform's own for unknown hosts, the tenant's branded ones otherwise."""

from __future__ import annotations

import contextlib

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from markupsafe import escape
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.exceptions import NotFound as HTTPNotFound

from .domain import NotFound
from .forms import UnsafeQuery
from .modules.auth.guards import current_staff
from .tenancy import TenantMisconfigured, TenantSuspended, UnknownHost, current_tenant
from .transactions import commit_if_read_only

# Exceptions that mean "the database did not answer", not "the code is wrong".
_DATABASE_AWAY = (OperationalError, InterfaceError, DisconnectionError)


def register_error_pages(app: Flask) -> None:
    app.register_error_handler(UnknownHost, _unknown_host)
    app.register_error_handler(TenantSuspended, _suspended)
    app.register_error_handler(TenantMisconfigured, _misconfigured)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(NotFound, _not_found)
    # The database unreachable (restart, failover, network): a clean, retryable 503.
    for error in _DATABASE_AWAY:
        app.register_error_handler(error, _database_unavailable)
    app.register_error_handler(Exception, _unexpected)
    # Registered after db.init_app: app-context teardowns run in reverse order of
    # registration, so this one ends the session before Flask-SQLAlchemy's remove() does.
    app.teardown_appcontext(_end_session_quietly)


def _not_found(_error):
    """A service's NotFound is the page a missing object gets: a 404."""
    return _http_error(HTTPNotFound())
# Under this prefix every answer is JSON, errors included: an API client never gets HTML.
API_PREFIX = "/api/"


def _api_request() -> bool:
    return request.path.startswith(API_PREFIX)


def api_problem(status: int, message: str, headers: dict | None = None):
    """The API's error answer: ``{"error": message}`` with the status."""
    response = jsonify({"error": message})
    response.status_code = status
    response.headers.update(headers or {})
    return response


def _unknown_host(_error):
    if _api_request():
        return api_problem(404, "no cooperative is served at this host name")
    # No tenant here: render without any tenant branding.
    return render_template("errors/unknown_host.html"), 404


def _suspended(_error):
    headers = {"Retry-After": "3600"}
    if _api_request():
        return api_problem(503, "this cooperative's service is suspended", headers)
    return render_template("errors/suspended.html"), 503, headers


def _misconfigured(_error):
    """The branded 503; the configuration error's file/line/key only for the tenant's signed-in
    staff (operators read them in the console), never for the public or residents."""
    if _api_request():
        return api_problem(503, "this cooperative's configuration is being repaired")
    return render_template("errors/misconfigured.html", problems=current_tenant.policy_errors,
                           show_details=current_staff() is not None), 503


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
    # Flask wraps what escaped outside the view (an after_request hook reloading the
    # signed-in user, say) in an InternalServerError: a lost database is still a 503.
    original = getattr(error, "original_exception", None)
    if code == 500 and original is not None and _caused_by_database_outage(original):
        return _database_unavailable(original)
    if _api_request():
        message = error.api_message if isinstance(error, UnsafeQuery) else \
            error.description or error.name
        return api_problem(code, message)
    title = _(_TITLES.get(code, "Błąd"))
    # Only our own descriptions are sentences for the user; werkzeug's are English.
    detail = error.description if isinstance(error, UnsafeQuery) else None
    return render_template("errors/error.html", code=code, title=title, detail=detail), code


# How long a browser or client should wait before trying again while the database is away.
DATABASE_RETRY_AFTER = "5"


def _database_unavailable(error: Exception):
    """The database did not answer: 503 with Retry-After instead of a traceback.

    pool_pre_ping replaces dead connections on the next checkout, so the app recovers by
    itself once the database is back. The branded page may itself need the database (the
    signed-in user, the navigation); if it cannot be rendered, a plain page says the same.
    """
    current_app.logger.warning("database unavailable: %s", str(error).splitlines()[0][:300])
    from .extensions import db

    with contextlib.suppress(Exception):
        db.session.rollback()  # the failed transaction; invalidates a dead connection
    headers = {"Retry-After": DATABASE_RETRY_AFTER}
    if _api_request():
        return api_problem(503, "the database is not answering; try again in a few seconds",
                           headers)
    title = _("Usługa chwilowo niedostępna")
    try:
        return render_template("errors/error.html", code=503, title=title), 503, headers
    except Exception:  # noqa: BLE001 - the page needed the database too
        with contextlib.suppress(Exception):
            db.session.rollback()
        return _plain_unavailable_page(title), 503, headers


def _plain_unavailable_page(title: str) -> str:
    text = _("Spróbuj ponownie za kilka sekund.")
    return (f'<!doctype html>\n<html lang="pl"><head><meta charset="utf-8">'
            f"<title>{escape(title)}</title></head><body><main><h1>{escape(title)}</h1>"
            f"<p>{escape(text)}</p><p>{escape(_('Kod błędu: %(code)s.', code=503))}</p>"
            f"</main></body></html>\n")


def _end_session_quietly(_error) -> None:
    """End the request's database session (a transaction that only read is committed, see
    transactions.py); if the server cut the connection since the last statement (a
    restart), drop the connection instead of failing the response that is already
    rendered (the rollback would raise after the view succeeded)."""
    from .extensions import db

    if not db.session.registry.has():
        return  # the request never used the database
    try:
        commit_if_read_only(db.session())
        db.session.close()
    except Exception as error:  # noqa: BLE001 - only a lost connection is swallowed
        if not _caused_by_database_outage(error):
            raise
        current_app.logger.warning("database connection lost at the end of a request: %s",
                                   str(error).splitlines()[0][:300])
        with contextlib.suppress(Exception):
            db.session.invalidate()


def _caused_by_database_outage(error: BaseException) -> bool:
    """True when a connection failure is somewhere in the chain: e.g. the rollback of a
    flush whose connection the server cut raises PendingRollbackError from it."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, _DATABASE_AWAY):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def _unexpected(error: Exception):
    if _caused_by_database_outage(error):
        return _database_unavailable(error)
    current_app.logger.exception("unhandled error", exc_info=error)
    return _http_error(InternalServerError("internal server error"))
