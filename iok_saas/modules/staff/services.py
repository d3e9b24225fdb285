from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.audit.services import Actor, record_event, record_platform_event
from iok_saas.modules.auth.login import check_password
from iok_saas.modules.auth.models import STAFF, PasswordHistory
from iok_saas.modules.auth.password_check import STAFF_HISTORY, PlatformFloor, check_new_password
from iok_saas.modules.auth.passwords import hash_password, one_time_password, verify_password
from iok_saas.modules.auth.sessions import end_sessions
from iok_saas.tenancy import TenantSnapshot, current_tenant, tenant_scope
from iok_saas.timeutil import as_utc, utcnow

from .models import ROLE_ADMIN, StaffMember

FIRST_PASSWORD_VALID_DAYS = 7
LOGIN_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,79}$")


class StaffError(ValueError):
    """A refused staff-account change; ``field`` is the form field it concerns."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def create_first_admin(tenant: TenantSnapshot, login: str, full_name: str, email: str | None,
                       department: str, actor: Actor) -> tuple[StaffMember, str]:
    """The tenant's first staff administrator, with a one-time password shown once."""
    login = login.strip().lower()
    password = one_time_password(12)
    with tenant_scope(tenant):
        _check_new_staff(login, department)
        member = StaffMember(
            login=login, full_name=full_name.strip(), email=(email or "").strip() or None,
            department=department, role=ROLE_ADMIN, password_hash=hash_password(password),
            must_change_password=True,
            password_expires_at=utcnow() + timedelta(days=FIRST_PASSWORD_VALID_DAYS),
        )
        db.session.add(member)
        db.session.flush()
        record_platform_event(actor, "staff.create_admin", tenant_id=tenant.id,
                              after={"login": login, "full_name": member.full_name,
                                     "department": department})
    return member, password


# --- staff login and passwords (the platform floor always applies to staff) ---------------

@dataclass(frozen=True)
class StaffLogin:
    member: StaffMember | None
    problem: str | None = None  # invalid | locked | expired | inactive
    locked_until: datetime | None = None


def authenticate_staff(login: str, password: str, client: str | None) -> StaffLogin:
    login = login.strip().lower()
    member = db.session.scalar(select(StaffMember).where(StaffMember.login == login))
    check = check_password(member, STAFF, login, password, client)
    if check.locked_until:
        return StaffLogin(None, "locked", check.locked_until)
    if not check.ok:
        return StaffLogin(None, "invalid")
    if not member.active:
        return StaffLogin(None, "inactive")
    expires = member.password_expires_at
    if member.must_change_password and expires and as_utc(expires) < utcnow():
        return StaffLogin(None, "expired")
    return StaffLogin(member)


def change_staff_password(member: StaffMember, current: str, new: str) -> list[str]:
    if not verify_password(member.password_hash, current):
        return ["current_password"]
    history = db.session.scalars(
        select(PasswordHistory.password_hash)
        .where(PasswordHistory.user_kind == STAFF, PasswordHistory.user_id == member.id)
        .order_by(PasswordHistory.id.desc()).limit(STAFF_HISTORY)).all()[::-1]
    problems = check_new_password(
        new, rules=None, floor=PlatformFloor.from_config(current_app.config),
        login=member.login, names=[member.full_name],
        cooperative_names=[current_tenant.short_name, current_tenant.legal_name],
        previous_hashes=history, current_hash=member.password_hash)
    if problems:
        return problems
    db.session.add(PasswordHistory(user_kind=STAFF, user_id=member.id,
                                   password_hash=member.password_hash))
    member.password_hash = hash_password(new)
    member.must_change_password = False
    member.password_expires_at = None
    end_sessions(STAFF, member.id, "password_changed", keep_current=True)
    record_event(f"staff:{member.login}", "staff.password", member)
    return []


def create_staff(admin: StaffMember, login: str, full_name: str, email: str | None,
                 department: str, role: str) -> tuple[StaffMember, str]:
    """A staff administrator adds a colleague, who gets a one-time password."""
    if not admin.is_admin:
        raise StaffError("login", _("Tylko administrator może dodawać pracowników."))
    login = login.strip().lower()
    _check_new_staff(login, department)
    password = one_time_password(12)
    member = StaffMember(
        login=login, full_name=full_name.strip(), email=(email or "").strip() or None,
        department=department, role=role, password_hash=hash_password(password),
        must_change_password=True,
        password_expires_at=utcnow() + timedelta(days=FIRST_PASSWORD_VALID_DAYS))
    db.session.add(member)
    db.session.flush()
    record_event(f"staff:{admin.login}", "staff.create", member,
                 after={"login": login, "department": department, "role": role})
    return member, password


def _check_new_staff(login: str, department: str) -> None:
    if not LOGIN_PATTERN.match(login):
        raise StaffError("login", _("Login: 3–80 znaków — małe litery, cyfry, kropka, "
                                    "podkreślenie lub myślnik."))
    if current_tenant.department(department) is None:
        raise StaffError("department", _("Dział „%(key)s” nie istnieje w tej spółdzielni.",
                                         key=department))
    if db.session.scalar(select(StaffMember.id).where(StaffMember.login == login)):
        raise StaffError("login", _("Login „%(login)s” jest już zajęty.", login=login))


def list_staff() -> list[StaffMember]:
    return list(db.session.scalars(select(StaffMember).order_by(StaffMember.login)))
