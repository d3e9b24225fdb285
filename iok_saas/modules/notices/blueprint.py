"""Resident pages of the notices feature (/konto/zawiadomienia): routes only."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from iok_saas.extensions import db
from iok_saas.modules.portal import resident_units, shown_units, tab_required
from iok_saas.tenancy import current_tenant

from . import services
from .forms import ConsentForm, WithdrawForm

bp = Blueprint("notices", __name__, template_folder="templates")

NO_STORE = {"Cache-Control": "no-store"}


@bp.get("/")
@tab_required("charge_notices")
def index():
    return _page(ConsentForm(), WithdrawForm())


@bp.post("/zgoda")
@tab_required("charge_notices")
def consent():
    give, withdraw = ConsentForm(), WithdrawForm()
    giving = services.consent_in_force(current_user.id) is None
    form = give if giving else withdraw
    if not form.validate_on_submit():
        return _page(give, withdraw), 400
    try:
        if giving:
            services.give_consent(current_user)
        else:
            services.withdraw_consent(current_user)
    except services.NoticesError as exc:
        db.session.rollback()
        give.agree.errors = [*give.agree.errors, exc.message]
        return _page(give, withdraw), 400
    db.session.commit()
    flash(_("Zgoda zapisana: zawiadomienia otrzymasz w portalu i e-mailem.") if giving
          else _("Zgoda wycofana: kolejne zawiadomienia otrzymasz na papierze."), "success")
    return redirect(url_for("notices.index"))


@bp.get("/<int:notice_id>")
@tab_required("charge_notices")
def show(notice_id: int):
    try:
        notice = services.resident_notice(notice_id, [unit.id for unit in resident_units()])
        body = services.notice_pdf(notice)
    except services.NoticeNotFound:
        abort(404)
    services.record_opening(notice, current_user.id)
    db.session.commit()
    return Response(body, mimetype="application/pdf", headers={
        **NO_STORE, "Content-Disposition": f'inline; filename="{services.file_name(notice)}"'})


def _page(give: ConsentForm, withdraw: WithdrawForm):
    units = shown_units()
    notices = services.published_notices([unit.id for unit in units])
    totals = services.totals(n.id for listed in notices.values() for n in listed)
    rules = current_tenant.policy.charge_notices
    give.agree.label.text = rules.consent_text
    return render_template(
        "notices/index.html", units=units, notices=notices, totals=totals,
        consent=services.consent_in_force(current_user.id),
        history=services.consent_history(current_user.id), give=give, withdraw=withdraw,
        email=current_user.person.email, attached=rules.email == services.ATTACHMENT)
