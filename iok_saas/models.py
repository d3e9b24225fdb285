"""Every model module, imported once so metadata (and Alembic) sees all tables."""

from .modules.audit.models import PlatformAuditEvent
from .modules.operator.models import Operator
from .modules.staff.models import StaffMember
from .modules.tenants.models import PlatformState, Tenant, TenantHost

__all__ = ["Operator", "PlatformAuditEvent", "PlatformState", "StaffMember", "Tenant",
           "TenantHost"]
