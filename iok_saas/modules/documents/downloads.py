"""Serving a stored PDF version (shared by the resident, public and staff pages)."""

from __future__ import annotations

from urllib.parse import quote

from flask import abort, send_file

from . import services


def pdf_response(version, *, public: bool = False):
    """The version's file as a download; a file missing from the disk is a 404."""
    path = services.file_path(version)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype="application/pdf", conditional=True, etag=version.sha256)
    ascii_name = version.filename.encode("ascii", "replace").decode().replace("?", "_")
    response.headers["Content-Disposition"] = (
        f"inline; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(version.filename)}")
    response.headers["Cache-Control"] = "public, max-age=300" if public else "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
