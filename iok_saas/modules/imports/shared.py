"""What the row-by-row path (services.py) and the COPY path (bulk.py) share: the run's
counts, how many errors are kept, and the two problems only a whole file can reveal."""

from __future__ import annotations

from dataclasses import dataclass

from .problems import Coded, coded

ANALYZE_AFTER = 10_000  # rows written to one table before its statistics are refreshed
ERRORS_KEPT = 1000  # errors stored and shown; the total is always counted


@dataclass
class Counts:
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def duplicate_problem(external_id: str, first: int) -> Coded:
    return coded("duplicate_id", f"external_id '{external_id}' is repeated (first on row "
                 f"{first})", external_id=external_id, first_row=first)


def reference_problem(target: str, value: str) -> Coded:
    return coded("unknown_reference", f"no '{target}' row has external_id '{value}' "
                 "(neither in the database nor in this import)", dataset=target,
                 external_id=value)
