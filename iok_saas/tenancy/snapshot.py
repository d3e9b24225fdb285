"""An immutable picture of one tenant, safe to share between requests and threads."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from iok_saas.policy import Policy

ACTIVE = "active"
SUSPENDED = "suspended"


@dataclass(frozen=True, eq=False)
class TenantSnapshot:
    id: int
    slug: str
    short_name: str
    legal_name: str
    status: str
    canonical_host: str
    hosts: tuple[str, ...]
    profile: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    policy: Policy | None = None
    policy_errors: tuple[str, ...] = ()
    locale: str = "pl"
    kind: str = "housing_cooperative"  # or "association_manager" (manages wspólnoty)

    @property
    def is_cooperative(self) -> bool:
        """Wording follows the kind: "spółdzielnia" for a cooperative, "zarządca" else."""
        return self.kind == "housing_cooperative"

    @property
    def suspended(self) -> bool:
        return self.status == SUSPENDED

    @property
    def misconfigured(self) -> bool:
        return bool(self.policy_errors)

    def info(self, key: str, default: Any = None) -> Any:
        """A value of the manifest profile (address, contact, branding, departments…)."""
        return self.profile.get(key, default)

    def department(self, key: str) -> dict | None:
        return next((d for d in self.info("departments", ()) if d.get("key") == key), None)

    def department_name(self, key: str | None) -> str:
        """The department's display name from the manifest ("" for none, the key if unnamed)."""
        return ((self.department(key) if key else None) or {}).get("name") or (key or "")

    def __repr__(self) -> str:
        return f"<Tenant {self.slug} #{self.id}>"
