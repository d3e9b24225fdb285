"""Resident pages of the announcements feature: routes only (logic in services.py)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from iok_saas.modules.portal import resident_units, shown_units, tab_required

from . import services
from .forms import EmailOptInForm

bp = Blueprint("announcements", __name__, template_folder="templates")


@bp.get("/")
@tab_required("announcements")
def index():
    form = EmailOptInForm(wanted=current_user.email_announcements)
    return render_template("announcements/index.html",
                           announcements=services.visible_to(shown_units()), form=form,
                           email=current_user.person.email)


@bp.get("/<int:announcement_id>")
@tab_required("announcements")
def show(announcement_id: int):
    announcement = services.visible_one(resident_units(), announcement_id)
    if announcement is None:
        abort(404)
    return render_template("announcements/show.html", announcement=announcement)


@bp.post("/powiadomienia")
@tab_required("announcements")
def email_opt_in():
    form = EmailOptInForm()
    if form.validate_on_submit():
        services.set_email_opt_in(current_user, bool(form.wanted.data))
        if form.wanted.data:
            flash(_("Nowe ogłoszenia będziemy wysyłać na Twój adres e-mail."), "success")
        else:
            flash(_("Nie będziemy wysyłać ogłoszeń e-mailem."), "success")
    return redirect(url_for("announcements.index"))
