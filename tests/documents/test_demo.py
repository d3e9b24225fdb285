"""The documents demo: several audiences, a version history and a scheduled document,
in the tenants whose policy shows the library, readable by a demo resident."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.documents import services
from iok_saas.modules.documents.models import Document
from iok_saas.tenancy import tenant_scope
from iok_saas.timeutil import utcnow

from ..factories import tenant


def test_demo_documents_where_shown(synced, ctx):
    result = synced.test_cli_runner().invoke(args=["demo", "load"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    now = utcnow()
    for slug in ("zielone-wzgorza", "brzeg"):
        with tenant_scope(tenant(slug)):
            documents = db.session.scalars(select(Document)).all()
            audiences = Counter(d.audience for d in documents)
            assert {"public", "residents"} <= set(audiences), slug
            assert set(audiences) & {"members", "owners"}, slug
            assert any(len(d.versions) == 2 for d in documents)
            assert any(services.as_utc(d.published_at) > now for d in documents)
            for document in documents:
                for version in document.versions:
                    assert services.file_path(version).read_bytes().startswith(b"%PDF-")
    with tenant_scope(tenant("kuzniki")):
        assert db.session.scalars(select(Document)).all() == []
