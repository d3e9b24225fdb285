"""Every policy file in policies/ (and any given in IOK_CONFORMANCE_POLICY) keeps its
promises when a new cooperative is onboarded with it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .runner import policy_files, run_policy

EXTRA = [Path(p) for p in os.environ.get("IOK_CONFORMANCE_POLICY", "").split(os.pathsep) if p]
RNG = int(os.environ.get("IOK_CONFORMANCE_RNG", "2026"))


@pytest.mark.parametrize("path", policy_files() + EXTRA, ids=lambda path: path.stem)
def test_policy_file_conforms(conformance_app, path):
    run_policy(conformance_app, path.read_text(encoding="utf-8"), RNG, thorough=True,
               reproduce=f"IOK_CONFORMANCE_POLICY={path}")
