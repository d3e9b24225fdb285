"""The shared waiting helper fails on a late duplicate and on a delivery that never came."""

from __future__ import annotations

import threading

import pytest

from .polling import eventually, exactly


def _deliver_later(inbox: list, *delays: float) -> None:
    for delay in delays:
        timer = threading.Timer(delay, inbox.append, ["message"])
        timer.daemon = True
        timer.start()


def test_one_delivery_and_a_quiet_period_pass():
    inbox: list = []
    _deliver_later(inbox, 0.1)
    exactly(lambda: len(inbox), 1, timeout=5, quiet=0.5, what="deliveries")


def test_a_late_duplicate_fails_during_the_quiet_period():
    inbox: list = []
    _deliver_later(inbox, 0.1, 0.4)
    with pytest.raises(AssertionError, match=r"deliveries: 2 within 2 s of the expected 1"):
        exactly(lambda: len(inbox), 1, timeout=5, quiet=2, what="deliveries")


def test_a_delivery_that_never_comes_fails_at_the_deadline():
    with pytest.raises(AssertionError, match=r"deliveries: 0 after 0.3 s, expected 1"):
        exactly(lambda: 0, 1, timeout=0.3, quiet=1, what="deliveries")
    with pytest.raises(AssertionError, match=r"state: 'pending' after 0.3 s"):
        eventually(lambda: "pending", "sent", timeout=0.3, what="state")
