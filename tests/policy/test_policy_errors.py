"""Broken policy files give one precise 'file:line: key.path: message' line per problem."""

import shutil
from pathlib import Path

import pytest

from iok_saas.policy import PolicyError, compile_policy, load_policy_file

POLICIES = Path(__file__).resolve().parents[2] / "policies"
SOURCE = "policies/child.yaml"


@pytest.fixture
def presets(tmp_path: Path) -> Path:
    shutil.copy(POLICIES / "base.yaml", tmp_path)
    return tmp_path


def errors(text: str, presets: Path) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        compile_policy(text, SOURCE, presets)
    return caught.value.messages


def test_unknown_key(presets):
    text = "extends: base\npassword:\n  min_lenght: 10\n"
    assert errors(text, presets) == [f"{SOURCE}:3: password.min_lenght: Unknown field."]


@pytest.mark.parametrize(("line", "expected"), [
    ('  min_length: "10"', "password.min_length: Not a valid integer."),
    ("  min_length: 10.5", "password.min_length: Not a valid integer."),
    ("  forbid_login: 1", "password.forbid_login: Not a valid boolean."),
    ("  forbid_name: [true]", "password.forbid_name: Not a valid boolean."),
    ("  below_platform_floor: {min_length: 7}",
     "password.below_platform_floor.min_length: Not a valid string."),
    ("  forbid_sequences: 2", "password.forbid_sequences: Must be greater than or equal to 3 "
                              "and less than or equal to 8."),
    ("  repeated_case_sensitive: 1", "password.repeated_case_sensitive: Not a valid boolean."),
    ("  history: 99", "password.history: Must be greater than or equal to 0 and less than "
                      "or equal to 24."),
])
def test_wrong_types_and_ranges(presets, line, expected):
    assert errors(f"extends: base\npassword:\n{line}\n", presets) == [f"{SOURCE}:3: {expected}"]


def test_bad_enum_value_in_a_list_names_the_item(presets):
    text = "extends: base\ntabs:\n  - ledger\n  - garden\n"
    (message,) = errors(text, presets)
    assert message.startswith(f"{SOURCE}:4: tabs[1]: Must be one of: home, ledger,")


def test_value_listed_twice(presets):
    text = "extends: base\ntabs: [ledger, faults, ledger]\n"
    assert errors(text, presets) == [f"{SOURCE}:2: tabs: 'ledger' is listed twice."]


def test_every_problem_of_a_file_is_reported_in_line_order(presets):
    text = "extends: base\nsession:\n  idle_timeout: 15 minutes\npassword:\n  max_length: x\n"
    assert errors(text, presets) == [
        f"{SOURCE}:3: session.idle_timeout: '15 minutes' is not a duration: write a whole "
        "number and a unit s, m, h or d (e.g. 15m, 2h, 7d).",
        f"{SOURCE}:5: password.max_length: Not a valid integer.",
    ]


def test_unknown_preset_points_at_the_extends_line(presets):
    text = "# a comment\nextends: bsae\n"
    (message,) = errors(text, presets)
    assert message.startswith(f"{SOURCE}:2: extends: unknown preset 'bsae': there is no ")
    assert message.endswith("bsae.yaml")


def test_preset_name_must_be_a_plain_name(presets):
    (message,) = errors("extends: ../secrets\n", presets)
    assert message.startswith(f"{SOURCE}:1: extends: Not a preset name")


def test_extends_cycle_is_reported_where_it_closes(tmp_path):
    (tmp_path / "a.yaml").write_text("extends: b\n")
    (tmp_path / "b.yaml").write_text("description: B\nextends: a\n")
    with pytest.raises(PolicyError) as caught:
        load_policy_file(tmp_path / "a.yaml")
    assert caught.value.messages == [f"{tmp_path / 'b.yaml'}:2: extends: extends chain loops: "
                                     "a -> b -> a"]


def test_a_file_extending_itself(tmp_path):
    (tmp_path / "a.yaml").write_text("extends: a\n")
    with pytest.raises(PolicyError, match="extends chain loops: a -> a"):
        load_policy_file(tmp_path / "a.yaml")


def test_yaml_syntax_error(presets):
    (message,) = errors("extends: base\npassword: [8,\n", presets)
    assert message.startswith(f"{SOURCE}:3: YAML syntax error:")


def test_key_given_twice(presets):
    text = "extends: base\npassword:\n  min_length: 9\n  min_length: 10\n"
    assert errors(text, presets) == [f"{SOURCE}:4: password.min_length: key given twice"]


