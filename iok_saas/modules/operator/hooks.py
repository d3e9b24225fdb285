"""The operator user loader: operators exist on the admin host only."""

from __future__ import annotations

from flask import Flask, session

from iok_saas.modules.auth.identity import register_user_kind
from iok_saas.modules.auth.models import OPERATOR
from iok_saas.tenancy import on_admin_site

from .services import OPERATOR_SINCE_KEY, session_operator


def _load_operator(operator_id: int):
    if not on_admin_site():
        return None
    return session_operator(operator_id, session.get(OPERATOR_SINCE_KEY))


def install(app: Flask) -> None:
    register_user_kind(OPERATOR, _load_operator)
