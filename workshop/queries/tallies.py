"""Tallies: per workshop, method, measure and criterion, the sums a ranking needs (schema 12).

A ranking over a million votes read them from the votes (a join with the ballots, a scan of every
vote, a window for the places of a ranking): about a second on PostgreSQL. The tallies are kept in
the transaction that changes votes (a ballot, a merge, a restore), so a ranking reads a few
hundred rows. Every writer of votes keeps them: ``add(q, ballots, -1)`` before it changes the
votes of ``ballots``, ``add(q, ballots)`` after (or ``recount`` for a whole workshop).

``place_sum`` is the sum of the places a vote has among its ballot's votes of the same criterion
(1 = the lowest value; ties by measure id), as the ranking's window computes them: a ranking
whose measures are all counted earns ``n_list - place`` per vote (see ``views.ranking``).

Each app process adds to rows of its own (``shard``) on PostgreSQL, so that two processes
writing ballots at the same moment never update the same row; a read sums the shards. DuckDB's
file has one process: one shard.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from workshop.store import ADD_TALLIES

from . import engine, frame, run

PROCESS_SHARD = uuid.uuid4().hex[:12]

_OF_BALLOTS = ADD_TALLIES.format(votes="ballot_id IN (SELECT unnest(CAST($3 AS VARCHAR[])))")
_OF_DEVICE = ADD_TALLIES.format(votes="ballot_id IN (SELECT id FROM ballots WHERE device_id = $3)")
_OF_WORKSHOP = ADD_TALLIES.format(votes="ballot_id IN (SELECT id FROM ballots WHERE workshop_id = $3)")


def _shard(q: Any) -> str:
    return "" if engine(q) == "duckdb" else PROCESS_SHARD


def add(q: Any, ballot_ids: Sequence[str], sign: int = 1) -> None:
    """Add (``sign`` 1) or take away (-1) what the votes of ``ballot_ids`` contribute, as stored now."""
    if ballot_ids:
        run(q, _OF_BALLOTS, [_shard(q), sign, list(ballot_ids)])


def take_away_device(q: Any, device_id: str) -> None:
    """Before a device's ballots are deleted (a revoked voting card)."""
    run(q, _OF_DEVICE, [_shard(q), -1, device_id])


def recount(q: Any, workshop_id: str) -> None:
    """A workshop's tallies made anew from its votes (after a restore)."""
    run(q, "DELETE FROM tallies WHERE workshop_id = $1", [workshop_id])
    run(q, _OF_WORKSHOP, [_shard(q), 1, workshop_id])


def cells(q: Any, workshop_id: str, method: str):
    """Per measure and criterion with votes: n, total, positive, leads, place_sum (all shards)."""
    return frame(
        q,
        "SELECT measure_id, criterion, sum(n) AS n, sum(total) AS total, sum(positive) AS positive, "
        "sum(leads) AS leads, sum(place_sum) AS place_sum FROM tallies "
        "WHERE workshop_id = $1 AND method = $2 GROUP BY measure_id, criterion HAVING sum(n) <> 0",
        [workshop_id, method],
    )


def votes_of_ballots_naming(q: Any, method: str, measure_ids: Sequence[str]):
    """Every vote of the ballots (of ``method``) with a vote on one of ``measure_ids``."""
    return frame(
        q,
        "SELECT v.ballot_id, v.measure_id, v.criterion, v.value FROM votes v WHERE v.ballot_id IN ("
        "SELECT d.ballot_id FROM votes d JOIN ballots b ON b.id = d.ballot_id "
        "WHERE d.measure_id IN (SELECT unnest(CAST($1 AS VARCHAR[]))) AND b.method = $2)",
        [list(measure_ids), method],
    )
