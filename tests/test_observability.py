"""Probes, metrics and logs an operator relies on."""

from __future__ import annotations

import json

from iok_saas import create_app


def test_liveness_and_readiness_answer_on_any_host(synced, host_client):
    for host in ("nowhere.localhost", "kuzniki.localhost", "10.0.0.7"):
        client = host_client(host)
        assert client.get("/healthz").json == {"status": "ok"}
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json["checks"]["database"] == "ok"


def test_readiness_fails_cleanly_when_the_database_is_gone(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/x",
                      "IOK_VAR_DIR": tmp_path, "TESTING": True})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "not ready"
    assert response.json["checks"]["database"].startswith("failed: ")


def test_metrics_count_requests_per_tenant_for_allowed_addresses_only(synced, host_client):
    client = host_client("kuzniki.localhost")
    client.get("/")
    metrics = client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert metrics.status_code == 200
    body = metrics.get_data(as_text=True)
    assert 'iok_http_requests_total{method="GET",status="200",tenant="kuzniki"}' in body
    assert "iok_http_request_duration_seconds_bucket" in body
    outsider = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert outsider.status_code == 404


def test_every_response_carries_a_request_id_and_keeps_a_sane_given_one(synced, host_client):
    client = host_client("kuzniki.localhost")
    generated = client.get("/").headers["X-Request-ID"]
    assert len(generated) == 32
    assert client.get("/", headers={"X-Request-ID": "lb-1234abcd"}).headers[
        "X-Request-ID"] == "lb-1234abcd"
    # Anything but a short token (spaces, markup, very long) is replaced, not echoed.
    for junk in ("<script>alert(1)</script>", "a b c d e f g h", "x" * 65):
        assert client.get("/", headers={"X-Request-ID": junk}).headers["X-Request-ID"] != junk


def test_request_log_lines_are_json_with_tenant_and_request_id(synced, database_url, tmp_path,
                                                              capfd):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "IOK_VAR_DIR": tmp_path,
                      "IOK_LOG_FORMAT": "json", "IOK_LOG_LEVEL": "INFO"})
    app.test_client().get("/", base_url="http://kuzniki.localhost",
                          headers={"X-Request-ID": "req-00000042"})
    lines = [json.loads(line) for line in capfd.readouterr().err.splitlines()
             if line.startswith("{")]
    line = next(entry for entry in lines if entry["logger"] == "iok.request")
    assert line["tenant"] == "kuzniki"
    assert line["request_id"] == "req-00000042"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/", 200)
    assert line["duration_ms"] >= 0
