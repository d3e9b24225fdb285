"""The resident's security page (history, sessions) and blocking the account from an e-mail."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from iok_saas.extensions import db, limiter
from iok_saas.modules.accounts import services as accounts
from iok_saas.modules.accounts.models import BLOCKED
from iok_saas.modules.auth.guards import resident_required
from iok_saas.modules.auth.models import RESIDENT
from iok_saas.modules.auth.sessions import SESSION_ID_KEY, end_sessions
from iok_saas.tenancy import current_tenant

from . import services
from .forms import BlockByLinkForm, ConfirmForm

bp = Blueprint("security", __name__, template_folder="templates")


@bp.get("/")
@resident_required
def index():
    return render_template(
        "security/index.html", history=services.history(current_user),
        sessions=services.open_sessions(current_user, session.get(SESSION_ID_KEY)),
        second_factor=current_tenant.policy.second_factor.residents != "off",
        form=ConfirmForm())


@bp.post("/sesje/<handle>/zakoncz")
@resident_required
def end_session(handle: str):
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for(".index"))
    if not services.end_session(current_user, handle):
        abort(404)
    db.session.commit()
    flash(_("Sesja została zakończona."), "success")
    return redirect(url_for(".index"))


@bp.post("/sesje/zakoncz-pozostale")
@resident_required
def end_other_sessions():
    if ConfirmForm().validate_on_submit():
        end_sessions(RESIDENT, current_user.id, "ended_by_user", keep_current=True)
        db.session.commit()
        flash(_("Pozostałe sesje zostały zakończone."), "success")
    return redirect(url_for(".index"))


@bp.route("/zablokuj/<token>", methods=["GET", "POST"])
@limiter.limit("10/minute", methods=["POST"])
def block_by_link(token: str):
    """The link in a security e-mail: block the account without signing in (whoever
    changed the password may be signed in; the resident may not be able to)."""
    if not current_tenant.policy.blocking.self_block:
        abort(404)
    account_id = services.account_id_for_block_link(token)
    account = accounts.get_account(account_id) if account_id is not None else None
    if account is None:
        return render_template("security/block_link_invalid.html"), 410
    form = BlockByLinkForm()
    if account.state == BLOCKED:
        return render_template("security/block_by_link.html", form=form, blocked=True)
    if form.validate_on_submit():
        accounts.self_block(account, "zablokowane odnośnikiem z wiadomości o bezpieczeństwie")
        flash(_("Konto zostało zablokowane. Aby odzyskać dostęp, skontaktuj się z biurem."),
              "success")
        return redirect(url_for("site.start"))
    return render_template("security/block_by_link.html", form=form, blocked=False)
