"""The voting methods: everything that makes "dots" dots, one module per method, one registry.

Each module (``dots``, ``approval``, ``rating``, ``ranking``) registers a ``VotingMethod``: its
ballot type (validated against the workshop's rules, flattened to vote rows and back), the wire
payload the phone posts, how the votes of merged measures combine, its scoring method(s), what its
values are (counts, marks, ratings per criterion, places), its labels, and an example ballot for
the demo and the benchmarks. Code elsewhere asks the registry (``of``, ``for_ballot``, ``all``)
instead of switching on the method; ``tests/unit/test_methods.py`` holds every registered method
to having every part.
"""

from __future__ import annotations

from . import approval, dots, ranking, rating  # each registers itself
from .approval import ApprovalBallot
from .base import REGISTRY, VotingMethod, all_methods, for_ballot, of
from .dots import DotBallot
from .ranking import RankingBallot
from .rating import RatingBallot

Ballot = DotBallot | ApprovalBallot | RatingBallot | RankingBallot

__all__ = [
    "REGISTRY",
    "ApprovalBallot",
    "Ballot",
    "DotBallot",
    "RankingBallot",
    "RatingBallot",
    "VotingMethod",
    "all_methods",
    "approval",
    "dots",
    "for_ballot",
    "of",
    "ranking",
    "rating",
]
