"""Fail-closed row scoping for tenant-owned models.

Every model that mixes in ``TenantScoped`` gets ``tenant_id = <current tenant>`` added to
each ORM SELECT/UPDATE/DELETE run through a session, and new rows are stamped with the
current tenant. An UPDATE or DELETE given a list of parameter sets may only name the
primary keys of the current tenant's rows. With no tenant in scope the query raises
``TenantRequired`` instead of returning every tenant's rows, and so does textual SQL
(``text()``) naming a tenant table, which no criterion can be added to; platform code that
really needs all tenants says so with ``cross_tenant(reason)``.
"""

from __future__ import annotations

import re
import weakref

from sqlalchemy import (
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    TableClause,
    TextClause,
    UniqueConstraint,
    bindparam,
    event,
    inspect,
    select,
)
from sqlalchemy.orm import (
    Mapped,
    Mapper,
    ORMExecuteState,
    Session,
    configure_mappers,
    mapped_column,
    with_loader_criteria,
)
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import ColumnClause

from .context import (
    TenantRequired,
    cross_tenant_active,
    current_tenant_or_none,
    require_tenant,
)


def tenant_id_column(*, indexed: bool = True, keyed: bool = True) -> Mapped[int]:
    """A tenant-owned table's NOT NULL tenant_id. A model overrides the mixin's with
    ``indexed=False`` where its own keys lead with tenant_id, and ``keyed=False`` where a
    co-located foreign key (tenant_id, x_id) already ties the row to its tenant."""
    key = (ForeignKey("tenant.id", ondelete="CASCADE"),) if keyed else ()
    return mapped_column(*key, index=indexed, nullable=False)


def colocated_key(column: str, target: str) -> ForeignKeyConstraint:
    """``(tenant_id, column) -> target(tenant_id, id)``: the row it points at is this
    tenant's, checked by PostgreSQL itself (a wall beneath scoping and RLS), and the key
    is one Citus accepts between co-located tables (``flask db distribution-check``).
    ``target`` declares ``referable_by_tenant()`` among its table arguments."""
    return ForeignKeyConstraint(["tenant_id", column], [f"{target}.tenant_id", f"{target}.id"])


def referable_by_tenant() -> UniqueConstraint:
    """The unique ``(tenant_id, id)`` that a ``colocated_key`` refers to."""
    return UniqueConstraint("tenant_id", "id")


class TenantScoped:
    """Mixin for tenant-owned tables: NOT NULL tenant_id, indexed, filtered automatically."""

    tenant_id: Mapped[int] = tenant_id_column()


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
    """Names of every tenant-owned table, sorted (RLS migrations and checks use it).

    Configures the mappers first: a model imported after the last configuration (the
    registry imports features one by one) is only then in the remembered set."""
    configure_mappers()
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


def _touches_tenant_data(state: ORMExecuteState) -> tuple[list[str], list[str]]:
    """Tenant-owned models anywhere in the statement (entities, columns, FROM, subqueries),
    and the tenant tables named inside its textual SQL."""
    cache_key = state.statement._generate_cache_key()
    if cache_key is None:
        return _walk(state)
    found = _models_by_shape.get(cache_key.key)
    if found is None:
        found = _walk(state)
        if len(_models_by_shape) < _SHAPES_REMEMBERED:
            _models_by_shape[cache_key.key] = found
    return found


# Any word of the SQL text that spells a tenant table counts, quoted or not, whatever its
# case: a word in a string literal or a comment is refused too, which errs on the safe side.
_WORD = re.compile(r"[a-z_][a-z0-9_$]*")


