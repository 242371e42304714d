"""Participant-screen rules that live outside the page: the phase poll interval."""

from __future__ import annotations

import json

import pytest

from workshop import participation
from workshop.errors import ValidationError
from workshop.model import ApprovalBallot, DotBallot, Phase, RankingBallot, RatingBallot


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


# --- the ballot as the submit button carries it ------------------------------------------------


@pytest.mark.parametrize(
    "ballot",
    [
        DotBallot({"b": 2, "a": 1}),
        ApprovalBallot(frozenset({"x", "a"})),
        RatingBallot({"m": {"impact": 3, "feasibility": None}, "n": {"impact": 5}}),
        RankingBallot(("z", "a", "m")),
        DotBallot({}),
    ],
)
def test_ballot_payload_round_trips_through_json_in_a_stable_form(ballot):
    payload = participation.ballot_payload(ballot)
    assert participation.ballot_from_payload(json.loads(json.dumps(payload))) == ballot


def test_equal_ballots_give_equal_payloads_and_a_ranking_keeps_its_order():
    """The browser compares payloads as text (is the ballot on screen the saved one?)."""
    assert json.dumps(participation.ballot_payload(DotBallot({"b": 1, "a": 2}))) == json.dumps(
        participation.ballot_payload(DotBallot({"a": 2, "b": 1}))
    )
    assert json.dumps(participation.ballot_payload(ApprovalBallot(frozenset("xyz")))) == json.dumps(
        participation.ballot_payload(ApprovalBallot(frozenset("zyx")))
    )
    assert participation.ballot_payload(RankingBallot(("z", "a")))["order"] == ["z", "a"]


@pytest.mark.parametrize(
    "payload",
    [
        None,
        [],
        {"method": "dots"},
        {"method": "dots", "dots": {"a": True}},
        {"method": "dots", "dots": {"a": "1"}},
        {"method": "approval", "approved": ["a", 1]},
        {"method": "rating", "ratings": {"m": {"impact": 2.5}}},
        {"method": "rating", "ratings": ["m"]},
        {"method": "ranking", "order": "abc"},
        {"method": "unknown"},
    ],
)
def test_malformed_payloads_are_refused(payload):
    with pytest.raises(ValidationError):
        participation.ballot_from_payload(payload)


def test_ballot_payload_refuses_what_is_not_a_ballot():
    with pytest.raises(TypeError):
        participation.ballot_payload({"a": 1})
