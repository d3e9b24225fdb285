from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template

from iok_saas.modules.auth.guards import operators_only

from .outbox_view import stored_mails

bp = Blueprint("notifications", __name__, template_folder="templates")
bp.before_request(operators_only)


@bp.get("/")
def outbox():
    """The embedded demo's outbox: every e-mail the platform 'sent', newest first."""
    if current_app.config["IOK_MAIL_TRANSPORT"] != "file":
        abort(404)
    return render_template("notifications/outbox.html", mails=stored_mails())
