"""Response headers every page carries: no inline scripts or styles, no framing, no
MIME sniffing; HSTS in production; no caching of signed-in pages."""

from __future__ import annotations

from flask import Flask, Response, current_app, g
from werkzeug.routing import IntegerConverter

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
))


# The largest id any table can hold (a signed 64-bit integer, SQLite and PostgreSQL alike).
MAX_ID = 2 ** 63 - 1


class BoundedIntegerConverter(IntegerConverter):
    """``<int:…>`` capped at MAX_ID: a longer number in a URL is a 404, never an integer the
    database driver refuses with an overflow (a 500)."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits, min, MAX_ID if max is None else max, signed)


def install_converters(app: Flask) -> None:
    """Before any blueprint adds its rules."""
    app.url_map.converters["int"] = BoundedIntegerConverter


def init_app(app: Flask) -> None:
    app.after_request(_security_headers)


def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    # Pages for a signed-in user hold personal data (balances, addresses, staff desks): the
    # browser must not keep them, e.g. for "Back" after logout on a shared computer. Only a
    # user this request already loaded counts, so anonymous pages cost no extra query.
    user = g.get("_login_user")
    if user is not None and getattr(user, "is_authenticated", False):
        headers.setdefault("Cache-Control", "private, no-store")
    if current_app.config["IOK_ENV"] == "production":
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response
