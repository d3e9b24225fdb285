"""A feature is one folder that declares itself: a throwaway feature written to a temporary
package, registered, and nothing else edited — its tab, staff desk, Home-page absence,
export section and demo data appear in an app built afterwards."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import select

from iok_saas import create_app
from iok_saas.extensions import db
from iok_saas.features import Feature, features, load_features
from iok_saas.modules.audit.models import AuditEvent
from iok_saas.modules.audit.services import Actor
from iok_saas.modules.tenants.models import Tenant
from iok_saas.modules.tenants.services import update_policy
from iok_saas.policy import known_tabs
from iok_saas.tenancy import cross_tenant, tenant_scope

from .conftest import _empty_all_tables
from .factories import active_resident, sign_in_resident, sign_in_staff, staff, tenant

PACKAGE = "throwaway_parcels"

FILES = {
    "__init__.py": "",
    "feature.py": """
        from iok_saas.features import Feature, Mount, Tab

        FEATURE = Feature(
            name="parcels",
            mounts=(Mount(".blueprint:bp", "/konto/paczki"),
                    Mount(".blueprint:desk", "/staff/paczki")),
            tabs=(Tab("parcels", "parcels.index", "Paczki"),),
            desks=(Tab("parcels", "parcels_desk.index", "Paczkomat", order=5),),
            tab_keys=("parcels",),
            demo=".services:seed_demo",
            personal_data=".services:export_section",
        )
    """,
    "blueprint.py": """
        from flask import Blueprint

        from iok_saas.modules.portal import desk_guard, tab_required
        from iok_saas.modules.auth.guards import staff_required

        bp = Blueprint("parcels", __name__)
        desk = Blueprint("parcels_desk", __name__)
        desk.before_request(staff_required)
        desk.before_request(desk_guard("parcels"))


        @bp.get("/")
        @tab_required("parcels")
        def index():
            return "<p>Twoje paczki: brak</p>"


        def index_desk():
            return "<p>Paczkomat biura</p>"

        desk.add_url_rule("/", "index", index_desk)
    """,
    "services.py": """
        from iok_saas.extensions import db
        from iok_saas.features import ExportSection
        from iok_saas.modules.audit.models import AuditEvent


        def seed_demo(today):
            db.session.add(AuditEvent(actor="demo", action="parcels.demo_seeded",
                                      subject_type="Parcel", subject_id=0,
                                      after={"day": today.isoformat()}))


        def export_section(account, person):
            return ExportSection("parcels", "Paczki", [{"locker": f"P-{person.id}"}])
    """,
}


@pytest.fixture
def app(database_url, tmp_path):
    """The suite's app, built after the throwaway feature joined the registry."""
    root = tmp_path / "pkg"
    package = root / PACKAGE
    package.mkdir(parents=True)
    for name, body in FILES.items():
        (package / name).write_text(textwrap.dedent(body), encoding="utf-8")
    sys.path.insert(0, str(root))
    load_features()
    declaration = __import__(f"{PACKAGE}.feature", fromlist=["FEATURE"]).FEATURE
    features.register(declaration, PACKAGE)
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True,
                          "WTF_CSRF_ENABLED": False, "IOK_VAR_DIR": tmp_path,
                          "RATELIMIT_ENABLED": False, "IOK_TENANT_CACHE_SECONDS": 3600})
        with app.app_context():
            _empty_all_tables()
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    finally:
        features.unregister("parcels")
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def _show_parcels(slug: str) -> None:
    with cross_tenant("test: read the shipped policy"):
        source = db.session.scalar(select(Tenant.policy_source).where(Tenant.slug == slug))
    edited = source.replace("tabs: [", "tabs: [parcels, ", 1)
    assert edited != source, "the policy lists its tabs in flow style"
    update_policy(slug, edited, Actor.cli("test"))
    db.session.commit()


@pytest.mark.usefixtures("ctx")
def test_a_registered_feature_brings_its_tab_desk_export_and_demo(synced, host_client):
    assert "parcels" in known_tabs()
    _show_parcels("kuzniki")

    me = active_resident("kuzniki")
    client = sign_in_resident(host_client("kuzniki.localhost"), me.login)
    assert 'href="/konto/paczki/"' in client.get("/konto").get_data(as_text=True)
    assert "Twoje paczki" in client.get("/konto/paczki/").get_data(as_text=True)
    exported = json.loads(client.get("/konto/dane/eksport.json").get_data())
    assert exported["parcels"] == [{"locker": f"P-{me.person_id}"}]

    # A tenant whose policy does not list the tab: no page, no desk.
    other = active_resident("brzeg")
    brzeg = sign_in_resident(host_client("brzeg.localhost"), other.login)
    assert brzeg.get("/konto/paczki/").status_code == 404
    staff("brzeg", "biuro")
    assert sign_in_staff(host_client("brzeg.localhost"), "biuro") \
        .get("/staff/paczki/").status_code == 404
    staff("kuzniki", "biuro")
    desk = sign_in_staff(host_client("kuzniki.localhost"), "biuro")
    assert "Paczkomat biura" in desk.get("/staff/paczki/").get_data(as_text=True)
    assert 'href="/staff/paczki/"' in desk.get("/staff/").get_data(as_text=True)

    runner = synced.test_cli_runner()
    assert runner.invoke(args=["demo", "load"], catch_exceptions=False).exit_code == 0
    with tenant_scope(tenant("kuzniki")):
        seeded = db.session.scalars(select(AuditEvent.action)
                                    .where(AuditEvent.action == "parcels.demo_seeded")).all()
    assert seeded == ["parcels.demo_seeded"]


def test_the_registry_knows_every_module_folder():
    """Every folder under iok_saas/modules is a declared feature (none is forgotten)."""
    modules = Path(__file__).resolve().parents[1] / "iok_saas" / "modules"
    folders = {p.name for p in modules.iterdir() if (p / "__init__.py").exists()}
    declared = {f.package.rpartition(".")[2] for f in load_features()}
    assert folders == declared


def test_two_features_cannot_share_a_name():
    copy = Feature(name="ledger")
    with pytest.raises(ValueError, match="two features"):
        features.register(copy, "somewhere.else")
