"""The staff user loader: staff members load through the tenant scoping."""

from __future__ import annotations

from flask import Flask

from iok_saas.modules.auth.identity import register_user_kind
from iok_saas.modules.auth.models import STAFF
from iok_saas.modules.auth.sessions import load_session_user
from iok_saas.tenancy import current_tenant_or_none

from .models import StaffMember


def _load_member(member_id: int):
    if current_tenant_or_none() is None:
        return None
    return load_session_user(STAFF, member_id, StaffMember)


def install(app: Flask) -> None:
    register_user_kind(STAFF, _load_member)