def _walk(state: ORMExecuteState) -> tuple[list[str], list[str]]:
    """Walking the statement (not just ``all_mappers``) also catches a bare
    ``select(func.count()).select_from(Model)``, a column inside a function, a lightweight
    ``table("unit")`` and ``text()`` or ``literal_column()`` SQL."""
    tables = _tenant_tables()
    found = {m.class_.__name__ for m in state.all_mappers if issubclass(m.class_, TenantScoped)}
    named: set[str] = set()
    for element in visitors.iterate(state.statement):
        if isinstance(element, TextClause) or (
                isinstance(element, ColumnClause) and element.is_literal):
            sql = element.text if isinstance(element, TextClause) else element.name
            named.update(word for word in _WORD.findall(sql.lower()) if word in tables)
            continue
        table = element if isinstance(element, TableClause) else getattr(element, "table", None)
        if isinstance(table, TableClause) and table.name in tables:
            found.add(tables[table.name])
    return sorted(found | {tables[name] for name in named}), sorted(named)


@event.listens_for(Session, "do_orm_execute")
def _scope_statement(state: ORMExecuteState) -> None:
    models, named_in_text = _touches_tenant_data(state)
    if not models or cross_tenant_active():
        return
    tenant = current_tenant_or_none()
    if tenant is None:
        # Lazy and refresh loads too: PostgreSQL's row-level security would hide the row
        # outside the tenant's scope, so every database refuses them alike.
        raise TenantRequired(f"query of {', '.join(models)} with no tenant in scope")
    if named_in_text:
        raise TenantRequired(f"textual SQL naming {', '.join(named_in_text)}: no tenant "
                             "criterion can be added to it; use an ORM statement")
    if state.is_column_load or state.is_relationship_load:
        return  # the criteria of the parent query propagate to these loads
    if not state.is_orm_statement:
        # Plain Core statements get no automatic criteria, so they are refused outright.
        raise TenantRequired(f"Core statement on {', '.join(models)}: use an ORM statement")
    if state.is_insert:
        _check_bulk_rows(state, tenant.id)
        return
    if (state.is_update or state.is_delete) and isinstance(state.parameters, list):
        if _strategy(state) in ("auto", "bulk"):
            # SQLAlchemy's bulk UPDATE by primary key ignores loader criteria and refuses an
            # added WHERE unless it stops synchronising loaded objects: check the keys instead.
            _check_bulk_keys(state)
            return
        state.statement = _scoped_dml(state.statement, state.bind_mapper)
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


# Apart from ``_scoped_statements``: one statement object may run with one parameter set
# (loader criteria suffice) and with a list (they are skipped), and needs both twins.
_scoped_dml_statements: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _scoped_dml(statement, mapper: Mapper):
    """An executemany UPDATE/DELETE with the tenant criterion in its WHERE clause, where
    SQLAlchemy applies it to each parameter set (it skips loader criteria there)."""
    scoped = _scoped_dml_statements.get(statement)
    if scoped is None:
        scoped = _scoped_dml_statements[statement] = statement.options(
            _TENANT_CRITERIA).where(mapper.class_.tenant_id == _TENANT_ID)
    return scoped


def _strategy(state: ORMExecuteState) -> str:
    return state.execution_options.get("dml_strategy") or "auto"


# Keys per IN (...) of the check below: under SQLite's oldest limit of bound parameters.
_KEYS_PER_CHECK = 900


def _check_bulk_keys(state: ORMExecuteState) -> None:
    """Every parameter set of an ORM bulk UPDATE/DELETE names a row of the current tenant.

    The check's SELECT runs through the session, so the tenant criterion scopes it; a key
    it does not find (another tenant's row, or none at all) refuses the whole statement."""
    mapper = state.bind_mapper
    if len(mapper.primary_key) != 1:
        raise TenantRequired(f"bulk statement on {mapper.class_.__name__}: its composite "
                             "primary key cannot be checked")
    key = mapper.get_property_by_column(mapper.primary_key[0]).key
    wanted = {row.get(key) for row in state.parameters}
    attribute = getattr(mapper.class_, key)
    ordered = sorted(wanted - {None})
    found: set = set()
    for start in range(0, len(ordered), _KEYS_PER_CHECK):
        found.update(state.session.scalars(select(attribute).where(
            attribute.in_(ordered[start:start + _KEYS_PER_CHECK]))))
    if wanted - found:
        raise TenantRequired(f"bulk statement on {mapper.class_.__name__} names rows that are "
                             "not the current tenant's")


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
