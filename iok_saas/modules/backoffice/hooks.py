"""App hooks of the back office: the ``actor`` template filter every staff page uses."""

from __future__ import annotations

from flask import Flask

from .actors import actor_label


def install(app: Flask) -> None:
    app.add_template_filter(actor_label, "actor")
