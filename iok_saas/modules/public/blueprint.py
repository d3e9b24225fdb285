from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, request, url_for

from iok_saas.i18n import LANGUAGE_COOKIE
from iok_saas.modules.auth.forms import LoginForm
from iok_saas.tenancy import current_tenant, on_admin_site

from . import services

# Served on every site: the root and the language switch.
site_bp = Blueprint("site", __name__, template_folder="templates")
# Tenant hosts only.
bp = Blueprint("public", __name__, template_folder="templates")


@site_bp.get("/")
def start():
    if on_admin_site():
        return redirect(url_for("operator.index"))
    return render_template("public/start.html", access=services.access_guide(current_tenant),
                           apply_by=services.application_channels(current_tenant),
                           login_form=LoginForm())


@site_bp.get("/lang/<code>")
def set_language(code: str):
    response = redirect(services.safe_next(request.args.get("next")))
    if code in services.languages():
        response.set_cookie(LANGUAGE_COOKIE, code, max_age=365 * 86400, samesite="Lax",
                            httponly=True)
    return response


@bp.get("/regulamin")
def regulations():
    return render_template("public/regulations.html",
                           regulations=services.regulations_html(current_tenant))


@bp.get("/branding.css")
def branding_css():
    response = Response(services.branding_css(current_tenant), mimetype="text/css")
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response


@bp.get("/branding/logo.svg")
def logo():
    response = Response(services.monogram_svg(current_tenant), mimetype="image/svg+xml")
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response
