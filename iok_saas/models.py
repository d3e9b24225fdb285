"""Every model module, imported once so metadata (and Alembic) sees all tables."""

from .modules.accounts.models import AccountBlock, ResidentAccount
from .modules.announcements.models import Announcement, AnnouncementTarget
from .modules.audit.models import AuditEvent, PlatformAuditEvent
from .modules.auth.models import LoginAttempt, PasswordHistory, UserSession
from .modules.contact.models import ContactCorrection
from .modules.documents.models import Document, DocumentVersion, DocumentVisit
from .modules.enrolment.models import Application
from .modules.faults.models import FaultEvent, FaultPhoto, FaultReport
from .modules.housing.models import Association, Person, Title, Unit
from .modules.imports.models import ApiToken, ImportRun
from .modules.ledger.models import ChargeSchedule, LedgerEntry
from .modules.meters.models import Meter, MeterReading
from .modules.notifications.models import OutboxMessage, StaffTask
from .modules.occupants.models import OccupantsChange
from .modules.operator.models import Operator
from .modules.records.models import CourtCase, LandCost, Membership, ServiceCharge
from .modules.staff.models import StaffMember
from .modules.tenants.models import PlatformState, Tenant, TenantHost

__all__ = [
    "AccountBlock", "Announcement", "AnnouncementTarget", "ApiToken", "Application",
    "Association", "AuditEvent", "ChargeSchedule", "ContactCorrection", "CourtCase",
    "Document", "DocumentVersion", "DocumentVisit",
    "FaultEvent", "FaultPhoto", "FaultReport", "ImportRun", "LandCost", "LedgerEntry",
    "LoginAttempt", "Membership", "Meter", "MeterReading", "OccupantsChange", "Operator",
    "PasswordHistory", "OutboxMessage", "Person", "PlatformAuditEvent", "PlatformState",
    "ResidentAccount", "ServiceCharge", "StaffMember", "StaffTask", "Tenant", "TenantHost",
    "Title", "Unit", "UserSession",
]
