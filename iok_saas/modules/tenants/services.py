"""Tenant registry operations: one write path for every change, each with an audit row.

The console and the CLI both call these; each function owns its transaction and moves the
tenants' version so every worker's directory reloads.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from flask import current_app
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.audit.services import Actor, record_platform_event
from iok_saas.policy import PolicyError, compile_policy, load_policy_file
from iok_saas.tenancy import ACTIVE, SUSPENDED, TenantSnapshot, directory
from iok_saas.transactions import after_commit

from .manifest import Manifest, load_manifest_dir
from .models import PlatformState, Tenant, TenantHost


@dataclass(frozen=True)
class Problem:
    """Why a change cannot be applied: a ``code`` and its ``params`` for a translated text
    (the console renders Polish from them), and ``message``, the precise English line the CLI
    prints."""

    code: str
    message: str
    params: dict = field(default_factory=dict, hash=False, compare=False)


class TenantChangeError(ValueError):
    """An operator request that cannot be applied; ``messages`` say why, precisely, and
    ``problems`` carry the same as coded problems (one per message)."""

    def __init__(self, messages: list[str] | list[Problem]):
        problems = [m if isinstance(m, Problem) else Problem("message", m, {"message": m})
                    for m in messages]
        self.problems = problems
        self.messages = [p.message for p in problems]
        super().__init__("\n".join(self.messages))


# --- reading: snapshots for the directory -------------------------------------------------

def load_version() -> int:
    state = db.session.get(PlatformState, 1)
    return state.tenants_version if state else 0


def load_snapshots() -> list[TenantSnapshot]:
    tenants = db.session.scalars(select(Tenant)).all()
    hosts = _hosts_by_tenant()
    return [snapshot_of(t, hosts.get(t.id, [])) for t in tenants]


def _hosts_by_tenant() -> dict[int, list[str]]:
    result: dict[int, list[str]] = {}
    for tenant_id, host in db.session.execute(select(TenantHost.tenant_id, TenantHost.host)):
        result.setdefault(tenant_id, []).append(host)
    return result


def snapshot_of(tenant: Tenant, custom_hosts: list[str]) -> TenantSnapshot:
    config = current_app.config
    slug_host = f"{tenant.slug}.{config['IOK_BASE_DOMAIN']}"
    custom = sorted(custom_hosts)
    canonical = custom[0] if custom and config["IOK_CUSTOM_HOSTS_CANONICAL"] else slug_host
    policy, errors = checked_policy(tenant.policy_source, tenant.policy_name,
                                    department_keys(tenant.profile))
    return TenantSnapshot(
        id=tenant.id, slug=tenant.slug, short_name=tenant.short_name,
        legal_name=tenant.legal_name, status=tenant.status, canonical_host=canonical,
        hosts=(slug_host, *custom), profile=MappingProxyType(dict(tenant.profile or {})),
        policy=policy, policy_errors=tuple(errors), locale=tenant.locale, kind=tenant.kind,
    )


def policy_source_name(policy_name: str) -> str:
    return f"policies/{policy_name}.yaml"


def compiled_policy(text: str, source: str):
    presets = current_app.config["IOK_POLICIES_DIR"]
    return _compile_cached(text, source, Path(presets), _presets_fingerprint(Path(presets)))


@functools.lru_cache(maxsize=1024)
def _compile_cached(text: str, source: str, presets: Path, _fingerprint: tuple):
    return compile_policy(text, source, presets)


def _presets_fingerprint(presets: Path) -> tuple:
    """Recompile when a shared preset (base.yaml…) changes on disk."""
    return tuple(sorted((p.name, p.stat().st_mtime_ns) for p in presets.glob("*.yaml")))


def presets() -> dict[str, str | None]:
    """The shared policy files an operator may start a new tenant from, by name, with the
    description each gives (None for one that does not load: the operator sees its name)."""
    found = {}
    for path in sorted(Path(current_app.config["IOK_POLICIES_DIR"]).glob("*.yaml")):
        try:
            found[path.stem] = load_policy_file(path).description
        except PolicyError:
            found[path.stem] = None
    return found


def department_keys(profile: dict | None) -> set[str]:
    return {d["key"] for d in (profile or {}).get("departments", [])}


def checked_policy(source: str, name: str, departments: set[str]):
    """(policy, problems): the compiled policy, or None, and why it cannot serve the tenant."""
    policy, problems = coded_policy_problems(source, name, departments)
    return policy, [p.message for p in problems]


def coded_policy_problems(source: str, name: str,
                          departments: set[str]) -> tuple[object, list[Problem]]:
    """(policy or None, coded problems): ``policy_invalid`` carries one message of the policy
    checker ('file:line: key.path: message'); ``policy_unknown_departments`` the keys the
    policy names that the manifest does not define."""
    try:
        policy = compiled_policy(source, policy_source_name(name))
    except PolicyError as exc:
        return None, [Problem("policy_invalid", m, {"message": m}) for m in exc.messages]
    missing = sorted(policy.departments_referenced() - departments)
    if missing:
        return None, [Problem(
            "policy_unknown_departments",
            f"{policy_source_name(name)}: names department(s) {', '.join(missing)} "
            "that the tenant's manifest does not define", {"departments": missing})]
    return policy, []


def policy_problems(source: str, name: str, departments: set[str]) -> list[str]:
    return checked_policy(source, name, departments)[1]


# --- writing ------------------------------------------------------------------------------

def _bump_version() -> None:
    state = db.session.get(PlatformState, 1)
    if state is None:
        db.session.add(PlatformState(id=1, tenants_version=1))
    else:
        state.tenants_version += 1


def _stage_tenant_change() -> None:
    """Every worker reloads its tenants once the change is committed (the version moves);
    this one at once."""
    _bump_version()
    after_commit(directory().invalidate)


def note_tenant_changed() -> None:
    """For platform features that change a tenant row themselves (offboarding)."""
    _stage_tenant_change()


def audit_view(tenant: Tenant) -> dict:
    """The fields an audit row records before and after a change."""
    return {
        "slug": tenant.slug, "short_name": tenant.short_name, "legal_name": tenant.legal_name,
        "kind": tenant.kind, "status": tenant.status, "hosts": sorted(tenant.custom_hosts),
        "policy_name": tenant.policy_name, "policy_source": tenant.policy_source,
        "profile": tenant.profile,
    }


def get_tenant(slug: str) -> Tenant:
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        raise TenantChangeError([Problem("tenant_unknown", f"no tenant with slug '{slug}'",
                                         {"slug": slug})])
    return tenant


def _host_conflicts(hosts: tuple[str, ...], tenant_id: int | None) -> list[Problem]:
    query = (select(TenantHost.host, Tenant.slug).join(Tenant)
             .where(TenantHost.host.in_(hosts), Tenant.id != (tenant_id or -1)))
    return [Problem("host_taken", f"host {host} already belongs to tenant '{slug}'",
                    {"host": host, "tenant": slug})
            for host, slug in db.session.execute(query)]


def _apply_manifest(tenant: Tenant, manifest: Manifest, policy_source: str) -> None:
    tenant.slug = manifest.slug
    tenant.short_name = manifest.short_name
    tenant.legal_name = manifest.legal_name
    tenant.kind = manifest.kind
    tenant.locale = manifest.locale
    tenant.profile = dict(manifest.profile)
    tenant.policy_name = manifest.policy
    tenant.policy_source = policy_source
    wanted = set(manifest.hosts)
    tenant.hosts = [h for h in tenant.hosts if h.host in wanted] + [
        TenantHost(host=h) for h in sorted(wanted - set(tenant.custom_hosts))
    ]


# Subdomains the platform keeps for itself.
RESERVED_SLUGS = frozenset({"admin", "www", "api", "static", "mail", "smtp", "status"})


def _reserved_name_problems(manifest: Manifest) -> list[Problem]:
    return reserved_name_problems(manifest.slug, manifest.hosts)


def reserved_name_problems(slug: str | None, hosts: tuple[str, ...]) -> list[Problem]:
    """A tenant may not take the admin host, nor a custom host that shadows the platform's
    own <slug>.<base domain> names."""
    config = current_app.config
    base, admin = config["IOK_BASE_DOMAIN"], config["IOK_ADMIN_HOST"]
    problems = []
    if slug and (slug in RESERVED_SLUGS or f"{slug}.{base}" == admin):
        problems.append(Problem("slug_reserved", f"slug '{slug}' is reserved for the platform",
                                {"slug": slug}))
    problems += [Problem("host_in_platform_domain",
                         f"host {host} is inside the platform's domain {base}; use the slug "
                         "instead", {"host": host, "domain": base})
                 for host in hosts if host == admin or host.endswith(f".{base}")]
    return problems


def new_name_problems(slug: str | None, hosts: tuple[str, ...]) -> list[Problem]:
    """Why a new tenant may not have this slug (None: not known yet) or these hosts: kept by
    the platform, or another tenant's. Reads only."""
    problems = reserved_name_problems(slug, hosts) + _host_conflicts(hosts, None)
    if slug and db.session.scalar(select(Tenant.id).where(Tenant.slug == slug)):
        problems.append(Problem("slug_taken", f"slug '{slug}' is taken", {"slug": slug}))
    return problems


