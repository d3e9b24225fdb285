"""The resident's registration with an activation code (/aktywacja…): routes only."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, session, url_for

from iok_saas.extensions import limiter
from iok_saas.modules.accounts.services import password_rules_text

from . import services, tokens
from .forms import ConfirmForm, RegisterForm, ResendForm

bp = Blueprint("activation", __name__, template_folder="templates")

DONE_KEY = "iok_activation_done"


@bp.before_request
def only_where_enabled():
    if not services.enabled():
        abort(404)


@bp.route("/aktywacja", methods=["GET", "POST"])
@limiter.limit("10/minute;40/hour", methods=["POST"])
def register():
    form = RegisterForm()
    error, problems = None, []
    if form.validate_on_submit():
        try:
            account = services.register(services.Registration(
                form.code.data, form.flat_number.data, form.amount.data, form.email.data,
                form.new.data))
        except services.ActivationError as exc:
            error = exc.message
        except services.PasswordRejected as exc:
            problems = exc.problems
        else:
            session[DONE_KEY] = {"login": account.login, "email": form.email.data.strip()}
            return redirect(url_for("activation.sent"))
    status = 422 if form.is_submitted() else 200
    return render_template("activation/register.html", form=form, error=error,
                           errors=problems, rules=password_rules_text()), status


@bp.route("/aktywacja/nowy-odnosnik", methods=["GET", "POST"])
@limiter.limit("5/minute;20/hour", methods=["POST"])
def resend():
    form = ResendForm()
    error = None
    if form.validate_on_submit():
        try:
            account = services.resend_link(form.login.data, form.password.data,
                                           form.email.data, request.remote_addr)
        except services.ActivationError as exc:
            error = exc.message
        else:
            session[DONE_KEY] = {"login": account.login, "email": form.email.data.strip(),
                                 "again": True}
            return redirect(url_for("activation.sent"))
    status = 422 if form.is_submitted() else 200
    return render_template("activation/resend.html", form=form, error=error), status


@bp.get("/aktywacja/wyslano")
def sent():
    done = session.get(DONE_KEY)
    if not done:
        return redirect(url_for("activation.register"))
    return render_template("activation/sent.html", done=done,
                           valid_until=tokens.valid_until_text())


@bp.route("/aktywacja/potwierdz/<token>", methods=["GET", "POST"])
@limiter.limit("20/minute", methods=["POST"])
def confirm(token: str):
    """GET shows a button (mail scanners that open links must not confirm); POST confirms."""
    try:
        code = services.code_for_link(token)
    except tokens.LinkError:
        return render_template("activation/link_invalid.html"), 410
    form = ConfirmForm()
    if form.validate_on_submit():
        account = services.confirm_email(token)
        session.pop(DONE_KEY, None)
        return render_template("activation/confirmed.html", login=account.login)
    return render_template("activation/confirm.html", form=form, email=code.email)
