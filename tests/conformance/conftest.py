"""One app for the whole conformance suite: each policy is a fresh tenant on it."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import event

from iok_saas import create_app
from iok_saas.extensions import db
from iok_saas.modules.auth import passwords

from ..conftest import HostClient, _empty_all_tables

# Argon2id at its lowest cost: the suite checks which passwords a policy admits, not how
# slowly they are hashed, and it hashes and verifies a few thousand of them.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(scope="module", autouse=True)
def cheap_hashing():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "HASHER", CHEAP_HASHER)
        yield


def _without_fsync(connection, _record) -> None:
    """A throwaway test database need not survive a power cut: each of the suite's few
    thousand commits would otherwise wait for the disk."""
    connection.execute("PRAGMA synchronous = OFF")


@pytest.fixture(scope="session")
def conformance_app(database_url, tmp_path_factory):
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": database_url,
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        "IOK_VAR_DIR": tmp_path_factory.mktemp("conformance-var"),
        "RATELIMIT_ENABLED": False,
        "IOK_TENANT_CACHE_SECONDS": 3600,
    })
    app.test_client_class = HostClient
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _without_fsync)
        _empty_all_tables()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
