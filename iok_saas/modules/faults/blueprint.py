"""Resident pages of the faults feature: routes only (logic in services.py)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("faults", __name__, template_folder="templates")
