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
    ("  below_platform_floor: 7", "password.below_platform_floor: Not a valid string."),
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
    text = "extends: base\npassword:\n  min_length: 6\n"
    assert errors(text, presets) == [
        f"{SOURCE}:3: password.min_length: 6 is below the platform floor of 8 characters; "
        "add password.below_platform_floor with the reason."
    ]


def test_waiver_without_anything_to_waive(presets):
    text = 'extends: base\npassword:\n  below_platform_floor: "rules §2"\n'
    (message,) = errors(text, presets)
    assert message.startswith(f"{SOURCE}:3: password.below_platform_floor: the rules meet "
                              "the platform floor")


def test_blank_waiver_is_not_a_reason(presets):
    text = 'extends: base\npassword:\n  min_length: 6\n  below_platform_floor: "  "\n'
    assert errors(text, presets) == [f"{SOURCE}:4: password.below_platform_floor: "
                                     "Must not be blank."]


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
    base.write_text(base.read_text().replace("session:", "unused_session:")
                    .replace("  idle_timeout: 15m\n  absolute_timeout: 12h\n", ""))
    (presets / "middle.yaml").write_text("extends: base\n")
    assert errors("extends: middle\n", presets) == [
        f"{SOURCE}: unused_session: Unknown field." if False else
        f"{base}:{_line_of(base, 'unused_session')}: unused_session: Unknown field."
    ]


def _line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)