@pytest.mark.parametrize(("text", "expected"), [
    ("", f"{SOURCE}:1: the file is empty"),
    ("- a\n- b\n", f"{SOURCE}:1: a policy must be a mapping of settings"),
])
def test_not_a_mapping(presets, text, expected):
    assert errors(text, presets) == [expected]


def test_min_length_above_max_length(presets):
    text = "extends: base\npassword:\n  min_length: 20\n  max_length: 12\n"
    assert errors(text, presets) == [f"{SOURCE}:3: password.min_length: 20 is greater than "
                                     "max_length (12)."]


def test_required_classes_exceeding_max_length(presets):
    text = "extends: base\npassword:\n  max_length: 10\n  require: {digits: 6, special: 5}\n"
    assert errors(text, presets) == [f"{SOURCE}:4: password.require: asks for 11 characters "
                                     "in total, more than max_length (10)."]


def test_below_the_floor_without_waiver(presets):
    text = "extends: base\npassword:\n  min_length: 6\n  forbid_name: false\n"
    assert errors(text, presets) == [
        f"{SOURCE}:3: password.min_length: 6 is below the platform floor of 8 characters; "
        "add password.below_platform_floor.min_length with the reason.",
        f"{SOURCE}:4: password.forbid_name: the platform floor requires true; "
        "add password.below_platform_floor.name with the reason.",
    ]


def test_each_floor_rule_needs_its_own_waiver(presets):
    text = ('extends: base\npassword:\n  min_length: 6\n  forbid_name: false\n'
            '  below_platform_floor: {min_length: "rules §2"}\n')
    assert errors(text, presets) == [
        f"{SOURCE}:4: password.forbid_name: the platform floor requires true; "
        "add password.below_platform_floor.name with the reason."]


def test_waiver_without_anything_to_waive(presets):
    text = 'extends: base\npassword:\n  below_platform_floor: {min_length: "rules §2"}\n'
    (message,) = errors(text, presets)
    assert message.startswith(f"{SOURCE}:3: password.below_platform_floor.min_length: the "
                              "rules meet this floor rule")


def test_common_password_waiver_stands_alone(presets):
    text = 'extends: base\npassword:\n  below_platform_floor: {common_passwords: "§3"}\n'
    policy = compile_policy(text, SOURCE, presets)
    assert policy.password.waives("common_passwords")
    assert not policy.password.waives("min_length")


def test_blank_waiver_is_not_a_reason(presets):
    text = ('extends: base\npassword:\n  min_length: 6\n'
            '  below_platform_floor: {min_length: "  "}\n')
    assert errors(text, presets) == [f"{SOURCE}:4: password.below_platform_floor.min_length: "
                                     "Must not be blank."]


@pytest.mark.parametrize(("text", "expected"), [
    ("recovery:\n  method: email\n", "3: recovery.method: Replaced in policy language v2: "
     "write methods: [<method>, …]"),
    ("blocking:\n  unblock_by: staff_unblock\n", "3: blocking.unblock_by: Write a list, "
     "e.g. [staff_unblock]"),
    ('password:\n  below_platform_floor: "§2"\n', "3: password.below_platform_floor: "
     "Replaced in policy language v2: give a reason per floor rule"),
    ("blocking:\n  rules:\n    - {trigger: failed_logins, threshold: 3, "
     "lock_for: until_staff_unblocks}\n", "4: blocking.rules[0].lock_for: Replaced in policy "
     "language v2: write until_unlocked"),
])
def test_language_v1_keys_say_what_to_write_instead(presets, text, expected):
    (message,) = errors("extends: base\n" + text, presets)
    assert message.startswith(f"{SOURCE}:{expected}")


def test_self_service_unlock_only_for_failed_logins(presets):
    text = ("blocking:\n  unblock_by: [email_link]\n  rules:\n"
            "    - {trigger: misuse, action: staff_decides, unblock: [email_link]}\n")
    assert errors("extends: base\n" + text, presets) == [
        f"{SOURCE}:3: blocking.unblock_by: email_link lifts a lock without the office, so "
        "only the failed_logins rule may offer it.",
        f"{SOURCE}:5: blocking.rules[0].unblock: email_link lifts a lock without the office, "
        "so only the failed_logins rule may offer it.",
    ]


