"""Host name -> tenant, cached in process.

A known host costs no database query: the whole directory is loaded at once and kept in
memory. A worker asks the database for the tenants' version number at most every
``check_seconds`` and reloads when it moved; the worker that made a change reloads at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

from .snapshot import TenantSnapshot

LoadSnapshots = Callable[[], Iterable[TenantSnapshot]]
LoadVersion = Callable[[], int]


def normalize_host(host: str) -> str:
    """'Brzeg.LOCALHOST:5000.' -> 'brzeg.localhost' (IPv6 literals keep their brackets)."""
    host = host.strip().lower()
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0].rstrip(".") if ":" in host else host.rstrip(".")


class TenantDirectory:
    def __init__(self, load_snapshots: LoadSnapshots, load_version: LoadVersion,
                 check_seconds: float = 5.0, clock: Callable[[], float] = time.monotonic):
        self._load_snapshots = load_snapshots
        self._load_version = load_version
        self._check_seconds = check_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._by_host: dict[str, TenantSnapshot] = {}
        self._by_id: dict[int, TenantSnapshot] = {}
        self._version: int | None = None
        self._checked_at = float("-inf")

    def resolve(self, host: str) -> TenantSnapshot | None:
        self._refresh_if_stale()
        return self._by_host.get(normalize_host(host))

    def get(self, tenant_id: int) -> TenantSnapshot | None:
        self._refresh_if_stale()
        return self._by_id.get(tenant_id)

    def all(self) -> list[TenantSnapshot]:
        self._refresh_if_stale()
        return sorted(self._by_id.values(), key=lambda t: t.slug)

    def invalidate(self) -> None:
        """Forget everything; the next lookup reloads (used after an operator change)."""
        with self._lock:
            self._version = None
            self._checked_at = float("-inf")

    def _refresh_if_stale(self) -> None:
        if self._clock() - self._checked_at < self._check_seconds:
            return
        with self._lock:
            now = self._clock()
            if now - self._checked_at < self._check_seconds:
                return
            version = self._load_version()
            if version != self._version:
                self._rebuild(self._load_snapshots())
                self._version = version
            self._checked_at = now

    def _rebuild(self, snapshots: Iterable[TenantSnapshot]) -> None:
        by_host: dict[str, TenantSnapshot] = {}
        by_id: dict[int, TenantSnapshot] = {}
        for snap in snapshots:
            by_id[snap.id] = snap
            for host in snap.hosts:
                by_host[normalize_host(host)] = snap
        self._by_host, self._by_id = by_host, by_id