def new_tenant_problems(manifest: Manifest, policy_source: str) -> list[Problem]:
    """Why ``create_tenant`` would refuse this manifest and policy (empty: it would not);
    reads only, so the console can check a step without writing."""
    problems = new_name_problems(manifest.slug, manifest.hosts)
    problems += coded_policy_problems(policy_source, manifest.policy,
                                      manifest.department_keys())[1]
    return problems


def create_tenant(manifest: Manifest, policy_source: str, actor: Actor) -> Tenant:
    """Onboard a cooperative; the policy must validate before anything is written."""
    problems = new_tenant_problems(manifest, policy_source)
    if problems:
        raise TenantChangeError(problems)
    tenant = Tenant(status=ACTIVE)
    _apply_manifest(tenant, manifest, policy_source)
    db.session.add(tenant)
    db.session.flush()
    record_platform_event(actor, "tenant.create", tenant_id=tenant.id, after=audit_view(tenant))
    _stage_tenant_change()
    return tenant


def update_policy(slug: str, policy_source: str, actor: Actor) -> Tenant:
    """Replace a tenant's policy; it must validate first, so a typo never takes a tenant down."""
    tenant = get_tenant(slug)
    problems = coded_policy_problems(policy_source, tenant.policy_name,
                                     department_keys(tenant.profile))[1]
    if problems:
        raise TenantChangeError(problems)
    if policy_source == tenant.policy_source:
        return tenant
    before = {"policy_source": tenant.policy_source}
    tenant.policy_source = policy_source
    record_platform_event(actor, "tenant.policy", tenant_id=tenant.id, before=before,
                          after={"policy_source": policy_source})
    _stage_tenant_change()
    return tenant


