"""A resident's own second factor: turn on, new recovery codes, forget devices, turn off."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from iok_saas.extensions import db, limiter
from iok_saas.modules.auth.guards import resident_required
from iok_saas.modules.auth.passwords import verify_password

from . import services
from .forms import ConfirmForm, EnrolForm, ReauthForm

bp = Blueprint("mfa_account", __name__, template_folder="templates")
LAYOUT = "accounts/_layout.html"


@bp.before_request
def _offered():
    if services.resident_setting() == services.OFF:
        abort(404)


@bp.get("/")
@resident_required
def index():
    return render_template("mfa/account.html", active=services.has_totp(current_user),
                           codes_left=services.recovery_codes_left(current_user),
                           passkeys=len(services.passkeys_of(current_user)),
                           passkeys_allowed=services.passkeys_allowed(current_user),
                           required=services.resident_setting() == services.REQUIRED,
                           confirm_form=ConfirmForm())


@bp.route("/wlacz", methods=["GET", "POST"])
@resident_required
@limiter.limit("10/minute", methods=["POST"])
def turn_on():
    if services.has_totp(current_user):
        return redirect(url_for(".index"))
    form = EnrolForm()
    enrolment = services.begin_enrolment(current_user, current_user.login)
    status = 200
    if form.validate_on_submit():
        codes = services.confirm_enrolment(current_user, form.code.data)
        if codes is not None:
            db.session.commit()
            return render_template("mfa/recovery_codes.html", codes=codes, layout=LAYOUT,
                                   next_url=url_for(".index"))
        form.code.errors.append(_("Kod się nie zgadza. Sprawdź, czy zeskanowano właściwy "
                                  "kod QR, i wpisz aktualny kod z aplikacji."))
        status = 422
    db.session.commit()
    return render_template("mfa/enrol.html", form=form, enrolment=enrolment, layout=LAYOUT,
                           forced=False), status


@bp.post("/kody")
@resident_required
def recovery_codes():
    if not ConfirmForm().validate_on_submit() or not services.has_totp(current_user):
        return redirect(url_for(".index"))
    codes = services.new_recovery_codes(current_user)
    db.session.commit()
    return render_template("mfa/recovery_codes.html", codes=codes, layout=LAYOUT,
                           next_url=url_for(".index"))


@bp.post("/zapomnij-urzadzenia")
@resident_required
def forget_devices():
    if ConfirmForm().validate_on_submit():
        services.forget_devices(current_user)
        db.session.commit()
        flash(_("Zapamiętane urządzenia zostały zapomniane: przy następnym logowaniu każde "
                "poprosi o kod."), "success")
    return redirect(url_for(".index"))


@bp.route("/wylacz", methods=["GET", "POST"])
@resident_required
@limiter.limit("10/minute", methods=["POST"])
def turn_off():
    if not services.has_totp(current_user):
        return redirect(url_for(".index"))
    if services.resident_setting() == services.REQUIRED:
        abort(404)
    form = ReauthForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.turn_off(current_user, verify_password(current_user.password_hash,
                                                            form.password.data),
                              form.code.data)
        except services.FactorError as exc:
            db.session.commit()  # a wrong code still counts towards the lock
            _reauth_error(form, str(exc))
            status = 422
        else:
            db.session.commit()
            flash(_("Drugi składnik został wyłączony. Wysłaliśmy o tym wiadomość e-mail."),
                  "success")
            return redirect(url_for(".index"))
    return render_template("mfa/turn_off.html", form=form), status


def _reauth_error(form: ReauthForm, problem: str) -> None:
    if problem == "password":
        form.password.errors.append(_("Hasło jest nieprawidłowe."))
    else:
        form.code.errors.append(_("Kod jest nieprawidłowy albo został już użyty. Wpisz "
                                  "aktualny kod z aplikacji."))
