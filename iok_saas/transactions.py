"""Who commits: the boundary, once. Services stage changes (add, flush); the request, the
CLI command or the Celery task that called them commits once at its end, so everything one
action does (an account, its audit event, its outbox e-mail) lands together or not at all.

- A request: a view that returns commits (``end_request_transaction``, called by the app's
  ``dispatch_request``); a view that raises rolls back. A refusal the view answers itself
  (a form error, a rejected import) commits only what was staged on purpose, such as the
  record of the rejected import: services check before they stage.
- A CLI command or a Celery task commits where its unit of work ends (per tenant, where a
  task walks every tenant, so one tenant's failure does not undo another's work).
- Work that must only start once the data is committed (handing a task to the broker)
  registers with ``after_commit``; a rollback forgets it.

How a request's transaction ends when it only read: COMMIT rather than ROLLBACK. psycopg
forgets every prepared statement of a connection on ROLLBACK (it cannot tell what a
rolled-back transaction left behind). Closing the session rolls back, so if every request
ended that way PostgreSQL would parse and plan each query of each page afresh, and psycopg
would never reach its threshold for preparing one. A transaction that ran nothing but
SELECTs changed nothing: COMMIT ends it with the same effect and keeps the plans.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from .extensions import db

_WROTE = "iok_wrote"
_AFTER_COMMIT = "iok_after_commit"


def end_request_transaction() -> None:
    """Commit what the request's services staged (the view returned an answer). A request
    that only read is left to the teardown's commit (``commit_if_read_only``): committing
    here would expire the signed-in user, and the response's own hooks would load it again."""
    if not db.session.registry.has():
        return
    session = db.session()
    if session.info.get(_WROTE) or session.new or session.dirty or session.deleted:
        session.commit()


def after_commit(callback: Callable[[], None]) -> None:
    """Run ``callback`` once the current transaction commits (never if it rolls back)."""
    db.session().info.setdefault(_AFTER_COMMIT, []).append(callback)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    for callback in session.info.pop(_AFTER_COMMIT, []):
        callback()


@event.listens_for(Session, "after_rollback")
def _forget_after_commit(session: Session) -> None:
    session.info.pop(_AFTER_COMMIT, None)


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
