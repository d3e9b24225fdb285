"""One Flask-Login loader for every kind of user ("operator:3", "staff:12", …).

Each kind registers how to load its users; loaders of tenant users query through the
tenant scoping, so an id from another tenant finds nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from iok_saas.extensions import login_manager

_loaders: dict[str, Callable[[int], object | None]] = {}


def register_user_kind(kind: str, loader: Callable[[int], object | None]) -> None:
    _loaders[kind] = loader


@login_manager.user_loader
def _load_user(user_id: str):
    kind, _, raw_id = user_id.partition(":")
    loader = _loaders.get(kind)
    if loader is None or not raw_id.isdigit():
        return None
    return loader(int(raw_id))