def test_pickup_scheduling_step_rules(presets):
    text = ("enrolment:\n  steps: [in_person_request, schedule_pickup]\n"
            "  channels: [in_person]\n")
    assert errors("extends: base\n" + text, presets) == [
        f"{SOURCE}:3: enrolment.steps[1]: schedule_pickup needs in_person_pickup: it sets "
        "the pickup's time and place."]
    text = ("enrolment:\n  steps: [in_person_request, schedule_pickup, in_person_pickup]\n"
            "  channels: [in_person]\nnotifications: {pickup_scheduled: false}\n")
    assert errors("extends: base\n" + text, presets) == [
        f"{SOURCE}:5: notifications.pickup_scheduled: must be true: enrolment step "
        "schedule_pickup e-mails the pickup's time and place."]


def test_activation_codes_section(presets):
    """Optional and off by default; when on, its ranges hold and it needs the e-mail
    confirmation message (the registration confirms the resident's address)."""
    rules = compile_policy("extends: base\n", SOURCE, presets).enrolment.activation_codes
    assert (rules.enabled, rules.valid.days, rules.max_attempts) == (False, 60, 5)
    text = "enrolment:\n  activation_codes: {enabled: true, valid: 400d, max_attempts: 0}\n"
    assert errors("extends: base\n" + text, presets) == [
        f"{SOURCE}:3: enrolment.activation_codes.valid: Must be between 1d and 365d.",
        f"{SOURCE}:3: enrolment.activation_codes.max_attempts: Must be greater than or equal "
        "to 1 and less than or equal to 20."]
    text = ("enrolment:\n  activation_codes: {enabled: true}\n"
            "notifications: {email_confirmation: false}\n")
    assert errors("extends: base\n" + text, presets) == [
        f"{SOURCE}:4: notifications.email_confirmation: must be true: "
        "enrolment.activation_codes confirms the resident's e-mail address."]
    policy = compile_policy("extends: base\nenrolment:\n  activation_codes:\n"
                            "    enabled: true\n    valid: 30d\n", SOURCE, presets)
    assert policy.switch("enrolment.activation_codes.enabled")
    assert policy.enrolment.activation_codes.valid.days == 30


def test_error_in_the_parent_names_the_parent(presets):
    base = presets / "base.yaml"
    base.write_text(base.read_text().replace("history: 3", "history: three"))
    (message,) = errors("extends: base\n", presets)
    assert message.startswith(f"{base}:")
    assert message.endswith("password.history: Not a valid integer.")


def test_conflict_with_a_parent_value_is_located_there(presets):
    text = "extends: base\npassword:\n  max_length: 6\n"
    (message,) = errors(text, presets)
    base_line = next(number for number, line in
                     enumerate((presets / "base.yaml").read_text().splitlines(), 1)
                     if "min_length:" in line)
    assert message == (f"{presets / 'base.yaml'}:{base_line}: password.min_length: 8 is "
                       f"greater than max_length (6). (merged into {SOURCE})")


def test_missing_required_key_names_the_child_and_the_chain(presets):
    base = presets / "base.yaml"
    session = "session:\n  idle_timeout: 15m\n  absolute_timeout: 12h\n"
    assert session in base.read_text()
    base.write_text(base.read_text().replace(session, ""))
    (presets / "middle.yaml").write_text("extends: base\n")
    assert errors("extends: middle\n", presets) == [
        f"{SOURCE}: session: required key is missing after merging extends chain "
        "base -> middle -> child"
    ]


def test_missing_required_key_without_extends(presets):
    assert f"{SOURCE}: blocking: required key is missing" in errors("tabs: [ledger]\n", presets)


@pytest.mark.parametrize(("steps", "expected"), [
    ("[manager_creates, staff_review]",
     "enrolment.steps: manager_creates must be the only step"),
    ("[staff_review, paper_application]",
     "enrolment.steps[0]: staff_review cannot come first: the first step files the application"),
    ("[in_person_pickup]",
     "enrolment.steps[0]: in_person_pickup cannot come first"),
    ("[paper_application, confirm_email]",
     "enrolment.steps[1]: confirm_email must come after electronic_form."),
    ("[paper_application, notify_account_ready, staff_review]",
     "enrolment.steps[1]: notify_account_ready must come after staff_review."),
    ("[paper_application, in_person_pickup, staff_review]",
     "enrolment.steps[1]: in_person_pickup hands over the credentials and must be the last step."),
    ("[paper_application, staff_review, electronic_form]",
     "enrolment.steps[2]: electronic_form must come before every non-filing step"),
])
def test_enrolment_step_order(presets, steps, expected):
    text = f"extends: base\nenrolment:\n  channels: [paper]\n  steps: {steps}\n"
    messages = errors(text, presets)
    assert any(m.startswith(f"{SOURCE}:4: {expected}") for m in messages), messages


