"""Resident pages of the ledger feature: routes only (logic in services.py)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("ledger", __name__, template_folder="templates")
