"""The `documents` and `voting` policy sections: defaults, own categories, and the errors
`flask policy check` reports."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from iok_saas.policy import policy_cli
from iok_saas.policy.loader import load_policy_file

POLICIES = Path(__file__).resolve().parents[2] / "policies"


def _write(tmp_path: Path, body: str) -> Path:
    shutil.copy(POLICIES / "base.yaml", tmp_path)
    path = tmp_path / "tenant.yaml"
    path.write_text("extends: base\ntabs: [ledger, documents]\n" + body)
    return path


def _check(tmp_path, path):
    return CliRunner().invoke(policy_cli, ["check", "--presets-dir", str(tmp_path), str(path)])


def test_defaults_for_cooperatives_and_communities(tmp_path):
    cooperative = load_policy_file(_write(tmp_path, ""), tmp_path)
    assert cooperative.documents.categories[0] == ("statute", "Statut")
    assert cooperative.documents.max_size_mb == 10
    assert cooperative.voting.electorate == "owners_by_share"
    community = load_policy_file(_write(tmp_path, "documents: {defaults: community}\n"),
                                 tmp_path)
    assert [key for key, _ in community.documents.categories][:2] == ["resolutions", "plans"]


def test_own_categories_replace_the_defaults(tmp_path):
    path = _write(tmp_path, "documents:\n  categories:\n    - {key: plans, name: Plany}\n"
                            "    - {key: minutes, name: Protokoły}\n  max_size_mb: 20\n")
    policy = load_policy_file(path, tmp_path)
    assert policy.documents.categories == (("plans", "Plany"), ("minutes", "Protokoły"))
    assert policy.documents.max_size_mb == 20
    assert _check(tmp_path, path).exit_code == 0


def test_policy_check_reports_bad_sections(tmp_path):
    path = _write(tmp_path, "documents:\n  categories:\n    - {key: plans, name: Plany}\n"
                            "    - {key: plans, name: Inne}\n")
    result = _check(tmp_path, path)
    assert result.exit_code == 1
    assert "documents.categories: names one category key twice." in result.output
    path = _write(tmp_path, "documents: {max_size_mb: 500}\nvoting: {majority: most}\n")
    result = _check(tmp_path, path)
    assert result.exit_code == 1
    assert "documents.max_size_mb" in result.output and "voting.majority" in result.output
    path = _write(tmp_path, "documents:\n  categories: [{key: Zła Nazwa, name: X}]\n")
    assert "Not a key" in _check(tmp_path, path).output
