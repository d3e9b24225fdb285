"""Errors services raise; the web layer (errors.py) maps them to HTTP answers.

Services stay free of HTTP: a CLI command or a Celery task calling the same service gets
a plain exception it can report, a request gets the page that fits.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of the errors a service raises on purpose."""


class NotFound(DomainError, LookupError):
    """The object does not exist for this tenant and user (a request answers 404, which
    also hides whether another tenant or resident has such an id)."""
