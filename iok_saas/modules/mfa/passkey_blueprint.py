"""Passkeys: a user's own list (add, remove) for residents, staff and operators, and the
passwordless sign-in of residents and staff where the policy allows it.

The browser side is static/js/passkeys.js: it asks a ``…/opcje`` route for the ceremony's
options, lets the authenticator answer and posts the answer back as JSON.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address

from iok_saas.extensions import db, limiter
from iok_saas.modules.auth.guards import (
    current_operator,
    current_resident,
    current_staff,
    operators_only,
    staff_required,
)
from iok_saas.modules.auth.passwords import verify_password

from . import flow, passkeys, services
from .forms import PasskeyAnswerForm, PasskeyForm, PasskeyRemoveForm
from .services import RESIDENT, STAFF

bp = Blueprint("passkeys", __name__, template_folder="templates")
staff_bp = Blueprint("passkeys_staff", __name__, template_folder="templates")
operator_bp = Blueprint("passkeys_operator", __name__, template_folder="templates")
sign_in_bp = Blueprint("passkeys_sign_in", __name__, template_folder="templates")
staff_sign_in_bp = Blueprint("passkeys_staff_sign_in", __name__, template_folder="templates")

# Per blueprint: who is signed in, the layout, where "back" leads.
OWNERS = {
    "passkeys": (current_resident, "accounts/_layout.html", "security.index"),
    "passkeys_staff": (current_staff, "staff/_layout.html", "backoffice.index"),
    "passkeys_operator": (current_operator, "operator/_layout.html", "operator.index"),
}
# Per sign-in blueprint: whose passkeys it accepts, where they land.
SIGN_INS = {
    "passkeys_sign_in": (RESIDENT, "accounts.dashboard"),
    "passkeys_staff_sign_in": (STAFF, "backoffice.index"),
}


@sign_in_bp.app_context_processor
def _template_helpers() -> dict:
    return {"passwordless_sign_in": passkeys.passwordless_for,
            "passkeys_offered": _passkeys_offered}


def _passkeys_offered() -> bool:
    """Whether the signed-in resident or staff member may keep passkeys here."""
    user = current_resident() or current_staff()
    return user is not None and services.passkeys_allowed(user)


def _resident_only():
    if current_resident() is None:
        return redirect(url_for("accounts.login", next=request.path))
    if not services.passkeys_allowed(current_resident()):
        abort(404)
    return None


def _staff_only():
    refused = staff_required()
    if refused is None and not services.passkeys_allowed(current_staff()):
        abort(404)
    return refused


bp.before_request(_resident_only)
staff_bp.before_request(_staff_only)
operator_bp.before_request(operators_only)


def _owner():
    return OWNERS[request.blueprint][0]()


def _problem(message: str, status: int = 422):
    return jsonify(error=message), status


# --- the list, adding and removing ------------------------------------------------------------

def index():
    user = _owner()
    return render_template("mfa/passkeys.html", layout=OWNERS[request.blueprint][1],
                           passkeys=services.passkeys_of(user), form=PasskeyForm(),
                           back=OWNERS[request.blueprint][2])


@limiter.limit("20/minute")
def registration_options():
    user = _owner()
    label = getattr(user, "login", None) or user.email
    name = getattr(user, "full_name", None) or getattr(user, "name", None) or label
    return jsonify(json_text=passkeys.registration_options(user, label, name))


@limiter.limit("20/minute")
def add():
    user = _owner()
    form = PasskeyForm()
    if not form.validate_on_submit():
        return _problem(_("Nadaj kluczowi nazwę (do 60 znaków)."))
    try:
        passkeys.register(user, form.name.data, form.credential.data or "")
    except passkeys.PasskeyError:
        db.session.commit()  # the challenge is spent
        return _problem(_("Nie udało się dodać klucza dostępu. Spróbuj ponownie."))
    db.session.commit()
    flash(_("Klucz dostępu „%(name)s” został dodany.", name=form.name.data.strip()), "success")
    return jsonify(redirect=url_for(f"{request.blueprint}.index"))


@limiter.limit("10/minute", methods=["POST"])
def remove(passkey_id: int):
    user = _owner()
    row = passkeys.passkey_of(user, passkey_id)
    if row is None:
        abort(404)
    form = PasskeyRemoveForm()
    status = 200
    if form.validate_on_submit():
        try:
            name = passkeys.remove(user, passkey_id,
                                   verify_password(user.password_hash, form.password.data))
        except passkeys.PasskeyError as exc:
            form.password.errors.append(_removal_error(str(exc)))
            status = 422
        else:
            db.session.commit()
            flash(_("Klucz dostępu „%(name)s” został usunięty. Wysłaliśmy o tym wiadomość "
                    "e-mail.", name=name), "success")
            return redirect(url_for(f"{request.blueprint}.index"))
    return render_template("mfa/passkey_remove.html", layout=OWNERS[request.blueprint][1],
                           passkey=row, form=form), status


def _removal_error(problem: str) -> str:
    if problem == "last factor":
        return _("To Twój jedyny drugi składnik, a to konto musi go mieć. Najpierw dodaj "
                 "inny klucz dostępu albo aplikację uwierzytelniającą.")
    return _("Hasło jest nieprawidłowe.")


for owner_bp in (bp, staff_bp, operator_bp):
    owner_bp.add_url_rule("/", view_func=index)
    owner_bp.add_url_rule("/opcje", view_func=registration_options, methods=["POST"])
    owner_bp.add_url_rule("/dodaj", view_func=add, methods=["POST"])
    owner_bp.add_url_rule("/<int:passkey_id>/usun", view_func=remove, methods=["GET", "POST"])


# --- signing in with a passkey alone ---------------------------------------------------------

def _offered() -> None:
    """404 where the policy does not offer it (checked in the view, after the limits)."""
    if not passkeys.passwordless_for(SIGN_INS[request.blueprint][0]):
        abort(404)


def _sign_in_key() -> str:
    return f"passkey-sign-in:{flow.site_key()}:{get_remote_address()}"


@limiter.limit("30/minute", key_func=_sign_in_key)
def sign_in_options():
    _offered()
    return jsonify(json_text=passkeys.authentication_options())


@limiter.limit("10/minute", key_func=_sign_in_key)
def sign_in():
    _offered()
    kind, landing = SIGN_INS[request.blueprint]
    form = PasskeyAnswerForm()
    user = None
    if form.validate_on_submit():
        try:
            user = flow.user_of(*passkeys.passwordless_user(form.credential.data, kind))
        except passkeys.PasskeyError:
            user = None
    response = flow.sign_in_without_password(user, url_for(landing)) if user else None
    if response is None:
        db.session.commit()  # the challenge is spent
        return _problem(_("Nie udało się zalogować tym kluczem dostępu. Zaloguj się hasłem "
                          "albo spróbuj innego klucza."))
    return flow.as_json(response)


for passwordless_bp in (sign_in_bp, staff_sign_in_bp):
    passwordless_bp.add_url_rule("/opcje", view_func=sign_in_options, methods=["POST"])
    passwordless_bp.add_url_rule("/", view_func=sign_in, methods=["POST"])

