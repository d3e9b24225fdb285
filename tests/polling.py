"""Waiting for something another thread or process does: poll until a deadline, never a
fixed sleep; and to prove something happened only once, keep watching a quiet period after
it happened, so a late duplicate fails the test instead of slipping past a sleep."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
INTERVAL = 0.05


def poll(probe: Callable[[], T], done: Callable[[T], bool], timeout: float) -> T:
    """``probe()`` repeatedly until ``done`` accepts its value or ``timeout`` seconds pass;
    the last value either way (the caller's assertion says what was wrong)."""
    deadline = time.monotonic() + timeout
    value = probe()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(INTERVAL)
        value = probe()
    return value


def eventually(probe: Callable[[], T], expected: T, timeout: float, what: str) -> None:
    """``probe()`` comes to equal ``expected`` within ``timeout`` seconds."""
    value = poll(probe, lambda v: v == expected, timeout)
    assert value == expected, f"{what}: {value!r} after {timeout} s, expected {expected!r}"


def exactly(count: Callable[[], int], expected: int, timeout: float, quiet: float,
            what: str) -> None:
    """``count()`` reaches ``expected`` within ``timeout`` seconds, then stays there for
    ``quiet`` seconds more: one too many at any moment fails at once."""
    reached = poll(count, lambda n: n >= expected, timeout)
    assert reached == expected, f"{what}: {reached} after {timeout} s, expected {expected}"
    late = poll(count, lambda n: n != expected, quiet)
    assert late == expected, f"{what}: {late} within {quiet} s of the expected {expected}"
