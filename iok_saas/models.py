"""Every model module, imported once so metadata (and Alembic) sees all tables."""

from .modules.accounts.models import AccountBlock, ResidentAccount
from .modules.audit.models import AuditEvent, PlatformAuditEvent
from .modules.auth.models import LoginAttempt, PasswordHistory, UserSession
from .modules.enrolment.models import Application
from .modules.housing.models import Association, Person, Title, Unit
from .modules.notifications.models import OutboxMessage, StaffTask
from .modules.operator.models import Operator
from .modules.staff.models import StaffMember
from .modules.tenants.models import PlatformState, Tenant, TenantHost

__all__ = [
    "AccountBlock", "Application", "Association", "AuditEvent", "LoginAttempt", "Operator",
    "PasswordHistory", "OutboxMessage", "Person", "PlatformAuditEvent", "PlatformState",
    "ResidentAccount", "StaffMember", "StaffTask", "Tenant", "TenantHost", "Title", "Unit",
    "UserSession",
]
