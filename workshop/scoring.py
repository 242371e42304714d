"""Scoring: named aggregation methods over DataFrames, and one explicit tie-break rule.

Inputs are plain frames, so an analyst can recompute a ranking from a backup without the UI:

* ``measures``: columns ``id, goal_id, goal_position, title, seq`` (one row per measure that can
  be ranked; measures without votes score 0);
* ``votes``: columns ``ballot_id, measure_id, criterion, value`` of one method's ballots.

Every method returns one row per measure: ``measure_id, goal_id, title, score, supporters,
rank_goal, rank_overall`` (the strict order ``TIE_BREAK`` gives) and ``place_goal, place_overall``
(the shared places: equal scores, equal place).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import vocabulary
from .errors import N_
from .model import Criterion, Method, WorkshopKind

RESULT_COLUMNS = [
    "measure_id",
    "goal_id",
    "title",
    "score",
    "supporters",
    "rank_goal",
    "rank_overall",
    "place_goal",
    "place_overall",
]


@dataclass(frozen=True)
class TieBreak:
    """An ordered list of (column, ascending) keys applied after the score."""

    name: str
    keys: tuple[tuple[str, bool], ...]

    def order(self, frame: pd.DataFrame) -> pd.DataFrame:
        cols = [k for k, _ in self.keys]
        asc = [a for _, a in self.keys]
        return frame.sort_values(cols, ascending=asc, kind="mergesort")


TIE_BREAK = TieBreak(name="score-supporters-earliest", keys=(("score", False), ("supporters", False), ("seq", True)))

# The "supporters" column counts, per method: ballots with dots on it or approving it (supporters),
# ballots that rated it, whatever the rating (raters), ballots that placed it (voters). The
# tie-break says which of them it compares, in each kind's words.
SUPPORTER_LABELS = {"supporters": N_("Supporters"), "raters": N_("Raters"), "voters": N_("Voters")}
TIE_BREAK_TEXTS: dict[str, tuple[str, str]] = {
    "supporters": (
        N_(
            "Higher score first; on equal scores, more supporters first; if still equal, the measure "
            "proposed earlier comes first."
        ),
        N_(
            "Higher score first; on equal scores, more supporters first; if still equal, the recommendation "
            "proposed earlier comes first."
        ),
    ),
    "raters": (
        N_(
            "Higher score first; on equal scores, the one rated by more people (whatever their rating) first; "
            "if still equal, the measure proposed earlier comes first."
        ),
        N_(
            "Higher score first; on equal scores, the one rated by more people (whatever their rating) first; "
            "if still equal, the recommendation proposed earlier comes first."
        ),
    ),
    "voters": (
        N_(
            "Higher score first; on equal scores, the one placed on more ballots first; if still equal, the "
            "measure proposed earlier comes first."
        ),
        N_(
            "Higher score first; on equal scores, the one placed on more ballots first; if still equal, the "
            "recommendation proposed earlier comes first."
        ),
    ),
}


@dataclass(frozen=True)
class ScoringMethod:
    key: str
    label: str
    explanation: str
    ballot_method: Method
    score: Callable[[pd.DataFrame, pd.DataFrame, tuple[Criterion, ...]], pd.DataFrame]  # (cells, voters, criteria)
    conference_explanation: str = ""  # the explanation in an Integrationskonferenz's words, where it differs
    counts: str = "supporters"  # what its "supporters" column counts: supporters, raters or voters

    def explain(self, kind: WorkshopKind | str) -> str:
        """The msgid of the explanation in the words of the workshop's kind."""
        return vocabulary.pick(kind, self.explanation, self.conference_explanation or self.explanation)

    @property
    def supporters_label(self) -> str:
        """The msgid naming what the "supporters" column counts for this method."""
        return SUPPORTER_LABELS[self.counts]

    def tie_break(self, kind: WorkshopKind | str) -> str:
        """The msgid of the tie-break rule, in this method's and the kind's words."""
        return vocabulary.pick(kind, *TIE_BREAK_TEXTS[self.counts])


# --- aggregates ------------------------------------------------------------------------------
# Every method scores from two small tables instead of the raw votes, so that the database can
# compute them (a million votes become a few hundred rows; see views.ranking) and pandas can
# compute the same from a votes frame (the bootstrap, the tests). Both give:
#   cells:   measure_id, criterion, n (votes), total (sum of values), points (Borda: n_list - place,
#            at least 0), positive (votes with a value above 0)
# Only votes on the measures in the count are aggregated (a measure hidden or taken off the
# shortlist after the ballot was cast is not in it; its dots, approvals and ratings count for
# nothing, and nothing is moved to other measures). A ranking's places are closed up over what
# is left: X > A > B with X out of the count is A first, B second.
#   voters:  index measure_id; supporters (ballots with a value > 0), voters (ballots naming it)
CELL_COLUMNS = ["measure_id", "criterion", "n", "total", "points", "positive"]


