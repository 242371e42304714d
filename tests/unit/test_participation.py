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


@pytest.mark.parametrize("phase", [Phase.VOTE, Phase.REVIEW])
def test_a_big_hall_polls_less_often_per_device_but_not_more_in_total(phase):
    small = participation.poll_seconds(phase, False, devices=20)
    assert small == participation.poll_seconds(phase, False)  # a small hall: the base interval
    busy = phase == Phase.VOTE
    rate = participation.HALL_POLLS_BUSY if busy else participation.HALL_POLLS_WAITING
    longest = participation.POLL_BUSY_MAX if busy else participation.POLL_WAITING_MAX
    for devices in (50, 150, 300, 1000, 5000):
        seconds = participation.poll_seconds(phase, False, devices=devices)
        assert seconds >= small
        assert devices / seconds <= rate or seconds == longest
        assert seconds <= longest
    assert participation.poll_seconds(phase, False, devices=300) > small  # 300 phones: each asks less often


def test_a_screen_takes_a_longer_interval_once_the_hall_has_grown_by_half():
    early = participation.poll_seconds(Phase.REVIEW, False, devices=10)  # joined early: 3 s
    assert not participation.poll_outdated(early, Phase.REVIEW, False, devices=100)  # 3 s still
    assert participation.poll_outdated(early, Phase.REVIEW, False, devices=300)  # 6 s now
    later = participation.poll_seconds(Phase.REVIEW, False, devices=300)
    assert not participation.poll_outdated(later, Phase.REVIEW, False, devices=350)  # not for every joiner
    longest = participation.poll_seconds(Phase.REVIEW, False, devices=5000)
    assert longest == participation.POLL_WAITING_MAX
    assert not participation.poll_outdated(longest, Phase.REVIEW, False, devices=50_000)  # it stops there
