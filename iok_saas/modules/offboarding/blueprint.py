"""The offboarding controls of the operator console (admin host, operators only)."""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from iok_saas.extensions import db
from iok_saas.modules.auth.guards import operators_only
from iok_saas.modules.operator.services import actor_of
from iok_saas.modules.tenants import services as tenants
from iok_saas.timeutil import local, utcnow

from . import services
from .forms import ConfirmForm, RestoreForm, ScheduleDeletionForm

bp = Blueprint("offboarding", __name__, template_folder="templates")
bp.before_request(operators_only)


@bp.app_context_processor
def _offboarding_context() -> dict:
    """What the tenant page's offboarding section (another blueprint's page) needs."""
    return {"offboarding_grace_days": services.grace_days, "offboarding_local": local}


def _tenant_or_404(slug: str):
    try:
        return tenants.get_tenant(slug)
    except tenants.TenantChangeError:
        abort(404)


def _back(slug: str):
    return redirect(url_for("operator.tenant", slug=slug) + "#offboarding-h")


@bp.post("/tenants/<slug>/eksport")
def export(slug: str):
    """The whole data set as one zip archive, downloaded; the export is audited."""
    _tenant_or_404(slug)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    folder = Path(current_app.config["IOK_VAR_DIR"]) / "offboarding"
    target = folder / f"{slug}-{secrets.token_hex(8)}.zip"
    services.export_tenant(slug, target, actor_of(current_user))
    response = send_file(target, mimetype="application/zip", as_attachment=True,
                         download_name=f"{slug}-eksport-{utcnow():%Y%m%dT%H%M%SZ}.zip",
                         max_age=0)
    response.headers["Cache-Control"] = "no-store"
    response.call_on_close(lambda: target.unlink(missing_ok=True))
    return response


@bp.post("/tenants/<slug>/usuniecie")
def schedule(slug: str):
    record = _tenant_or_404(slug)
    form = ScheduleDeletionForm()
    if not form.validate_on_submit() or form.confirm_slug.data.strip() != record.slug:
        flash(_("Nie zaplanowano usunięcia: wpisz dokładnie identyfikator spółdzielni "
                "(%(slug)s).", slug=record.slug), "error")
        return _back(slug)
    try:
        services.schedule_deletion(slug, actor_of(current_user))
    except services.OffboardingError as exc:
        flash(" ".join(exc.messages), "error")
        return _back(slug)
    flash(_("Zaplanowano usunięcie danych. Serwis jest zawieszony."), "success")
    return _back(slug)


@bp.post("/tenants/<slug>/usuniecie/anuluj")
def cancel(slug: str):
    _tenant_or_404(slug)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        tenant = services.cancel_deletion(slug, actor_of(current_user))
    except services.OffboardingError as exc:
        flash(" ".join(exc.messages), "error")
        return _back(slug)
    flash(_("Anulowano usunięcie. Serwis działa ponownie.") if tenant.status == tenants.ACTIVE else
          _("Anulowano usunięcie. Serwis pozostaje zawieszony, jak przed zaplanowaniem "
            "usunięcia."), "success")
    return _back(slug)


@bp.route("/przywracanie", methods=["GET", "POST"])
def restore():
    """An export archive becomes a new tenant (archives over the upload limit: the CLI)."""
    form = RestoreForm()
    problems: list[str] = []
    if form.validate_on_submit():
        folder = Path(current_app.config["IOK_VAR_DIR"]) / "offboarding"
        folder.mkdir(parents=True, exist_ok=True)
        upload = folder / f"upload-{secrets.token_hex(8)}.zip"
        form.archive.data.save(upload)
        try:
            report = services.restore_tenant(upload, form.slug.data.strip(),
                                             actor_of(current_user))
        except services.OffboardingError as exc:
            db.session.rollback()  # this page answers; nothing of the restore is kept
            problems = exc.messages
        else:
            flash(_("Przywrócono dane jako %(name)s.", name=report.tenant.short_name),
                  "success")
            return redirect(url_for("operator.tenant", slug=report.tenant.slug))
        finally:
            upload.unlink(missing_ok=True)
    status = 422 if problems or form.errors else 200
    return render_template("offboarding/restore.html", form=form, problems=problems), status
