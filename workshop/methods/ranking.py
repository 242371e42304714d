"""Ranking of a shortlist, counted with Borda: with n measures on the list, place p earns n - p."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from workshop.errors import N_, ValidationError
from workshop.model import Method, VoteRow, VotingRules, _known
from workshop.scoring import ScoringMethod

from .base import VotingMethod, malformed, preference, register


@dataclass(frozen=True)
class RankingBallot:
    """An order of shortlisted measures, best first; it may stop before the end of the list."""

    order: tuple[str, ...] = ()
    method = Method.RANKING

    def validate(self, rules: VotingRules, measures: dict[str, str]) -> RankingBallot:
        order = tuple(_known(m, measures) for m in self.order)
        if len(set(order)) != len(order):
            raise ValidationError(
                N_("Each measure can have only one place in your ranking."),
                conference=N_("Each recommendation can have only one place in your ranking."),
            )
        if not order:
            raise ValidationError(
                N_("Put at least one measure in order before submitting."),
                conference=N_("Put at least one recommendation in order before submitting."),
            )
        return RankingBallot(order)

    def size(self) -> int | None:
        """Entries as sent (before validation); None when they are not the container this type holds."""
        return len(self.order) if isinstance(self.order, list | tuple) else None

    def rows(self) -> list[VoteRow]:
        # value = place (1 = best); Borda points are computed by the scoring.
        return [(mid, "", float(i + 1)) for i, mid in enumerate(self.order)]

    @classmethod
    def from_rows(cls, rows: list[VoteRow]) -> RankingBallot:
        return cls(tuple(m for m, _c, _v in sorted(rows, key=lambda r: r[2])))


def payload(ballot: RankingBallot) -> dict:
    return {"method": str(Method.RANKING), "order": list(ballot.order)}


def from_payload(data: dict) -> RankingBallot:
    order = data.get("order")
    if not isinstance(order, list) or not all(isinstance(m, str) for m in order):
        raise malformed()
    return RankingBallot(tuple(order))


def example(
    rng: random.Random, measures: Mapping[str, str], rules: VotingRules, appeal: dict[str, float]
) -> RankingBallot:
    """The favourites in order, as many as the shortlist holds."""
    return RankingBallot(tuple(preference(rng, list(measures), appeal)[: rules.shortlist_size]))


def _borda(cells: pd.DataFrame, voters: pd.DataFrame, criteria) -> pd.DataFrame:
    """Borda count: with n measures on the list, place p earns n - p points; unranked earn 0."""
    return pd.DataFrame({"score": cells.groupby("measure_id")["points"].sum(), "supporters": voters["voters"]})


METHOD = register(
    VotingMethod(
        method=Method.RANKING,
        label=N_("Ranking of a shortlist"),
        ballot=RankingBallot,
        payload=payload,
        from_payload=from_payload,
        merge_sql="min(value)",
        merge_rule=(
            N_("A ballot keeps the best place it gave any of the merged measures for the one that stays."),
            N_("A ballot keeps the best place it gave any of the merged recommendations for the one that stays."),
        ),
        scoring=(
            ScoringMethod(
                "borda",
                N_("Borda count"),
                N_("With n measures on the list, place 1 earns n − 1 points, place 2 earns n − 2, …"),
                Method.RANKING,
                _borda,
                N_("With n recommendations on the list, place 1 earns n − 1 points, place 2 earns n − 2, …"),
                counts="voters",
            ),
        ),
        value_label=N_("Place in ranking"),
        instructions=(
            N_("Put the measures in order: the most important at the top. Use the arrows to move them."),
            N_("Put the recommendations in order: the most important at the top. Use the arrows to move them."),
        ),
        example=example,
        places=True,
        uses_shortlist=True,
        points=lambda values, n_list: (n_list - values).clip(lower=0),
        spread="min",
        spread_labels=(N_("Ranked by"), N_("Mean place")),
        component="ranking",
    )
)
