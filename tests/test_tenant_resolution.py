"""Host -> tenant resolution, error pages, cache behaviour."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from iok_saas.extensions import db
from iok_saas.modules.audit.services import Actor
from iok_saas.modules.tenants import services as tenants
from iok_saas.tenancy import TenantDirectory, directory

from .conftest import TENANT_SLUGS


@pytest.mark.parametrize("slug", TENANT_SLUGS)
def test_each_cooperative_has_its_own_branded_start_page(synced, host_client, slug):
    with synced.app_context():
        tenant = next(t for t in directory().all() if t.slug == slug)
    page = host_client(f"{slug}.localhost").get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert tenant.legal_name in html
    assert "Jak uzyskać dostęp" in html
    css = host_client(f"{slug}.localhost").get("/branding.css").get_data(as_text=True)
    assert tenant.info("branding")["primary_color"] in css


def test_custom_host_maps_to_its_tenant(synced, host_client):
    html = host_client("iok.mzmk-brzeg.pl").get("/").get_data(as_text=True)
    assert "Miejski Zarząd Mienia Komunalnego" in html


def test_host_matching_ignores_case_port_and_trailing_dot(synced, host_client):
    assert host_client("BRZEG.localhost:5000").get("/").status_code == 200
    assert host_client("gdynia.localhost.").get("/").status_code == 200


def test_unknown_host_gets_the_platform_404(synced, host_client):
    page = host_client("nieznana.localhost").get("/")
    assert page.status_code == 404
    html = page.get_data(as_text=True)
    assert "Nie znaleziono serwisu" in html
    assert "branding.css" not in html


def test_admin_host_serves_the_console_and_tenants_do_not(synced, host_client):
    admin = host_client("admin.localhost")
    assert admin.get("/").headers["Location"].endswith("/operator/")
    assert "Logowanie operatora" in admin.get("/operator/login").get_data(as_text=True)
    assert host_client("brzeg.localhost").get("/operator/login").status_code == 404
    assert admin.get("/regulamin").status_code == 404


def test_suspended_tenant_answers_a_branded_503_and_others_keep_serving(synced, host_client):
    with synced.app_context():
        tenants.set_status("gdynia", tenants.SUSPENDED, Actor.cli("test"), "maintenance")
        db.session.commit()
    page = host_client("gdynia.localhost").get("/")
    assert page.status_code == 503
    assert "czasowo wyłączona" in page.get_data(as_text=True)
    assert "Młodzieżowa" in page.get_data(as_text=True)
    assert host_client("brzeg.localhost").get("/").status_code == 200
    with synced.app_context():
        tenants.set_status("gdynia", tenants.ACTIVE, Actor.cli("test"), "done")
        db.session.commit()
    assert host_client("gdynia.localhost").get("/").status_code == 200


def test_known_host_costs_no_database_query(synced, host_client):
    client = host_client("brzeg.localhost")
    client.get("/")  # warm the directory
    statements = []
    with synced.app_context():
        engine = db.engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        for _ in range(5):
            assert client.get("/").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert statements == []


def test_other_workers_see_a_change_after_their_check_interval(synced):
    now = [0.0]
    loads = []
    with synced.app_context():
        def load():
            loads.append(1)
            return tenants.load_snapshots()

        other_worker = TenantDirectory(load, tenants.load_version, check_seconds=5,
                                       clock=lambda: now[0])
        assert not other_worker.resolve("kuzniki.localhost").suspended
        tenants.set_status("kuzniki", tenants.SUSPENDED, Actor.cli("test"), "test")
        db.session.commit()
        now[0] = 4.9
        assert not other_worker.resolve("kuzniki.localhost").suspended  # still cached
        now[0] = 5.1
        assert other_worker.resolve("kuzniki.localhost").suspended
        now[0] = 10.2
        other_worker.resolve("kuzniki.localhost")
        assert len(loads) == 2  # reloaded only when the version moved


def test_email_links_use_the_canonical_host_not_the_request_host(synced):
    from iok_saas.tenancy import tenant_url

    with synced.test_request_context("/", base_url="http://evil.example"):
        brzeg = next(t for t in directory().all() if t.slug == "brzeg")
        assert tenant_url("site.start", brzeg) == "http://brzeg.localhost/"
    synced.config["IOK_CUSTOM_HOSTS_CANONICAL"] = True
    synced.config["IOK_URL_SCHEME"] = "https"
    with synced.app_context():
        directory().invalidate()
        brzeg = next(t for t in directory().all() if t.slug == "brzeg")
        assert tenant_url("public.regulations", brzeg) == "https://iok.mzmk-brzeg.pl/regulamin"


def test_the_snapshot_knows_a_cooperative_from_a_manager(synced, ctx):
    from .factories import tenant

    assert tenant("gdynia").is_cooperative
    assert not tenant("brzeg").is_cooperative  # MZMK Brzeg manages homeowners' associations
