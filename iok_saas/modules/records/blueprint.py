"""Resident pages of the records feature: routes only (logic in services.py)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("records", __name__, template_folder="templates")
