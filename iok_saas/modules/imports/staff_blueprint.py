"""Staff desk of the imports feature (/staff/import/…): routes only.

Any staff member may upload a file and see the preview and the history; applying an import
and managing API tokens is for the cooperative's staff administrators, because an import
rewrites balances and records of every resident at once.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from iok_saas.modules.auth.guards import current_staff, staff_required

from . import forms as F
from . import services
from .formats import DATASETS
from .models import APPLIED, CHECKED
from .problems import render_error

bp = Blueprint("imports_staff", __name__, template_folder="templates")
bp.before_request(staff_required)


@bp.context_processor
def _vocabulary() -> dict:
    return {"dataset_labels": F.DATASET_LABELS,
            "status_labels": F.STATUS_LABELS, "source_labels": F.SOURCE_LABELS,
            "describe_error": services.describe_error, "error_text": render_error}


def _actor() -> str:
    return f"staff:{current_staff().login}"


def _forbidden():
    return render_template("imports/forbidden.html"), 403


@bp.route("/", methods=["GET", "POST"])
def index():
    form = F.UploadForm()
    form.file_format.choices = F.format_choices()
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read()
        file_format = "json" if form.file_format.data == "json" else "csv"
        dataset = None if file_format == "json" else form.file_format.data
        run = services.import_bytes(data, file_format, dataset, source="staff",
                                    actor=_actor(), filename=upload.filename or None,
                                    dry_run=True)
        if run.status == CHECKED:
            services.keep_upload(run, data)
        return _run_page(run, 200 if run.status == CHECKED else 422)
    status = 422 if request.method == "POST" else 200
    return render_template("imports/index.html", form=form, runs=services.recent_runs(),
                           datasets=DATASETS), status


def _run_page(run, status: int = 200):
    waiting = run.status == CHECKED and services.kept_upload(run) is not None
    return render_template("imports/run.html", run=run, report=services.run_as_dict(run),
                           waiting=waiting, apply_form=F.ApplyForm()), status


@bp.get("/<int:run_id>")
def run(run_id: int):
    found = services.get_run(run_id)
    if found is None:
        abort(404)
    return _run_page(found)


@bp.post("/<int:run_id>/zastosuj")
def apply(run_id: int):
    found = services.get_run(run_id)
    if found is None:
        abort(404)
    if not current_staff().is_admin:
        return _forbidden()
    if not F.ApplyForm().validate_on_submit():
        abort(400)
    applied = services.apply_previewed(found, _actor())
    if applied is None:
        flash(_("Tego importu nie można już zastosować: został zastosowany albo plik "
                "wygasł. Wyślij plik ponownie."), "error")
        return redirect(url_for(".run", run_id=found.id))
    if applied.status == APPLIED:
        flash(_("Import zastosowany: utworzono %(c)s, zmieniono %(u)s, bez zmian %(n)s.",
                c=applied.rows_created, u=applied.rows_updated, n=applied.rows_unchanged),
              "success")
    else:
        flash(_("Import odrzucony — dane zmieniły się od podglądu. Nic nie zapisano."), "error")
    return redirect(url_for(".run", run_id=applied.id))


# --- API tokens (administrators only) ---------------------------------------------------------

@bp.route("/tokeny", methods=["GET", "POST"])
def tokens():
    member = current_staff()
    if not member.is_admin:
        return _forbidden()
    form = F.TokenForm()
    created = plain = None
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            created, plain = services.create_token(form.name.data, _actor())
            form = F.TokenForm(formdata=None)
            status = 200
    response = Response(render_template("imports/tokens.html", form=form, created=created,
                                        plain=plain, tokens=services.list_tokens(),
                                        revoke_form=F.RevokeForm()), status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/tokeny/<int:token_id>/uniewaznij")
def revoke(token_id: int):
    if not current_staff().is_admin:
        return _forbidden()
    if not F.RevokeForm().validate_on_submit():
        abort(400)
    token = services.revoke_token(token_id, _actor())
    if token is None:
        abort(404)
    flash(_("Token „%(name)s” unieważniony.", name=token.name), "success")
    return redirect(url_for(".tokens"))
