"""The REST API under /api/v1, authenticated by per-tenant API tokens.

Every answer is JSON. A token belongs to one cooperative and works only on its host.
"""

from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from iok_saas.errors import API_PREFIX
from iok_saas.errors import api_problem as _problem
from iok_saas.extensions import csrf
from iok_saas.modules.notices import supplied
from iok_saas.tenancy import current_tenant

from . import services
from .formats import DATASETS, ORDER
from .models import APPLIED, CHECKED
from .openapi import openapi_document

bp = Blueprint("api_v1", __name__)
csrf.exempt(bp)

PUBLIC_ENDPOINTS = {"api_v1.openapi"}


@bp.before_request
def _authenticate():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    token = services.authenticate(request.headers.get("Authorization"))
    if token is None:
        return _problem(401, "a valid API token of this cooperative is required: "
                             "Authorization: Bearer <token>",
                        {"WWW-Authenticate": 'Bearer realm="iok"'})
    g.api_token = token
    return None


@bp.app_errorhandler(404)
@bp.app_errorhandler(405)
def _unmatched(error: HTTPException):
    """A 404 or 405 under /api/ answers JSON that says what the API has instead.

    This handler is the application's, for 404 and 405 only (a URL that matches no route
    reaches no blueprint); every other error under /api/ gets its JSON answer from
    ``iok_saas.errors``. Any other path gets the application's own error page, as before.
    """
    if not request.path.startswith(API_PREFIX):
        return _usual_handler(error)
    if isinstance(error, MethodNotAllowed):
        allowed = sorted(error.valid_methods or ())
        return _problem(405, f"method {request.method} is not allowed on {request.path}; "
                             f"allowed: {', '.join(allowed) or 'none'}",
                        {"Allow": ", ".join(allowed)} if allowed else None)
    if request.url_rule is not None:  # a route of the API said 404 itself (abort(404))
        return _problem(404, error.description or error.name)
    return _problem(404, f"no API endpoint at {request.path}; the API is described at "
                         "/api/v1/openapi.json")


def _usual_handler(error: HTTPException):
    """What Flask would have called without the handler above: the class handlers of the
    request's blueprints, then the application's (its HTML error page)."""
    for name in (*request.blueprints, None):
        handlers = current_app.error_handler_spec[name][None]
        for cls in type(error).__mro__:
            handler = handlers.get(cls)
            if handler is not None:
                return handler(error)
    return error


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())


@bp.post("/imports/<dataset>")
def import_dataset(dataset: str):
    if dataset not in DATASETS:
        return _problem(404, f"unknown dataset '{dataset}'; known: {', '.join(ORDER)}")
    return _import(dataset)


@bp.post("/imports")
def import_datasets():
    return _import(None)


def _import(dataset: str | None):
    dry_run = request.args.get("dry_run", "0").lower() in ("1", "true", "yes")
    run = services.import_bytes(request.get_data(cache=False), services.JSON_FORMAT, dataset,
                                source="api", actor=services.token_actor(g.api_token),
                                dry_run=dry_run)
    body = services.run_as_dict(run)
    if run.status == APPLIED:
        status = 201
    elif run.status == CHECKED:
        status = 200
    else:
        status = 400 if body["format_error"] else 422
    response = jsonify(body)
    response.status_code = status
    return response


@bp.get("/imports/<int:run_id>")
def get_import(run_id: int):
    run = services.get_run(run_id)
    if run is None:
        return _problem(404, f"no import run {run_id} here")
    return jsonify(services.run_as_dict(run))


@bp.post("/notices/pdfs")
def notice_pdfs():
    """A period's charge notices as ready PDFs: the body is a ZIP of one PDF per unit, each
    named by the unit's external id (U-1.pdf); ``?period=YYYY-MM``. All or nothing."""
    if current_tenant.policy is None or not current_tenant.policy.shows("charge_notices"):
        return _problem(404, "this cooperative's policy does not show charge_notices")
    body = request.get_data(cache=False)
    try:
        loaded = supplied.load_bundle(request.args.get("period"), body,
                                      services.token_actor(g.api_token))
    except supplied.BundleRejected as exc:
        response = jsonify({"error": "nothing written: the archive has errors",
                            "problems": [{"file": p.entry, "message": p.message}
                                         for p in exc.problems]})
        response.status_code = 422
        return response
    response = jsonify({"period": f"{loaded.period:%Y-%m}", "created": loaded.created,
                        "replaced": loaded.replaced, "unchanged": loaded.unchanged})
    response.status_code = 201
    return response
