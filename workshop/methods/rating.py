"""Rating on weighted criteria (by default impact and feasibility), 1 to 5, "no opinion" allowed."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workshop.errors import N_, ValidationError
from workshop.model import RATING_MAX, RATING_MIN, Method, VoteRow, VotingRules, _known
from workshop.scoring import ScoringMethod

from .base import VotingMethod, malformed, preference, register, whole


@dataclass(frozen=True)
class RatingBallot:
    """Ratings per measure and criterion from 1 to 5; a missing entry or None is "no opinion"."""

    ratings: dict[str, dict[str, int | None]] = field(default_factory=dict)
    method = Method.RATING

    def validate(self, rules: VotingRules, measures: dict[str, str]) -> RatingBallot:
        keys = {c.key for c in rules.criteria}
        clean: dict[str, dict[str, int]] = {}
        for mid, per in self.ratings.items():
            _known(mid, measures)
            if not isinstance(per, dict):
                raise ValidationError(N_("A rating must give a value per criterion."))
            for key, value in per.items():
                if key not in keys:
                    raise ValidationError(N_("Unknown rating criterion."))
                if value is None:
                    continue
                if isinstance(value, bool) or not isinstance(value, int) or not RATING_MIN <= value <= RATING_MAX:
                    raise ValidationError(N_("Ratings go from {min} to {max}."), min=RATING_MIN, max=RATING_MAX)
                clean.setdefault(mid, {})[key] = value
        if not clean:
            raise ValidationError(
                N_("Rate at least one measure before submitting."),
                conference=N_("Rate at least one recommendation before submitting."),
            )
        return RatingBallot(clean)

    def size(self) -> int | None:
        """Entries as sent (before validation); None when they are not the container this type holds."""
        if not isinstance(self.ratings, dict):
            return None
        return sum(len(per) if isinstance(per, dict) else 1 for per in self.ratings.values())

    def rows(self) -> list[VoteRow]:
        return [(mid, k, float(v)) for mid, per in sorted(self.ratings.items()) for k, v in sorted(per.items())]

    @classmethod
    def from_rows(cls, rows: list[VoteRow]) -> RatingBallot:
        out: dict[str, dict[str, int | None]] = {}
        for m, c, v in rows:
            out.setdefault(m, {})[c] = int(v)
        return cls(out)


def payload(ballot: RatingBallot) -> dict:
    ratings = {m: dict(sorted(per.items())) for m, per in sorted(ballot.ratings.items())}
    return {"method": str(Method.RATING), "ratings": ratings}


def from_payload(data: dict) -> RatingBallot:
    ratings = data.get("ratings")
    if not isinstance(ratings, dict) or not all(
        isinstance(per, dict) and all(isinstance(c, str) and (v is None or whole(v)) for c, v in per.items())
        for per in ratings.values()
    ):
        raise malformed()
    return RatingBallot({m: dict(per) for m, per in ratings.items()})


def example(
    rng: random.Random, measures: Mapping[str, str], rules: VotingRules, appeal: dict[str, float]
) -> RatingBallot:
    """Eight measures rated near their appeal, now and then with no opinion."""
    preference(rng, list(measures), appeal)  # drawn like every method's participant, so that one seed gives one hall
    chosen = rng.sample(list(measures), min(8, len(measures)))
    return RatingBallot(
        {
            m: {
                c.key: None
                if rng.random() < 0.1
                else max(RATING_MIN, min(RATING_MAX, round(appeal.get(m, 1.5) + rng.gauss(1.5, 1))))
                for c in rules.criteria
            }
            for m in chosen
        }
    )


def _weighted_mean(cells: pd.DataFrame, voters: pd.DataFrame, criteria) -> pd.DataFrame:
    """Mean per criterion ("no opinion" is not stored, so it is left out), then weighted by the rules."""
    if cells.empty:
        return pd.DataFrame({"score": [], "supporters": []})
    weights = {c.key: float(c.weight) for c in criteria}
    means = cells.set_index(["measure_id", "criterion"])["total"] / cells.set_index(["measure_id", "criterion"])["n"]
    means = means.unstack("criterion")
    means = means[[c for c in weights if c in means.columns]]
    w = pd.Series({c: weights[c] for c in means.columns})
    present = means.notna()
    score = (means.fillna(0) * w).sum(axis=1) / (present * w).sum(axis=1).replace(0, np.nan)
    out = pd.DataFrame({"score": score, "supporters": voters["voters"]})
    for c in means.columns:
        out[f"mean_{c}"] = means[c]
    return out


METHOD = register(
    VotingMethod(
        method=Method.RATING,
        label=N_("Rating on criteria"),
        ballot=RatingBallot,
        payload=payload,
        from_payload=from_payload,
        merge_sql="avg(value)",
        merge_rule=(
            N_("A ballot's ratings of the merged measures are averaged, per criterion."),
            N_("A ballot's ratings of the merged recommendations are averaged, per criterion."),
        ),
        scoring=(
            ScoringMethod(
                "rating",
                N_("Weighted mean rating"),
                N_("Mean rating per criterion (1–5, “no opinion” left out), combined with the criteria weights."),
                Method.RATING,
                _weighted_mean,
                counts="raters",
            ),
        ),
        value_label=N_("Rating"),
        instructions=(
            N_("Rate each measure from {min} (low) to {max} (high). Leave a row empty if you have no opinion."),
            N_("Rate each recommendation from {min} (low) to {max} (high). Leave a row empty if you have no opinion."),
        ),
        example=example,
        per_criterion=True,
        whole_numbers=False,
        spread="mean",
        spread_labels=(N_("Ratings"), N_("Mean rating")),
        component="rating",
    )
)
