"""The OpenAPI 3 description of /api/v1, generated from the import schemas with apispec."""

from __future__ import annotations

from decimal import Decimal
from functools import cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields

from iok_saas.web import ROW_ID_MAX

from .formats import DATASETS, ORDER
from .problems import MESSAGES


class CountsSchema(Schema):
    total = fields.Integer(metadata={"description": "Rows read"})
    created = fields.Integer(metadata={"description": "Rows that are (or would be) created"})
    updated = fields.Integer(metadata={"description": "Rows that are (or would be) changed"})
    unchanged = fields.Integer(metadata={"description": "Rows equal to the stored ones"})


class RowErrorSchema(Schema):
    dataset = fields.String(allow_none=True)
    row = fields.Integer(allow_none=True, metadata={
        "description": "Index of the row in its JSON list (from 0), or the CSV line number "
                       "(the header is line 1); null for a problem of the whole document"})
    field = fields.String(allow_none=True, metadata={"description": "The field at fault"})
    code = fields.String(metadata={
        "enum": sorted(MESSAGES), "description": "What is wrong, as a stable machine code "
        "(listed with their params in docs/import-format.md)"})
    message = fields.String(metadata={"description": "What is wrong, in English"})
    params = fields.Dict(keys=fields.String(), metadata={
        "description": "The values the message names (a limit, a column, an external id), "
                       "by name; empty when the message has none"})


class ImportRunSchema(Schema):
    id = fields.Integer()
    status = fields.String(metadata={"enum": ["applied", "rejected", "checked"],
                                     "description": "applied: written; rejected: nothing "
                                                    "written; checked: a dry run without "
                                                    "errors"})
    dataset = fields.String(metadata={"description": "The dataset, or 'multi'"})
    source = fields.String(metadata={"enum": ["staff", "cli", "api", "demo"]})
    filename = fields.String(allow_none=True)
    checksum = fields.String(metadata={"description": "SHA-256 of the request body"})
    created_at = fields.DateTime()
    dry_run = fields.Boolean()
    format_error = fields.Boolean(metadata={"description": "The document itself was "
                                                           "unusable (answered 400)"})
    rows = fields.Nested(CountsSchema)
    datasets = fields.Dict(keys=fields.String(), values=fields.Nested(CountsSchema))
    errors_total = fields.Integer()
    errors = fields.List(fields.Nested(RowErrorSchema), metadata={
        "description": "The first 1000 errors"})


class ProblemSchema(Schema):
    error = fields.String()


class NoticePdfProblemSchema(Schema):
    file = fields.String(metadata={"description": "The file in the archive, or what else "
                                                  "is wrong (the period, the archive)"})
    message = fields.String(metadata={"description": "What is wrong (the request's "
                                                     "language, Polish by default)"})


class NoticePdfsRejectedSchema(Schema):
    error = fields.String()
    problems = fields.List(fields.Nested(NoticePdfProblemSchema))


class NoticePdfsLoadedSchema(Schema):
    period = fields.String(metadata={"example": "2027-01"})
    created = fields.Integer()
    replaced = fields.Integer()
    unchanged = fields.Integer()


def schema_name(dataset: str) -> str:
    return "".join(part.capitalize() for part in dataset.split("_")) + "Row"


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


DRY_RUN = {"name": "dry_run", "in": "query", "required": False,
           "description": "1 = validate and count only; nothing is written",
           "schema": {"type": "string", "enum": ["0", "1"]}}


def _responses(write: bool) -> dict:
    responses = {
        "401": {"description": "No token, an unknown or revoked token, or a token of another "
                               "cooperative", "content": _json(_ref("Problem"))},
    }
    if write:
        responses |= {
            "201": {"description": "Applied", "content": _json(_ref("ImportRun"))},
            "200": {"description": "Dry run without errors",
                    "content": _json(_ref("ImportRun"))},
            "400": {"description": "Not JSON, or not the expected shape; nothing written",
                    "content": _json(_ref("ImportRun"))},
            "422": {"description": "Row errors; nothing written",
                    "content": _json(_ref("ImportRun"))},
        }
    return responses