@pytest.mark.parametrize("steps", ["[electronic_form]", "[electronic_form, confirm_email]",
                                   "[paper_application, notify_account_ready]"])
def test_an_application_procedure_must_create_the_account(presets, steps):
    # Found by tests/conformance: such a procedure completed applications without an account.
    text = f"extends: base\nenrolment:\n  channels: [electronic, paper]\n  steps: {steps}\n"
    assert f"{SOURCE}:4: enrolment.steps: no step creates the account: add staff_review " \
           "(staff create it after checking the data) or in_person_pickup (it is created " \
           "when the credentials are collected)." in errors(text, presets)


def test_enrolment_channels_must_match_the_filing_steps(presets):
    text = ("extends: base\nenrolment:\n  steps: [electronic_form, staff_review]\n"
            "  channels: [paper]\n")
    assert errors(text, presets) == [
        f"{SOURCE}:4: enrolment.channels: step electronic_form needs channel electronic.",
        f"{SOURCE}:4: enrolment.channels[0]: no enrolment step takes channel paper.",
    ]


def test_enrolment_step_needs_its_notification(presets):
    text = ("extends: base\nenrolment:\n  steps: [electronic_form, confirm_email, staff_review]\n"
            "  channels: [electronic]\nnotifications:\n  email_confirmation: false\n")
    assert errors(text, presets) == [
        f"{SOURCE}:6: notifications.email_confirmation: must be true: enrolment step "
        "confirm_email sends this message."
    ]


def test_phone_notification_needs_a_department_to_call(presets):
    text = "extends: base\nenrolment:\n  notify_by: [phone]\n"
    (message,) = errors(text, presets)
    assert "notifications.phone_fallback: enrolment.notify_by includes phone" in message


@pytest.mark.parametrize(("rule", "expected"), [
    ("{trigger: failed_logins, threshold: 0, within: 15m, lock_for: 1h}",
     "blocking.rules[0].threshold: Must be greater than or equal to 1."),
    ("{trigger: failed_logins, threshold: 3, within: 15m, lock_for: forever}",
     "blocking.rules[0].lock_for: 'forever' is not a duration"),
    ("{trigger: misuse, action: block_now, threshold: 3}",
     "blocking.rules[0].threshold: Unknown field."),
    ("{trigger: meteor, action: block_now}",
     "blocking.rules[0].trigger: Must be one of: failed_logins,"),
    ("{action: block_now}",
     "blocking.rules[0].trigger: Missing: every rule needs one of: failed_logins,"),
    ("{trigger: misuse}",
     "blocking.rules[0].action: Missing data for required field."),
    ("misuse", "blocking.rules[0]: Not a rule: write a mapping"),
])
def test_blocking_rules(presets, rule, expected):
    text = f"extends: base\nblocking:\n  rules:\n    - {rule}\n"
    (message,) = errors(text, presets)
    assert message.startswith(f"{SOURCE}:4: {expected}")


def test_a_trigger_may_have_one_rule_only(presets):
    text = ("extends: base\nblocking:\n  rules:\n    - {trigger: misuse, action: block_now}\n"
            "    - {trigger: misuse, action: staff_decides}\n")
    assert errors(text, presets) == [f"{SOURCE}:5: blocking.rules[1].trigger: a rule for "
                                     "misuse is already given above."]


def test_blocking_and_revoking_on_title_end_conflict(presets):
    text = ("extends: base\nblocking:\n  rules:\n    - {trigger: title_ended, action: block_now}\n"
            "revocation:\n  auto_on_title_end: true\n")
    (message,) = errors(text, presets)
    assert message.startswith(f"{SOURCE}:6: revocation.auto_on_title_end: conflicts with")


@pytest.mark.parametrize(("tabs", "expected"), [
    ("tabs: [ledger]\nhome: [services]", "home: has panels, so list home among the tabs too."),
    ("tabs: [home, ledger]", "tabs: lists home, but home has no panels."),
    ("tabs: [ledger, meter_submission]", "tabs: meter_submission needs water_meters shown too."),
])
def test_tab_composition(presets, tabs, expected):
    (message,) = errors(f"extends: base\n{tabs}\n", presets)
    assert message.endswith(expected)


def test_bad_identifier_format(presets):
    text = 'extends: base\nidentifier:\n  format: "ID ###"\n'
    assert errors(text, presets) == [f"{SOURCE}:3: identifier.format: Invalid identifier "
                                     "format: character ' ' is not allowed in an identifier."]


def test_unreadable_file(tmp_path):
    with pytest.raises(PolicyError, match="no such file"):
        load_policy_file(tmp_path / "absent.yaml")