def aggregate(votes: pd.DataFrame, n_list: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The aggregates of a votes frame (ballot_id, measure_id, criterion, value)."""
    if votes.empty:
        return pd.DataFrame(columns=CELL_COLUMNS), pd.DataFrame(columns=["supporters", "voters"])
    place = votes.groupby(["ballot_id", "criterion"])["value"].rank(method="first")
    v = votes.assign(points=(n_list - place).clip(lower=0), positive=(votes["value"] > 0).astype(int))
    cells = (
        v.groupby(["measure_id", "criterion"])
        .agg(n=("value", "size"), total=("value", "sum"), points=("points", "sum"), positive=("positive", "sum"))
        .reset_index()
    )
    voters = pd.DataFrame(
        {
            "supporters": v.loc[v["value"] > 0].groupby("measure_id")["ballot_id"].nunique(),
            "voters": v.groupby("measure_id")["ballot_id"].nunique(),
        }
    )
    return cells, voters.fillna(0).astype(int)


def voters_from_cells(cells: pd.DataFrame, *, rated: bool = False) -> pd.DataFrame:
    """``voters`` from the database's cells (``views.ranking``).

    Ballots are validated to name a measure (and criterion) once, so for dots, approval and
    ranking counting votes counts ballots. Ratings have a vote per criterion rated: their voters
    (all supporters, ratings are 1-5) are the leading rows, one per ballot and measure
    (``leads``, see store.MARK_LEADS).
    """
    if rated:
        per = cells.groupby("measure_id")["leads"].sum()
        return pd.DataFrame({"supporters": per, "voters": per}).astype(int)
    per = cells.groupby("measure_id")[["positive", "n"]].sum()
    return per.rename(columns={"positive": "supporters", "n": "voters"}).astype(int)


class _Registered(Mapping):
    """The scoring methods of every registered voting method (workshop.methods), by key; read
    when asked, because the voting methods' modules build on this one."""

    def _all(self) -> dict[str, ScoringMethod]:
        from workshop import methods

        return {s.key: s for m in methods.all_methods() for s in m.scoring}

    def __getitem__(self, key: str) -> ScoringMethod:
        return self._all()[key]

    def __iter__(self):
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


class _DefaultScoring(Mapping):
    """Ballot method -> the key of its default scoring method."""

    def _all(self) -> dict[Method, str]:
        from workshop import methods

        return {m.method: m.default_scoring.key for m in methods.all_methods()}

    def __getitem__(self, method: Method | str) -> str:
        return self._all()[Method(method)]

    def __iter__(self):
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


METHODS: Mapping[str, ScoringMethod] = _Registered()
METHOD_FOR_BALLOTS: Mapping[Method, str] = _DefaultScoring()


def shared_places(ranked: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """The places as a count reads them: equal scores share a place, the next place skips as
    many as shared it (5, 5, 5, 3 points: 1., 1., 1., 4.). The tie-break decides only the order
    (``rank_overall``, ``rank_goal``), where an order must be chosen (a shortlist, a top 10)."""
    overall = ranked["score"].rank(method="min", ascending=False).astype(int)
    per_goal = ranked.groupby("goal_id")["score"].rank(method="min", ascending=False).astype(int)
    return overall, per_goal


def rank(
    method: str,
    votes: pd.DataFrame,
    measures: pd.DataFrame,
    criteria: tuple[Criterion, ...] = (),
    tie_break: TieBreak = TIE_BREAK,
) -> pd.DataFrame:
    """Score and rank every measure with a registered method; ranks are 1-based and strict, places
    shared by equal scores."""
    votes = votes[votes["measure_id"].isin(measures["id"])]
    cells, voters = aggregate(votes, len(measures))
    return rank_aggregated(method, cells, voters, measures, criteria, tie_break)


def rank_aggregated(
    method: str,
    cells: pd.DataFrame,
    voters: pd.DataFrame,
    measures: pd.DataFrame,
    criteria: tuple[Criterion, ...] = (),
    tie_break: TieBreak = TIE_BREAK,
) -> pd.DataFrame:
    """``rank`` from the aggregates (of the votes on ``measures`` only, Borda with ``len(measures)``)."""
    scoring = METHODS[method]
    base = measures[["id", "goal_id", "title", "seq"] + (["goal_position"] if "goal_position" in measures else [])]
    base = base.rename(columns={"id": "measure_id"})
    scored = scoring.score(cells, voters, criteria)
    out = base.merge(scored, left_on="measure_id", right_index=True, how="left")
    # Rounded so that equal means reached by different arithmetic tie exactly (then the tie-break decides).
    out["score"] = out["score"].astype(float).fillna(0.0).round(9)
    out["supporters"] = out["supporters"].fillna(0).astype(int)
    out = tie_break.order(out).reset_index(drop=True)
    out["rank_overall"] = np.arange(1, len(out) + 1)
    out["rank_goal"] = out.groupby("goal_id").cumcount() + 1
    out["place_overall"], out["place_goal"] = shared_places(out)
    extra = [c for c in out.columns if c.startswith("mean_")]
    return out[RESULT_COLUMNS + extra + ["seq"]]
