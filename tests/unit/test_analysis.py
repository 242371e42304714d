"""Analysis of a ranking: Kendall's tau, stability, bootstrap intervals, consensus, turnout."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from workshop import analysis, scoring
from workshop.model import Criterion

CRITERIA = (Criterion("impact", "Impact", 2.0), Criterion("feasibility", "Feasibility", 1.0))


def measures_frame(n: int = 4, goals: int = 2) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [f"m{i}" for i in range(1, n + 1)],
            "goal_id": [f"g{i % goals + 1}" for i in range(n)],
            "goal_position": [i % goals + 1 for i in range(n)],
            "title": [f"Maßnahme {i}" for i in range(1, n + 1)],
            "seq": list(range(1, n + 1)),
        }
    )


def votes(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["ballot_id", "measure_id", "criterion", "value"]).astype({"value": float})


def ranking(order: list[str], supporters: int = 1) -> pd.DataFrame:
    """A ranking frame with the given measures best first."""
    return pd.DataFrame(
        {
            "measure_id": order,
            "rank_overall": range(1, len(order) + 1),
            "score": [float(len(order) - i) for i in range(len(order))],
            "supporters": supporters,
        }
    )


# A small profile per method: m1 is everyone's favourite; every ballot votes.
PROFILES = {
    "dots": [("b1", "m1", "", 3), ("b1", "m2", "", 1), ("b2", "m1", "", 2), ("b2", "m3", "", 2), ("b3", "m1", "", 3)]
    + [("b3", "m4", "", 1), ("b4", "m1", "", 2), ("b4", "m2", "", 2)],
    "approval": [("b1", "m1", "", 1), ("b1", "m2", "", 1), ("b2", "m1", "", 1), ("b3", "m1", "", 1)]
    + [("b3", "m3", "", 1), ("b4", "m1", "", 1), ("b4", "m4", "", 1)],
    "rating": [
        ("b1", "m1", "impact", 5),
        ("b1", "m1", "feasibility", 5),
        ("b1", "m2", "impact", 2),
        ("b2", "m1", "impact", 5),
        ("b2", "m2", "feasibility", 4),  # b2 gave m2 "no opinion" on impact
        ("b2", "m3", "impact", 1),
        ("b2", "m3", "feasibility", 3),
        ("b3", "m1", "feasibility", 4),
        ("b3", "m4", "impact", 3),
        ("b4", "m1", "impact", 5),
        ("b4", "m1", "feasibility", 5),
    ],
    "borda": [("b1", "m1", "", 1), ("b1", "m2", "", 2), ("b2", "m1", "", 1), ("b2", "m3", "", 2)]
    + [("b2", "m2", "", 3), ("b3", "m1", "", 1), ("b4", "m1", "", 1), ("b4", "m4", "", 2)],
}


# --- Kendall's tau and stability -------------------------------------------------------------------


def test_tau_identical_and_reversed():
    assert analysis.kendall_tau_b([1, 2, 3, 4, 5], [1, 2, 3, 4, 5]) == pytest.approx(1.0)
    assert analysis.kendall_tau_b([1, 2, 3, 4, 5], [5, 4, 3, 2, 1]) == pytest.approx(-1.0)


def test_tau_hand_checked():
    # One swapped pair out of six: (5 concordant - 1 discordant) / 6.
    assert analysis.kendall_tau_b([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(4 / 6)
    # Ties (tau-b): S = 2, pairs untied in x = 2, in y = 3 -> 2 / sqrt(6).
    assert analysis.kendall_tau_b([1, 1, 2], [1, 2, 3]) == pytest.approx(2 / math.sqrt(6))


def test_tau_undefined():
    assert math.isnan(analysis.kendall_tau_b([1], [1]))
    assert math.isnan(analysis.kendall_tau_b([2, 2, 2], [1, 2, 3]))
    with pytest.raises(ValueError):
        analysis.kendall_tau_b([1, 2], [1, 2, 3])


def test_stability_identical_and_reversed():
    order = ["m1", "m2", "m3", "m4"]
    out = analysis.stability({"dots": ranking(order), "approval": ranking(order), "borda": ranking(order[::-1])}, k=2)
    assert list(zip(out["method_a"], out["method_b"], strict=True)) == [
        ("dots", "approval"),
        ("dots", "borda"),
        ("approval", "borda"),
    ]
    same = out.iloc[0]
    assert same["tau"] == pytest.approx(1.0) and same["top_k_overlap"] == 1.0 and same["measures"] == 4
    reversed_ = out.iloc[1]
    assert reversed_["tau"] == pytest.approx(-1.0) and reversed_["top_k_overlap"] == 0.0


def test_stability_overlap_counts_shared_top_k():
    a = ranking(["m1", "m2", "m3", "m4", "m5"])
    b = ranking(["m2", "m1", "m5", "m3", "m4"])
    out = analysis.stability({"dots": a, "approval": b}, k=3).iloc[0]
    assert out["top_k_overlap"] == pytest.approx(2 / 3)  # {m1, m2, m3} ∩ {m2, m1, m5}
    # pairs: (m1,m2) swapped, (m3,m5) and (m4,m5) swapped: 7 of 10 concordant -> (7 - 3) / 10
    assert out["tau"] == pytest.approx(0.4)


def test_stability_skips_methods_without_ballots_and_compares_common_measures():
    full = ranking(["m1", "m2", "m3", "m4"])
    shortlist = ranking(["m3", "m1"])  # a Borda shortlist ranks fewer measures
    empty = ranking(["m1", "m2", "m3", "m4"], supporters=0)
    out = analysis.stability({"dots": full, "borda": shortlist, "rating": empty}, k=5)
    assert len(out) == 1
    row = out.iloc[0]
    assert (row["method_a"], row["method_b"], row["measures"], row["k"]) == ("dots", "borda", 2, 2)
    assert row["tau"] == pytest.approx(-1.0)
    assert row["top_k_overlap"] == 1.0


def test_stability_with_one_method_is_empty():
    out = analysis.stability({"dots": ranking(["m1", "m2"])})
    assert out.empty and list(out.columns) == analysis.STABILITY_COLUMNS


# --- bootstrap ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", list(scoring.METHODS))
def test_contributions_reproduce_the_registered_method(method):
    """With every ballot weighted once, the vectorised scores equal scoring.rank exactly."""
    measures = measures_frame()
    v = votes(PROFILES[method])
    contributions = analysis._Contributions(method, v, measures, CRITERIA)
    score, supporters = contributions.scores(np.ones((1, len(contributions.ballots))))
    point = scoring.rank(method, v, measures, CRITERIA).set_index("measure_id").loc[measures["id"]]
    np.testing.assert_allclose(score[0], point["score"].to_numpy())
    np.testing.assert_array_equal(supporters[0], point["supporters"].to_numpy())
    ranks = analysis._ranks(score, supporters, measures["seq"].to_numpy(dtype=float))
    np.testing.assert_array_equal(ranks[0], point["rank_overall"].to_numpy())
    goal_ranks = analysis._goal_ranks(ranks, pd.factorize(measures["goal_id"])[0])
    np.testing.assert_array_equal(goal_ranks[0], point["rank_goal"].to_numpy())


def test_ranks_follow_the_tie_break():
    score = np.array([[2.0, 2.0, 2.0, 1.0]])
    supporters = np.array([[1.0, 2.0, 1.0, 5.0]])
    seq = np.array([3.0, 9.0, 1.0, 2.0])
    # score first, then more supporters, then the earlier proposal
    assert analysis._ranks(score, supporters, seq).tolist() == [[3, 1, 2, 4]]


@pytest.mark.parametrize("method", list(scoring.METHODS))
def test_bootstrap_is_deterministic_and_intervals_contain_the_score(method):
    measures = measures_frame()
    v = votes(PROFILES[method])
    one = analysis.bootstrap_scores(method, v, measures, CRITERIA, n=300, seed=7, k=1)
    two = analysis.bootstrap_scores(method, v, measures, CRITERIA, n=300, seed=7, k=1)
    pd.testing.assert_frame_equal(one, two)
    assert list(one.columns) == analysis.BOOTSTRAP_COLUMNS
    assert (one["low"] <= one["score"] + 1e-9).all() and (one["score"] <= one["high"] + 1e-9).all()
    assert (one["rank_best"] <= one["rank_overall"]).all() and (one["rank_overall"] <= one["rank_worst"]).all()
    top = one.set_index("measure_id").loc["m1"]
    assert top["rank_overall"] == 1
    assert top["top_share"] == 1.0, "everybody's favourite stays first in every resample"


def test_bootstrap_scores_match_the_point_ranking():
    measures = measures_frame()
    v = votes(PROFILES["dots"])
    boot = analysis.bootstrap_scores("dots", v, measures, n=50)
    point = scoring.rank("dots", v, measures)
    pd.testing.assert_frame_equal(
        boot[["measure_id", "rank_overall", "rank_goal", "score", "supporters"]],
        point[["measure_id", "rank_overall", "rank_goal", "score", "supporters"]],
    )


def test_bootstrap_seed_changes_the_draw():
    measures = measures_frame()
    v = votes(PROFILES["dots"])
    a = analysis.bootstrap_scores("dots", v, measures, n=200, seed=1)
    b = analysis.bootstrap_scores("dots", v, measures, n=200, seed=2)
    assert not a[["low", "high", "top_share"]].equals(b[["low", "high", "top_share"]])


def test_bootstrap_close_calls():
    # m1 and m2 are near-equal (close call), m3 far behind in its own goal; m4 gets nothing.
    rows = [(f"b{i}", "m1", "", 1) for i in range(10)] + [(f"b{i}", "m2", "", 1) for i in range(10, 19)]
    rows += [("b0", "m3", "", 1)]
    measures = measures_frame(4, goals=1)
    out = analysis.bootstrap_scores("approval", votes(rows), measures, n=500, seed=3, k=1).set_index("measure_id")
    assert out.loc["m1", "close_call"] and out.loc["m2", "close_call"]
    assert 0 < out.loc["m1", "swap_next"] < 0.5, "m2 sometimes overtakes m1, but less often than not"
    assert 0 < out.loc["m1", "top_share"] < 1
    assert out.loc["m3", "score"] == 1 and out.loc["m3", "high"] < out.loc["m2", "low"]
    assert out.loc["m1", "close_call_goal"] == out.loc["m1", "close_call"]  # one goal: same neighbours
    assert math.isnan(out.loc["m4", "swap_next"]), "the last measure has nobody below it"


def test_bootstrap_without_ballots():
    measures = measures_frame()
    out = analysis.bootstrap_scores("dots", votes([]), measures, n=10)
    assert len(out) == 4 and (out["low"] == 0).all() and out["top_share"].isna().all()
    assert not out["close_call"].any()


def test_bootstrap_ignores_votes_for_measures_not_ranked():
    measures = measures_frame()
    v = votes(PROFILES["dots"] + [("b1", "gone", "", 3)])
    out = analysis.bootstrap_scores("dots", v, measures, n=20)
    assert set(out["measure_id"]) == set(measures["id"])


def test_bootstrap_handles_a_full_hall():
    """300 ballots over 200 measures, 500 resamples (its time is measured by bench.scoring)."""
    rng = np.random.default_rng(1)
    measures = measures_frame(200, goals=5)
    rows = [
        (f"b{b}", f"m{m + 1}", c, int(rng.integers(1, 6)))
        for b in range(300)
        for m in rng.choice(200, 20, replace=False)
        for c in ("impact", "feasibility")
    ]
    v = votes(rows)
    out = analysis.bootstrap_scores("rating", v, measures, CRITERIA, n=500)
    assert len(out) == 200 and out["top_share"].between(0, 1).all()


# --- consensus -------------------------------------------------------------------------------------


def test_consensus_ratings():
    rows = []
    for i in range(6):
        rows += [(f"b{i}", "agreed", "impact", 4), (f"b{i}", "agreed", "feasibility", 4)]
        rows += [(f"b{i}", "split", "impact", 1 if i % 2 else 5)]
    rows += [(f"b{i}", "few", "impact", 1 if i % 2 else 5) for i in range(3)]
    out = analysis.consensus(votes(rows), "rating").set_index("measure_id")
    assert out.loc["agreed", "label"] == analysis.CONSENSUS
    assert out.loc["agreed", "iqr"] == 0 and out.loc["agreed", "std"] == 0 and out.loc["agreed", "mean"] == 4
    assert out.loc["split", "label"] == analysis.CONTROVERSIAL
    assert out.loc["split", "std"] == pytest.approx(2.0) and out.loc["split", "iqr"] == pytest.approx(4.0)
    assert out.loc["few", "label"] == "", "three ratings are too few for a label"
    assert out.loc["agreed", "ratings"] == 6 and out.loc["agreed", "support_share"] == 1.0
    assert out.loc["few", "support_share"] == pytest.approx(3 / 6)


def test_consensus_support_methods():
    rows = [(f"b{i}", "broad", "", 1) for i in range(4)]
    rows += [("b0", "half", "", 1), ("b1", "half", "", 1), ("b2", "niche", "", 1), ("b3", "zero", "", 0)]
    measures = pd.DataFrame({"id": ["broad", "half", "niche", "unvoted"]})
    out = analysis.consensus(votes(rows), "approval", measures).set_index("measure_id")
    assert out.loc["broad", "label"] == analysis.CONSENSUS and out.loc["broad", "support_share"] == 1.0
    assert out.loc["half", "label"] == analysis.CONTROVERSIAL and out.loc["half", "support_share"] == 0.5
    assert out.loc["niche", "label"] == "" and out.loc["niche", "supporters"] == 1
    assert out.loc["unvoted", "supporters"] == 0 and out.loc["unvoted", "label"] == ""
    assert out.loc["zero", "supporters"] == 0, "a zero is not support"
    assert list(out.index[:4]) == ["broad", "half", "niche", "unvoted"], "measures first, in their order"
    assert out["ballots"].eq(4).all()


def test_consensus_accepts_ballot_method_and_scoring_key():
    v = votes(PROFILES["borda"])
    by_key = analysis.consensus(v, "borda")
    by_method = analysis.consensus(v, scoring.METHODS["borda"].ballot_method)
    pd.testing.assert_frame_equal(by_key, by_method)
    m1 = by_key.set_index("measure_id").loc["m1"]
    assert m1["mean"] == 1 and m1["iqr"] == 0 and m1["ratings"] == 4  # places among those who ranked it


def test_consensus_labels_are_translatable():
    assert set(analysis.CONSENSUS_LABELS) == {analysis.CONSENSUS, analysis.CONTROVERSIAL, ""}


# --- turnout -----------------------------------------------------------------------------------------


def test_turnout_shares_and_total():
    per_group = pd.DataFrame(
        {
            "group_name": ["AG 2", "AG 1", ""],
            "position": [2.0, 1.0, 1e9],
            "devices": [10, 20, 0],
            "ballots": [5, 15, 0],
        }
    )
    out = analysis.turnout(per_group)
    assert list(out["group_name"]) == ["AG 1", "AG 2", "", ""]
    assert list(out["is_total"]) == [False, False, False, True]
    assert out["turnout"].iloc[0] == 0.75 and out["turnout"].iloc[1] == 0.5
    assert math.isnan(out["turnout"].iloc[2]), "no devices: no turnout"
    assert out["share_of_ballots"].iloc[0] == 0.75
    total = out.iloc[-1]
    assert (total["devices"], total["ballots"], total["turnout"], total["share_of_ballots"]) == (30, 20, 20 / 30, 1.0)


def test_turnout_without_ballots():
    out = analysis.turnout(pd.DataFrame({"group_name": ["AG 1"], "position": [1], "devices": [3], "ballots": [0]}))
    assert out["turnout"].iloc[0] == 0 and out["share_of_ballots"].isna().all()


@pytest.mark.parametrize("method", ["dots", "approval", "borda"])
def test_whole_number_scores_get_whole_number_ranges(method):
    """Issue 17.8: the likely range of a dot total read "1,9 – 8"."""
    rng = np.random.default_rng(3)
    measures = measures_frame(6, goals=2)
    value = {"dots": lambda: int(rng.integers(1, 4)), "approval": lambda: 1}.get(method)
    rows = []
    for b in range(40):
        chosen = rng.choice(6, 3, replace=False)
        for place, m in enumerate(chosen, start=1):
            rows.append((f"b{b}", f"m{m + 1}", "", value() if value else place))
    out = analysis.bootstrap_scores(method, votes(rows), measures, n=200, seed=1)
    assert (out["low"] % 1 == 0).all() and (out["high"] % 1 == 0).all(), out[["low", "high"]]


def test_too_few_ballots_are_said_in_words():
    text = analysis.too_few_ballots(3, lambda one, many, n: one if n == 1 else many)
    assert "With 3 ballots" in text and str(analysis.MIN_BOOTSTRAP_BALLOTS) in text