@cache
def openapi_document() -> dict:
    spec = APISpec(
        title="IOK import API", version="1.0.0", openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "Import of data from a housing manager's accounting system "
                             "into its IOK portal. Each cooperative has its own host and "
                             "issues its own tokens; amounts are debt-positive (see "
                             "docs/import-format.md). An import is all-or-nothing and "
                             "idempotent (upsert by external_id)."},
        servers=[{"url": "/api/v1"}],
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for name in ORDER:
        spec.components.schema(schema_name(name), schema=DATASETS[name].schema)
    spec.components.schema("Counts", schema=CountsSchema)
    spec.components.schema("RowError", schema=RowErrorSchema)
    spec.components.schema("ImportRun", schema=ImportRunSchema)
    spec.components.schema("Problem", schema=ProblemSchema)
    spec.components.schema("NoticePdfsLoaded", schema=NoticePdfsLoadedSchema)
    spec.components.schema("NoticePdfsRejected", schema=NoticePdfsRejectedSchema)
    secured = [{"bearer": []}]
    for name in ORDER:
        rows = {"type": "array", "items": _ref(schema_name(name))}
        spec.path(path=f"/imports/{name}", operations={"post": {
            "summary": f"Import rows of the '{name}' dataset",
            "description": DATASETS[name].description,
            "operationId": f"import_{name}", "security": secured, "parameters": [DRY_RUN],
            "requestBody": {"required": True, "content": _json({"oneOf": [
                {"type": "object", "required": ["rows"], "additionalProperties": False,
                 "properties": {"dataset": {"type": "string", "enum": [name]},
                                "rows": rows}},
                rows]})},
            "responses": _responses(True)}})
    spec.path(path="/imports", operations={"post": {
        "summary": "Import several datasets at once, in dependency order, all or nothing",
        "operationId": "import_datasets", "security": secured, "parameters": [DRY_RUN],
        "requestBody": {"required": True, "content": _json({
            "type": "object", "required": ["datasets"], "additionalProperties": False,
            "properties": {"datasets": {
                "type": "object", "additionalProperties": False, "minProperties": 1,
                "properties": {name: {"type": "array", "items": _ref(schema_name(name))}
                               for name in ORDER}}}})},
        "responses": _responses(True)}})
    spec.path(path="/imports/{run_id}", operations={"get": {
        "summary": "The result of one import run of this cooperative",
        "operationId": "get_import", "security": secured,
        "parameters": [{"name": "run_id", "in": "path", "required": True,
                        "schema": {"type": "integer", "minimum": 0,
                                   "maximum": ROW_ID_MAX}}],
        "responses": _responses(False) | {
            "200": {"description": "The run", "content": _json(_ref("ImportRun"))},
            "404": {"description": "No such run here", "content": _json(_ref("Problem"))}}}})
    spec.path(path="/notices/pdfs", operations={"post": {
        "summary": "A period's charge notices as ready PDFs, one per unit, all or nothing",
        "description": "The body is a ZIP archive of PDF files, each named by the unit's "
                       "external id (U-1.pdf). Every file is checked (a PDF by content, the "
                       "size limit, the unit, no unit twice) before anything is written.",
        "operationId": "notice_pdfs", "security": secured,
        "parameters": [{"name": "period", "in": "query", "required": True,
                        "description": "The month the notices apply from, YYYY-MM",
                        "schema": {"type": "string", "example": "2027-01"}}],
        # Any Content-Type is read as the archive's bytes (application/zip as well).
        "requestBody": {"required": True, "content": {"application/octet-stream": {
            "schema": {"type": "string", "format": "binary"}}}},
        "responses": _responses(False) | {
            "201": {"description": "Stored", "content": _json(_ref("NoticePdfsLoaded"))},
            "404": {"description": "The cooperative's policy has no charge notices",
                    "content": _json(_ref("Problem"))},
            "422": {"description": "Bad entries; nothing written",
                    "content": _json(_ref("NoticePdfsRejected"))}}}})
    spec.path(path="/openapi.json", operations={"get": {
        "summary": "This document (no token needed)", "operationId": "openapi",
        "responses": {"200": {"description": "OpenAPI 3 document",
                              "content": _json({"type": "object"})}}}})
    return _plain(spec.to_dict())


def _plain(value):
    """Decimal bounds from the validators as JSON numbers (not the strings Flask makes)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value
