"""Every response carries the browser-side protections; HSTS only in production."""

from __future__ import annotations

from iok_saas import create_app


def test_pages_forbid_inline_scripts_framing_and_sniffing(synced, host_client):
    for host, path in (("brzeg.localhost", "/"), ("admin.localhost", "/operator/login"),
                       ("nieznana.localhost", "/")):
        headers = host_client(host).get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert "Strict-Transport-Security" not in headers


def test_production_adds_hsts_and_secure_cookies(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("IOK_ENV", "production")
    monkeypatch.setenv("IOK_SECRET_KEY", "x" * 48)
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "IOK_VAR_DIR": tmp_path})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    response = app.test_client().get("/", base_url="https://admin.localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
