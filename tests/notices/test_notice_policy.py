"""The charge_notices policy section: defaults, the shipped tenants, precise errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from iok_saas.features import load_features
from iok_saas.policy import PolicyError, compile_policy

POLICIES = Path(__file__).resolve().parents[2] / "policies"
SOURCE = "policies/child.yaml"


@pytest.fixture
def presets(tmp_path: Path) -> Path:
    load_features()  # the notices feature brings the charge_notices tab key
    shutil.copy(POLICIES / "base.yaml", tmp_path)
    return tmp_path


def test_defaults_without_the_section(presets):
    policy = compile_policy("extends: base\n", SOURCE, presets)
    assert policy.charge_notices.email == "link"
    assert policy.charge_notices.consent_version == "1"
    assert policy.charge_notices.consent_text.startswith("Zgadzam się")
    assert not policy.shows("charge_notices")


def test_the_shipped_tenants_that_show_the_tab(presets):
    for name, email in (("zielone-wzgorza", "attachment"), ("kuzniki", "link")):
        text = (POLICIES / f"{name}.yaml").read_text()
        policy = compile_policy(text, f"policies/{name}.yaml", POLICIES)
        assert policy.shows("charge_notices") and policy.charge_notices.email == email


@pytest.mark.parametrize(("block", "expected"), [
    ("charge_notices:\n  email: fax\n",
     f"{SOURCE}:3: charge_notices.email: Must be one of: attachment, link."),
    ("charge_notices:\n  consent_version: ''\n",
     f"{SOURCE}:3: charge_notices.consent_version: Must not be blank."),
    ("charge_notices:\n  paper: true\n", f"{SOURCE}:3: charge_notices.paper: Unknown field."),
])
def test_bad_values_are_named_with_file_and_line(presets, block, expected):
    with pytest.raises(PolicyError) as caught:
        compile_policy("extends: base\n" + block, SOURCE, presets)
    assert caught.value.messages == [expected]
