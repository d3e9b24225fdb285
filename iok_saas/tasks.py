"""Celery bound to the Flask app: every task runs inside an application context."""

from __future__ import annotations

from celery import Celery, Task
from flask import Flask

from .features import load_features


def celery_init_app(app: Flask) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery(app.name, task_cls=FlaskTask)
    celery.config_from_object(_with_feature_tasks(app.config["CELERY"]))
    celery.set_default()
    app.extensions["celery"] = celery
    return celery


def _with_feature_tasks(settings: dict) -> dict:
    """The Celery settings plus every feature's task module and beat entries."""
    registry = load_features()
    include = [*settings.get("include", ()),
               *(f"{feature.package}{feature.tasks}" for feature in registry if feature.tasks)]
    beat = {**settings.get("beat_schedule", {}),
            **{name: entry for feature in registry for name, entry in feature.beat.items()}}
    return {**settings, "include": include, "beat_schedule": beat}
