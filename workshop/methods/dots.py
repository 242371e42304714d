"""Dot voting: N dots per person, at most K on one measure, optionally a budget per goal."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from workshop.errors import N_, NP_, ValidationError
from workshop.model import Method, VoteRow, VotingRules, _known
from workshop.scoring import ScoringMethod

from .base import VotingMethod, malformed, preference, register, whole


@dataclass(frozen=True)
class DotBallot:
    dots: dict[str, int] = field(default_factory=dict)
    method = Method.DOTS

    def validate(self, rules: VotingRules, measures: dict[str, str]) -> DotBallot:
        clean: dict[str, int] = {}
        per_goal: dict[str, int] = {}
        for mid, n in self.dots.items():
            _known(mid, measures)
            if isinstance(n, bool) or not isinstance(n, int) or n < 0:
                raise ValidationError(N_("Dots must be whole numbers of zero or more."))
            if n > rules.max_per_measure:
                raise ValidationError(
                    NP_("At most {max} dot per measure.", "At most {max} dots per measure."),
                    conference=NP_("At most {max} dot per recommendation.", "At most {max} dots per recommendation."),
                    max=rules.max_per_measure,
                )
            if n:
                clean[mid] = n
                per_goal[measures[mid]] = per_goal.get(measures[mid], 0) + n
        total = sum(clean.values())
        if total > rules.dots_per_person:
            raise ValidationError(
                NP_("You placed {used} dot but have only {total}.", "You placed {used} dots but have only {total}."),
                used=total,
                total=rules.dots_per_person,
            )
        if rules.goal_budget is not None and any(v > rules.goal_budget for v in per_goal.values()):
            raise ValidationError(
                NP_("At most {max} dot per goal.", "At most {max} dots per goal."),
                conference=NP_("At most {max} dot per guiding question.", "At most {max} dots per guiding question."),
                max=rules.goal_budget,
            )
        if not clean:
            raise ValidationError(N_("Place at least one dot before submitting."))
        return DotBallot(clean)

    def size(self) -> int | None:
        """Entries as sent (before validation); None when they are not the container this type holds."""
        return len(self.dots) if isinstance(self.dots, dict) else None

    def rows(self) -> list[VoteRow]:
        return [(mid, "", float(n)) for mid, n in sorted(self.dots.items())]

    @classmethod
    def from_rows(cls, rows: list[VoteRow]) -> DotBallot:
        return cls({m: int(v) for m, _c, v in rows})


def payload(ballot: DotBallot) -> dict:
    return {"method": str(Method.DOTS), "dots": dict(sorted(ballot.dots.items()))}


def from_payload(data: dict) -> DotBallot:
    dots = data.get("dots")
    if not isinstance(dots, dict) or not all(whole(n) for n in dots.values()):
        raise malformed()
    return DotBallot(dict(dots))


def example(rng: random.Random, measures: Mapping[str, str], rules: VotingRules, appeal: dict[str, float]) -> DotBallot:
    """Dots on the favourites, a few at a time, until they are spent (within every limit)."""
    dots: dict[str, int] = {}
    left = rules.dots_per_person
    in_goal: dict[str, int] = {}
    for m in preference(rng, list(measures), appeal):
        if left <= 0:
            break
        n = min(left, rng.randint(1, rules.max_per_measure))
        if rules.goal_budget is not None:
            n = min(n, rules.goal_budget - in_goal.get(measures[m], 0))
        if n > 0:
            dots[m] = n
            left -= n
            in_goal[measures[m]] = in_goal.get(measures[m], 0) + n
    return DotBallot(dots)


def _dot_total(cells: pd.DataFrame, voters: pd.DataFrame, criteria) -> pd.DataFrame:
    return pd.DataFrame({"score": cells.groupby("measure_id")["total"].sum(), "supporters": voters["supporters"]})


METHOD = register(
    VotingMethod(
        method=Method.DOTS,
        label=N_("Dot voting"),
        ballot=DotBallot,
        payload=payload,
        from_payload=from_payload,
        merge_sql="sum(value)",
        merge_rule=(
            N_("A ballot's dots on the merged measures are added up on the one that stays."),
            N_("A ballot's dots on the merged recommendations are added up on the one that stays."),
        ),
        scoring=(
            ScoringMethod(
                "dots",
                N_("Dot total"),
                N_("Sum of all dots a measure received."),
                Method.DOTS,
                _dot_total,
                N_("Sum of all dots a recommendation received."),
            ),
        ),
        value_label=N_("Dots"),
        instructions=(
            N_("Place your dots on the measures you find most important."),
            N_("Place your dots on the recommendations you find most important."),
        ),
        example=example,
        points=lambda values, n_list: values,
        value_cap=lambda rules: rules.max_per_measure,
        component="dots",
    )
)
