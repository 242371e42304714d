"""Tallies: per workshop, method, measure and criterion, the sums a ranking needs (schema 12).

Kept on PostgreSQL only. There a ranking over a million votes read them from the votes (a join
with the ballots, a scan of every vote, a window for a ranking's places): about a second, 4 s for
Borda. The tallies are kept in the transaction that changes votes (a ballot, a merge, a revoked
card, a restore), so a ranking reads a few hundred rows. Every writer of votes keeps them:
``add(q, ballots, -1)`` before it changes the votes of ``ballots``, ``add(q, ballots)`` after
(the group commit: ``add_votes`` from the votes it holds; a restore: ``recount``).

DuckDB, a column store, aggregates a million votes itself (``cells_from_votes``: 66-88 ms, a
Borda window 0.3-0.4 s), and the upkeep cost its group commit more than the ranking gains (a burst
of 300 ballots: submit p95 59 ms without, 254 ms with; BENCHMARKS.md). A hall is DuckDB's case,
a few thousand votes: on DuckDB these writers do nothing and the table stays empty.

``place_sum`` is the sum of the places a vote has among its ballot's votes of the same criterion
(1 = the lowest value; ties by measure id), as the ranking's window computes them: a ranking
whose measures are all counted earns ``n_list - place`` per vote (see ``views.ranking``).

Each app process adds to rows of its own (``shard``), so that two processes writing ballots at
the same moment never update the same row; a read sums the shards.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from workshop.store import ADD_TALLIES

from . import engine, frame, rows, run

PROCESS_SHARD = uuid.uuid4().hex[:12]

_OF_BALLOTS = ADD_TALLIES.format(votes="ballot_id IN (SELECT unnest(CAST($3 AS VARCHAR[])))")
_OF_DEVICE = ADD_TALLIES.format(votes="ballot_id IN (SELECT id FROM ballots WHERE device_id = $3)")
_OF_WORKSHOP = ADD_TALLIES.format(votes="ballot_id IN (SELECT id FROM ballots WHERE workshop_id = $3)")


def kept(q: Any) -> bool:
    """Whether the store behind ``q`` keeps tallies (PostgreSQL) or ranks from the votes (DuckDB)."""
    return engine(q) == "postgresql"


def add(q: Any, ballot_ids: Sequence[str], sign: int = 1) -> None:
    """Add (``sign`` 1) or take away (-1) what the votes of ``ballot_ids`` contribute, as stored now."""
    if ballot_ids and kept(q):
        run(q, _OF_BALLOTS, [PROCESS_SHARD, sign, list(ballot_ids)])


# The group commit's own: the batch's votes are in memory, so the tallies' change is worked out
# here and written in one statement (the statements above cost DuckDB 10 ms each, whatever the
# batch: a window, a join and an upsert per batch; this one about 4 ms).
_UPSERT = """
INSERT INTO tallies (shard, workshop_id, method, measure_id, criterion, n, total, positive, leads, place_sum)
SELECT $1, unnest(CAST($2 AS VARCHAR[])), unnest(CAST($3 AS VARCHAR[])), unnest(CAST($4 AS VARCHAR[])),
       unnest(CAST($5 AS VARCHAR[])), unnest(CAST($6 AS BIGINT[])), unnest(CAST($7 AS DOUBLE PRECISION[])),
       unnest(CAST($8 AS BIGINT[])), unnest(CAST($9 AS BIGINT[])), unnest(CAST($10 AS BIGINT[]))
ON CONFLICT (shard, workshop_id, method, measure_id, criterion) DO UPDATE SET
    n = tallies.n + excluded.n, total = tallies.total + excluded.total,
    positive = tallies.positive + excluded.positive, leads = tallies.leads + excluded.leads,
    place_sum = tallies.place_sum + excluded.place_sum
