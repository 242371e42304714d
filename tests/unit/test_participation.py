"""Participant-screen rules that live outside the page: the phase poll interval."""

from __future__ import annotations

import pytest

from workshop import participation
from workshop.model import Phase


@pytest.mark.parametrize(
    ("phase", "revealed", "expected"),
    [
        (Phase.SETUP, False, participation.POLL_WAITING),
        (Phase.REVIEW, False, participation.POLL_WAITING),
        (Phase.RESULTS, False, participation.POLL_WAITING),  # waiting for the reveal
        (Phase.COLLECT, False, participation.POLL_BUSY),
        (Phase.VOTE, False, participation.POLL_BUSY),
        (Phase.RESULTS, True, participation.POLL_BUSY),
    ],
)
def test_screens_poll_fast_only_where_people_wait(phase, revealed, expected):
    assert participation.poll_seconds(phase, revealed) == expected


def test_waiting_screens_follow_within_a_few_seconds():
    # The facilitator says "voting is open": phones should follow before people start to wonder.
    assert participation.POLL_WAITING <= 3
    assert participation.POLL_WAITING < participation.POLL_BUSY <= 15
