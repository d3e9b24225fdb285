"""Fuzzing the policy loader (ASVS V5.1, V5.5): generated YAML texts and mutated policy
mappings always give either a ``Policy`` or a ``PolicyError`` whose messages name the file
(and line and key where there is one) — never another exception. Operators upload policies
in the console, so the loader is an input boundary too."""

from __future__ import annotations

import datetime
import re

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iok_saas.config import REPO_ROOT
from iok_saas.policy.loader import PolicyError, compile_policy
from iok_saas.policy.model import Policy

PRESETS = REPO_ROOT / "policies"
SOURCE = "fuzz.yaml"
SHIPPED = {path.stem: yaml.safe_load(path.read_text(encoding="utf-8"))
           for path in sorted(PRESETS.glob("*.yaml"))}
MESSAGE = re.compile(r"^[\w./-]+\.yaml(:\d+)?: .", re.DOTALL)


def outcome(text: str) -> str:
    """'policy' or 'error'; anything else escapes and fails the test."""
    try:
        policy = compile_policy(text, SOURCE, PRESETS)
    except PolicyError as exc:
        assert exc.messages, text
        for message in exc.messages:
            assert isinstance(message, str) and MESSAGE.match(message), (message, text[:300])
        return "error"
    assert isinstance(policy, Policy)
    return "policy"


scalars = (st.none() | st.booleans() | st.integers(-(10 ** 30), 10 ** 30)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=20)
           | st.sampled_from(["15m", "0m", "-1h", "1e9d", "999999999999d", "1h", "30d", "2w",
                              "board", "finance", "email", "in_person", "######", "A" * 300,
                              "base", "\x00", "‮", "😀"])
           | st.dates().map(datetime.date.isoformat))
values = st.recursive(scalars, lambda children: st.lists(children, max_size=3)
                      | st.dictionaries(st.text(max_size=10), children, max_size=3),
                      max_leaves=6)


def _paths(data, prefix=()):
    yield prefix
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _paths(value, prefix + (index,))


def _set(data, path, value):
    if not path:
        return value
    target = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return data


def _delete(data, path):
    if path:
        target = data
        for part in path[:-1]:
            target = target[part]
        del target[path[-1]]
    return data


@st.composite
def mutated_policies(draw) -> str:
    """A shipped policy with one to three random edits, dumped as YAML."""
    import copy

    data = copy.deepcopy(SHIPPED[draw(st.sampled_from(sorted(SHIPPED)))])
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(data))
        path = draw(st.sampled_from(paths))
        action = draw(st.integers(0, 3))
        if action == 0:
            data = _set(data, path, draw(values))
        elif action == 1 and path:
            data = _delete(data, path)
        elif action == 2 and isinstance(data, dict):
            data[draw(st.text(min_size=1, max_size=12))] = draw(values)
        else:
            data = _set(data, ("extends",) if isinstance(data, dict) else (), draw(
                st.sampled_from(["base", "brzeg", "nope", "../tenants/brzeg", "/etc/passwd",
                                 "..", "", "base.yaml", "BASE", 7]) | values))
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


yaml_bits = st.sampled_from([
    "extends: base\n", "tabs: [ledger]\n", "password:\n  min_length: 3\n", "- a\n", ": x\n",
    "&a [*a]\n", "*x\n", "!!python/object/apply:os.system ['true']\n", "!!binary AAAA\n",
    "? [a, b]\n: c\n", "key: &k v\nother: *k\n", "{", "]", "\t", "%YAML 1.1\n---\n", "---\n",
    "...\n", "a: b\na: c\n", "'unterminated\n", "<<: {x: 1}\n", "!!set {a, b}\n",
    "2025-01-01: x\n", "1: x\n", "null: x\n", "~\n", "blocking: {rules: [{}]}\n"])
texts = st.lists(yaml_bits | st.text(max_size=30), max_size=6).map("".join)


def _run(strategy, examples: int) -> dict:
    seen = {"policy": 0, "error": 0}

    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def one(text):
        seen[outcome(text)] += 1

    one()
    return seen


def test_generated_yaml_texts_give_a_policy_or_a_precise_error():
    seen = _run(texts, 500)
    print(f"\nFUZZ policy texts: {sum(seen.values())} cases tried, {seen}")
    assert seen["error"]


def test_mutated_policies_give_a_policy_or_a_precise_error():
    seen = _run(mutated_policies(), 300)
    print(f"\nFUZZ policy mappings: {sum(seen.values())} cases tried, {seen}")
    assert seen["error"] and seen["policy"]  # both sides of the boundary are reached


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_every_shipped_policy_still_loads(name):
    if name.startswith("preset-") or name == "base":
        return
    assert outcome((PRESETS / f"{name}.yaml").read_text(encoding="utf-8")) == "policy"


HOSTILE = {
    "python object tag": "!!python/object/apply:os.system ['touch /tmp/pwned']\n",
    "billion laughs": "extends: base\n" + "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]\n" for i in range(1, 9)),
    "laughs inside a known key": "extends: base\nx: &x [a, a, a, a, a, a, a, a]\n"
                                 "y: &y [*x, *x, *x, *x, *x, *x, *x, *x]\n"
                                 "z: &z [*y, *y, *y, *y, *y, *y, *y, *y]\n"
                                 "tabs: [*z, *z, *z, *z, *z, *z, *z, *z]\n",
    "path traversal in extends": "extends: ../tenants/brzeg\n",
    "absolute extends": "extends: /etc/passwd\n",
    "extends itself": "extends: fuzz\n",
    "deep nesting": "password: " + "[" * 5000 + "]" * 5000 + "\n",
    "huge number": "extends: base\npassword: {min_length: " + "9" * 5000 + "}\n",
    "merge key": "extends: base\npassword:\n  <<: {min_length: 1}\n",
    "impossible date": "extends: base\ndescription: 2025-02-30\n",
    "list as a rule trigger": "extends: base\nblocking:\n  rules:\n    - {trigger: [a]}\n",
    "control character": "extends: base\ndescription: \x1f\n",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_policy_texts_are_refused_precisely(name, tmp_path):
    assert outcome(HOSTILE[name]) == "error", name
    assert not (tmp_path / "pwned").exists()


def test_the_operator_console_answers_hostile_policies_with_its_error_list(synced, host_client,
                                                                          ctx):
    """The same texts through the console: 422 with the problems listed, never a 500, and
    the tenant keeps its policy."""
    from iok_saas.modules.tenants.services import get_tenant

    from ..factories import operator, sign_in_operator

    operator()
    client = host_client("admin.localhost")
    sign_in_operator(client)
    kept = get_tenant("gdynia").policy_source
    for name, text in sorted(HOSTILE.items()):
        response = client.post("/operator/tenants/gdynia/policy", data={"policy_source": text})
        assert response.status_code == 422, name
        assert "gdynia" in response.get_data(as_text=True)
    assert get_tenant("gdynia").policy_source == kept
