"""Random valid policies (hypothesis, over the policy schema) keep their promises when a new
cooperative is onboarded with each. The run is deterministic unless IOK_CONFORMANCE_SEED is
set; a failure prints the policy's YAML (see tests/conformance/README.md)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from .runner import run_policy
from .strategies import DEPARTMENTS, policies, to_yaml

EXAMPLES = int(os.environ.get("IOK_CONFORMANCE_EXAMPLES", "200"))
SEED = os.environ.get("IOK_CONFORMANCE_SEED")
SHRINK = os.environ.get("IOK_CONFORMANCE_SHRINK") == "1"

RUN = settings(
    max_examples=EXAMPLES,
    derandomize=SEED is None,
    deadline=None,
    database=None,
    # Shrinking re-runs a failing policy many times; the YAML printed is reproducible as is.
    phases=[Phase.explicit, Phase.generate, *([Phase.shrink] if SHRINK else [])],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _seeded(test):
    return seed(int(SEED))(test) if SEED is not None else test


@_seeded
@RUN
@given(policy=policies(), rng_seed=st.integers(0, 2**32 - 1))
def test_generated_policy_conforms(conformance_app, policy, rng_seed):
    text = to_yaml(policy)
    run_policy(conformance_app, text, rng_seed, departments=DEPARTMENTS,
               reproduce="save it as a file and run IOK_CONFORMANCE_POLICY=<file> pytest "
                         "tests/conformance/test_shipped_policies.py")
