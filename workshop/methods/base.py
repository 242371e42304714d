"""The parts every voting method has, and the registry that holds them."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from workshop import vocabulary
from workshop.errors import N_, ValidationError
from workshop.model import Criterion, Method, VotingRules, WorkshopKind

if TYPE_CHECKING:
    from workshop.scoring import ScoringMethod

MALFORMED = N_("This ballot is malformed; please reload the page.")


def malformed() -> ValidationError:
    return ValidationError(MALFORMED)


def whole(n: object) -> bool:
    return isinstance(n, int) and not isinstance(n, bool)


@dataclass(frozen=True)
class VotingMethod:
    """One voting method, complete: registered once, asked everywhere."""

    method: Method
    label: str  # msgid: the method's name on Set up and in the exports' method sheet
    ballot: type  # frozen dataclass with validate(rules, measures), rows(), from_rows(rows)
    payload: Callable[[Any], dict]  # the ballot as JSON-ready data, lists sorted (the browser compares)
    from_payload: Callable[[dict], Any]  # the ballot a browser posted; shape only, ValidationError else
    merge_sql: str  # SQL aggregate over ``value`` that combines one ballot's votes on merged measures
    merge_rule: tuple[str, str]  # msgids: what happens to a ballot's votes when measures are merged
    scoring: tuple[ScoringMethod, ...]
    value_label: str  # msgid: the column of a vote's value in the exports
    instructions: tuple[str, str]  # msgids: how to fill in the ballot (Planungswerkstatt, Integrationskonferenz)
    # A plausible ballot over ``measures`` (id -> goal id) with their ``appeal`` (the demo, the benchmarks).
    example: Callable[[random.Random, Mapping[str, str], VotingRules, dict[str, float]], Any]
    # What a vote's value is: per criterion (ratings), a place (1 = best), whole numbers.
    per_criterion: bool = False
    places: bool = False
    whole_numbers: bool = True
    uses_shortlist: bool = False  # only the shortlist is on the ballot (and in the count)
    # Per ballot and measure, the points the plain scores add up (None: per criterion, see rating).
    points: Callable[[pd.Series, int], pd.Series] | None = None
    # The per-ballot statistic whose spread shows consensus ("mean" of ratings, "min" place), or None.
    spread: str | None = None
    spread_labels: tuple[str, str] = ("", "")  # msgids: the columns of that statistic (count, mean)
    # The most one vote's value may be under the rules (dots: the cap per measure), or None.
    value_cap: Callable[[VotingRules], float] | None = None
    # The browser component that draws the whole ballot (ui/ballot.py: ui/ballot/<component>.js).
    # Every method has one; tests/unit/test_methods.py fails a method registered without it.
    component: str | None = None
    extra: dict = field(default_factory=dict)

    def say(self, kind: WorkshopKind | str) -> str:
        """The msgid of the ballot's instructions in the words of the workshop's kind."""
        return vocabulary.pick(kind, *self.instructions)

    def merging(self, kind: WorkshopKind | str) -> str:
        """The msgid of what a merge does to a ballot's votes, in the words of the workshop's kind."""
        return vocabulary.pick(kind, *self.merge_rule)

    @property
    def default_scoring(self) -> ScoringMethod:
        return self.scoring[0]


REGISTRY: dict[Method, VotingMethod] = {}


def register(method: VotingMethod) -> VotingMethod:
    if method.method in REGISTRY:
        raise ValueError(f"voting method {method.method} registered twice")
    REGISTRY[method.method] = method
    return method


def of(method: Method | str) -> VotingMethod:
    """The registered method of a ``Method`` (or its value); KeyError for an unknown one."""
    return REGISTRY[Method(method)]


def for_ballot(ballot: object) -> VotingMethod:
    for m in REGISTRY.values():
        if isinstance(ballot, m.ballot):
            return m
    raise TypeError(f"not a ballot: {ballot!r}")


def all_methods() -> list[VotingMethod]:
    """Every registered method, in the order of ``Method``."""
    return [REGISTRY[m] for m in Method if m in REGISTRY]


def preference(rng: random.Random, ids: Sequence[str], appeal: dict[str, float]) -> list[str]:
    """A participant's order of the measures: each one's appeal, seen with noise (demo, benchmarks)."""
    return sorted(ids, key=lambda m: -appeal.get(m, 1.0) * rng.uniform(0.4, 1.6))


__all__ = ["Criterion", "VotingMethod", "register", "of", "for_ballot", "all_methods"]
