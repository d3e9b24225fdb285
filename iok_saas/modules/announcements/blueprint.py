"""Resident pages of the announcements feature: routes only (logic in services.py)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("announcements", __name__, template_folder="templates")
