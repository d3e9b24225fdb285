"""Staff remove a resident's second factor (a lost phone and no recovery codes)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from iok_saas.extensions import db
from iok_saas.modules.accounts.services import get_account
from iok_saas.modules.auth.guards import current_staff, staff_required
from iok_saas.tenancy import current_tenant

from . import services
from .forms import StaffResetForm

bp = Blueprint("mfa_staff", __name__, template_folder="templates")
bp.before_request(staff_required)


@bp.route("/<int:account_id>", methods=["GET", "POST"])
def reset(account_id: int):
    account = get_account(account_id)
    if account is None:
        abort(404)
    member = current_staff()
    form = StaffResetForm()
    needs_document = services.reset_needs_document()
    allowed = services.may_reset(member)
    status = 200
    if allowed and form.validate_on_submit():
        try:
            services.reset_by_staff(account, member, form.request_note.data,
                                    form.document.data or "")
        except services.FactorError as exc:
            _reset_error(form, str(exc))
            status = 422
        else:
            db.session.commit()
            flash(_("Drugi składnik mieszkańca został usunięty. Mieszkaniec dostał o tym "
                    "wiadomość e-mail."), "success")
            return redirect(url_for("backoffice.person", person_id=account.person_id))
    elif form.is_submitted():
        status = 403 if not allowed else 422
    return render_template("mfa/staff_reset.html", form=form, account=account,
                           active=services.has_factor(account), allowed=allowed,
                           needs_document=needs_document,
                           department=_recovery_department()), status


def _recovery_department() -> str | None:
    department = current_tenant.policy.recovery.department
    return current_tenant.department_name(department) if department else None


def _reset_error(form: StaffResetForm, problem: str) -> None:
    if problem == "document":
        form.document.errors.append(_("Zapisz, jaki dokument tożsamości sprawdzono — tak "
                                      "wymagają zasady odzyskiwania dostępu."))
    else:
        form.request_note.errors.append(_("To konto nie ma drugiego składnika."))
