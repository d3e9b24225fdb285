"""Settings from the environment.

Defaults are the embedded set-up a newcomer gets from `make demo`: SQLite in ./var, Celery
tasks run in-process, e-mail written to a local outbox folder. Production sets the
variables listed in deploy/iok.env.example.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def from_environment() -> dict:
    """Build the configuration mapping; called once by create_app."""
    var_dir = Path(os.environ.get("IOK_VAR_DIR", REPO_ROOT / "var"))
    base_domain = os.environ.get("IOK_BASE_DOMAIN", "localhost").lower()
    production = os.environ.get("IOK_ENV", "development") == "production"
    secret = os.environ.get("IOK_SECRET_KEY")
    if production and not secret:
        raise RuntimeError("IOK_SECRET_KEY must be set when IOK_ENV=production")
    return {
        "IOK_ENV": "production" if production else "development",
        "SECRET_KEY": secret or "embedded-development-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": os.environ.get(
            "IOK_DATABASE_URL", f"sqlite:///{var_dir / 'iok.sqlite3'}"
        ),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # PostgreSQL: the schema owner's URL for `flask db upgrade`; the app's own URL above
        # should be a role that owns no table (row-level security applies to it).
        "IOK_MIGRATION_DATABASE_URL": os.environ.get("IOK_MIGRATION_DATABASE_URL") or None,
        "IOK_VAR_DIR": var_dir,
        # A previewed import file waits this long for "apply", then it is deleted.
        "IOK_IMPORT_PREVIEW_HOURS": _env_int("IOK_IMPORT_PREVIEW_HOURS", 24),
        # One JSON object per log line in production (tenant and request id in each).
        "IOK_LOG_FORMAT": os.environ.get("IOK_LOG_FORMAT", "json" if production else "text"),
        "IOK_LOG_LEVEL": os.environ.get("IOK_LOG_LEVEL", "INFO" if production else "WARNING"),
        # Who may scrape /metrics (Prometheus on the same host or the internal network).
        "IOK_METRICS_ALLOWED_IPS": tuple(
            os.environ.get("IOK_METRICS_ALLOWED_IPS", "127.0.0.1,::1").split(",")),
        "IOK_TENANTS_DIR": Path(os.environ.get("IOK_TENANTS_DIR", REPO_ROOT / "tenants")),
        "IOK_POLICIES_DIR": Path(os.environ.get("IOK_POLICIES_DIR", REPO_ROOT / "policies")),
        "IOK_BASE_DOMAIN": base_domain,
        "IOK_ADMIN_HOST": os.environ.get("IOK_ADMIN_HOST", f"admin.{base_domain}").lower(),
        # Scheme and port of the public URLs written into e-mails and redirects.
        "IOK_URL_SCHEME": os.environ.get("IOK_URL_SCHEME", "https" if production else "http"),
        "IOK_PUBLIC_PORT": os.environ.get("IOK_PUBLIC_PORT") or None,
        # In production a tenant's own domain (iok.mzmk-brzeg.pl) is its canonical host;
        # in the demo the <slug>.localhost name is, because custom domains do not resolve.
        "IOK_CUSTOM_HOSTS_CANONICAL": _env_bool("IOK_CUSTOM_HOSTS_CANONICAL", production),
        # How often a worker process asks the database whether tenants changed.
        "IOK_TENANT_CACHE_SECONDS": float(os.environ.get("IOK_TENANT_CACHE_SECONDS", "5")),
        "IOK_PASSWORD_FLOOR_MIN_LENGTH": _env_int("IOK_PASSWORD_FLOOR_MIN_LENGTH", 8),
        "SESSION_COOKIE_NAME": "iok_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        # Host-only cookies: never a Domain attribute, so brzeg.* cookies mean nothing at gdynia.*
        "SESSION_COOKIE_DOMAIN": None,
        "REMEMBER_COOKIE_DOMAIN": None,
        "PERMANENT_SESSION_LIFETIME": _env_int("IOK_SESSION_HOURS", 12) * 3600,
        "WTF_CSRF_TIME_LIMIT": None,
        "BOOTSTRAP_SERVE_LOCAL": True,
        "BABEL_DEFAULT_LOCALE": "pl",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Warsaw",
        "IOK_LANGUAGES": ("pl", "en"),
        # Explicit: Flask-Limiter otherwise inherits "enabled" from the last app it served.
        "RATELIMIT_ENABLED": _env_bool("IOK_RATELIMIT_ENABLED", True),
        "RATELIMIT_STORAGE_URI": os.environ.get("IOK_RATELIMIT_STORAGE_URL", "memory://"),
        **_limiter_resilience(os.environ.get("IOK_RATELIMIT_STORAGE_URL")),
        # A moving window: no burst of twice the limit around a minute boundary.
        "RATELIMIT_STRATEGY": "moving-window",
        "RATELIMIT_HEADERS_ENABLED": True,
        "REDIS_URL": os.environ.get("IOK_REDIS_URL"),
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        **_mail_settings(production),
        "CELERY": _celery_settings(os.environ.get("IOK_REDIS_URL")),
    }


def _limiter_resilience(storage_url: str | None) -> dict:
    """Redis storage down must not take pages down: each worker counts in its own memory
    meanwhile (and goes back to Redis when it answers again); any other storage error is
    logged, never shown to the visitor. Short socket timeouts keep a hung Redis from
    holding a request."""
    settings: dict = {"RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
                      "RATELIMIT_SWALLOW_ERRORS": True}
    if storage_url and storage_url.startswith(("redis://", "rediss://")):
        settings["RATELIMIT_STORAGE_OPTIONS"] = {"socket_connect_timeout": 1,
                                                 "socket_timeout": 1}
    return settings


def _mail_settings(production: bool) -> dict:
    return {
        # "file": .eml files in <var>/outbox (the demo shows them); "smtp": a real server.
        "IOK_MAIL_TRANSPORT": os.environ.get("IOK_MAIL_TRANSPORT",
                                             "smtp" if production else "file"),
        "IOK_MAIL_FROM": os.environ.get("IOK_MAIL_FROM", "iok@localhost"),
        "IOK_MAIL_DOMAIN": os.environ.get("IOK_MAIL_DOMAIN", "iok.localhost"),
        "IOK_SMTP_HOST": os.environ.get("IOK_SMTP_HOST", "127.0.0.1"),
        "IOK_SMTP_PORT": _env_int("IOK_SMTP_PORT", 25),
        "IOK_SMTP_USERNAME": os.environ.get("IOK_SMTP_USERNAME"),
        "IOK_SMTP_PASSWORD": os.environ.get("IOK_SMTP_PASSWORD"),
        # none | starttls | ssl
        "IOK_SMTP_SECURITY": os.environ.get("IOK_SMTP_SECURITY", "none"),
        "IOK_SMTP_TIMEOUT": float(os.environ.get("IOK_SMTP_TIMEOUT", "20")),
        # How long a worker may hold a message before another one may try it again.
        "IOK_OUTBOX_LEASE_SECONDS": _env_int("IOK_OUTBOX_LEASE_SECONDS", 120),
        # The sweeper leaves a never-tried row alone this long (its task is likely queued).
        "IOK_OUTBOX_SWEEP_GRACE_SECONDS": _env_int("IOK_OUTBOX_SWEEP_GRACE_SECONDS", 30),
    }


def _celery_settings(redis_url: str | None) -> dict:
    """With Redis, a real worker and beat deliver; without it, tasks run in-process."""
    return {
        "broker_url": redis_url or "memory://",
        # Features add the modules whose tasks a worker registers (iok_saas.tasks).
        "include": [],
        "task_always_eager": redis_url is None,
        "task_serializer": "json",
        "accept_content": ["json"],
        "task_ignore_result": True,
        # A task is acknowledged only after it ran: a killed worker's task is redelivered.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "broker_connection_retry_on_startup": True,
        # A broker that does not answer (as opposed to refusing) must not hold a web
        # request for long either: connecting gives up after 2 s.
        "broker_connection_timeout": 2,
        "broker_transport_options": {"visibility_timeout": 300, "socket_connect_timeout": 2},
        # Publishing must not hang a web request when Redis is down: the sweeper catches up.
        "task_publish_retry_policy": {"max_retries": 1, "interval_start": 0,
                                      "interval_step": 0.2, "interval_max": 0.2},
        "beat_schedule": {},  # features add their entries (iok_saas.tasks)
    }
