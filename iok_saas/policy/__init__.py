"""Declarative tenant policies: YAML files validated into immutable ``Policy`` objects.

See ``policies/README.md`` for the language and ``loader`` for how files are combined.
"""

from .loader import CheckReport, PolicyError, check_paths, compile_policy, load_policy_file
from .model import Policy
from .schema import (
    ENROLMENT_STEPS,
    NOTIFICATIONS,
    PLATFORM_MIN_LENGTH,
    TABS,
    known_tabs,
    register_tabs,
)

__all__ = [
    "ENROLMENT_STEPS",
    "NOTIFICATIONS",
    "PLATFORM_MIN_LENGTH",
    "TABS",
    "CheckReport",
    "Policy",
    "PolicyError",
    "check_paths",
    "compile_policy",
    "known_tabs",
    "load_policy_file",
    "policy_cli",
    "register_tabs",
]


def __getattr__(name: str):
    # Imported on first use so that `python -m iok_saas.policy.cli` runs without the
    # module already sitting in sys.modules (which would make runpy warn).
    if name == "policy_cli":
        from .cli import policy_cli

        return policy_cli
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
