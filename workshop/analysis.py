"""How far a ranking can be trusted: agreement across methods, bootstrap intervals, consensus, turnout.

Pure functions over the frames of ``views`` and ``scoring`` (no SQL, no UI), so an analyst can run
them on a restored backup. Numbers are for the room's reading of a result, not for a significance
test: a 90 % bootstrap interval says how much a score moves if a few other people had come.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from . import methods, scoring
from .errors import N_
from .model import Criterion, Method

# --- agreement across methods ----------------------------------------------------------------

STABILITY_COLUMNS = ["method_a", "method_b", "measures", "tau", "k", "top_k_overlap"]


def kendall_tau_b(x, y) -> float:
    """Kendall's tau-b of two equally long sequences (ties allowed); NaN when undefined.

    O(n²) over all pairs, which is instant for the few hundred measures of a workshop and spares
    a SciPy dependency.
    """
    a = np.asarray(x, dtype=float)
    b = np.asarray(y, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError("x and y must be 1-D and of equal length")
    if len(a) < 2:
        return float("nan")
    i, j = np.triu_indices(len(a), k=1)
    da = np.sign(a[i] - a[j])
    db = np.sign(b[i] - b[j])
    denominator = np.sqrt(np.sum(da * da) * np.sum(db * db))  # (n0 - ties in x) · (n0 - ties in y)
    if denominator == 0:
        return float("nan")
    return float(np.sum(da * db) / denominator)


def _has_ballots(ranked: pd.DataFrame) -> bool:
    return "supporters" not in ranked or bool(ranked["supporters"].sum() > 0)


def stability(rankings: dict[str, pd.DataFrame], k: int = 5) -> pd.DataFrame:
    """Agreement of every pair of rankings: Kendall's tau-b of the overall ranks and top-k overlap.

    ``rankings`` maps a scoring method key to its ranking (``scoring.rank`` / ``views.ranking``);
    rankings without any supporter (no ballots) are left out. Pairs are compared on the measures
    both rank (a Borda shortlist ranks fewer), re-ranked among those; ``top_k_overlap`` is
    |top k of A ∩ top k of B| / k with k capped at that number of measures.
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    order = {key: i for i, key in enumerate(scoring.METHODS)}
    keys = sorted((key for key, r in rankings.items() if _has_ballots(r)), key=lambda key: order.get(key, len(order)))
    rows = []
    for a, b in combinations(keys, 2):
        ra = rankings[a].set_index("measure_id")["rank_overall"]
        rb = rankings[b].set_index("measure_id")["rank_overall"]
        common = ra.index.intersection(rb.index)
        ra, rb = ra.loc[common].rank(method="first"), rb.loc[common].rank(method="first")
        kk = min(k, len(common))
        overlap = len(set(ra[ra <= kk].index) & set(rb[rb <= kk].index)) / kk if kk else float("nan")
        rows.append((a, b, len(common), kendall_tau_b(ra.to_numpy(), rb.to_numpy()), kk, overlap))
    return pd.DataFrame(rows, columns=STABILITY_COLUMNS).astype({"measures": int, "k": int})


# --- bootstrap ---------------------------------------------------------------------------------

BOOTSTRAP_COLUMNS = [
    "measure_id",
    "goal_id",
    "title",
    "rank_overall",
    "rank_goal",
    "place_overall",
    "place_goal",
    "score",
    "supporters",
    "low",
    "high",
    "rank_best",
    "rank_worst",
    "top_share",
    "top_goal_share",
    "close_call",
    "close_call_goal",
    "swap_next",
]
INTERVAL = 0.90
# Below this many ballots the resampled ranges say nothing a reader can use (every range spans the
# list, every measure is "in the top 5"): the pages and the report say so in words instead.
MIN_BOOTSTRAP_BALLOTS = 15


def too_few_ballots(n: int, ngettext) -> str:
    """What the pages and the report say instead of the resampled ranges below
    ``MIN_BOOTSTRAP_BALLOTS`` ballots, translated with the reader's ``ngettext``."""
    return ngettext(
        "With {n} ballot, drawing the ballots again at random cannot show how certain the order is: that "
        "needs at least {min} ballots. Treat close scores as equally strong.",
        "With {n} ballots, drawing the ballots again at random cannot show how certain the order is: that "
        "needs at least {min} ballots. Treat close scores as equally strong.",
        n,
    ).format(n=n, min=MIN_BOOTSTRAP_BALLOTS)


