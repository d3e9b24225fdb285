from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.audit.services import Actor, record_platform_event
from iok_saas.modules.auth.passwords import hash_password, one_time_password
from iok_saas.tenancy import TenantSnapshot, tenant_scope
from iok_saas.timeutil import utcnow

from .models import ROLE_ADMIN, StaffMember

FIRST_PASSWORD_VALID_DAYS = 7
LOGIN_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,79}$")


class StaffError(ValueError):
    pass


def create_first_admin(tenant: TenantSnapshot, login: str, full_name: str, email: str | None,
                       department: str, actor: Actor) -> tuple[StaffMember, str]:
    """The tenant's first staff administrator, with a one-time password shown once."""
    login = login.strip().lower()
    if not LOGIN_PATTERN.match(login):
        raise StaffError("login: 3–80 characters: lower-case letters, digits, '.', '_' or '-'")
    if tenant.department(department) is None:
        raise StaffError(f"department '{department}' is not defined for {tenant.slug}")
    password = one_time_password(12)
    with tenant_scope(tenant):
        if db.session.scalar(select(StaffMember.id).where(StaffMember.login == login)):
            raise StaffError(f"login '{login}' already exists at {tenant.slug}")
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
        db.session.commit()
    return member, password
