"""Staff desk of activation codes (/staff/kody-aktywacyjne): routes only."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from iok_saas.modules.auth.guards import current_staff, staff_required
from iok_saas.modules.portal import desk_guard
from iok_saas.tenancy import current_tenant, tenant_url
from iok_saas.timeutil import utcnow

from . import printing, services
from .forms import IssueForm, RevokeForm
from .models import STATES

bp = Blueprint("activation_staff", __name__, template_folder="templates")
bp.before_request(staff_required)
bp.before_request(desk_guard("enrolment.activation_codes.enabled"))

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
def _actor() -> str:
    return f"staff:{current_staff().login}"


@bp.get("/")
def index():
    return _index(IssueForm())


def _index(form: IssueForm, status: int = 200):
    state = request.args.get("stan")
    return render_template(
        "activation/staff_index.html", form=form, holders=services.holders(),
        codes=services.codes(state if state in STATES else None),
        chosen_state=state if state in STATES else None, counts=services.counts(),
        labels=services.STATE_LABELS, revoke_form=RevokeForm(),
        rules=services.rules()), status


@bp.post("/generuj")
def issue():
    form = IssueForm()
    if not form.validate_on_submit():
        return _index(form, 400)
    # "Everyone" spares the codes already printed: only holders without an active one.
    keys = [h.key for h in services.holders() if h.active_code is None] \
        if form.everyone.data else request.form.getlist("holder")
    try:
        issued = services.issue(keys, _actor())
    except services.ActivationError as exc:
        flash(exc.message, "error")
        return _index(form, 400)
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    if form.format.data == "csv":
        return _download(printing.codes_csv(issued), "text/csv", f"kody-{stamp}.csv")
    portal = tenant_url("activation.register")
    body = printing.codes_pdf(issued, current_tenant.legal_name or current_tenant.short_name,
                              portal)
    return _download(body, "application/pdf", f"kody-{stamp}.pdf")


def _download(body: bytes, mimetype: str, name: str) -> Response:
    """The plain codes exist only in this response: it is not cached anywhere."""
    return Response(body, mimetype=mimetype, headers={
        **NO_STORE, "Content-Disposition": f'attachment; filename="{name}"'})


@bp.post("/<int:code_id>/uniewaznij")
def revoke(code_id: int):
    if not RevokeForm().validate_on_submit():
        abort(400)
    try:
        code = services.revoke(code_id, _actor())
    except services.ActivationError as exc:
        flash(exc.message, "error")
        return redirect(url_for("activation_staff.index"))
    if code is None:
        abort(404)
    flash(_("Kod …%(hint)s unieważniono.", hint=code.hint), "success")
    return redirect(url_for("activation_staff.index"))
