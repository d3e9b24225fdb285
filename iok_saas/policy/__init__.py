"""Declarative tenant policies: YAML files validated into immutable ``Policy`` objects.

See ``policies/README.md`` for the language and ``loader`` for how files are combined.
"""

from .cli import policy_cli
from .loader import CheckReport, PolicyError, check_paths, compile_policy, load_policy_file
from .model import Policy
from .schema import ENROLMENT_STEPS, NOTIFICATIONS, PLATFORM_MIN_LENGTH, TABS

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
    "load_policy_file",
    "policy_cli",
]
