"""The second step of signing in (code, or forced set-up), for every kind of user.

The same views serve two blueprints: ``mfa`` on tenant sites (residents, staff) and
``mfa_operator`` on the admin host; the pending state in the session says whose step it is.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address

from iok_saas.extensions import db, limiter

from . import flow, passkeys, services
from .forms import CodeForm, EnrolForm, PasskeyAnswerForm

bp = Blueprint("mfa", __name__, template_folder="templates")
operator_bp = Blueprint("mfa_operator", __name__, template_folder="templates")


def _pending_key() -> str:
    """Per user waiting for the step (whichever address they try from); per address when
    nobody waits."""
    data = session.get(flow.PENDING_KEY)
    who = f"{data.get('k')}:{data.get('u')}" if isinstance(data, dict) \
        else get_remote_address()
    return f"2fa:{flow.site_key()}:{who}"


def _login_page():
    endpoint = "operator.login" if request.blueprint == "mfa_operator" else "accounts.login"
    return redirect(url_for(endpoint))


@limiter.limit("30/minute", methods=["POST"])
@limiter.limit("10/minute", methods=["POST"], key_func=_pending_key)
def challenge():
    found = flow.pending()
    if found is None:
        flash(_("Zaloguj się ponownie."), "info")
        return _login_page()
    if not services.has_factor(found.user):
        return redirect(url_for(f"{request.blueprint}.enrol"))
    form = CodeForm()
    may_remember = services.remember_for(found.user) is not None
    status = 200
    if form.validate_on_submit():
        check = services.verify(found.user, form.code.data)
        if check.ok:
            if check.recovery_used:
                flash(_("Użyto kodu zapasowego. Pozostało kodów: %(num)d.",
                        num=check.codes_left), "warning")
            return flow.finish(found, remember=may_remember and form.remember.data)
        db.session.commit()
        form.code.errors.append(_code_error(check))
        status = 422
    return render_template("mfa/challenge.html", form=form, layout=found.kind.layout,
                           totp=services.has_totp(found.user),
                           passkey=bool(services.passkeys_of(found.user)),
                           may_remember=may_remember,
                           remember_days=_days(services.remember_for(found.user))), status


def _code_error(check: services.Check) -> str:
    if check.locked_until is not None:
        return _("Zbyt wiele błędnych kodów. Logowanie jest wstrzymane do %(time)s.",
                 time=format_datetime(check.locked_until, "HH:mm"))
    return _("Kod jest nieprawidłowy albo został już użyty. Wpisz aktualny kod z aplikacji.")


def _days(lifetime) -> int:
    return lifetime.days if lifetime is not None else 0


@limiter.limit("30/minute", methods=["POST"])
@limiter.limit("10/minute", methods=["POST"], key_func=_pending_key)
def enrol():
    """Forced set-up: a user who must have a second factor and has none yet."""
    found = flow.pending()
    if found is None:
        flash(_("Zaloguj się ponownie."), "info")
        return _login_page()
    if services.has_factor(found.user):
        return redirect(url_for(f"{request.blueprint}.challenge"))
    form = EnrolForm()
    enrolment = services.begin_enrolment(found.user, _account_label(found.user))
    status = 200
    if form.validate_on_submit():
        codes = services.confirm_enrolment(found.user, form.code.data)
        if codes is not None:
            response = flow.finish(found)  # commits with the session row
            return render_template("mfa/recovery_codes.html", codes=codes,
                                   layout=found.kind.layout,
                                   next_url=response.location), 200
        form.code.errors.append(_("Kod się nie zgadza. Sprawdź, czy zeskanowano właściwy "
                                  "kod QR, i wpisz aktualny kod z aplikacji."))
        status = 422
    db.session.commit()  # the pending secret stays the same on reload
    return render_template("mfa/enrol.html", form=form, enrolment=enrolment,
                           layout=found.kind.layout, forced=True), status


def _account_label(user) -> str:
    return getattr(user, "login", None) or user.email


@limiter.limit("30/minute")
@limiter.limit("10/minute", key_func=_pending_key)
def passkey_options():
    found = flow.pending()
    if found is None or not services.passkeys_of(found.user):
        return jsonify(error=_("Zaloguj się ponownie.")), 409
    return jsonify(json_text=passkeys.authentication_options(found.user))


@limiter.limit("30/minute")
@limiter.limit("10/minute", key_func=_pending_key)
def passkey_answer():
    """A passkey instead of a code: the real session starts when it verifies."""
    found = flow.pending()
    if found is None:
        return jsonify(error=_("Zaloguj się ponownie.")), 409
    form = PasskeyAnswerForm()
    if not form.validate_on_submit():
        return jsonify(error=_("Klucz dostępu nie potwierdził logowania.")), 422
    outcome = passkeys.verify_second_step(found.user, form.credential.data)
    if outcome.ok:
        return flow.as_json(flow.finish(found))
    db.session.commit()  # a failure counts towards the lock; the challenge is spent
    if outcome.locked_until is not None:
        return jsonify(error=_code_error(services.Check(False, outcome.locked_until))), 422
    return jsonify(error=_("Klucz dostępu nie potwierdził logowania. Spróbuj ponownie.")), 422


for blueprint in (bp, operator_bp):
    blueprint.add_url_rule("/", view_func=challenge, methods=["GET", "POST"])
    blueprint.add_url_rule("/konfiguracja", view_func=enrol, methods=["GET", "POST"])
    blueprint.add_url_rule("/klucz/opcje", view_func=passkey_options, methods=["POST"])
    blueprint.add_url_rule("/klucz", view_func=passkey_answer, methods=["POST"])
