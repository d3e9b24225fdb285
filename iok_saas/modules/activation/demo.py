"""Demo activation codes (fictional), where the tenant's policy enables them: one active code
with a fixed text that `flask demo urls` prints, and an expired and a revoked one beside it
so the staff list shows each state."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.tenancy import TenantSnapshot, site_url, tenant_scope
from iok_saas.timeutil import utcnow

from . import services
from .models import ACTIVE, REVOKED, ActivationCode

DEMO_CODE = "DEMO-KODY-2026"
ACTOR = "demo"


def seed_demo(today: date) -> None:
    if not services.enabled():
        return
    holders = [h for h in services.holders() if h.amount is not None]
    if not holders:
        return
    holder = holders[0]
    now = utcnow()
    for text, expires, state in (
            (services.new_code(), now - timedelta(days=1), ACTIVE),   # shown as expired
            (services.new_code(), now + services.rules().valid, REVOKED),
            (DEMO_CODE, now + services.rules().valid, ACTIVE)):
        db.session.add(ActivationCode(
            code_hash=services.hash_code(text), hint=services.normalize_code(text)[-4:],
            unit_id=holder.unit.id, person_id=holder.person.id, batch="demo", state=state,
            expires_at=expires, created_by=ACTOR, revoked_at=now if state == REVOKED else None,
            revoked_by=ACTOR if state == REVOKED else None))


def demo_lines(tenant: TenantSnapshot) -> list[str]:
    """What `flask demo urls` prints for the tenant's demo code, if it is still active."""
    if tenant.policy is None or not tenant.policy.enrolment.activation_codes.enabled:
        return []
    with tenant_scope(tenant):
        code = db.session.scalar(select(ActivationCode).where(
            ActivationCode.code_hash == services.hash_code(DEMO_CODE)))
        if code is None or code.shown_state != ACTIVE:
            return []
        amount = services.last_notice_amount(code.unit_id)
        flat = code.unit.unit_number or code.unit.building_number
        name = code.person.full_name
    url = site_url(tenant.canonical_host, "activation.register")
    amount_text = f"{amount:.2f}".replace(".", ",")
    return [f"activation code: {url}",
            f"  code {DEMO_CODE}  flat {flat}  amount {amount_text}  ({name}; any e-mail "
            "address: the link arrives in Poczta (demo))"]
