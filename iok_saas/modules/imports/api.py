"""The REST API under /api/v1, authenticated by per-tenant API tokens.

Every answer is JSON. A token belongs to one cooperative and works only on its host.
"""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request
from werkzeug.exceptions import HTTPException

from iok_saas.extensions import csrf

from . import services
from .formats import DATASETS, ORDER
from .models import APPLIED, CHECKED
from .openapi import openapi_document

bp = Blueprint("api_v1", __name__)
csrf.exempt(bp)

PUBLIC_ENDPOINTS = {"api_v1.openapi"}


def _problem(status: int, message: str, headers: dict | None = None):
    response = jsonify({"error": message})
    response.status_code = status
    response.headers.update(headers or {})
    return response


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


@bp.errorhandler(HTTPException)
def _http_problem(error: HTTPException):
    return _problem(error.code or 500, error.description or error.name)


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
