"""Flask extensions, created unbound; create_app binds them."""

from datetime import UTC, datetime
from decimal import Decimal

from flask import current_app, has_app_context
from flask_babel import Babel
from flask_bootstrap import Bootstrap5
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import DateTime, MetaData, Numeric, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, registry

# Stable constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out — also on SQLite, which drops the zone."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given; use iok_saas.timeutil.utcnow()")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    # Times are always timezone-aware; money is exact (grosze never pass through float).
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UtcDateTime(), Decimal: Numeric(14, 2)},
    )


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
bootstrap = Bootstrap5()


class _AppLimiter(Limiter):
    """Flask-Limiter keeps "the storage is unreachable" (its in-memory fallback in use) on
    the instance, across init_app calls; but each app binds a storage of its own, so a new
    app starts with it reachable. Matters where one process creates several apps (tests):
    otherwise an app would count its first requests in the fallback and later ones in its
    own storage."""

    def init_app(self, app) -> None:
        self._storage_dead = False
        super().init_app(app)

    # Flask-Limiter also keeps "enabled" on the instance, set by the last init_app: an app
    # created with limits off would switch them off for an app created earlier, and the
    # reverse. Each app's own RATELIMIT_ENABLED decides for its requests.
    @property
    def enabled(self) -> bool:
        if has_app_context():
            return bool(current_app.config.get("RATELIMIT_ENABLED", self._enabled))
        return self._enabled

    @enabled.setter
    def enabled(self, value: bool) -> None:
        self._enabled = value


limiter = _AppLimiter(key_func=get_remote_address, default_limits=[])