def set_status(slug: str, status: str, actor: Actor, reason: str = "") -> Tenant:
    if status not in (ACTIVE, SUSPENDED):
        raise TenantChangeError([Problem("status_unknown", f"unknown status '{status}'",
                                         {"status": status})])
    tenant = get_tenant(slug)
    if tenant.status == status:
        return tenant
    if status == ACTIVE and tenant.deletion_due is not None:
        # A tenant awaiting deletion stays offline: cancelling the deletion resumes it.
        raise TenantChangeError([Problem(
            "deletion_scheduled", f"tenant '{slug}' is scheduled for deletion; cancel the "
            "deletion to resume it", {"slug": slug})])
    before = {"status": tenant.status}
    tenant.status = status
    action = "tenant.suspend" if status == SUSPENDED else "tenant.resume"
    record_platform_event(actor, action, tenant_id=tenant.id, before=before,
                          after={"status": status, "reason": reason})
    _stage_tenant_change()
    return tenant


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    invalid_policies: dict[str, list[str]] = field(default_factory=dict)


def sync_from_files(tenants_dir: Path, policies_dir: Path, actor: Actor) -> SyncReport:
    """Load tenants/ + policies/ into the database, idempotently, in one transaction.

    Manifests must all validate (else nothing is written). A tenant whose policy does not
    validate is still stored: it answers a configuration-error page until fixed, and the
    report lists why, while every other tenant keeps serving.
    """
    manifests = load_manifest_dir(tenants_dir)
    reserved = [problem for m in manifests for problem in _reserved_name_problems(m)]
    if reserved:
        raise TenantChangeError(reserved)
    _check_sync_hosts(manifests)
    report = SyncReport()
    existing = {t.slug: t for t in db.session.scalars(select(Tenant))}
    for manifest in manifests:
        source = _read_policy_file(policies_dir, manifest.policy)
        problems = policy_problems(source, manifest.policy, manifest.department_keys())
        if problems:
            report.invalid_policies[manifest.slug] = problems
        _sync_one(existing.get(manifest.slug), manifest, source, actor, report)
    if report.created or report.updated:
        _stage_tenant_change()
    return report


def _check_sync_hosts(manifests: list[Manifest]) -> None:
    slugs = {m.slug for m in manifests}
    owners = dict(db.session.execute(select(TenantHost.host, Tenant.slug).join(Tenant)).all())
    problems = [Problem("host_taken", f"host {h} of '{m.slug}' already belongs to tenant "
                        f"'{owners[h]}'", {"host": h, "tenant": owners[h]})
                for m in manifests for h in m.hosts
                if h in owners and owners[h] != m.slug and owners[h] not in slugs]
    if problems:
        raise TenantChangeError(problems)


def _read_policy_file(policies_dir: Path, name: str) -> str:
    path = policies_dir / f"{name}.yaml"
    if not path.is_file():
        return f"# policy file {path} is missing\nextends: {name}\n"
    return path.read_text(encoding="utf-8")


def _sync_one(tenant: Tenant | None, manifest: Manifest, source: str, actor: Actor,
              report: SyncReport) -> None:
    if tenant is None:
        tenant = Tenant(status=ACTIVE)
        _apply_manifest(tenant, manifest, source)
        db.session.add(tenant)
        db.session.flush()
        record_platform_event(actor, "tenant.create", tenant_id=tenant.id,
                              after=audit_view(tenant))
        report.created.append(manifest.slug)
        return
    before = audit_view(tenant)
    _apply_manifest(tenant, manifest, source)
    db.session.flush()
    if audit_view(tenant) == before:
        report.unchanged.append(manifest.slug)
        return
    record_platform_event(actor, "tenant.update", tenant_id=tenant.id, before=before,
                          after=audit_view(tenant))
    report.updated.append(manifest.slug)
