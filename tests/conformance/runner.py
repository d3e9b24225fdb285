"""Run every check for one policy text and, when one fails, say which policy broke."""

from __future__ import annotations

import random
import traceback
from pathlib import Path

from iok_saas.config import REPO_ROOT
from iok_saas.extensions import db
from iok_saas.policy import compile_policy

from .harness import Checker, check_policy, onboard
from .strategies import DEPARTMENTS


class PolicyBroke(AssertionError):
    """A check failed for a policy; the message carries the policy's YAML."""


def run_policy(app, text: str, rng_seed: int, *, thorough: bool = False,
               departments: tuple[str, ...] | None = None, reproduce: str = "") -> None:
    """Onboard ``text`` as a new tenant and run every check (``thorough``: every unlock and
    recovery method rather than one drawn with ``rng_seed``)."""
    with app.app_context():
        try:
            slug, policy = onboard(text, departments or departments_named(text))
            check_policy(Checker(app, slug, policy, random.Random(rng_seed), thorough))
        except Exception as exc:
            db.session.rollback()
            raise PolicyBroke(
                f"{type(exc).__name__}: {exc}\n"
                f"{''.join(traceback.format_exception(exc)[-3:])}"
                f"--- the policy that broke (password draws: IOK_CONFORMANCE_RNG={rng_seed}"
                f"{'; ' + reproduce if reproduce else ''}) ---\n{text}") from exc
        finally:
            db.session.remove()


def departments_named(text: str) -> tuple[str, ...]:
    """The suite's departments and any other the policy names (a shipped policy may)."""
    policy = compile_policy(text, "policies/conformance.yaml", REPO_ROOT / "policies")
    return tuple(dict.fromkeys([*DEPARTMENTS, *sorted(policy.departments_referenced())]))


def policy_files() -> list[Path]:
    return sorted((REPO_ROOT / "policies").glob("*.yaml"))