def _matrix(votes: pd.DataFrame, ballots: pd.Index, measures: pd.Index, values: pd.Series) -> np.ndarray:
    """Ballots × measures, summing ``values`` per cell (0 where a ballot says nothing)."""
    table = pd.crosstab(votes["ballot_id"], votes["measure_id"], values=values, aggfunc="sum")
    return table.reindex(index=ballots, columns=measures).fillna(0.0).to_numpy(dtype=float)


class _Contributions:
    """Per-ballot contributions, so that the scores of any weighting of ballots are ``W @ M``.

    ``scores(W)`` for a (resamples × ballots) weight matrix reproduces the registered scoring
    method exactly when every weight is 1 (checked by the tests for all methods).
    """

    def __init__(self, method_key: str, votes: pd.DataFrame, measures: pd.DataFrame, criteria) -> None:
        self.method = scoring.METHODS[method_key].ballot_method
        ids = pd.Index(measures["id"])
        votes = votes[votes["measure_id"].isin(ids)]
        self.ballots = pd.Index(pd.unique(votes["ballot_id"]))
        self.any_vote = _matrix(votes, self.ballots, ids, pd.Series(1.0, index=votes.index)) > 0
        self.support = _matrix(votes, self.ballots, ids, (votes["value"] > 0).astype(float)) > 0
        self.parts: list[tuple[float, np.ndarray, np.ndarray]] = []
        voting = methods.of(self.method)
        self.per_criterion = voting.per_criterion
        # What makes a measure's "supporters": any vote for the methods that count voters (a place
        # on a ranking), a positive one otherwise.
        self.counts_any = scoring.METHODS[method_key].counts == "voters"
        if voting.points is not None:
            self.points = _matrix(votes, self.ballots, ids, voting.points(votes["value"], len(measures)))
        else:
            for c in criteria:
                part = votes[votes["criterion"] == c.key]
                if len(part):
                    ones = pd.Series(1.0, index=part.index)
                    total = _matrix(part, self.ballots, ids, part["value"])
                    self.parts.append((float(c.weight), total, _matrix(part, self.ballots, ids, ones)))

    def scores(self, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(scores, supporters), each resamples × measures."""
        if self.per_criterion:
            supporters = weights @ self.any_vote
            numerator = np.zeros_like(supporters, dtype=float)
            denominator = np.zeros_like(numerator)
            for weight, total, count in self.parts:
                n = weights @ count
                with np.errstate(invalid="ignore", divide="ignore"):
                    mean = np.where(n > 0, (weights @ total) / np.where(n > 0, n, 1), 0.0)
                numerator += weight * mean
                denominator += weight * (n > 0)
            with np.errstate(invalid="ignore", divide="ignore"):
                score = np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1), 0.0)
            return score, supporters
        supporters = weights @ (self.any_vote if self.counts_any else self.support)
        return weights @ self.points, supporters


def _ranks(score: np.ndarray, supporters: np.ndarray, seq: np.ndarray) -> np.ndarray:
    """Strict 1-based ranks per row by ``scoring.TIE_BREAK`` (score, supporters desc; seq asc)."""
    rows, cols = score.shape
    # Round so that sums computed in another order still tie exactly.
    keys = np.stack([np.broadcast_to(seq, (rows, cols)), -supporters, -np.round(score, 9)])
    order = np.lexsort(keys, axis=-1)
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(1, cols + 1)[None, :].repeat(rows, axis=0), axis=-1)
    return ranks


def _goal_ranks(ranks: np.ndarray, goal_codes: np.ndarray) -> np.ndarray:
    """Ranks within each measure's goal, from overall ranks (row-wise)."""
    order = np.argsort(ranks, axis=-1)
    goals_in_order = goal_codes[order]
    onehot = goals_in_order[..., None] == np.arange(goal_codes.max() + 1)
    within = np.take_along_axis(np.cumsum(onehot, axis=1), goals_in_order[..., None], axis=2)[..., 0]
    out = np.empty_like(within)
    np.put_along_axis(out, order, within, axis=-1)
    return out


def _overlaps_neighbour(frame: pd.DataFrame, by: list[str], rank_col: str) -> pd.Series:
    """True where a measure's interval overlaps the one ranked just above or below it."""
    out = pd.Series(False, index=frame.index)
    for _key, part in frame.groupby(by, sort=False) if by else [(None, frame)]:
        part = part.sort_values(rank_col)
        low, high = part["low"].to_numpy(), part["high"].to_numpy()
        touch = (low[1:] <= high[:-1]) & (low[:-1] <= high[1:])  # pair (i, i+1)
        flags = np.zeros(len(part), dtype=bool)
        flags[:-1] |= touch
        flags[1:] |= touch
        out.loc[part.index] = flags
    return out


def bootstrap_scores(
    method_key: str,
    votes: pd.DataFrame,
    measures: pd.DataFrame,
    criteria: tuple[Criterion, ...] = (),
    n: int = 500,
    seed: int | None = 0,
    k: int = 5,
) -> pd.DataFrame:
    """Resample whole ballots with replacement and recompute the ranking ``n`` times.

    Per measure: the score (``scoring.rank``), a 90 % percentile interval ``low``–``high`` of the
    resampled scores, the 90 % range of its overall rank (``rank_best``–``rank_worst``), the share
    of resamples with the measure in the top ``k`` overall (``top_share``) and of its goal
    (``top_goal_share``), and ``close_call`` / ``close_call_goal`` when its interval overlaps that
    of the measure ranked next to it (overall / in its goal). Overlapping intervals are a cautious
    signal; ``swap_next`` is the sharper one: the share of resamples in which the measure ranked
    just below overtakes this one (NaN for the last). Vectorised: ballots × measures
    contributions and a multinomial weight matrix, so 500 resamples take milliseconds.
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    point = scoring.rank(method_key, votes, measures, criteria)
    contributions = _Contributions(method_key, votes, measures, criteria)
    frame = measures.set_index("id")
    ids = point["measure_id"].to_numpy()
    n_ballots = len(contributions.ballots)
    alpha = (1 - INTERVAL) / 2 * 100
    out = point[
        ["measure_id", "goal_id", "title", "rank_overall", "rank_goal", "place_overall", "place_goal", "score"]
        + ["supporters"]
    ].copy()
    if n_ballots == 0 or len(measures) == 0:
        out = out.assign(
            low=out["score"],
            high=out["score"],
            rank_best=out["rank_overall"],
            rank_worst=out["rank_overall"],
            top_share=np.nan,
            top_goal_share=np.nan,
            close_call=False,
            close_call_goal=False,
            swap_next=np.nan,
        )
        return out[BOOTSTRAP_COLUMNS]
    rng = np.random.default_rng(seed)
    weights = rng.multinomial(n_ballots, np.full(n_ballots, 1 / n_ballots), size=n).astype(float)
    score, supporters = contributions.scores(weights)
    columns = pd.Index(measures["id"])
    seq = frame.loc[columns, "seq"].to_numpy(dtype=float)
    goal_codes = pd.factorize(frame.loc[columns, "goal_id"])[0]
    ranks = _ranks(score, supporters, seq)
    goal_ranks = _goal_ranks(ranks, goal_codes)
    position = columns.get_indexer(ids)  # from the point ranking's order to the matrix columns
    if not methods.of(scoring.METHODS[method_key].ballot_method).whole_numbers:
        low, high = np.percentile(score, [alpha, 100 - alpha], axis=0)
    else:  # whole-number scores (dots, approvals, Borda points): a range of whole numbers, not 1,9 – 8
        low = np.percentile(score, alpha, axis=0, method="lower")
        high = np.percentile(score, 100 - alpha, axis=0, method="higher")
    out["low"] = low[position]
    out["high"] = high[position]
    out["rank_best"] = np.percentile(ranks, alpha, axis=0, method="lower")[position].astype(int)
    out["rank_worst"] = np.percentile(ranks, 100 - alpha, axis=0, method="higher")[position].astype(int)
    out["top_share"] = (ranks <= k).mean(axis=0)[position]
    out["top_goal_share"] = (goal_ranks <= k).mean(axis=0)[position]
    out["close_call"] = _overlaps_neighbour(out, [], "rank_overall")
    out["close_call_goal"] = _overlaps_neighbour(out, ["goal_id"], "rank_goal")
    by_rank = ranks[:, position]  # columns in point-rank order
    out["swap_next"] = np.append((by_rank[:, 1:] < by_rank[:, :-1]).mean(axis=0), np.nan)
    return out[BOOTSTRAP_COLUMNS].reset_index(drop=True)


# --- consensus ---------------------------------------------------------------------------------

CONSENSUS = "consensus"
CONTROVERSIAL = "controversial"
CONSENSUS_LABELS = {CONSENSUS: N_("consensus"), CONTROVERSIAL: N_("controversial"), "": ""}
# Thresholds, stated for the report's readers:
# * ratings (1–5): from the mean rating each ballot gives a measure over the criteria, the
#   interquartile range (IQR) of those means. IQR ≤ 1 (the middle half of the room lies within one
#   point) is consensus, IQR ≥ 2 (the middle half spans two points or more) is controversial. A
#   measure needs at least MIN_RATINGS ratings for a label.
# * dots, approval, ranking have no "against": a share of supporting ballots of at least 2/3 is
#   consensus; between 40 % and 60 % the room is split in half, which is labelled controversial.
CONSENSUS_IQR = 1.0
CONTROVERSIAL_IQR = 2.0
MIN_RATINGS = 5
CONSENSUS_SHARE = 2 / 3
SPLIT_SHARE = (0.4, 0.6)
CONSENSUS_COLUMNS = ["measure_id", "ballots", "supporters", "support_share", "ratings", "mean", "std", "iqr", "label"]


def _ballot_method(method: Method | str) -> Method:
    if isinstance(method, str) and method in scoring.METHODS:
        return scoring.METHODS[method].ballot_method
    return Method(method)


def consensus(votes: pd.DataFrame, method: Method | str, measures: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per measure: share of ballots that support it and, for ratings, the spread of ratings.

    ``method`` is a ballot method or a scoring key; ``measures`` (optional, column ``id``) adds the
    measures nobody voted for. ``std`` is the population standard deviation, ``iqr`` the
    interquartile range, both of the per-ballot mean rating (for ranking: of the places given).
    """
    kind = _ballot_method(method)
    n_ballots = votes["ballot_id"].nunique()
    supporters = votes.loc[votes["value"] > 0].groupby("measure_id")["ballot_id"].nunique()
    statistic = methods.of(kind).spread
    if statistic is not None:  # the per-ballot mean rating, or the place given
        per_ballot = votes.groupby(["measure_id", "ballot_id"])["value"].agg(statistic)
    else:
        per_ballot = pd.Series(dtype=float, index=pd.MultiIndex.from_arrays([[], []], names=["measure_id", "b"]))
    grouped = per_ballot.groupby(level="measure_id")
    spread = pd.DataFrame(
        {
            "ratings": grouped.size(),
            "mean": grouped.mean(),
            "std": grouped.std(ddof=0),
            "iqr": grouped.quantile(0.75) - grouped.quantile(0.25),
        }
    )
    ids = pd.Index(pd.unique(votes["measure_id"]))
    if measures is not None:
        ids = pd.Index(measures["id"]).append(ids.difference(pd.Index(measures["id"]), sort=False))
    out = pd.DataFrame({"measure_id": ids})
    out["ballots"] = n_ballots
    out["supporters"] = out["measure_id"].map(supporters).fillna(0).astype(int)
    out["support_share"] = out["supporters"] / n_ballots if n_ballots else np.nan
    out = out.merge(spread, left_on="measure_id", right_index=True, how="left")
    out["ratings"] = out["ratings"].fillna(0).astype(int)
    out["label"] = [_label(kind, row) for row in out.itertuples(index=False)]
    return out[CONSENSUS_COLUMNS]


def _label(kind: Method, row) -> str:
    if methods.of(kind).per_criterion:
        if row.ratings < MIN_RATINGS:
            return ""
        if row.iqr <= CONSENSUS_IQR:
            return CONSENSUS
        return CONTROVERSIAL if row.iqr >= CONTROVERSIAL_IQR else ""
    share = row.support_share
    if pd.isna(share):
        return ""
    if share >= CONSENSUS_SHARE:
        return CONSENSUS
    return CONTROVERSIAL if SPLIT_SHARE[0] <= share <= SPLIT_SHARE[1] else ""


# --- turnout -----------------------------------------------------------------------------------

TURNOUT_COLUMNS = ["group_name", "devices", "ballots", "turnout", "share_of_ballots", "is_total"]


def turnout(per_group: pd.DataFrame) -> pd.DataFrame:
    """Turnout per working group plus a total row (``is_total``), from ``views.turnout_per_group``.

    ``turnout`` is ballots / devices joined; ``share_of_ballots`` a group's part of all ballots.
    NaN where there is nothing to divide by.
    """
    frame = per_group.sort_values("position", kind="mergesort") if "position" in per_group else per_group
    frame = frame[["group_name", "devices", "ballots"]].reset_index(drop=True)
    total = pd.DataFrame({"group_name": [""], "devices": [frame["devices"].sum()], "ballots": [frame["ballots"].sum()]})
    frame = frame.assign(is_total=False)
    out = pd.concat([frame, total.assign(is_total=True)], ignore_index=True)
    out["devices"] = out["devices"].astype(int)
    out["ballots"] = out["ballots"].astype(int)
    out["turnout"] = out["ballots"] / out["devices"].where(out["devices"] > 0)
    all_ballots = int(frame["ballots"].sum())
    out["share_of_ballots"] = out["ballots"] / all_ballots if all_ballots else np.nan
    return out[TURNOUT_COLUMNS]
