"""Operator CLI: tenants sync/create/suspend/resume, operators create, policy check."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import func, select

from iok_saas.extensions import db
from iok_saas.modules.audit.models import PlatformAuditEvent
from iok_saas.modules.tenants.models import PlatformState, Tenant

pytestmark = pytest.mark.usefixtures("ctx")


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args), catch_exceptions=False)


def test_sync_is_idempotent(app):
    first = run(app, "tenants", "sync")
    assert first.exit_code == 0, first.output
    assert ("created: brzeg, gdynia, kuzniki, siarkowiec, skarbek, sosnowiec, tczew, "
            "zielone-wzgorza") in first.output
    events = db.session.scalar(select(func.count(PlatformAuditEvent.id)))
    version = db.session.get(PlatformState, 1).tenants_version
    second = run(app, "tenants", "sync")
    assert second.exit_code == 0
    assert "created: -; updated: -;" in second.output
    assert db.session.scalar(select(func.count(PlatformAuditEvent.id))) == events
    db.session.expire_all()
    assert db.session.get(PlatformState, 1).tenants_version == version
    assert db.session.scalar(select(func.count(Tenant.id))) == 8


def test_sync_stores_a_broken_policy_but_only_that_tenant_fails(app, tmp_path, repo_root,
                                                                host_client):
    policies = tmp_path / "policies"
    shutil.copytree(repo_root / "policies", policies)
    path = policies / "kuzniki.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\nunknown_setting: 1\n", encoding="utf-8")
    result = run(app, "tenants", "sync", "--policies-dir", str(policies))
    assert result.exit_code == 1
    assert "kuzniki" in result.output and "unknown_setting" in result.output
    page = host_client("kuzniki.localhost").get("/")
    assert page.status_code == 503
    assert "Błąd konfiguracji serwisu" in page.get_data(as_text=True)
    # The details (file, line, key) are for operators and the tenant's staff, not the public.
    assert "unknown_setting" not in page.get_data(as_text=True)
    assert host_client("gdynia.localhost").get("/").status_code == 200


def test_a_policy_breaking_under_signed_in_users(app, tmp_path, repo_root, host_client):
    from . import factories

    assert run(app, "tenants", "sync").exit_code == 0
    person = factories.active_resident("kuzniki")
    factories.staff("kuzniki", "kierownik")
    resident = factories.sign_in_resident(host_client("kuzniki.localhost"), person.login)
    member = factories.sign_in_staff(host_client("kuzniki.localhost"), "kierownik")
    policies = tmp_path / "policies"
    shutil.copytree(repo_root / "policies", policies)
    path = policies / "kuzniki.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\nunknown_setting: 1\n", encoding="utf-8")
    assert run(app, "tenants", "sync", "--policies-dir", str(policies)).exit_code == 1
    page = resident.get("/konto")
    assert page.status_code == 503
    assert "Błąd konfiguracji serwisu" in page.get_data(as_text=True)
    assert "unknown_setting" not in page.get_data(as_text=True)
    staff_page = member.get("/staff/")
    assert staff_page.status_code == 503
    assert "kuzniki.yaml" in staff_page.get_data(as_text=True)
    assert "unknown_setting" in staff_page.get_data(as_text=True)


def test_sync_with_a_broken_manifest_changes_nothing(app, tmp_path, repo_root):
    tenants_dir = tmp_path / "tenants"
    shutil.copytree(repo_root / "tenants", tenants_dir)
    (tenants_dir / "gdynia.yaml").write_text("slug: gdynia\nshort_name: [\n", encoding="utf-8")
    result = run(app, "tenants", "sync", "--tenants-dir", str(tenants_dir))
    assert result.exit_code == 1
    assert "nothing was changed" in result.output
    assert "gdynia.yaml" in result.output
    assert db.session.scalar(select(func.count(Tenant.id))) == 0


def test_create_suspend_resume_from_the_cli(app, host_client, repo_root, tmp_path):
    manifest = tmp_path / "kuzniki.yaml"
    manifest.write_text((repo_root / "tenants" / "kuzniki.yaml").read_text(encoding="utf-8"),
                        encoding="utf-8")
    assert run(app, "tenants", "create", str(manifest)).exit_code == 0
    assert host_client("kuzniki.localhost").get("/").status_code == 200
    assert run(app, "tenants", "suspend", "kuzniki", "--reason", "test").exit_code == 0
    assert host_client("kuzniki.localhost").get("/").status_code == 503
    assert run(app, "tenants", "resume", "kuzniki", "--reason", "test").exit_code == 0
    assert host_client("kuzniki.localhost").get("/").status_code == 200
    again = run(app, "tenants", "create", str(manifest))
    assert again.exit_code == 1 and "slug 'kuzniki' is taken" in again.output
    missing = run(app, "tenants", "suspend", "nope", "--reason", "x")
    assert missing.exit_code == 1 and "no tenant with slug 'nope'" in missing.output


def test_operators_create(app):
    ok = run(app, "operators", "create", "root@example.com", "--name", "Root",
             "--password", "a-long-password")
    assert ok.exit_code == 0
    short = app.test_cli_runner().invoke(args=["operators", "create", "x@example.com",
                                               "--name", "X", "--password", "short"])
    assert short.exit_code == 1 and "at least 12 characters" in short.output


def test_policy_check_over_the_shipped_policies(app):
    result = run(app, "policy", "check")
    assert result.exit_code == 0, result.output
    assert "below the platform floor" in result.output  # Brzeg's published 4-character rule


def test_resume_help_says_what_resuming_does(app):
    resume = run(app, "tenants", "resume", "--help").output
    suspend = run(app, "tenants", "suspend", "--help").output
    assert "503" not in resume and "serve again" in resume
    assert "answer 503" in suspend


def test_create_admin_makes_the_first_staff_administrator(app, host_client):
    assert run(app, "tenants", "sync").exit_code == 0
    result = run(app, "staff", "create-admin", "kuzniki", "Admin.K", "--name", "Ada Nowak",
                 "--department", "board")
    assert result.exit_code == 0, result.output
    password = result.output.rsplit(": ", 1)[1].strip()
    page = host_client("kuzniki.localhost").post(
        "/staff/logowanie", data={"login": "admin.k", "password": password})
    assert page.status_code == 302
    taken = run(app, "staff", "create-admin", "kuzniki", "admin.k", "--name", "X",
                "--department", "board")
    assert taken.exit_code == 1 and "login:" in taken.output
    missing = run(app, "staff", "create-admin", "nope", "a.b", "--name", "X",
                  "--department", "board")
    assert missing.exit_code == 1 and "no tenant with slug 'nope'" in missing.output
