"""Moderation keeps ballot integrity (property tests): merging conserves dots and counts each
ballot once per measure; undoing a merge restores every vote and ranking; hiding and moving
never change a vote."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workshop import auth, services, views
from workshop.errors import ValidationError
from workshop.model import ApprovalBallot, DotBallot, MeasureInput, Method, Phase, VotingRules

N_MEASURES = 5

ballots = st.lists(
    st.dictionaries(st.integers(0, N_MEASURES - 1), st.integers(1, 3), min_size=1, max_size=3), min_size=1, max_size=8
)
approvals = st.lists(st.sets(st.integers(0, N_MEASURES - 1), min_size=1), min_size=1, max_size=8)


@pytest.fixture(scope="module")
def store(make_store):
    """One database per engine; every example makes a workshop of its own in it."""
    return make_store("properties")


def _workshop(db, method: Method):
    fac = auth.system_session(db, minutes=10)
    ws = services.create_workshop(db, fac, title="Eigenschaften", rules=VotingRules(method=method, dots_per_person=9))
    services.replace_vision(db, fac, ws.id, title="Leitbild", description="", goals=[("Ziel A", ""), ("Ziel B", "")])
    goals = services.list_goals(db, ws.id)
    services.set_phase(db, fac, ws.id, Phase.COLLECT)
    ids = [
        services.propose_measure(db, fac, goals[i % 2].id, MeasureInput(f"Maßnahme {i}")).id for i in range(N_MEASURES)
    ]
    services.set_phase(db, fac, ws.id, Phase.VOTE)
    return db, fac, services.get_workshop(db, ws.id), ids


def _vote(db, ws, ballot):
    participant, _token = services.join(db, ws.join_code)
    services.submit_ballot(db, participant, ballot, uuid.uuid4().hex)


def _votes(db, ws, method):
    return views.votes_frame(db, ws.id, method)


FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(ballots, st.sets(st.integers(0, N_MEASURES - 1), min_size=2))
def test_merge_conserves_dots_and_counts_each_ballot_once(store, raw, chosen):
    db, fac, ws, ids = _workshop(store, Method.DOTS)
    for b in raw:
        _vote(db, ws, DotBallot({ids[i]: n for i, n in b.items()}))
    before = _votes(db, ws, Method.DOTS)
    merged = [ids[i] for i in sorted(chosen)]
    services.set_phase(db, fac, ws.id, Phase.REVIEW)
    services.merge_measures(db, fac, merged[0], merged[1:])
    after = _votes(db, ws, Method.DOTS)

    assert after["value"].sum() == before["value"].sum()  # dots are conserved
    assert not after.duplicated(["ballot_id", "measure_id", "criterion"]).any()  # one row per ballot and measure
    supporters_before = before[before["measure_id"].isin(merged)]["ballot_id"].nunique()
    assert after[after["measure_id"] == merged[0]]["ballot_id"].nunique() == supporters_before
    assert set(after["measure_id"]) <= set(ids) - set(merged[1:])  # nothing left on merged-away measures
    assert services.count_ballots(db, ws.id) == len(raw)
    ranked = views.ranking(db, services.get_workshop(db, ws.id))
    assert merged[0] in set(ranked["measure_id"]) and not set(merged[1:]) & set(ranked["measure_id"])


def _every_vote(db, ws) -> list[tuple]:
    return sorted(
        db.fetchall("SELECT v.* FROM votes v JOIN ballots b ON b.id = v.ballot_id WHERE b.workshop_id = $1", [ws.id])
    )


@FAST
@given(ballots, st.sets(st.integers(0, N_MEASURES - 1), min_size=2))
def test_undoing_a_merge_restores_every_vote_and_the_ranking(store, raw, chosen):
    db, fac, ws, ids = _workshop(store, Method.DOTS)
    for b in raw:
        _vote(db, ws, DotBallot({ids[i]: n for i, n in b.items()}))
    services.set_phase(db, fac, ws.id, Phase.REVIEW)
    votes_before = _every_vote(db, ws)
    ranking_before = views.ranking(db, services.get_workshop(db, ws.id))
    merged = [ids[i] for i in sorted(chosen)]
    services.merge_measures(db, fac, merged[0], merged[1:])
    (merge,) = services.open_merges(db, ws.id)
    assert (merge.target_id, list(merge.sources)) == (merged[0], merged[1:])

    services.unmerge_measures(db, fac, merge.id)
    assert _every_vote(db, ws) == votes_before, "each ballot's votes are as they were"
    after = views.ranking(db, services.get_workshop(db, ws.id))
    assert after.drop(columns="seq").equals(ranking_before.drop(columns="seq"))
    assert services.open_merges(db, ws.id) == []
    assert list(services.audit_log(db, fac, ws.id)["action"])[-2:] == ["merge", "unmerge"]


def test_a_merge_cannot_be_undone_after_a_ballot_changed_or_under_a_later_merge(store):
    db, fac, ws, ids = _workshop(store, Method.DOTS)
    voter, _token = services.join(db, ws.join_code)
    services.submit_ballot(db, voter, DotBallot({ids[0]: 2, ids[1]: 1}), uuid.uuid4().hex)
    services.set_phase(db, fac, ws.id, Phase.REVIEW)
    services.merge_measures(db, fac, ids[0], [ids[1]])
    first = services.open_merges(db, ws.id)[0]
    services.merge_measures(db, fac, ids[2], [ids[0]])
    with pytest.raises(ValidationError, match="later merge"):
        services.unmerge_measures(db, fac, first.id)
    services.unmerge_measures(db, fac, services.open_merges(db, ws.id)[0].id)

    # The ballot is changed in a second voting round: the votes kept by the merge are stale.
    services.set_phase(db, fac, ws.id, Phase.VOTE)
    services.submit_ballot(db, voter, DotBallot({ids[0]: 1}), uuid.uuid4().hex)
    services.set_phase(db, fac, ws.id, Phase.REVIEW)
    before = _every_vote(db, ws)
    with pytest.raises(ValidationError, match="Ballots have changed"):
        services.unmerge_measures(db, fac, first.id)
    assert _every_vote(db, ws) == before and services.get_measure(db, ids[1]).merged_into == ids[0]


@FAST
@given(approvals, st.sets(st.integers(0, N_MEASURES - 1), min_size=2))
def test_merged_approval_counts_the_union_of_supporters(store, raw, chosen):
    db, fac, ws, ids = _workshop(store, Method.APPROVAL)
    for b in raw:
        _vote(db, ws, ApprovalBallot(frozenset(ids[i] for i in b)))
    merged = [ids[i] for i in sorted(chosen)]
    expected = sum(1 for b in raw if b & chosen)
    services.set_phase(db, fac, ws.id, Phase.REVIEW)
    services.merge_measures(db, fac, merged[0], merged[1:])
    ranked = views.ranking(db, services.get_workshop(db, ws.id)).set_index("measure_id")
    assert ranked.loc[merged[0], "score"] == expected
    assert ranked.loc[merged[0], "supporters"] == expected


@FAST
@given(ballots, st.integers(0, N_MEASURES - 1), st.booleans())
def test_hide_and_move_never_change_a_vote(store, raw, which, move):
    db, fac, ws, ids = _workshop(store, Method.DOTS)
    for b in raw:
        _vote(db, ws, DotBallot({ids[i]: n for i, n in b.items()}))
    before = _votes(db, ws, Method.DOTS).sort_values(["ballot_id", "measure_id"]).reset_index(drop=True)
    scores_before = views.ranking(db, ws).set_index("measure_id")["score"]
    services.set_phase(db, fac, ws.id, Phase.REVIEW)
    target = ids[which]
    if move:
        other_goal = [g.id for g in services.list_goals(db, ws.id) if g.id != services.get_measure(db, target).goal_id]
        services.move_measure(db, fac, target, other_goal[0])
    services.set_hidden(db, fac, target, True)
    hidden_ranking = views.ranking(db, services.get_workshop(db, ws.id))
    assert target not in set(hidden_ranking["measure_id"])
    services.set_hidden(db, fac, target, False)
    after = _votes(db, ws, Method.DOTS).sort_values(["ballot_id", "measure_id"]).reset_index(drop=True)
    assert after.equals(before)
    scores_after = views.ranking(db, services.get_workshop(db, ws.id)).set_index("measure_id")["score"]
    assert scores_after.sort_index().equals(scores_before.sort_index())


def test_moderation_is_refused_while_voting_and_changes_nothing(store):
    db, fac, ws, ids = _workshop(store, Method.DOTS)
    _vote(db, ws, DotBallot({ids[0]: 2, ids[1]: 1}))
    before = _votes(db, ws, Method.DOTS)
    import pytest

    from workshop.errors import PermissionDenied

    for call in (
        lambda: services.merge_measures(db, fac, ids[0], [ids[1]]),
        lambda: services.set_hidden(db, fac, ids[0], True),
        lambda: services.move_measure(db, fac, ids[0], services.list_goals(db, ws.id)[1].id),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert _votes(db, ws, Method.DOTS).equals(before)
    first = services.get_measure(db, ids[0])
    assert not first.hidden and first.merged_into is None
    assert first.goal_id == services.list_goals(db, ws.id)[0].id
