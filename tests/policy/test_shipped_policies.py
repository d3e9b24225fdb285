"""The policies that ship with the project load and say what each cooperative publishes."""

from datetime import timedelta
from pathlib import Path

import pytest

from iok_saas.policy import PLATFORM_MIN_LENGTH, Policy, check_paths, load_policy_file
from iok_saas.policy.schema import known_tabs

POLICIES = Path(__file__).resolve().parents[2] / "policies"
COOPERATIVES = ("brzeg", "siarkowiec", "gdynia", "zielone-wzgorza", "kuzniki", "tczew",
                "sosnowiec", "skarbek")


def load(name: str) -> Policy:
    return load_policy_file(POLICIES / f"{name}.yaml")


@pytest.mark.parametrize("path", sorted(POLICIES.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_shipped_file_loads(path):
    policy = load_policy_file(path)
    assert policy.name == path.stem
    assert policy.tabs <= set(known_tabs())


def test_the_check_passes_and_notes_exactly_the_waivers():
    report = check_paths(sorted(POLICIES.glob("*.yaml")), POLICIES)
    assert report.ok
    notes = [line for line in report.lines if line.startswith("note: ")]
    assert len(notes) == 9   # three cooperatives, three floor rules each
    for name in ("brzeg", "gdynia", "zielone-wzgorza"):
        assert any(f"{name}.yaml: password is below the platform floor" in n for n in notes)


@pytest.mark.parametrize("name", COOPERATIVES)
def test_cooperatives_extend_base_and_share_the_login_rules(name):
    policy = load(name)
    assert policy.extends_chain == ("base", name)
    assert policy.identifier.generated and policy.identifier.permanent
    assert policy.initial_password.one_time and policy.initial_password.change_on_first_login
    assert policy.notices.balance_disclaimer
    assert policy.shows("ledger")


def test_brzeg():
    policy = load("brzeg")
    rules = policy.password
    assert (rules.min_length, rules.require.digits, rules.require.uppercase,
            rules.require.lowercase) == (4, 1, 1, 1)
    waivers = rules.below_platform_floor
    assert "§2c" in waivers.min_length and "§2c" in waivers.common_passwords
    assert not waivers.waives("login") and not waivers.waives("name")
    assert policy.waivers[0] == ('password is below the platform floor rule min_length '
                                 f'(waiver: "{waivers.min_length}")')
    assert len(policy.waivers) == 3
    assert policy.enrolment.manager_creates
    assert policy.enrolment.eligible == {"association_owner"}
    assert policy.tabs == {"ledger", "water_meters", "documents", "voting"}
    assert policy.documents.category_names["resolutions"] == "Uchwały wspólnoty"
    assert (policy.voting.electorate, policy.voting.majority) == ("owners_by_share", "shares")
    assert policy.ledger.balance_as_of == "login_day"
    assert policy.ledger.simulate_current_month
    assert policy.ledger.choose_association and policy.ledger.choose_month
    assert policy.ledger.disputes.department == "finance"
    assert policy.recovery.methods == ("in_person",)
    assert policy.blocking.decided_by == "finance"
    assert policy.blocking.rule("misuse").action == "staff_decides"
    assert policy.blocking.unblock_by == ("new_credentials_in_person",)


def test_siarkowiec():
    policy = load("siarkowiec")
    enrolment = policy.enrolment
    assert enrolment.steps == ("paper_application", "staff_review", "notify_account_ready",
                               "in_person_pickup")
    assert enrolment.channels == {"paper"}
    assert enrolment.eligible == {"owner", "tenant"}
    assert enrolment.notify_by == ("email", "phone")
    assert policy.notifications.phone_fallback == "technical"
    assert enrolment.filed_with == "secretariat"
    assert enrolment.pickup.signed_receipt
    assert policy.password.min_length >= PLATFORM_MIN_LENGTH and not policy.waivers
    assert policy.navigation == ("home", "contact", "water_meters", "membership", "announcements")
    assert policy.home == ("ledger", "services", "membership", "court_cases")
    assert policy.blocking.decided_by == "technical"
    lost = policy.blocking.rule("reported_lost")
    assert lost.action == "block_now" and "phone" in lost.channels
    assert policy.blocking.rule("misuse").action == "block_now"
    assert policy.recovery.new_identifier
    assert policy.revocation.residents_may_apply
    assert policy.revocation.reasons >= {"sale", "exchange", "donation"}
    assert policy.revocation.handled_by == "technical"


def test_gdynia():
    policy = load("gdynia")
    assert (policy.password.min_length, policy.password.require.digits) == (6, 4)
    assert policy.password.waives("min_length")
    enrolment = policy.enrolment
    assert enrolment.steps[:3] == ("electronic_form", "paper_application", "staff_review")
    assert enrolment.channels == {"electronic", "paper", "email_scan"}
    assert enrolment.review.may_refuse and enrolment.review.department == "accounting"
    assert {"commercial", "association_owner"} <= enrolment.eligible
    assert enrolment.accept_regulations_at_filing
    assert policy.home == ("ledger", "services", "land_costs", "court_cases")
    assert policy.shows("contact") and policy.shows("land_costs")
    assert not policy.shows("membership")
    assert policy.ledger.balance_as_of == "login_day"
    assert policy.ledger.disputes.department == "accounting"
    assert policy.blocking.decided_by == "accounting"
    assert policy.blocking.rule("reported_lost").action == "block_now"
    assert policy.revocation.channels >= {"electronic", "paper"}
    assert policy.revocation.choices == {"block", "remove_permanently"}
    assert policy.handled_by.contact_corrections == "accounting"


def test_zielone_wzgorza():
    policy = load("zielone-wzgorza")
    assert (policy.password.min_length, policy.password.require.digits) == (6, 1)
    enrolment = policy.enrolment
    assert enrolment.steps == ("electronic_form", "confirm_email", "staff_review",
                               "notify_account_ready", "in_person_pickup")
    assert enrolment.pickup.identity_document and enrolment.pickup.sign_application
    assert enrolment.accept_regulations_at_filing
    assert policy.notifies("email_confirmation") and policy.notifies("account_ready")
    assert policy.recovery.methods == ("initial_document",)
    assert policy.blocking.unblock_by == ("initial_document",)
    assert policy.tabs == {"ledger", "water_meters", "meter_submission", "faults",
                           "announcements", "charge_notices",
                           "documents", "voting"}
    assert policy.charge_notices.email == "attachment"
    assert policy.documents.category_names["statute"] == "Statut"
    assert (policy.voting.electorate, policy.voting.paper_ballot) == ("members", "refused")
    assert policy.ledger.components == ("rent", "loan")


def test_kuzniki():
    policy = load("kuzniki")
    assert policy.password.min_length == PLATFORM_MIN_LENGTH and not policy.waivers
    assert policy.enrolment.steps == ("in_person_request", "in_person_pickup")
    assert policy.enrolment.pickup.identity_document
    assert policy.recovery.methods == ("written_request",)
    assert policy.tabs == {"ledger", "faults", "occupants", "charge_notices"}
    assert policy.charge_notices.email == "link"
    blocking = policy.blocking
    assert blocking.unblock_by == ("new_password_on_written_request",)
    assert blocking.rule("written_request").action == "block_now"
    assert blocking.rule("reported_lost").report_deadline == "next_working_day"
    assert blocking.rule("misuse") is not None
    assert blocking.rule("settlements_ceased") is not None
    assert policy.ledger.disputes.channels == {"in_person"}


def test_tczew():
    policy = load("tczew")
    assert policy.password.min_length == PLATFORM_MIN_LENGTH and not policy.waivers
    enrolment = policy.enrolment
    assert enrolment.steps == ("electronic_form", "paper_application", "staff_review",
                               "schedule_pickup", "in_person_pickup")
    assert enrolment.eligible == {"owner"}
    assert enrolment.pickup.places == ("secretariat",) and enrolment.pickup.identity_document
    assert policy.notifies("pickup_scheduled")
    assert policy.recovery.methods == ("written_request",)
    assert policy.blocking.unblock_by == ("new_password_on_written_request",)
    assert policy.blocking.rule("written_request").action == "block_now"
    assert policy.tabs == {"ledger", "announcements"}
    assert policy.ledger.disputes.channels == {"in_person"}


def test_sosnowiec():
    policy = load("sosnowiec")
    assert policy.password.min_length == PLATFORM_MIN_LENGTH and not policy.waivers
    enrolment = policy.enrolment
    assert enrolment.steps == ("paper_application", "staff_review", "in_person_pickup")
    assert enrolment.channels == {"paper"}
    assert enrolment.filed_with == enrolment.pickup.department == "accounting"
    assert enrolment.pickup.identity_document and enrolment.accept_regulations_at_filing
    lost = policy.blocking.rule("reported_lost")
    assert (lost.action, lost.report_deadline) == ("block_now", "immediately")
    assert policy.blocking.decided_by == "accounting"
    assert policy.tabs == {"ledger"}


def test_skarbek():
    policy = load("skarbek")
    assert policy.password.min_length == PLATFORM_MIN_LENGTH and not policy.waivers
    enrolment = policy.enrolment
    assert enrolment.steps == ("in_person_request", "staff_review", "in_person_pickup")
    assert enrolment.eligible == {"member", "owner", "tenant", "association_owner"}
    assert policy.initial_password.one_time and policy.initial_password.change_on_first_login
    assert policy.blocking.rule("reported_lost").action == "staff_decides"
    assert policy.regulations.version == "Uchwała Zarządu nr 4/10/2018 z 22.08.2018"
    assert policy.tabs == {"ledger"}


def test_base_failed_login_rule_is_parsed_into_durations():
    rule = load("base").blocking.rule("failed_logins")
    assert (rule.threshold, rule.within, rule.lock_for) == (5, timedelta(minutes=15),
                                                            timedelta(minutes=30))


def test_departments_referenced_lists_every_department_key():
    assert load("siarkowiec").departments_referenced() == {"secretariat", "technical"}
    assert load("brzeg").departments_referenced() == {"finance"}
