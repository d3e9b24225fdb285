"""The REST API under /api/v1, authenticated by per-tenant API tokens."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api_v1", __name__)
