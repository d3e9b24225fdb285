"""A suite-wide watch on the housing stamp (iok_saas/modules/housing/held.py).

Residents' units are memoised under their tenant's housing stamp, so a transaction that
writes associations, units or titles must also replace the stamp (``note_housing_changed``),
unless the tenant has no stamp at all (then nothing is memoised). Every INSERT, UPDATE and
DELETE is compiled and reaches the cursor — a flush, an ORM bulk statement and a Core
statement alike — so the watch sees every writer, present or future, without knowing who it
is. A commit that breaks the rule is recorded with the code that wrote the
first housing row; tests/conftest.py fails the running test with it.
"""

from __future__ import annotations

import functools
import threading
import traceback
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.sql.dml import UpdateBase

from iok_saas.tenancy import current_tenant_or_none

HOUSING_TABLES = frozenset({"association", "unit", "title"})
STAMP_TABLE = "housing_revision"
_WATCH = "iok_housing_stamp_watch"
_HERE = Path(__file__).resolve()
_APP = _HERE.parents[1] / "iok_saas"

_violations: list[str] = []
_lock = threading.Lock()


class StampNotReplaced(AssertionError):
    """Housing rows changed in a committed transaction that left a stale stamp."""


def forget() -> None:
    with _lock:
        _violations.clear()


def check() -> None:
    """Raise for every rule-breaking commit seen since ``forget()``, and forget them."""
    with _lock:
        found = list(_violations)
        _violations.clear()
    if found:
        raise StampNotReplaced(
            "housing rows changed in a transaction that did not replace the housing stamp "
            "(call iok_saas.modules.housing.held.note_housing_changed() in it):\n"
            + "\n".join(found))


@event.listens_for(Engine, "before_cursor_execute")
def _note_write(conn, cursor, sql, parameters, context, executemany) -> None:
    statement = getattr(getattr(context, "compiled", None), "statement", None)
    if not isinstance(statement, UpdateBase):
        return
    name = getattr(statement.table, "name", None)
    if name == STAMP_TABLE:
        _state(conn)["stamped"] = True
    elif name in HOUSING_TABLES:
        watch = _state(conn)
        tenant = current_tenant_or_none()
        watch["tenants"].add(tenant.id if tenant is not None else None)
        if "origin" not in watch:  # the first housing row's writer names the transaction
            watch["origin"] = f"{type(statement).__name__.upper()} {name} from {_origin()}"


def _state(conn) -> dict:
    return conn.info.setdefault(_WATCH, {"tenants": set(), "stamped": False})


@functools.lru_cache(maxsize=4096)
def _resolved(filename: str) -> Path:
    return Path(filename).resolve()


def _origin() -> str:
    """The innermost application frame (else test frame) that led to the statement."""
    frames = [f for f in traceback.extract_stack()[:-3] if _resolved(f.filename) != _HERE]
    mine = ([f for f in frames if _resolved(f.filename).is_relative_to(_APP)]
            or [f for f in frames if "/tests/" in f.filename] or frames)
    frame = mine[-1]
    return f"{frame.filename}:{frame.lineno} ({frame.name})"


@event.listens_for(Engine, "commit")
def _check_commit(conn) -> None:
    watch = conn.info.pop(_WATCH, None)
    if not watch or watch["stamped"] or not watch["tenants"]:
        return
    if _tenants_with_a_stamp(conn, watch["tenants"]):
        with _lock:
            _violations.append(watch["origin"])


def _tenants_with_a_stamp(conn, tenants: set) -> int:
    """Asked on the transaction's own DBAPI cursor, still before its COMMIT, so no event
    (the tenancy's PostgreSQL settings among them) runs for this one look."""
    sql = "SELECT count(*) FROM housing_revision"
    known = sorted(t for t in tenants if t is not None)
    if None not in tenants:  # written in known tenants' scopes: only their stamps matter
        sql += f" WHERE tenant_id IN ({', '.join(str(int(t)) for t in known)})"
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.execute(sql)
        return cursor.fetchone()[0]
    except Exception:  # noqa: BLE001 - a failed transaction's COMMIT writes nothing
        return 0
    finally:
        cursor.close()


def _forget_transaction(conn, *_args) -> None:
    conn.info.pop(_WATCH, None)


# A new transaction starts clean (a connection given back to the pool mid-transaction is
# rolled back below SQLAlchemy's events), and a rolled-back one wrote nothing.
for _name in ("begin", "rollback"):
    event.listen(Engine, _name, _forget_transaction)
