"""Staff desk of the notices feature (/staff/zawiadomienia): routes only."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from iok_saas.extensions import db
from iok_saas.modules.auth.guards import current_staff, staff_required
from iok_saas.modules.portal import desk_guard
from iok_saas.tenancy import current_tenant

from . import services, supplied, tasks
from .forms import PublishForm, SuppliedPdfsForm

bp = Blueprint("notices_staff", __name__, template_folder="templates")
bp.before_request(staff_required)
bp.before_request(desk_guard("charge_notices"))


@bp.get("/")
def index():
    return _index(_publish_form())


@bp.post("/pdf")
def upload_pdfs():
    """The manager's ready PDFs for a period, one per unit, in a ZIP archive."""
    form = SuppliedPdfsForm(prefix="pdf")
    if not current_staff().is_admin:
        flash(_("Wczytywać zawiadomienia PDF może tylko administrator."), "error")
        return _index(_publish_form(), form), 403
    if not form.validate_on_submit():
        return _index(_publish_form(), form), 400
    upload = form.archive.data
    if upload is None or not getattr(upload, "filename", None):
        form.archive.errors = [*form.archive.errors, _("Wybierz archiwum ZIP z plikami PDF.")]
        return _index(_publish_form(), form), 400
    try:
        loaded = supplied.load_bundle(form.period.data, upload.stream,
                                      f"staff:{current_staff().login}")
    except supplied.BundleRejected as exc:
        db.session.rollback()
        return _index(_publish_form(), form, exc.problems), 400
    db.session.commit()
    month = loaded.period.strftime("%m.%Y")
    flash(_("Wczytano zawiadomienia PDF za %(month)s: nowe %(created)s, zastąpione "
            "%(replaced)s, bez zmian %(unchanged)s. Opublikuj okres, aby mieszkańcy je "
            "otrzymali.", month=month, created=loaded.created,
            replaced=loaded.replaced, unchanged=loaded.unchanged), "success")
    return redirect(url_for("notices_staff.period", month=f"{loaded.period:%Y-%m}"))


@bp.post("/publikuj")
def publish():
    form = _publish_form()
    if not current_staff().is_admin:
        flash(_("Publikować zawiadomienia może tylko administrator."), "error")
        return _index(form), 403
    if not form.validate_on_submit():
        return _index(form), 400
    period = _period(form.period.data)
    if period is None or period not in services.periods():
        form.period.errors.append(_("Wybierz okres z listy."))
        return _index(form), 400
    try:
        pending = services.publish(period, f"staff:{current_staff().login}")
    except services.NoticesError as exc:
        db.session.rollback()
        form.period.errors.append(exc.message)
        return _index(form), 400
    db.session.commit()
    tasks.enqueue(current_tenant.id, pending)
    flash(ngettext("Opublikowano. Wysyłamy %(num)d wiadomość.",
                   "Opublikowano. Wysyłamy %(num)d wiadomości.", len(pending)), "success")
    return redirect(url_for("notices_staff.period", month=f"{period:%Y-%m}"))


@bp.get("/okres/<month>")
def period(month: str):
    chosen = _period(month)
    if chosen is None or chosen not in services.periods():
        abort(404)
    return render_template("notices/staff_period.html", summary=services.summary(chosen),
                           deliveries=services.deliveries(chosen),
                           paper=services.paper_units(chosen))


@bp.get("/zgody")
def consents():
    everything = request.args.get("widok") == "wszystkie"
    return render_template("notices/staff_consents.html",
                           rows=services.consents(include_withdrawn=everything),
                           everything=everything)


def _publish_form() -> PublishForm:
    form = PublishForm()
    form.period.choices = [(f"{p:%Y-%m}", f"{p:%m.%Y}") for p in services.periods()]
    return form


def _index(form: PublishForm, upload: SuppliedPdfsForm | None = None,
           problems: list[supplied.Problem] | None = None):
    return render_template("notices/staff_index.html", summaries=services.summaries(),
                           form=form, upload=upload or SuppliedPdfsForm(prefix="pdf"),
                           problems=problems or [], is_admin=current_staff().is_admin)


def _period(text: str | None) -> date | None:
    try:
        return date.fromisoformat(f"{text}-01") if text and len(text) == 7 else None
    except ValueError:
        return None
