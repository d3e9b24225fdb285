"""Staff desk of the announcements feature (/staff/…): routes only."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from wtforms import SelectChoice

from iok_saas.modules.auth.guards import current_staff, staff_required
from iok_saas.modules.portal import desk_guard
from iok_saas.timeutil import WARSAW, local, utcnow

from . import services
from .forms import AnnouncementForm

bp = Blueprint("announcements_staff", __name__, template_folder="templates")
bp.before_request(staff_required)
bp.before_request(desk_guard("announcements"))


@bp.context_processor
def _vocabulary() -> dict:
    return {"is_published": services.is_published}


def _actor() -> str:
    return f"staff:{current_staff().login}"


@bp.get("/")
def index():
    return render_template("announcements/staff_index.html",
                           announcements=services.all_announcements())


def _editor(announcement):
    if announcement is None:
        form = AnnouncementForm(data={
            "publish_at": utcnow().astimezone(WARSAW).replace(second=0, microsecond=0,
                                                              tzinfo=None)})
    else:
        form = AnnouncementForm(data={
            "title": announcement.title, "body": announcement.body_markdown,
            "associations": [t.association_id for t in announcement.targets],
            "publish_at": local(announcement.publish_at).replace(tzinfo=None),
            "email_residents": announcement.email_residents})
    form.associations.choices = [SelectChoice(a.id, f"{a.name} ({a.street}, {a.city})")
                                 for a in services.associations()]
    error = None
    if form.validate_on_submit():
        try:
            saved = services.save(
                announcement, title=form.title.data, body=form.body.data,
                association_ids=form.associations.data or [],
                publish_at=form.publish_at.data.replace(tzinfo=WARSAW),
                email_residents=form.email_residents.data, actor=_actor())
        except services.AnnouncementError as exc:
            error = exc.message
        else:
            if services.is_published(saved):
                flash(_("Ogłoszenie „%(title)s” jest opublikowane.", title=saved.title),
                      "success")
            else:
                flash(_("Ogłoszenie „%(title)s” zostało zaplanowane.", title=saved.title),
                      "success")
            return redirect(url_for("announcements_staff.index"))
    status = 422 if form.is_submitted() else 200
    return render_template("announcements/staff_edit.html", form=form, error=error,
                           announcement=announcement), status


@bp.route("/nowe", methods=["GET", "POST"])
def new():
    return _editor(None)


@bp.route("/<int:announcement_id>", methods=["GET", "POST"])
def edit(announcement_id: int):
    announcement = services.get(announcement_id)
    if announcement is None:
        abort(404)
    return _editor(announcement)


@bp.route("/<int:announcement_id>/usun", methods=["GET", "POST"])
def delete(announcement_id: int):
    announcement = services.get(announcement_id)
    if announcement is None:
        abort(404)
    if request.method == "GET":
        return render_template("announcements/staff_delete.html", announcement=announcement)
    title = announcement.title
    services.delete(announcement, _actor())
    flash(_("Usunięto ogłoszenie „%(title)s”.", title=title), "success")
    return redirect(url_for("announcements_staff.index"))
