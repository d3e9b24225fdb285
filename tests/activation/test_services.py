"""Activation codes, service level: binding, expiry, single use, lockout, eligibility,
password rules and the e-mail confirmation that opens the account."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from iok_saas.extensions import db
from iok_saas.modules.accounts.models import ACTIVE, PENDING, ResidentAccount
from iok_saas.modules.activation import services, tokens
from iok_saas.modules.activation.models import (
    EXPIRED,
    LOCKED,
    REVOKED,
    USED,
    ActivationCode,
)
from iok_saas.modules.audit.models import AuditEvent
from iok_saas.modules.housing.models import Person
from iok_saas.tenancy import tenant_scope
from iok_saas.timeutil import utcnow

from ..factories import active_resident, tenant
from .helpers import (
    KU,
    NEW_PASSWORD,
    issue,
    last_mail_to,
    link_token,
    make_holder,
    registration,
)

pytestmark = pytest.mark.usefixtures("synced", "ctx")


def code_row(plain: str) -> ActivationCode:
    return db.session.scalar(select(ActivationCode).where(
        ActivationCode.code_hash == services.hash_code(plain)))


def refused_with(data) -> str:
    with pytest.raises(services.ActivationError) as caught:
        services.register(data)
    db.session.commit()  # the boundary keeps the counted wrong try
    return caught.value.code


def test_the_code_registers_its_holder_and_the_link_opens_the_account():
    holder = make_holder()
    plain = issue(holder)
    with tenant_scope(tenant(KU)):
        account = services.register(registration(plain, holder))
        db.session.commit()
        assert account.state == PENDING and account.person_id == holder.person_id
        code = code_row(plain)
        assert code.state == USED and code.account_id == account.id
        assert code.code_hash != plain and plain.replace("-", "") not in code.code_hash
    message = last_mail_to("halina@example.com")
    assert account.login in message.text_body
    token = link_token(message)
    with tenant_scope(tenant("zielone-wzgorza")), pytest.raises(tokens.LinkError):
        services.confirm_email(token)  # the link names its tenant
    with tenant_scope(tenant(KU)):
        opened = services.confirm_email(token)
        db.session.commit()
        assert opened.state == ACTIVE
        assert db.session.get(Person, holder.person_id).email == "halina@example.com"
        with pytest.raises(tokens.LinkError):  # the link works once
            services.confirm_email(token)
        actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"activation.issue", "activation.redeem", "activation.email_confirmed",
            "account.activate", "account.create"} <= actions


def test_a_code_is_single_use():
    holder = make_holder()
    plain = issue(holder)
    with tenant_scope(tenant(KU)):
        services.register(registration(plain, holder))
        db.session.commit()
        assert refused_with(registration(plain, holder, email="ktos@example.com")) \
            == "no_longer_valid"


def test_the_code_is_bound_to_its_flat_and_amount_and_says_nothing_about_which_is_wrong():
    holder, other = make_holder(), make_holder(first="Irena", last="Wilk")
    plain = issue(holder)
    with tenant_scope(tenant(KU)):
        answers = {refused_with(registration(plain, holder, flat_number=other.flat)),
                   refused_with(registration(plain, holder, amount="368,57")),
                   refused_with(registration(plain, holder, amount="dużo")),
                   refused_with(registration("ABCD-EFGH-JKLM", holder))}
        assert answers == {"refused"}
        message = services.MESSAGES["refused"]
        assert "kod" in str(message) and "numer lokalu" in str(message)
        assert code_row(plain).failed_attempts == 3


def test_typing_variants_of_the_same_data_are_accepted():
    holder = make_holder()
    plain = issue(holder)
    with tenant_scope(tenant(KU)):
        account = services.register(registration(
            f" {plain.lower().replace('-', ' ')} ", holder,
            flat_number=f"{holder.building} / {holder.flat}", amount="368.56 zł"))
        assert account.person_id == holder.person_id


def test_a_code_from_another_tenant_means_nothing_here():
    holder = make_holder()
    plain = issue(holder)
    with tenant_scope(tenant("zielone-wzgorza")):
        assert refused_with(registration(plain, holder)) == "refused"


def test_an_expired_code_is_refused_even_with_the_right_data():
    holder = make_holder()
    plain = issue(holder)
    with tenant_scope(tenant(KU)):
        code_row(plain).expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
        assert code_row(plain).shown_state == EXPIRED
        assert refused_with(registration(plain, holder)) == "no_longer_valid"
        assert [c.id for c in services.codes(EXPIRED)] == [code_row(plain).id]


def test_wrong_tries_lock_the_code_for_good():
    holder = make_holder()
    plain = issue(holder)
    attempts = tenant(KU).policy.enrolment.activation_codes.max_attempts
    with tenant_scope(tenant(KU)):
        answers = [refused_with(registration(plain, holder, amount="1,00"))
                   for _ in range(attempts)]
        assert answers == ["refused"] * (attempts - 1) + ["locked"]
        assert refused_with(registration(plain, holder)) == "locked"
        assert code_row(plain).state == LOCKED
        assert db.session.scalar(select(ResidentAccount.id).where(
            ResidentAccount.person_id == holder.person_id)) is None
        assert "activation.locked" in set(db.session.scalars(select(AuditEvent.action)))


def test_only_a_holder_of_an_eligible_current_title_without_an_account_gets_a_code():
    eligible = make_holder()
    ended = make_holder(valid_to=date(2021, 1, 1), first="Olga", last="Stępień")
    with_account = active_resident(KU, first="Roman", last="Lis")
    with tenant_scope(tenant(KU)):
        keys = {h.key for h in services.holders()}
        assert eligible.key in keys and ended.key not in keys
        assert not any(h.person.id == with_account.person_id for h in services.holders())
        with pytest.raises(services.ActivationError) as caught:
            services.issue([ended.key, f"{with_account.unit_id}-{with_account.person_id}"],
                           "staff:test")
        assert caught.value.code == "nothing_selected"


def test_a_title_that_ended_after_the_code_was_printed_refuses_it():
    holder = make_holder()
    plain = issue(holder)
    with tenant_scope(tenant(KU)):
        from iok_saas.modules.housing.models import Title
        title = db.session.scalar(select(Title).where(Title.person_id == holder.person_id))
        title.valid_to = date(2021, 1, 1)
        db.session.commit()
        assert refused_with(registration(plain, holder)) == "no_longer_valid"


def test_a_unit_without_a_charge_notice_cannot_get_a_code():
    holder = make_holder(notice=False, first="Ewa", last="Kos")
    with tenant_scope(tenant(KU)):
        (found,) = [h for h in services.holders() if h.key == holder.key]
        assert found.amount is None
        with pytest.raises(services.ActivationError):
            services.issue([holder.key], "staff:test")


def test_the_password_must_pass_the_tenants_rules_and_costs_no_try():
    holder = make_holder()
    plain = issue(holder)
    with tenant_scope(tenant(KU)):
        with pytest.raises(services.PasswordRejected) as caught:
            services.register(registration(plain, holder, password="zawadzka1"))
        db.session.commit()
        assert caught.value.problems and all(isinstance(p, str) for p in caught.value.problems)
        code = code_row(plain)
        assert code.state == "active" and code.failed_attempts == 0
        assert db.session.scalar(select(ResidentAccount.id).where(
            ResidentAccount.person_id == holder.person_id)) is None
        assert services.register(registration(plain, holder, password=NEW_PASSWORD))


def test_a_new_code_replaces_the_holders_earlier_one_and_staff_can_revoke():
    holder = make_holder()
    first = issue(holder)
    second = issue(holder)
    with tenant_scope(tenant(KU)):
        assert code_row(first).state == REVOKED
        assert refused_with(registration(first, holder)) == "no_longer_valid"
        revoked = services.revoke(code_row(second).id, "staff:test")
        db.session.commit()
        assert revoked.state == REVOKED and revoked.revoked_by == "staff:test"
        with pytest.raises(services.ActivationError):
            services.revoke(revoked.id, "staff:test")
        assert services.revoke(10 ** 6, "staff:test") is None


def test_the_personal_data_export_lists_the_codes_but_never_the_code():
    from iok_saas.modules.contact.export import personal_data

    holder = make_holder()
    plain = issue(holder)
    with tenant_scope(tenant(KU)):
        account = services.register(registration(plain, holder))
        db.session.commit()
        exported = personal_data(account, fmt="json")
        (row,) = exported.data["activation_codes"]
        assert row["state"] == USED and row["hint"] == f"…{plain[-4:]}"
        assert plain not in str(exported.data)
        assert any(e["action"] == "activation.redeem" for e in exported.data["audit_events"])


def test_without_imported_notices_the_scheduled_charges_are_the_amount():
    from decimal import Decimal

    from iok_saas.modules.ledger.models import ChargeSchedule

    holder = make_holder(notice=False, first="Ewa", last="Kos")
    with tenant_scope(tenant(KU)):
        db.session.add_all([
            ChargeSchedule(external_id=f"AC-S{holder.unit_id}-{n}", unit_id=holder.unit_id,
                           component=None, title=title, amount=Decimal(amount),
                           valid_from=date(2020, 1, 1), valid_to=valid_to)
            for n, (title, amount, valid_to) in enumerate((
                ("Eksploatacja", "300.10", None), ("Woda", "50.05", None),
                ("Dawna stawka", "999.00", date(2021, 1, 1))))])
        db.session.commit()
        (plain,) = [c.code for c in services.issue([holder.key], "staff:test")]
        db.session.commit()
        assert services.register(registration(plain, holder, amount="350,15"))


@pytest.mark.parametrize(("text", "expected"), [
    ("368,56", "368.56"), ("1 234,50 zł", "1234.50"), ("368.56 PLN", "368.56"),
    ("1.234,50", "1234.50"),
    ("", None), ("dużo", None), ("NaN", None), ("-Infinity", None), ("1e999999", None)])
def test_amounts_as_residents_type_them(text, expected):
    from decimal import Decimal

    assert services.parse_amount(text) == (Decimal(expected) if expected else None)


def test_next_months_notice_is_the_amount_only_once_it_is_published():
    from decimal import Decimal

    from iok_saas.modules.notices.models import ChargeNoticeLine
    from iok_saas.timeutil import warsaw_today

    from ..notices.helpers import import_notices, publish

    holder = make_holder()
    next_month = (warsaw_today().replace(day=1) + timedelta(days=32)).replace(day=1)
    [notice_id] = import_notices(KU, [holder.unit_id], next_month)
    with tenant_scope(tenant(KU)):
        line = db.session.scalars(select(ChargeNoticeLine)
                                  .where(ChargeNoticeLine.notice_id == notice_id)).first()
        line.amount += Decimal("10.00")
        db.session.commit()
        assert services.last_notice_amount(holder.unit_id) == Decimal("368.56")
    publish(KU, next_month)
    with tenant_scope(tenant(KU)):
        assert services.last_notice_amount(holder.unit_id) == Decimal("378.56")
