"""Resident pages of the occupants feature: routes only (logic in services.py)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("occupants", __name__, template_folder="templates")
