"""Entry point for workers and beat:

    celery -A iok_saas.celery_app worker --loglevel=info
    celery -A iok_saas.celery_app beat --loglevel=info
"""

from . import create_app

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
