"""Operations: health and readiness probes, Prometheus metrics, request ids and JSON logs.

The probes and /metrics answer on any Host (a load balancer or Prometheus rarely sends a
tenant's name), so they sit in front of the Flask app as a small WSGI layer; everything a
request does inside the app is logged as one JSON line carrying its tenant and request id.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
import uuid

from flask import Flask, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy import text

from .tenancy import current_tenant_or_none

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
request_log = logging.getLogger("iok.request")

REQUESTS = Counter("iok_http_requests_total", "HTTP requests answered",
                   ["tenant", "method", "status"])
LATENCY = Histogram("iok_http_request_duration_seconds", "Time to answer a request",
                    ["endpoint"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))


def init_app(app: Flask) -> None:
    configure_logging(app)
    app.before_request_funcs.setdefault(None, []).insert(0, _start_request)
    app.after_request(_finish_request)
    app.wsgi_app = OperationsEndpoints(app, app.wsgi_app)


def current_request_id() -> str | None:
    return g.get("iok_request_id")


def _start_request() -> None:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    g.iok_request_id = given if _VALID_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
    g.iok_started = time.perf_counter()


def _finish_request(response):
    response.headers[REQUEST_ID_HEADER] = g.get("iok_request_id", "")
    started = g.get("iok_started")
    seconds = time.perf_counter() - started if started else 0.0
    tenant = current_tenant_or_none()
    REQUESTS.labels(tenant.slug if tenant else "-", request.method,
                    str(response.status_code)).inc()
    LATENCY.labels(request.endpoint or "-").observe(seconds)
    request_log.info("request", extra={
        "method": request.method, "path": request.path, "status": response.status_code,
        "duration_ms": round(seconds * 1000, 1), "endpoint": request.endpoint})
    return response


# --- logs -------------------------------------------------------------------------------------

class ContextFilter(logging.Filter):
    """Stamps every record with the tenant and request it belongs to (if any)."""

    def filter(self, record: logging.LogRecord) -> bool:
        tenant = current_tenant_or_none()
        record.tenant = tenant.slug if tenant else None
        try:
            record.request_id = current_request_id()
        except RuntimeError:  # outside a request (CLI, Celery task)
            record.request_id = None
        return True


_STANDARD_FIELDS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "tenant", "request_id"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, tenant, request id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "tenant": getattr(record, "tenant", None),
            "request_id": getattr(record, "request_id", None),
        }
        entry.update({key: value for key, value in vars(record).items()
                      if key not in _STANDARD_FIELDS})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


JsonFormatter.converter = time.gmtime


def configure_logging(app: Flask) -> None:
    """JSON lines on stderr for the app's loggers (IOK_LOG_FORMAT=json, the production
    default) or plain text for a developer's terminal."""
    handler = logging.StreamHandler()
    handler.addFilter(ContextFilter())
    if app.config["IOK_LOG_FORMAT"] == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(
            "%(asctime)s %(levelname)s %(name)s [%(tenant)s %(request_id)s] %(message)s"))
    for name in ("iok", app.logger.name):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(app.config["IOK_LOG_LEVEL"])
        logger.propagate = False


# --- probes and metrics -----------------------------------------------------------------------

class OperationsEndpoints:
    """/healthz (the process answers), /readyz (database and Redis answer) and /metrics
    (Prometheus text format; only for the addresses in IOK_METRICS_ALLOWED_IPS)."""

    def __init__(self, app: Flask, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            return self._reply(start_response, 200, {"status": "ok"})
        if path == "/readyz":
            checks = self._readiness()
            ready = all(value == "ok" for value in checks.values())
            return self._reply(start_response, 200 if ready else 503,
                               {"status": "ready" if ready else "not ready", "checks": checks})
        if path == "/metrics":
            allowed = self.app.config["IOK_METRICS_ALLOWED_IPS"]
            if environ.get("REMOTE_ADDR") not in allowed:
                return self._reply(start_response, 404, {"status": "not found"})
            body = generate_latest(_registry())
            start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST),
                                      ("Cache-Control", "no-store")])
            return [body]
        return self.wsgi_app(environ, start_response)

    def _readiness(self) -> dict[str, str]:
        from .extensions import db

        checks = {}
        with self.app.app_context():
            checks["database"] = _probe(lambda: db.session.execute(text("SELECT 1")))
            db.session.remove()
            redis_url = self.app.config.get("REDIS_URL")
            if redis_url:
                checks["redis"] = _probe(lambda: _ping_redis(redis_url))
        return checks

    @staticmethod
    def _reply(start_response, status: int, payload: dict):
        body = json.dumps(payload).encode()
        reason = {200: "OK", 404: "NOT FOUND", 503: "SERVICE UNAVAILABLE"}[status]
        start_response(f"{status} {reason}", [("Content-Type", "application/json"),
                                              ("Content-Length", str(len(body))),
                                              ("Cache-Control", "no-store")])
        return [body]


def _probe(check) -> str:
    try:
        check()
    except Exception as error:  # noqa: BLE001 - any failure means "not ready"
        logging.getLogger("iok.readiness").warning("readiness check failed: %s", error)
        return f"failed: {type(error).__name__}"
    return "ok"


def _ping_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    finally:
        client.close()


def _registry():
    """With several gunicorn workers, each writes its samples to PROMETHEUS_MULTIPROC_DIR and
    a scrape adds them up; a single process serves its own registry."""
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    from prometheus_client import REGISTRY

    return REGISTRY
