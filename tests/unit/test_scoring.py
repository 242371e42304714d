"""Scoring: hand-checked profiles for every registered method, the tie-break rule, and properties."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from workshop import scoring
from workshop.model import Criterion, Method

CRITERIA = (Criterion("impact", "Wirkung", 2.0), Criterion("feasibility", "Machbarkeit", 1.0))


def measures(*specs) -> pd.DataFrame:
    """specs: (id, goal_id, seq); the title is the id in upper case, goal position from the goal id."""
    return pd.DataFrame(
        [
            {"id": mid, "goal_id": gid, "goal_position": int(gid[1:]), "title": mid.upper(), "seq": seq}
            for mid, gid, seq in specs
        ]
    )


def votes(*rows) -> pd.DataFrame:
    """rows: (ballot_id, measure_id, criterion, value)."""
    return pd.DataFrame(list(rows), columns=["ballot_id", "measure_id", "criterion", "value"]).astype(
        {"ballot_id": str, "measure_id": str, "criterion": str, "value": float}
    )


def no_votes() -> pd.DataFrame:
    return votes()


THREE = measures(("a", "g1", 1), ("b", "g1", 2), ("c", "g2", 3))


def scores(frame: pd.DataFrame) -> dict[str, float]:
    return dict(zip(frame["measure_id"], frame["score"], strict=True))


def order(frame: pd.DataFrame) -> list[str]:
    return list(frame.sort_values("rank_overall")["measure_id"])


def test_registry_covers_every_ballot_method():
    assert set(scoring.METHODS) == {"dots", "approval", "rating", "borda"}
    assert {m.ballot_method for m in scoring.METHODS.values()} == set(Method)
    assert scoring.METHOD_FOR_BALLOTS[Method.RANKING] == "borda"
    for method in scoring.METHODS.values():
        assert method.label and method.explanation


@pytest.mark.parametrize("key", list(scoring.METHODS))
def test_every_method_ranks_all_measures_without_votes(key):
    out = scoring.rank(key, no_votes(), THREE, CRITERIA)
    assert list(out.columns[: len(scoring.RESULT_COLUMNS)]) == scoring.RESULT_COLUMNS
    assert scores(out) == {"a": 0.0, "b": 0.0, "c": 0.0}
    assert list(out["supporters"]) == [0, 0, 0]
    # All tied at zero: earliest proposal first.
    assert order(out) == ["a", "b", "c"]
    assert list(out["rank_goal"]) == [1, 2, 1]
    assert list(out["place_overall"]) == [1, 1, 1] and list(out["place_goal"]) == [1, 1, 1], "all tied: one place"


def test_dots_hand_checked():
    v = votes(
        ("p1", "a", "", 3), ("p1", "b", "", 1),
        ("p2", "b", "", 2), ("p2", "c", "", 3),
        ("p3", "c", "", 1),
    )  # fmt: skip
    out = scoring.rank("dots", v, THREE)
    assert scores(out) == {"a": 3.0, "b": 3.0, "c": 4.0}
    assert dict(zip(out["measure_id"], out["supporters"], strict=True)) == {"a": 1, "b": 2, "c": 2}
    # c leads; a and b tie on 3 dots, b has more supporters.
    assert order(out) == ["c", "b", "a"]


def test_approval_hand_checked():
    v = votes(("p1", "a", "", 1), ("p1", "c", "", 1), ("p2", "c", "", 1), ("p3", "b", "", 1), ("p3", "c", "", 1))
    out = scoring.rank("approval", v, THREE)
    assert scores(out) == {"a": 1.0, "b": 1.0, "c": 3.0}
    assert order(out) == ["c", "a", "b"]  # a and b tie on everything but a came first


def test_rating_with_weights_and_a_missing_criterion():
    v = votes(
        ("p1", "a", "impact", 5), ("p1", "a", "feasibility", 2),
        ("p2", "a", "impact", 3), ("p2", "a", "feasibility", 4),
        ("p1", "b", "impact", 2),  # b: no one rated its feasibility
        ("p2", "b", "impact", 4),
        ("p3", "c", "feasibility", 5),  # c: only feasibility
    )  # fmt: skip
    out = scoring.rank("rating", v, THREE, CRITERIA)
    # a: impact mean 4, feasibility mean 3 -> (2*4 + 1*3) / 3 = 11/3
    # b: impact mean 3 only -> 3 (the missing criterion is left out, not counted as 0)
    # c: feasibility mean 5 only -> 5
    assert scores(out)["a"] == pytest.approx(11 / 3)
    assert scores(out)["b"] == pytest.approx(3.0)
    assert scores(out)["c"] == pytest.approx(5.0)
    assert order(out) == ["c", "a", "b"]
    means = out.set_index("measure_id")
    assert means.loc["a", "mean_impact"] == 4.0 and means.loc["a", "mean_feasibility"] == 3.0
    assert pd.isna(means.loc["b", "mean_feasibility"])
    assert dict(zip(out["measure_id"], out["supporters"], strict=True)) == {"c": 1, "a": 2, "b": 2}


def test_rating_ignores_criteria_not_in_the_rules():
    v = votes(("p1", "a", "impact", 1), ("p1", "a", "urgency", 5), ("p1", "b", "impact", 2))
    out = scoring.rank("rating", v, THREE, CRITERIA)
    assert scores(out)["a"] == 1.0
    assert order(out)[:2] == ["b", "a"]


def test_borda_with_truncated_ballots():
    four = measures(("a", "g1", 1), ("b", "g1", 2), ("c", "g2", 3), ("d", "g2", 4))
    v = votes(
        ("p1", "a", "", 1), ("p1", "b", "", 2), ("p1", "c", "", 3), ("p1", "d", "", 4),  # full ranking
        ("p2", "c", "", 1), ("p2", "b", "", 2),  # stops after two places
        ("p3", "d", "", 1),  # only a favourite
    )  # fmt: skip
    out = scoring.rank("borda", v, four)
    # n = 4: place 1 -> 3 points, 2 -> 2, 3 -> 1, 4 -> 0; unranked -> 0.
    assert scores(out) == {"a": 3.0, "b": 4.0, "c": 4.0, "d": 3.0}
    # b and c tie on 4 points and 2 supporters each: b was proposed first. a and d: d has 2 supporters.
    assert dict(zip(out["measure_id"], out["supporters"], strict=True)) == {"a": 1, "b": 2, "c": 2, "d": 2}
    assert order(out) == ["b", "c", "d", "a"]


def test_borda_closes_up_the_places_of_a_measure_no_longer_in_the_count():
    """Issue 17.1: X > A > B and B > A > X, X hidden after the vote. Without X the ballots are
    A > B and B > A: 1 point each, a tie the tie-break gives to A (proposed earlier)."""
    two = measures(("a", "g1", 1), ("b", "g1", 2))  # x is hidden: not among the measures counted
    v = votes(
        ("p1", "x", "", 1), ("p1", "a", "", 2), ("p1", "b", "", 3),
        ("p2", "b", "", 1), ("p2", "a", "", 2), ("p2", "x", "", 3),
    )  # fmt: skip
    out = scoring.rank("borda", v, two)
    assert scores(out) == {"a": 1.0, "b": 1.0}
    assert order(out) == ["a", "b"]
    assert list(out["place_overall"]) == [1, 1], "a shared first place"
    # The same from the aggregates (the database's path) of the votes on the counted measures.
    counted = v[v["measure_id"].isin(two["id"])]
    cells, voters = scoring.aggregate(counted, len(two))
    assert dict(zip(cells["measure_id"], cells["points"], strict=True)) == {"a": 1, "b": 1}


def test_votes_for_unknown_measures_are_ignored():
    v = votes(("p1", "a", "", 1), ("p1", "zz", "", 3))
    out = scoring.rank("dots", v, THREE)
    assert set(out["measure_id"]) == {"a", "b", "c"}
    assert out["score"].sum() == 1.0


# --- tie-break --------------------------------------------------------------------------------


def test_tie_break_is_named_and_ordered():
    assert scoring.TIE_BREAK.keys == (("score", False), ("supporters", False), ("seq", True))
    assert scoring.TIE_BREAK.name
    for method in scoring.METHODS.values():
        assert method.tie_break("vision") and method.supporters_label in scoring.SUPPORTER_LABELS.values()


def test_tie_break_score_then_supporters_then_earliest():
    ms = measures(("late", "g1", 9), ("early", "g1", 1), ("wide", "g1", 5), ("top", "g1", 7))
    v = votes(
        ("p1", "top", "", 3), ("p2", "top", "", 3),  # 6 dots
        ("p1", "late", "", 2),  # 2 dots from one
        ("p2", "early", "", 2),  # 2 dots from one, proposed earliest
        ("p3", "wide", "", 1), ("p4", "wide", "", 1),  # 2 dots from two
    )  # fmt: skip
    out = scoring.rank("dots", v, ms)
    assert order(out) == ["top", "wide", "early", "late"]
    assert list(out["rank_overall"]) == [1, 2, 3, 4]


def test_tie_break_does_not_depend_on_input_order():
    ms = measures(("x", "g1", 3), ("y", "g1", 2), ("z", "g1", 1))
    v = votes(("p1", "x", "", 1), ("p2", "y", "", 1), ("p3", "z", "", 1))
    forward = order(scoring.rank("approval", v, ms))
    backward = order(scoring.rank("approval", v.iloc[::-1], ms.iloc[::-1]))
    assert forward == backward == ["z", "y", "x"]


def test_rating_ties_are_exact():
    ms = measures(("m1", "g1", 1), ("m2", "g1", 2))
    crit = (Criterion("a", "A"), Criterion("b", "B"), Criterion("c", "C"))
    ratings = {
        "m1": {"a": [3, 1, 5], "b": [2, 2, 4], "c": [3, 4, 4]},  # means 3, 8/3, 11/3 -> 28/9
        "m2": {"a": [4, 3, 1], "b": [4, 2, 4], "c": [5, 2, 3]},  # means 8/3, 10/3, 10/3 -> 28/9
    }
    v = votes(
        *(
            (f"p{i}", mid, key, value)
            for mid, per in ratings.items()
            for key, values in per.items()
            for i, value in enumerate(values)
        )
    )
    out = scoring.rank("rating", v, ms, crit)
    # Same score, same number of supporters (3 each): m1 was proposed first and must come first.
    assert list(out["supporters"]) == [3, 3]
    assert out["score"].iloc[0] == out["score"].iloc[1]
    assert order(out) == ["m1", "m2"]


def test_rank_goal_versus_rank_overall():
    ms = measures(("a", "g1", 1), ("b", "g1", 2), ("c", "g2", 3), ("d", "g2", 4), ("e", "g3", 5))
    v = votes(("p1", "d", "", 5), ("p1", "b", "", 4), ("p1", "c", "", 3), ("p1", "a", "", 2), ("p1", "e", "", 1))
    out = scoring.rank("dots", v, ms).set_index("measure_id")
    assert out["rank_overall"].to_dict() == {"d": 1, "b": 2, "c": 3, "a": 4, "e": 5}
    assert out["rank_goal"].to_dict() == {"d": 1, "b": 1, "c": 2, "a": 2, "e": 1}


def test_equal_scores_share_a_place_and_the_next_place_skips():
    ms = measures(*((m, "g1" if m in "abc" else "g2", i) for i, m in enumerate("abcdef", start=1)))
    v = votes(
        ("p1", "a", "", 3), ("p1", "b", "", 2), ("p2", "b", "", 1), ("p2", "c", "", 3),  # 3, 3, 3
        ("p3", "d", "", 5), ("p3", "e", "", 2), ("p4", "f", "", 2),  # 5, 2, 2
    )  # fmt: skip
    out = scoring.rank("dots", v, ms).set_index("measure_id")
    # Three measures with 3 points each are "2." three times, then "5."; the tie-break only orders.
    assert out["place_overall"].to_dict() == {"d": 1, "a": 2, "b": 2, "c": 2, "e": 5, "f": 5}
    assert out["place_goal"].to_dict() == {"a": 1, "b": 1, "c": 1, "d": 1, "e": 2, "f": 2}
    assert sorted(out["rank_overall"]) == [1, 2, 3, 4, 5, 6], "the order stays strict"


# --- properties -------------------------------------------------------------------------------

IDS = [f"m{i}" for i in range(6)]
# Each example builds DataFrames (~10 ms): 40 examples per property keep the file at a few seconds.
PROPERTY = settings(max_examples=40, deadline=None)


@st.composite
def dot_profiles(draw, min_measures=2):
    n = draw(st.integers(min_measures, len(IDS)))
    ids = IDS[:n]
    seqs = draw(st.permutations(range(1, n + 1)))
    goals = [draw(st.sampled_from(["g1", "g2"])) for _ in ids]
    ms = measures(*zip(ids, goals, seqs, strict=True))
    ballots = draw(st.lists(st.dictionaries(st.sampled_from(ids), st.integers(1, 3), min_size=1), max_size=8))
    rows = [(f"p{i}", mid, "", n_dots) for i, b in enumerate(ballots) for mid, n_dots in b.items()]
    return ms, votes(*rows), ballots


@PROPERTY
@given(dot_profiles(), st.sampled_from(list(scoring.METHODS)), st.randoms(use_true_random=False))
def test_property_relabelling_measures_keeps_the_ranking_of_titles(profile, key, rnd):
    ms, v, _ = profile
    if key == "rating":
        v = v.assign(criterion="impact", value=v["value"].clip(upper=5))
    labels = [f"id-{i:02d}" for i in range(len(ms))]
    rnd.shuffle(labels)  # a new name for each measure, in an order unrelated to the old names
    new_ids = dict(zip(ms["id"], labels, strict=True))
    renamed_ms = ms.assign(id=ms["id"].map(new_ids)).sample(frac=1, random_state=rnd.randint(0, 1000))
    renamed_v = v.assign(measure_id=v["measure_id"].map(new_ids))
    before = scoring.rank(key, v, ms, CRITERIA)
    after = scoring.rank(key, renamed_v, renamed_ms, CRITERIA)
    assert list(before["title"]) == list(after["title"])
    assert list(before["score"]) == list(after["score"])


@PROPERTY
@given(dot_profiles())
def test_property_dot_totals_equal_the_sum_of_ballots(profile):
    ms, v, ballots = profile
    out = scoring.rank("dots", v, ms).set_index("measure_id")
    for mid in ms["id"]:
        assert out.loc[mid, "score"] == sum(b.get(mid, 0) for b in ballots)
        assert out.loc[mid, "supporters"] == sum(1 for b in ballots if mid in b)
    assert out["score"].sum() == sum(sum(b.values()) for b in ballots)


@PROPERTY
@given(dot_profiles(), st.integers(1, 8))
def test_property_max_dots_from_every_ballot_wins(profile, n_ballots):
    ms, _v, _ = profile
    ids = list(ms["id"])
    fav = ids[-1]  # the latest proposal, so the earliest-seq tie-break cannot help it
    ms = ms.assign(seq=range(1, len(ids) + 1))
    rows = [(f"p{i}", fav, "", 3) for i in range(n_ballots)]
    rows += [(f"p{i}", mid, "", 2) for i in range(n_ballots) for mid in ids[:-1]]
    out = scoring.rank("dots", votes(*rows), ms)
    assert order(out)[0] == fav


@PROPERTY
@given(st.integers(2, 6), st.lists(st.permutations(range(6)), min_size=1, max_size=8), st.data())
def test_property_unanimous_first_place_wins_borda(n, perms, data):
    ids = IDS[:n]
    fav = data.draw(st.sampled_from(ids))
    ms = measures(*((mid, "g1", i + 1) for i, mid in enumerate(ids)))
    rows = []
    for b, perm in enumerate(perms):
        others = [ids[i] for i in perm if i < n and ids[i] != fav]
        length = data.draw(st.integers(0, len(others)))  # truncated ballots too
        for place, mid in enumerate([fav, *others[:length]], start=1):
            rows.append((f"p{b}", mid, "", place))
    out = scoring.rank("borda", votes(*rows), ms)
    assert order(out)[0] == fav


@PROPERTY
@given(st.integers(2, 6), st.integers(1, 6), st.data())
def test_property_top_rating_from_every_ballot_wins(n, n_ballots, data):
    ids = IDS[:n]
    fav = ids[-1]
    ms = measures(*((mid, "g1", i + 1) for i, mid in enumerate(ids)))
    rows = []
    for b in range(n_ballots):
        rows += [(f"p{b}", fav, c.key, 5) for c in CRITERIA]
        for mid in ids[:-1]:
            for c in CRITERIA:
                if data.draw(st.booleans()):
                    rows.append((f"p{b}", mid, c.key, data.draw(st.integers(1, 4))))
    out = scoring.rank("rating", votes(*rows), ms, CRITERIA)
    assert order(out)[0] == fav


@PROPERTY
@given(st.integers(2, 6), st.lists(st.sets(st.integers(0, 5)), max_size=10), st.data())
def test_property_approval_one_more_supporter_never_lowers_the_rank(n, approvals, data):
    ids = IDS[:n]
    ms = measures(*((mid, data.draw(st.sampled_from(["g1", "g2"])), i + 1) for i, mid in enumerate(ids)))
    rows = [(f"p{b}", ids[i], "", 1) for b, s in enumerate(approvals) for i in s if i < n]
    target = data.draw(st.sampled_from(ids))
    before = scoring.rank("approval", votes(*rows), ms).set_index("measure_id")
    rows.append(("newcomer", target, "", 1))
    after = scoring.rank("approval", votes(*rows), ms).set_index("measure_id")
    assert after.loc[target, "rank_overall"] <= before.loc[target, "rank_overall"]
    assert after.loc[target, "rank_goal"] <= before.loc[target, "rank_goal"]
    assert after.loc[target, "score"] == before.loc[target, "score"] + 1


@PROPERTY
@given(dot_profiles(), st.sampled_from(list(scoring.METHODS)))
def test_property_ranks_are_strict_and_complete(profile, key):
    ms, v, _ = profile
    if key == "rating":
        v = v.assign(criterion="impact")
    out = scoring.rank(key, v, ms, CRITERIA)
    assert sorted(out["rank_overall"]) == list(range(1, len(ms) + 1))
    for _gid, group in out.groupby("goal_id"):
        assert sorted(group["rank_goal"]) == list(range(1, len(group) + 1))
        assert list(group.sort_values("rank_goal")["rank_overall"]) == sorted(group["rank_overall"])
    assume(len(out) > 1)
    scores_in_order = list(out.sort_values("rank_overall")["score"])
    assert scores_in_order == sorted(scores_in_order, reverse=True)
    # A place is shared exactly by equal scores, and is 1 + the number of better scores.
    for row in out.itertuples():
        assert row.place_overall == 1 + (out["score"] > row.score).sum()
        assert row.place_overall <= row.rank_overall
