from __future__ import annotations

import html
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.documents.models import Document
from iok_saas.tenancy import tenant_scope
from iok_saas.timeutil import WARSAW, utcnow

from ..factories import tenant
from .pdfs import pdf_bytes

ZW, BRZEG = "zielone-wzgorza", "brzeg"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def local_input(moment) -> str:
    return moment.astimezone(WARSAW).strftime("%Y-%m-%dT%H:%M")


def upload(office, *, title="Regulamin porządku domowego", number="R/1/2026",
           category="regulations", audience="residents", association_id=None,
           when=None, email=False, data: bytes | None = None, filename="regulamin.pdf",
           expect=302, **extra):
    form = {"title": title, "number": number, "category": category, "audience": audience,
            "association_id": str(association_id) if association_id else "None",
            "published_at": local_input(when or utcnow() - timedelta(minutes=1)),
            "file": (io.BytesIO(pdf_bytes(title) if data is None else data), filename),
            **extra}
    if email:
        form["email_audience"] = "y"
    response = office.post("/staff/dokumenty/nowy", data=form,
                           content_type="multipart/form-data")
    assert response.status_code == expect, text(response)
    return response


def newest(slug: str) -> int:
    with tenant_scope(tenant(slug)):
        return db.session.scalars(select(Document.id).order_by(Document.id.desc())).first()


@pytest.fixture
def office(office_client):
    return office_client(ZW)
