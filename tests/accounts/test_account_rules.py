"""Staff actions on accounts follow each tenant's blocking and recovery rules."""

from __future__ import annotations

import pytest

from iok_saas.extensions import db
from iok_saas.modules.accounts import services as accounts
from iok_saas.modules.staff.models import StaffMember
from iok_saas.tenancy import tenant_scope

from ..factories import credentials, resident, tenant

pytestmark = pytest.mark.usefixtures("ctx")


def staff(department):
    member = StaffMember(login=f"s-{department}", full_name="S", department=department,
                         password_hash="x", must_change_password=False)
    db.session.add(member)
    db.session.commit()
    return member


def refused(code, action, *args, **kwargs):
    with pytest.raises(accounts.AccountError) as caught:
        action(*args, **kwargs)
    assert caught.value.code == code


def test_blocks_take_only_the_triggers_and_channels_the_policy_lists(synced):
    account_id = resident("siarkowiec")
    with tenant_scope(tenant("siarkowiec")):
        account, technical = accounts.get_account(account_id), staff("technical")
        refused("unknown_trigger", accounts.block, account, "failed_logins", None, "x", technical)
        refused("unknown_trigger", accounts.block, account, "settlements_ceased", None, "x",
                technical)
        rule = tenant("siarkowiec").policy.blocking.rule("reported_lost")
        assert "phone" in rule.channels
        accounts.block(account, "reported_lost", "phone", "telefon od mieszkańca", technical)
        db.session.commit()
        assert account.state == "blocked"


def test_a_blocked_account_gets_new_credentials_only_by_unblocking(synced):
    account_id = resident("gdynia")
    credentials("gdynia", account_id)
    with tenant_scope(tenant("gdynia")):
        account, accounting = accounts.get_account(account_id), staff("accounting")
        accounts.block(account, "misuse", None, "nadużycie", accounting)
        db.session.commit()
        refused("blocked", accounts.issue_credentials, account, "staff:x", "again")
        refused("blocked", accounts.reset, account, accounting, "wniosek")
        issued = accounts.unblock(account, accounting)
        db.session.commit()
        assert issued is not None and account.state == "must_change"
        assert accounts.open_block(account) is None


def test_recovery_with_a_new_identifier_where_the_policy_asks_for_one(synced):
    account_id = resident("siarkowiec")
    with tenant_scope(tenant("siarkowiec")):
        assert tenant("siarkowiec").policy.recovery.new_identifier
        account = accounts.get_account(account_id)
        old_login = account.login
        issued = accounts.reset(account, staff("technical"), "zgłoszenie osobiste")
        db.session.commit()
        assert issued.login != old_login and account.login == issued.login


def test_revoked_residents_are_told_so_at_login(synced):
    account_id = resident("kuzniki")
    login, password = credentials("kuzniki", account_id)
    with tenant_scope(tenant("kuzniki")):
        accounts.revoke(accounts.get_account(account_id), "staff:s-board", "sprzedaż lokalu")
        db.session.commit()
        result = accounts.authenticate(login, password, None)
        db.session.commit()
        assert result.outcome is accounts.LoginOutcome.REVOKED
