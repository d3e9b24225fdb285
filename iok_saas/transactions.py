"""How a request's database transaction ends: COMMIT when it only read, ROLLBACK otherwise.

psycopg forgets every prepared statement of a connection on ROLLBACK (it cannot tell what a
rolled-back transaction left behind). Closing the session rolls back, so if every request
ended that way PostgreSQL would parse and plan each query of each page afresh, and psycopg
would never reach its threshold for preparing one. A transaction that ran nothing but
SELECTs changed nothing: COMMIT ends it with the same effect and keeps the plans.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

_WROTE = "iok_wrote"


@event.listens_for(Session, "do_orm_execute")
def _note_statement(state: ORMExecuteState) -> None:
    if not state.is_select:
        state.session.info[_WROTE] = True


@event.listens_for(Session, "after_flush")
def _note_flush(session: Session, _flush_context) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_writes(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_WROTE, None)


def commit_if_read_only(session: Session) -> None:
    """Commit the session's transaction if it wrote nothing and holds no unsaved change;
    otherwise leave it for the caller's rollback."""
    if session.get_transaction() is None or session.info.get(_WROTE):
        return
    if session.new or session.dirty or session.deleted:
        return
    session.commit()
