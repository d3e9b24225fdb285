"""Resident pages of the contact feature: routes only (logic in services.py)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("contact", __name__, template_folder="templates")
