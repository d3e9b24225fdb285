"""What the portal installs in the app: the flat switcher in every template's context."""

from __future__ import annotations

from flask import Flask

from .switcher import unit_switch


def install(app: Flask) -> None:
    app.context_processor(lambda: {"unit_switch": unit_switch})
