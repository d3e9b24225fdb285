"""`flask policy check` (the `policy_cli` click group) as operators and CI run it."""

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask

from iok_saas.policy import policy_cli

POLICIES = Path(__file__).resolve().parents[2] / "policies"


@pytest.fixture
def presets(tmp_path: Path) -> Path:
    shutil.copy(POLICIES / "base.yaml", tmp_path)
    return tmp_path


def check(*args: str):
    return CliRunner().invoke(policy_cli, ["check", *args])


def test_is_a_click_group_named_policy():
    assert policy_cli.name == "policy"
    assert "check" in policy_cli.commands


def test_default_checks_every_shipped_policy():
    result = check()
    assert result.exit_code == 0, result.output
    ok_lines = [line for line in result.output.splitlines() if line.startswith("OK ")]
    assert len(ok_lines) == len(list(POLICIES.glob("*.yaml")))
    assert any(line.endswith("brzeg.yaml") for line in ok_lines)


def test_waiver_is_reported_as_a_note_after_the_results():
    result = check(str(POLICIES / "brzeg.yaml"), str(POLICIES / "kuzniki.yaml"))
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert [line[:3] for line in lines] == ["OK ", "OK ", "not", "not", "not"]
    assert lines[2].startswith("note: ")
    assert "floor rule common_passwords" in lines[3] and "floor rule cooperative_name" in lines[4]
    assert lines[2].endswith('brzeg.yaml: password is below the platform floor rule min_length '
                             '(waiver: "Zasady IOK MZMK Brzeg §2c: minimum 4 znaki, w tym cyfra '
                             'oraz wielka i mała litera")')


def test_an_invalid_file_fails_with_its_messages(presets):
    bad = presets / "bad.yaml"
    bad.write_text("extends: base\npassword:\n  min_lenght: 10\n")
    good = presets / "good.yaml"
    good.write_text("extends: base\n")
    result = check("--presets-dir", str(presets), str(bad), str(good))
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{bad}:3: password.min_lenght: Unknown field.",
        f"OK {good}",
    ]


def test_presets_dir_option_supplies_the_default_files(presets):
    (presets / "child.yaml").write_text("extends: base\ntabs: [ledger, faults]\n")
    result = check("--presets-dir", str(presets))
    assert result.exit_code == 0
    assert result.output.splitlines() == [f"OK {presets / 'base.yaml'}",
                                          f"OK {presets / 'child.yaml'}"]


def test_app_config_names_the_policies_folder(presets):
    (presets / "broken.yaml").write_text("extends: nowhere\n")
    app = Flask(__name__)
    app.config["IOK_POLICIES_DIR"] = str(presets)
    with app.app_context():
        result = check()
    assert result.exit_code == 1
    assert "broken.yaml:1: extends: unknown preset 'nowhere'" in result.output


def test_missing_file_fails(tmp_path):
    result = check(str(tmp_path / "absent.yaml"))
    assert result.exit_code == 1
    assert "absent.yaml: no such file" in result.output


def test_empty_presets_dir_is_an_error(tmp_path):
    result = check("--presets-dir", str(tmp_path))
    assert result.exit_code == 1
    assert "no policy files" in result.output
