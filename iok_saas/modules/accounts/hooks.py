"""What the accounts feature installs in the app: the resident user loader and the
first-login gate (until the password is changed and the terms accepted, nothing opens)."""

from __future__ import annotations

from flask import Flask, redirect, request, url_for

from iok_saas.modules.auth.guards import current_resident
from iok_saas.modules.auth.identity import register_user_kind
from iok_saas.modules.auth.models import RESIDENT
from iok_saas.modules.auth.sessions import load_session_user
from iok_saas.tenancy import current_tenant_or_none

from . import services
from .models import ResidentAccount

# Reachable before the first-login steps are done.
FIRST_LOGIN_ENDPOINTS = {"accounts.first_login", "accounts.logout", "public.regulations",
                         "public.branding_css", "public.logo", "site.set_language"}


def _load_resident(account_id: int):
    if current_tenant_or_none() is None:
        return None
    return load_session_user(RESIDENT, account_id, ResidentAccount,
                             services.ACCOUNT_WITH_PERSON)


def first_login_gate():
    """Until the password is changed and the terms accepted, nothing else opens."""
    account = current_resident()
    if account is None or request.endpoint in FIRST_LOGIN_ENDPOINTS:
        return None
    if request.endpoint and request.endpoint.rpartition(".")[2] == "static":
        return None
    if services.pending_first_login_steps(account):
        return redirect(url_for("accounts.first_login"))
    return None


def install(app: Flask) -> None:
    register_user_kind(RESIDENT, _load_resident)
    app.before_request(first_login_gate)
