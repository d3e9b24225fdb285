"""Staff desk of the document library (/staff/dokumenty/…): routes only."""

from __future__ import annotations

from functools import partial

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from wtforms import SelectChoice

from iok_saas.extensions import db
from iok_saas.modules.auth.guards import current_staff, staff_required
from iok_saas.modules.portal import desk_guard
from iok_saas.timeutil import WARSAW, local, utcnow
from iok_saas.transactions import after_commit

from . import services, tasks
from .downloads import pdf_response
from .forms import DetailsForm, SearchForm, UploadForm, VersionForm

bp = Blueprint("documents_staff", __name__, template_folder="templates")
bp.before_request(staff_required)
bp.before_request(desk_guard("documents"))


@bp.context_processor
def _vocabulary() -> dict:
    return {"category_name": services.category_name, "is_valid": services.is_valid,
            "is_published": services.is_published,
            "audience_labels": services.AUDIENCE_LABELS}


def _actor() -> str:
    return f"staff:{current_staff().login}"


def _choices(form) -> None:
    form.category.choices = [SelectChoice(key, name) for key, name in services.categories()]
    form.audience.choices = [SelectChoice(key, str(label))
                             for key, label in services.AUDIENCE_LABELS.items()]
    form.association_id.choices = [SelectChoice(None, _("— nie dotyczy —"))] + [
        SelectChoice(a.id, f"{a.name} ({a.street}, {a.city})") for a in services.associations()]


def _details(form) -> services.Details:
    return services.Details(
        category=form.category.data, title=form.title.data, number=form.number.data,
        adopted_on=form.adopted_on.data, valid_until=form.valid_until.data,
        audience=form.audience.data, association_id=form.association_id.data,
        published_at=form.published_at.data.replace(tzinfo=WARSAW),
        email_audience=form.email_audience.data)


def _after_save(document) -> None:
    if document.email_audience and document.emailed_at is None \
            and services.is_published(document):
        after_commit(partial(tasks.enqueue_notices, document.tenant_id))


@bp.get("/")
def index():
    form = SearchForm(request.args)
    text = form.q.data if form.validate() else None
    return render_template("documents/staff_index.html", form=form, searched=text,
                           documents=services.all_documents(text))


@bp.route("/nowy", methods=["GET", "POST"])
def new():
    form = UploadForm(data={"published_at": utcnow().astimezone(WARSAW).replace(
        second=0, microsecond=0, tzinfo=None), "audience": "residents"})
    _choices(form)
    error = None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            pdf = services.read_pdf(upload.stream if upload else None,
                                    upload.filename if upload else None)
            document = services.create(_details(form), pdf, _actor())
        except services.DocumentError as exc:
            db.session.rollback()
            error = exc.message
        else:
            _after_save(document)
            flash(_("Zapisano dokument „%(title)s”.", title=document.title), "success")
            return redirect(url_for("documents_staff.detail", document_id=document.id))
    status = 422 if form.is_submitted() else 200
    return render_template("documents/staff_new.html", form=form, error=error), status


@bp.route("/<int:document_id>", methods=["GET", "POST"])
def detail(document_id: int):
    document = services.get(document_id)
    if document is None:
        abort(404)
    form = DetailsForm(data={
        "category": document.category, "title": document.title, "number": document.number,
        "adopted_on": document.adopted_on, "valid_until": document.valid_until,
        "audience": document.audience, "association_id": document.association_id,
        "published_at": local(document.published_at).replace(tzinfo=None),
        "email_audience": document.email_audience})
    _choices(form)
    error = None
    if form.validate_on_submit():
        try:
            services.update_details(document, _details(form), _actor())
        except services.DocumentError as exc:
            db.session.rollback()
            error = exc.message
        else:
            _after_save(document)
            flash(_("Zapisano zmiany dokumentu „%(title)s”.", title=document.title), "success")
            return redirect(url_for("documents_staff.detail", document_id=document.id))
    status = 422 if form.is_submitted() else 200
    return render_template("documents/staff_detail.html", document=document, form=form,
                           version_form=VersionForm(), error=error), status


@bp.post("/<int:document_id>/wersje")
def add_version(document_id: int):
    document = services.get(document_id)
    if document is None:
        abort(404)
    form = VersionForm()
    error = None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            pdf = services.read_pdf(upload.stream if upload else None,
                                    upload.filename if upload else None)
            version = services.add_version(document, pdf, form.note.data, _actor())
        except services.DocumentError as exc:
            db.session.rollback()
            error = exc.message
        else:
            db.session.commit()
            flash(_("Dodano wersję %(number)s dokumentu.", number=version.number), "success")
            return redirect(url_for("documents_staff.detail", document_id=document.id))
    details = DetailsForm(formdata=None, data={
        "category": document.category, "title": document.title, "number": document.number,
        "adopted_on": document.adopted_on, "valid_until": document.valid_until,
        "audience": document.audience, "association_id": document.association_id,
        "published_at": local(document.published_at).replace(tzinfo=None),
        "email_audience": document.email_audience})
    _choices(details)
    return render_template("documents/staff_detail.html", document=document, form=details,
                           version_form=form, error=error), 422


@bp.get("/<int:document_id>/wersja/<int:version_id>")
def download(document_id: int, version_id: int):
    document = services.get(document_id)
    version = services.version_of(document, version_id) if document else None
    if version is None:
        abort(404)
    return pdf_response(version)
