"""The typed Policy: accessors, merge semantics and the helpers built on the language."""

import dataclasses
import shutil
from datetime import timedelta
from pathlib import Path
from random import Random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from iok_saas.policy import Policy, compile_policy, load_policy_file
from iok_saas.policy.model import IdentifierRules
from iok_saas.policy.schema import parse_duration

POLICIES = Path(__file__).resolve().parents[2] / "policies"


@pytest.fixture
def presets(tmp_path: Path) -> Path:
    shutil.copy(POLICIES / "base.yaml", tmp_path)
    return tmp_path


def child(text: str, presets: Path) -> Policy:
    return compile_policy("extends: base\n" + text, "policies/child.yaml", presets)


def test_mappings_merge_and_lists_replace(presets):
    policy = child("password: {min_length: 12}\ntabs: [faults]\n", presets)
    assert policy.password.min_length == 12
    assert policy.password.max_length == 128        # the rest of password comes from base
    assert policy.tabs == {"faults"}                  # the list replaced base's [ledger]
    assert policy.extends_chain == ("base", "child")


def test_a_rule_may_lock_until_unlocked(presets):
    text = ("blocking:\n  rules:\n    - {trigger: failed_logins, threshold: 3, within: 1h,"
            " lock_for: until_unlocked, unblock: [email_link, initial_document]}\n")
    rule = child(text, presets).blocking.rule("failed_logins")
    assert (rule.within, rule.lock_for, rule.unblock) == (
        timedelta(hours=1), None, ("email_link", "initial_document"))
    assert rule.staff_unblock == ("initial_document",)
    assert child(text, presets).blocking.unlock_by_email


def test_failed_logins_without_a_window_count_consecutive_failures(presets):
    text = ("blocking:\n  rules:\n    - {trigger: failed_logins, threshold: 3,"
            " lock_for: until_unlocked}\n")
    assert child(text, presets).blocking.rule("failed_logins").within is None


def test_rules_without_their_own_unblock_use_the_section_default():
    policy = load_policy_file(POLICIES / "siarkowiec.yaml")
    assert policy.blocking.rule("misuse").unblock == ("new_credentials_in_person",)
    assert policy.blocking.rule("title_ended") is None


def test_policy_is_immutable_and_as_dict_is_a_copy():
    policy = load_policy_file(POLICIES / "gdynia.yaml")
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.name = "other"
    data = policy.as_dict()
    data["password"]["min_length"] = 99
    assert policy.as_dict()["password"]["min_length"] == 6
    assert policy.as_dict()["session"]["idle_timeout"] == timedelta(minutes=15)
    assert "extends" not in data


def test_unknown_tab_or_notification_is_a_programming_error():
    policy = load_policy_file(POLICIES / "base.yaml")
    with pytest.raises(ValueError, match="unknown tab"):
        policy.shows("garden")
    with pytest.raises(ValueError, match="unknown notification"):
        policy.notifies("birthday")


def test_notification_switches(presets):
    policy = child("notifications: {announcement_published: false}\n", presets)
    assert not policy.notifies("announcement_published")
    assert policy.notifies("account_blocked")


@pytest.mark.parametrize(("text", "expected"), [
    ("45s", timedelta(seconds=45)), ("15m", timedelta(minutes=15)),
    ("2h", timedelta(hours=2)), ("7d", timedelta(days=7)),
])
def test_durations(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["0m", "15", "1.5h", "15 m", "-2h", "2w"])
def test_not_durations(text):
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


def identifier(pattern: str) -> IdentifierRules:
    return IdentifierRules(generated=True, format=pattern, permanent=True, unique_within="tenant")


def test_identifier_format_with_literal_prefix():
    rules = identifier("B-####??")
    login = rules.generate(Random(1))
    assert login.startswith("B-") and login[2:6].isdigit() and login[6:].isupper()
    assert rules.matches(login)
    assert not rules.matches("B-12345A")
    assert not rules.matches("B-1234IO")    # I and O are never generated
    assert rules.capacity == 10**4 * 24**2


@given(st.text(alphabet="#?AZ09-", min_size=4, max_size=12).filter(
    lambda s: sum(c in "#?" for c in s) >= 4), st.integers())
def test_every_generated_identifier_matches_its_format(pattern, seed):
    rules = identifier(pattern)
    assert rules.matches(rules.generate(Random(seed)))


BRZEG = load_policy_file(POLICIES / "brzeg.yaml").password
GDYNIA = load_policy_file(POLICIES / "gdynia.yaml").password


@pytest.mark.parametrize(("rules", "password", "expected"), [
    (BRZEG, "Abc1", []),
    (BRZEG, "abc1", ["uppercase"]),
    (BRZEG, "Ab1", ["min_length"]),
    (BRZEG, "ABCDEF", ["digits", "lowercase"]),
    (BRZEG, "Łódź1", []),                 # Polish letters count as upper and lower case
    (GDYNIA, "ab1234", []),
    (GDYNIA, "abc123", ["digits"]),
])
def test_password_violations(rules, password, expected):
    assert rules.violations(password) == expected


def test_password_must_not_contain_login_or_name():
    rules = BRZEG
    assert rules.violations("Xy100234", login="100234") == ["contains_login"]
    assert rules.violations("Kowalski1", names=["Jan Kowalski"]) == ["contains_name"]
    assert rules.violations("Al1Abcd", names=["Al Kowalski"]) == []   # 2-letter parts ignored


def test_optional_password_rules(presets):
    text = ("password:\n  classes: {at_least: 3, of: [digits, uppercase, lowercase, special]}\n"
            "  max_repeated_run: 2\n  forbidden_characters: ' '\n")
    rules = child(text, presets).password
    assert rules.violations("abcdefgh1") == ["classes"]
    assert rules.violations("aaaBBB111") == ["max_repeated_run"]
    assert rules.violations("abc DEF 12") == ["forbidden_characters"]
    assert rules.violations("abcDEF12") == []
