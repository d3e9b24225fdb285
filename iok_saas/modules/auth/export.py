"""The sign-in part of a resident's personal-data export: password changes, sessions and
login attempts (never a hash or a session token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.features import ExportSection

from .models import RESIDENT, LoginAttempt, PasswordHistory, UserSession


def sections(account, _person) -> list[ExportSection]:
    changes = [h.created_at for h in db.session.scalars(
        select(PasswordHistory).where(PasswordHistory.user_kind == RESIDENT,
                                      PasswordHistory.user_id == account.id)
        .order_by(PasswordHistory.created_at))]
    sessions = [{
        "started_at": s.created_at, "last_seen_at": s.last_seen_at,
        "ended_at": s.ended_at, "end_reason": s.end_reason, "client": s.client,
    } for s in db.session.scalars(select(UserSession)
                                  .where(UserSession.user_kind == RESIDENT,
                                         UserSession.user_id == account.id)
                                  .order_by(UserSession.created_at))]
    attempts = [{"at": a.at, "success": a.success, "client": a.client}
                for a in db.session.scalars(select(LoginAttempt)
                                            .where(LoginAttempt.user_kind == RESIDENT,
                                                   LoginAttempt.login == account.login)
                                            .order_by(LoginAttempt.at))]
    return [ExportSection("password_changes", _l("Zmiany hasła"), changes, order=20),
            ExportSection("sessions", _l("Sesje (logowania)"), sessions, order=22),
            ExportSection("login_attempts", _l("Próby logowania"), attempts, order=23)]
