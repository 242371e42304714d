"""Approval ("support"): tick every measure you support, optionally up to a limit."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from workshop.errors import N_, NP_, ValidationError
from workshop.model import Method, VoteRow, VotingRules, _known
from workshop.scoring import ScoringMethod

from .base import VotingMethod, malformed, preference, register


@dataclass(frozen=True)
class ApprovalBallot:
    approved: frozenset[str] = frozenset()
    method = Method.APPROVAL

    def validate(self, rules: VotingRules, measures: dict[str, str]) -> ApprovalBallot:
        ids = frozenset(_known(m, measures) for m in self.approved)
        if rules.approval_limit is not None and len(ids) > rules.approval_limit:
            raise ValidationError(
                NP_("You can support at most {max} measure.", "You can support at most {max} measures."),
                conference=NP_(
                    "You can support at most {max} recommendation.", "You can support at most {max} recommendations."
                ),
                max=rules.approval_limit,
            )
        if not ids:
            raise ValidationError(
                N_("Support at least one measure before submitting."),
                conference=N_("Support at least one recommendation before submitting."),
            )
        return ApprovalBallot(ids)

    def size(self) -> int | None:
        """Entries as sent (before validation); None when they are not the container this type holds."""
        return len(self.approved) if isinstance(self.approved, set | frozenset | list | tuple) else None

    def rows(self) -> list[VoteRow]:
        return [(mid, "", 1.0) for mid in sorted(self.approved)]

    @classmethod
    def from_rows(cls, rows: list[VoteRow]) -> ApprovalBallot:
        return cls(frozenset(m for m, _c, _v in rows))


def payload(ballot: ApprovalBallot) -> dict:
    return {"method": str(Method.APPROVAL), "approved": sorted(ballot.approved)}


def from_payload(data: dict) -> ApprovalBallot:
    approved = data.get("approved")
    if not isinstance(approved, list) or not all(isinstance(m, str) for m in approved):
        raise malformed()
    return ApprovalBallot(frozenset(approved))


def example(
    rng: random.Random, measures: Mapping[str, str], rules: VotingRules, appeal: dict[str, float]
) -> ApprovalBallot:
    """Support for a handful of favourites (within the limit)."""
    favourites = preference(rng, list(measures), appeal)
    n = rng.randint(3, 7)
    if rules.approval_limit is not None:
        n = min(n, rules.approval_limit)
    return ApprovalBallot(frozenset(favourites[:n]))


def _approval_count(cells: pd.DataFrame, voters: pd.DataFrame, criteria) -> pd.DataFrame:
    s = voters["supporters"]
    return pd.DataFrame({"score": s.astype(float), "supporters": s})


METHOD = register(
    VotingMethod(
        method=Method.APPROVAL,
        label=N_("Approval (support)"),
        ballot=ApprovalBallot,
        payload=payload,
        from_payload=from_payload,
        merge_sql="max(value)",
        merge_rule=(
            N_("A ballot that supported any of the merged measures supports the one that stays, once."),
            N_("A ballot that supported any of the merged recommendations supports the one that stays, once."),
        ),
        scoring=(
            ScoringMethod(
                "approval",
                N_("Approval count"),
                N_("Number of participants who support a measure."),
                Method.APPROVAL,
                _approval_count,
                N_("Number of participants who support a recommendation."),
            ),
        ),
        value_label=N_("Support"),
        instructions=(
            N_("Tick every measure you support."),
            N_("Tick every recommendation you support."),
        ),
        example=example,
        points=lambda values, n_list: (values > 0).astype(float),
        component="approval",
    )
)