"""
Vote = tuple[str, str, str, str, str, float, bool]  # workshop, method, ballot, measure, criterion, value, leads


def change(added: Iterable[Vote], taken: Iterable[Vote] = ()) -> dict[tuple[str, str, str, str], list]:
    """What ``added`` votes give and ``taken`` ones gave, per (workshop, method, measure, criterion):
    [n, total, positive, leads, place_sum], places as the window of ``ADD_TALLIES`` numbers them
    (within a ballot and criterion, by value, then measure id)."""
    per_ballot: dict[tuple[int, str, str], list[Vote]] = defaultdict(list)
    for sign, votes in ((1, added), (-1, taken)):
        for vote in votes:
            per_ballot[(sign, vote[2], vote[4])].append(vote)
    out: dict[tuple[str, str, str, str], list] = defaultdict(lambda: [0, 0.0, 0, 0, 0])
    for (sign, _ballot, _criterion), votes in per_ballot.items():
        votes.sort(key=lambda v: (v[5], v[3]))
        for place, (workshop_id, method, _b, measure_id, criterion, value, leads) in enumerate(votes, 1):
            cell = out[(workshop_id, method, measure_id, criterion)]
            cell[0] += sign
            cell[1] += sign * float(value)
            cell[2] += sign * (value > 0)
            cell[3] += sign * bool(leads)
            cell[4] += sign * place
    return out


def add_votes(q: Any, added: Iterable[Vote], taken: Iterable[Vote] = ()) -> None:
    """The tallies gain what ``added`` give and lose what ``taken`` gave, in one statement."""
    if not kept(q):
        return
    cells = [(key, sums) for key, sums in change(added, taken).items() if any(sums)]
    if not cells:
        return
    keys, sums = zip(*cells, strict=True)
    columns = [list(c) for c in zip(*keys, strict=True)] + [list(c) for c in zip(*sums, strict=True)]
    run(q, _UPSERT, [PROCESS_SHARD, *columns])


def stored_votes(q: Any, ballot_ids: Sequence[str]) -> list[Vote]:
    """The votes of these ballots as ``Vote`` rows (what a replacement takes away)."""
    return rows(
        q,
        "SELECT b.workshop_id, b.method, v.ballot_id, v.measure_id, v.criterion, v.value, v.leads "
        "FROM votes v JOIN ballots b ON b.id = v.ballot_id WHERE v.ballot_id IN (SELECT unnest(CAST($1 AS VARCHAR[])))",
        [list(ballot_ids)],
    )


def take_away_device(q: Any, device_id: str) -> None:
    """Before a device's ballots are deleted (a revoked voting card)."""
    if kept(q):
        run(q, _OF_DEVICE, [PROCESS_SHARD, -1, device_id])


def recount(q: Any, workshop_id: str) -> None:
    """A workshop's tallies made anew from its votes (after a restore, a copy between stores)."""
    if kept(q):
        run(q, "DELETE FROM tallies WHERE workshop_id = $1", [workshop_id])
        run(q, _OF_WORKSHOP, [PROCESS_SHARD, 1, workshop_id])


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


# Where no tallies are kept (DuckDB): the same cells from the votes. No count(DISTINCT ...): it cost
# 150-350 ms at a million votes against 30 ms for plain counts; the voters of a rated measure are
# its leading rows instead (one per ballot and measure, store.MARK_LEADS).
_CELLS_FROM_VOTES = """
    SELECT measure_id, criterion, count(*) AS n, sum(value) AS total,
           sum(greatest($4 - place, 0)) AS points, count(*) FILTER (WHERE value > 0) AS positive,
           count(*) FILTER (WHERE leads) AS leads
    FROM (
        SELECT v.measure_id, v.criterion, v.value, v.leads, {place} AS place
        FROM votes v JOIN ballots b ON b.id = v.ballot_id
        WHERE b.workshop_id = $1 AND b.method = $2 AND v.measure_id IN (SELECT unnest(CAST($3 AS VARCHAR[])))
    ) AS counted
    GROUP BY measure_id, criterion
"""
# A ranking's places closed up over the measures in the count; the other methods need no place
# (and no window over a million votes).
_PLACE = "row_number() OVER (PARTITION BY v.ballot_id, v.criterion ORDER BY v.value, v.measure_id)"


def cells_from_votes(q: Any, workshop_id: str, method: str, counted: Sequence[str], *, places: bool):
    """measure_id, criterion, n, total, points, positive, leads of the votes on ``counted``."""
    sql = _CELLS_FROM_VOTES.format(place=_PLACE if places else "v.value")
    return frame(q, sql, [workshop_id, method, list(counted), len(counted)])
