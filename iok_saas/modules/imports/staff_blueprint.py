"""Staff desk of the imports feature (/staff/…): routes only."""

from __future__ import annotations

from flask import Blueprint

from iok_saas.modules.staff.blueprint import staff_required

bp = Blueprint("imports_staff", __name__, template_folder="templates")
bp.before_request(staff_required)
