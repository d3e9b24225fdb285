"""Fail-closed row scoping for tenant-owned models.

Every model that mixes in ``TenantScoped`` gets ``tenant_id = <current tenant>`` added to
each ORM SELECT/UPDATE/DELETE, and new rows are stamped with the current tenant. With no
tenant in scope the query raises ``TenantRequired`` instead of returning every tenant's
rows; platform code that really needs all tenants says so with ``cross_tenant(reason)``.
"""

from __future__ import annotations

import weakref

from sqlalchemy import ForeignKey, Integer, Table, bindparam, event, inspect
from sqlalchemy.orm import (
    Mapped,
    Mapper,
    ORMExecuteState,
    Session,
    mapped_column,
    with_loader_criteria,
)
from sqlalchemy.sql import visitors

from .context import (
    TenantRequired,
    cross_tenant_active,
    current_tenant_or_none,
    require_tenant,
)


class TenantScoped:
    """Mixin for tenant-owned tables: NOT NULL tenant_id, indexed, filtered automatically."""

    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenant.id", ondelete="CASCADE"), index=True, nullable=False
    )


def _tenant_tables() -> dict[str, str]:
    """Table name -> model name of every tenant-owned model mapped so far."""
    if _tables_seen is not None:
        return _tables_seen
    found: dict[str, str] = {}
    pending = list(TenantScoped.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        table = getattr(cls, "__table__", None)
        if table is not None:
            found[table.name] = cls.__name__
    return found


def tenant_table_names() -> list[str]:
    """Names of every tenant-owned table, sorted (RLS migrations and checks use it)."""
    return sorted(_tenant_tables())


# Every query passes through here, so the answers are remembered: the tenant tables until a
# new model is mapped, and the tenant models of each statement *shape* by SQLAlchemy's own
# cache key (the same for every execution of a statement, whatever its parameter values).
_tables_seen: dict[str, str] | None = None
_models_by_shape: dict[object, list[str]] = {}
_SHAPES_REMEMBERED = 5000


@event.listens_for(Mapper, "after_configured")
def _forget_remembered_tables() -> None:
    global _tables_seen
    _tables_seen = None
    _models_by_shape.clear()
    _tables_seen = _tenant_tables()


def _touches_tenant_data(state: ORMExecuteState) -> list[str]:
    """Tenant-owned models anywhere in the statement: entities, columns, FROM, subqueries."""
    cache_key = state.statement._generate_cache_key()
    if cache_key is None:
        return _walk(state)
    found = _models_by_shape.get(cache_key.key)
    if found is None:
        found = _walk(state)
        if len(_models_by_shape) < _SHAPES_REMEMBERED:
            _models_by_shape[cache_key.key] = found
    return found


def _walk(state: ORMExecuteState) -> list[str]:
    """Walking the statement (not just ``all_mappers``) also catches a bare
    ``select(func.count()).select_from(Model)`` or a column inside a function."""
    tables = _tenant_tables()
    found = {m.class_.__name__ for m in state.all_mappers if issubclass(m.class_, TenantScoped)}
    for element in visitors.iterate(state.statement):
        table = element if isinstance(element, Table) else getattr(element, "table", None)
        if isinstance(table, Table) and table.name in tables:
            found.add(tables[table.name])
    return sorted(found)


@event.listens_for(Session, "do_orm_execute")
def _scope_statement(state: ORMExecuteState) -> None:
    models = _touches_tenant_data(state)
    if not models or cross_tenant_active():
        return
    tenant = current_tenant_or_none()
    if tenant is None:
        # Lazy and refresh loads too: PostgreSQL's row-level security would hide the row
        # outside the tenant's scope, so every database refuses them alike.
        raise TenantRequired(f"query of {', '.join(models)} with no tenant in scope")
    if state.is_column_load or state.is_relationship_load:
        return  # the criteria of the parent query propagate to these loads
    if not state.is_orm_statement:
        # Plain Core statements get no automatic criteria, so they are refused outright.
        raise TenantRequired(f"Core statement on {', '.join(models)}: use an ORM statement")
    if state.is_insert:
        _check_bulk_rows(state, tenant.id)
        return
    state.statement = _scoped(state.statement)


def _scope_tenant_id() -> int:
    """The tenant criterion's value, read as each statement executes."""
    return require_tenant().id


# One criterion object for every statement: its tenant id is a bound parameter whose value
# is read at execution (``callable_``), so a scoped statement is the same for every tenant.
# SQLAlchemy then keeps its cache key and compiled form, instead of re-running a lambda with
# the tenant in its closure for each statement and entity on every execution.
_TENANT_ID = bindparam("iok_scope_tenant_id", type_=Integer, callable_=_scope_tenant_id)
_TENANT_CRITERIA = with_loader_criteria(
    TenantScoped, lambda cls: cls.tenant_id == _TENANT_ID, include_aliases=True)
_scoped_statements: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _scoped(statement):
    """``statement`` with the tenant criterion, made once per statement object: a statement
    built once and run many times (a module's prepared query) keeps its scoped twin."""
    scoped = _scoped_statements.get(statement)
    if scoped is None:
        scoped = _scoped_statements[statement] = statement.options(_TENANT_CRITERIA)
    return scoped


def _check_bulk_rows(state: ORMExecuteState, tenant_id: int) -> None:
    params = state.parameters
    rows = params if isinstance(params, list) else [params] if params else []
    for row in rows:
        if row.get("tenant_id") != tenant_id:
            raise TenantRequired("bulk insert rows must carry the current tenant_id")


@event.listens_for(Session, "before_flush")
def _stamp_and_guard(session: Session, flush_context, instances) -> None:
    tenant = current_tenant_or_none()
    bypass = cross_tenant_active()
    for obj in session.new:
        if isinstance(obj, TenantScoped):
            _stamp_new(obj, tenant, bypass)
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, TenantScoped):
            _guard_existing(obj, tenant, bypass)


def _stamp_new(obj: TenantScoped, tenant, bypass: bool) -> None:
    if tenant is None:
        if bypass and obj.tenant_id is not None:
            return
        raise TenantRequired(f"new {type(obj).__name__} with no tenant in scope")
    if obj.tenant_id is None:
        obj.tenant_id = tenant.id
    elif obj.tenant_id != tenant.id:
        raise TenantRequired(f"new {type(obj).__name__} belongs to another tenant")


def _guard_existing(obj: TenantScoped, tenant, bypass: bool) -> None:
    history = inspect(obj).attrs.tenant_id.history
    if history.deleted:
        raise TenantRequired(f"{type(obj).__name__}.tenant_id may not change")
    if bypass:
        return
    if tenant is None or obj.tenant_id != tenant.id:
        raise TenantRequired(f"{type(obj).__name__} changed outside its tenant's scope")
