"""The tenant's public document pages (no sign-in): public documents only."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from iok_saas.tenancy import current_tenant

from . import services
from .downloads import pdf_response
from .forms import SearchForm

bp = Blueprint("documents_public", __name__, template_folder="templates")


@bp.before_request
def _shown():
    if current_tenant.policy is None or not current_tenant.policy.shows("documents"):
        abort(404)


@bp.context_processor
def _vocabulary() -> dict:
    return {"category_name": services.category_name, "is_valid": services.is_valid,
            "audience_labels": services.AUDIENCE_LABELS}


@bp.get("/")
def index():
    form = SearchForm(request.args)
    text = form.q.data if form.validate() else None
    return render_template("documents/public_index.html", form=form, searched=text,
                           documents=services.visible_to(services.PUBLIC_READER, text),
                           categories=services.categories())


@bp.get("/<int:document_id>")
def show(document_id: int):
    document = services.visible_one(services.PUBLIC_READER, document_id)
    if document is None:
        abort(404)
    return render_template("documents/public_show.html", document=document,
                           download_endpoint="documents_public.download")


@bp.get("/<int:document_id>/wersja/<int:version_id>")
def download(document_id: int, version_id: int):
    document = services.visible_one(services.PUBLIC_READER, document_id)
    version = services.version_of(document, version_id) if document else None
    if version is None:
        abort(404)
    return pdf_response(version, public=True)
