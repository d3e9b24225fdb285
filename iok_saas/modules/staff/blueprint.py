"""Staff sign-in on the tenant host; the back office itself lives in modules/backoffice."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _

from iok_saas.extensions import limiter
from iok_saas.modules.auth.forms import LoginForm, PasswordChangeForm
from iok_saas.modules.auth.guards import current_staff, staff_required
from iok_saas.modules.auth.models import STAFF
from iok_saas.modules.auth.sessions import end_current_session, start_session
from iok_saas.tenancy import current_tenant

from . import services

bp = Blueprint("staff", __name__, template_folder="templates")

bp.before_request(staff_required)


def _login_key() -> str:
    return f"staff:{current_tenant.id}:{request.form.get('login', '').strip().lower()}"


@bp.route("/logowanie", methods=["GET", "POST"])
@limiter.limit("30/minute", methods=["POST"])
@limiter.limit("10/minute", methods=["POST"], key_func=_login_key)
def login():
    form = LoginForm()
    if form.validate_on_submit():
        result = services.authenticate_staff(form.login.data, form.password.data,
                                             request.remote_addr)
        if result.member is not None:
            start_session(result.member, STAFF)
            return redirect(url_for("backoffice.index"))
        flash(_staff_login_message(result), "error")
    return render_template("staff/login.html", form=form)


def _staff_login_message(result: services.StaffLogin) -> str:
    if result.problem == "locked":
        return _("Zbyt wiele nieudanych prób logowania. Konto jest zablokowane do "
                 "%(time)s.", time=format_datetime(result.locked_until, "HH:mm"))
    if result.problem == "expired":
        return _("Hasło jednorazowe wygasło. Poproś administratora o nowe.")
    if result.problem == "inactive":
        return _("To konto pracownika jest wyłączone.")
    return _("Nieprawidłowy login lub hasło.")


@bp.post("/wyloguj")
def logout():
    end_current_session("logout")
    return redirect(url_for("staff.login"))


@bp.route("/haslo", methods=["GET", "POST"])
def first_password():
    member = current_staff()
    if member is None:
        return redirect(url_for("staff.login"))
    form = PasswordChangeForm()
    errors: list[str] = []
    if form.validate_on_submit():
        errors = services.change_staff_password(member, form.current.data, form.new.data)
        if errors == ["current_password"]:
            errors = [_("Obecne hasło jest nieprawidłowe.")]
        if not errors:
            flash(_("Hasło zostało zmienione."), "success")
            return redirect(url_for("backoffice.index"))
    return render_template("staff/password.html", form=form, errors=errors,
                           forced=member.must_change_password)
