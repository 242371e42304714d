"""Participant-screen rules that live outside the page: the phase watch, the ballot payload."""

from __future__ import annotations

import json

import pytest

from workshop import participation
from workshop.errors import ValidationError
from workshop.model import ApprovalBallot, DotBallot, Phase, RankingBallot, RatingBallot


@pytest.mark.parametrize(
    ("phase", "revealed", "expected"),
    [
        (Phase.SETUP, False, participation.WATCH_WAITING),
        (Phase.REVIEW, False, participation.WATCH_WAITING),
        (Phase.RESULTS, False, participation.WATCH_WAITING),  # waiting for the reveal
        (Phase.COLLECT, False, participation.WATCH_BUSY),
        (Phase.VOTE, False, participation.WATCH_BUSY),
        (Phase.RESULTS, True, participation.WATCH_BUSY),
    ],
)
def test_screens_ask_often_only_where_people_wait(phase, revealed, expected):
    assert participation.watch_seconds(phase, revealed) == expected


def test_waiting_screens_follow_within_a_few_seconds():
    # The facilitator says "voting is open": phones should follow before people start to wonder.
    assert participation.WATCH_WAITING <= 2
    assert participation.WATCH_WAITING < participation.WATCH_BUSY <= 10


@pytest.mark.parametrize("phase", [Phase.VOTE, Phase.REVIEW])
def test_a_big_hall_asks_less_often_per_device_but_not_more_in_total(phase):
    small = participation.watch_seconds(phase, False, devices=20)
    assert small == participation.watch_seconds(phase, False)  # a small hall: the base interval
    busy = phase == Phase.VOTE
    rate = participation.HALL_WATCHES_BUSY if busy else participation.HALL_WATCHES_WAITING
    longest = participation.WATCH_BUSY_MAX if busy else participation.WATCH_WAITING_MAX
    for devices in (50, 150, 300, 1000, 5000):
        seconds = participation.watch_seconds(phase, False, devices=devices)
        assert seconds >= small
        assert devices / seconds <= rate or seconds == longest
        assert seconds <= longest
    assert participation.watch_seconds(phase, False, devices=2000) > small  # a big hall: each asks less often


def test_the_screen_version_changes_with_what_a_participant_screen_shows_and_nothing_else():
    from dataclasses import replace

    from workshop.model import VotingRules, Workshop

    ws = Workshop(id="w", title="T", date=None, place="", join_code="ABCDEF", phase=Phase.REVIEW)
    version = participation.screen_version(ws)
    assert version == participation.screen_version(replace(ws, title="Another title", wall_view="matrix"))
    for changed in (
        replace(ws, phase=Phase.VOTE),
        replace(ws, results_revealed=True),
        replace(ws, rules=VotingRules(dots_per_person=5)),
        replace(ws, rules=VotingRules(method="approval")),
        replace(ws, rules=VotingRules(shortlist=("m1", "m2"))),
        replace(ws, rules=VotingRules(cards_required=True)),
    ):
        assert participation.screen_version(changed) != version, changed
    # The workshop's version counts only where the screen shows the ranking: after the reveal.
    assert participation.screen_version(ws, 7) == version
    assert participation.screen_version(replace(ws, phase=Phase.VOTE), 7) == participation.screen_version(
        replace(ws, phase=Phase.VOTE), 8
    )
    shown = replace(ws, phase=Phase.RESULTS, results_revealed=True)
    assert participation.screen_version(shown, 7) != participation.screen_version(shown, 8)
    hidden = replace(shown, results_revealed=False)
    assert participation.screen_version(hidden, 7) == participation.screen_version(hidden, 8)


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
