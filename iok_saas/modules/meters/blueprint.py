"""Resident pages of the meters feature: routes only (logic in services.py)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("meters", __name__, template_folder="templates")
