"""Resident pages of the document library: routes only (logic in services.py)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from iok_saas.extensions import db
from iok_saas.modules.portal import tab_required

from . import services
from .downloads import pdf_response
from .forms import SearchForm

bp = Blueprint("documents", __name__, template_folder="templates")


@bp.context_processor
def _vocabulary() -> dict:
    return {"category_name": services.category_name, "is_valid": services.is_valid,
            "audience_labels": services.AUDIENCE_LABELS}


def _reader() -> services.Reader:
    return services.reader_for(current_user.person_id)


@bp.get("/")
@tab_required("documents")
def index():
    form = SearchForm(request.args)
    text = form.q.data if form.validate() else None
    documents = services.visible_to(_reader(), text)
    since = services.last_visit(current_user.id)
    new_ids = {d.id for d in documents if services.is_new(d, since)}
    if not text:  # a search is not a visit of the whole library
        services.note_visit(current_user.id)
        db.session.commit()
    return render_template("documents/index.html", documents=documents, form=form,
                           new_ids=new_ids, categories=services.categories(), searched=text)


@bp.get("/<int:document_id>")
@tab_required("documents")
def show(document_id: int):
    document = services.visible_one(_reader(), document_id)
    if document is None:
        abort(404)
    return render_template("documents/show.html", document=document,
                           download_endpoint="documents.download")


@bp.get("/<int:document_id>/wersja/<int:version_id>")
@tab_required("documents")
def download(document_id: int, version_id: int):
    document = services.visible_one(_reader(), document_id)
    version = services.version_of(document, version_id) if document else None
    if version is None:
        abort(404)
    return pdf_response(version)
