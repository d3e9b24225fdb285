"""The REST API: tokens of the cooperative only, JSON always, row errors named."""

from __future__ import annotations

from openapi_spec_validator import validate
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.audit.models import AuditEvent
from iok_saas.modules.imports.models import ApiToken
from iok_saas.tenancy import tenant_scope

from ..factories import tenant
from .conftest import housing_document, ledger_rows, new_token, token_from_page


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_a_token_made_in_the_back_office_imports_and_is_shown_once(office_client, host_client):
    office = office_client("brzeg")
    page = office.post("/staff/import/tokeny", data={"name": "System FK"})
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    token = token_from_page(page.get_data(as_text=True))
    assert token not in office.get("/staff/import/tokeny").get_data(as_text=True)
    with tenant_scope(tenant("brzeg")):
        stored = db.session.scalar(select(ApiToken))
        assert stored.token_hash != token and len(stored.token_hash) == 64
        assert stored.last_used_at is None
        assert db.session.scalar(select(AuditEvent.action).where(
            AuditEvent.subject_type == "ApiToken")) == "api_token.created"

    api = host_client("brzeg.localhost")
    response = api.post("/api/v1/imports", json=housing_document(), headers=bearer(token))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "applied" and body["rows"]["created"] == 3
    response = api.post("/api/v1/imports/ledger", json={"rows": ledger_rows()},
                        headers=bearer(token))
    assert response.status_code == 201
    run = api.get(f"/api/v1/imports/{response.get_json()['id']}", headers=bearer(token))
    assert run.status_code == 200
    assert run.get_json()["datasets"]["ledger"]["created"] == 4
    with tenant_scope(tenant("brzeg")):
        db.session.expire_all()
        assert db.session.scalar(select(ApiToken)).last_used_at is not None


def test_unknown_fields_are_refused_by_name(synced, host_client, ctx):
    token = new_token("brzeg")
    document = housing_document()
    document["datasets"]["units"][0]["floor"] = 3
    response = host_client("brzeg.localhost").post("/api/v1/imports", json=document,
                                                   headers=bearer(token))
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert [(e["dataset"], e["row"], e["field"]) for e in errors] == [("units", 0, "floor")]
    assert "unknown field 'floor'" in errors[0]["message"]


def test_without_a_valid_token_the_answer_is_401(synced, host_client, ctx):
    api = host_client("brzeg.localhost")
    brzeg_token = new_token("brzeg")
    gdynia_token = new_token("gdynia")
    for headers in ({}, bearer("nonsense"), bearer(brzeg_token + "x"), bearer(gdynia_token),
                    {"Authorization": f"Basic {brzeg_token}"}):
        response = api.post("/api/v1/imports", json=housing_document(), headers=headers)
        assert response.status_code == 401, headers
        assert response.is_json and "token" in response.get_json()["error"]
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert api.get("/api/v1/imports/1", headers=bearer(gdynia_token)).status_code == 401
    # the Gdynia token does work on its own host
    response = host_client("gdynia.localhost").post(
        "/api/v1/imports", json=housing_document(), headers=bearer(gdynia_token))
    assert response.status_code == 201


def test_a_revoked_token_stops_working(office_client, host_client):
    office = office_client("kuzniki")
    token = token_from_page(office.post("/staff/import/tokeny", data={"name": "FK"})
                            .get_data(as_text=True))
    api = host_client("kuzniki.localhost")
    assert api.post("/api/v1/imports", json=housing_document(),
                    headers=bearer(token)).status_code == 201
    with tenant_scope(tenant("kuzniki")):
        token_id = db.session.scalar(select(ApiToken.id))
    revoked = office.post(f"/staff/import/tokeny/{token_id}/uniewaznij")
    assert revoked.status_code == 302
    assert "unieważniony" in office.get("/staff/import/tokeny").get_data(as_text=True)
    assert api.post("/api/v1/imports", json=housing_document(),
                    headers=bearer(token)).status_code == 401


def test_garbage_never_gets_a_500(synced, host_client, ctx):
    token = new_token("brzeg")
    api = host_client("brzeg.localhost")
    bodies = [b"", b"{", b"\xff\xfe garbage", b"[1, 2", b'"text"', b"null", b"[]",
              b'{"datasets": []}', b'{"datasets": {"planets": []}}', b'{"rows": 5}',
              b'{"dataset": "ledger", "rows": [1, "x", null]}', b"[" * 5000,
              b'{"datasets": {"ledger": [{"amount": 1e999999}]}}',
              b'{"datasets": {"ledger": [{"external_id": "L\\u0000", "unit": "U\\u0000"}]}}']
    for body in bodies:
        for path in ("/api/v1/imports", "/api/v1/imports/ledger"):
            response = api.post(path, data=body, headers=bearer(token)
                                | {"Content-Type": "application/json"})
            expected = (201,) if (body, path) == (b"[]", "/api/v1/imports/ledger") else (400, 422)
            assert response.status_code in expected, (path, body, response.status_code)
            assert response.is_json
    assert api.post("/api/v1/imports/planets", json=[], headers=bearer(token)).status_code \
        == 404
    for run_id in (999999, 2**31, 14339207009085):  # the last two no integer key can hold
        response = api.get(f"/api/v1/imports/{run_id}", headers=bearer(token))
        assert response.status_code == 404 and response.is_json, run_id


def test_runs_of_another_cooperative_are_not_found(synced, host_client, ctx):
    brzeg, gdynia = new_token("brzeg"), new_token("gdynia")
    run_id = host_client("brzeg.localhost").post(
        "/api/v1/imports", json=housing_document(), headers=bearer(brzeg)).get_json()["id"]
    response = host_client("gdynia.localhost").get(f"/api/v1/imports/{run_id}",
                                                   headers=bearer(gdynia))
    assert response.status_code == 404 and response.is_json


def test_dry_run_over_the_api_writes_nothing(synced, host_client, ctx):
    token = new_token("brzeg")
    api = host_client("brzeg.localhost")
    response = api.post("/api/v1/imports?dry_run=1", json=housing_document(),
                        headers=bearer(token))
    assert response.status_code == 200 and response.get_json()["status"] == "checked"
    response = api.post("/api/v1/imports", json=housing_document(), headers=bearer(token))
    assert response.get_json()["rows"]["created"] == 3


def test_the_openapi_document_is_public_and_valid(synced, host_client):
    response = host_client("brzeg.localhost").get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    validate(document)
    ledger = document["components"]["schemas"]["LedgerRow"]
    assert ledger["additionalProperties"] is False
    assert ledger["properties"]["kind"]["enum"] == ["charge", "payment", "correction",
                                                    "interest"]
    assert "/imports/ledger" in document["paths"]
