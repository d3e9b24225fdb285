"""Notifications through a transactional outbox: a row written with the change that causes
it, delivered after commit by a Celery task, swept up by beat if anything was left behind."""
