"""The ballots' statements: the group-committed writer's reads and writes, a device's stored ballot.

The writer's statements take lists (unnested by the engine): a few statements for a whole batch of
ballots, however many there are.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from . import rows, run, value
from .workshops import WORKSHOP_COLUMNS


def ballot_count(q: Any, workshop_id: str, method: str | None = None) -> int:
    """The ballots of a workshop, of every method or of one."""
    if method is None:
        return value(q, "SELECT count(*) FROM ballots WHERE workshop_id = $1", [workshop_id])
    return value(q, "SELECT count(*) FROM ballots WHERE workshop_id = $1 AND method = $2", [workshop_id, method])


def voting_measure_rows(q: Any, workshop_id: str) -> list[tuple]:
    """(measure id, goal id) of the visible measures, in the order of the measure list."""
    # Only the two columns, in the order list_measures gives: every submit validates against this.
    return rows(
        q,
        "SELECT m.id, m.goal_id FROM measures m JOIN goals g ON g.id = m.goal_id "
        "WHERE m.workshop_id = $1 AND m.merged_into IS NULL AND NOT m.hidden ORDER BY g.position, m.seq",
        [workshop_id],
    )


def devices_of_tokens(q: Any, token_hashes: list[str]) -> list[tuple]:
    """(token hash, workshop id, device id) of the devices holding these ballot tokens."""
    return rows(
        q,
        "SELECT token_hash, workshop_id, id FROM devices WHERE token_hash IN (SELECT unnest(CAST($1 AS VARCHAR[])))",
        [token_hashes],
    )


def workshops_by_id(q: Any, workshop_ids: list[str]) -> list[tuple]:
    """The workshops of a batch of ballots (``WORKSHOP_COLUMNS``)."""
    return rows(
        q,
        f"SELECT {WORKSHOP_COLUMNS} FROM workshops WHERE id IN (SELECT unnest(CAST($1 AS VARCHAR[])))",
        [workshop_ids],
    )


def device_workshops(q: Any, device_ids: list[str]) -> list[tuple]:
    """(device id, workshop id) of these devices."""
    return rows(
        q, "SELECT id, workshop_id FROM devices WHERE id IN (SELECT unnest(CAST($1 AS VARCHAR[])))", [device_ids]
    )


def stored_ballots(q: Any, device_ids: list[str]) -> list[tuple]:
    """(device id, method, ballot id, submission id, submitted at) of these devices' ballots."""
    return rows(
        q,
        "SELECT device_id, method, id, submission_id, submitted_at FROM ballots "
        "WHERE device_id IN (SELECT unnest(CAST($1 AS VARCHAR[])))",
        [device_ids],
    )


def carded_devices(q: Any, device_ids: list[str]) -> list[tuple]:
    """(device id,) of those of these devices that hold a valid voting card."""
    return rows(
        q,
        "SELECT device_id FROM cards WHERE NOT revoked AND device_id IN (SELECT unnest(CAST($1 AS VARCHAR[])))",
        [device_ids],
    )


def delete_votes_of_ballots(q: Any, ballot_ids: list[str]) -> None:
    run(q, "DELETE FROM votes WHERE ballot_id IN (SELECT unnest(CAST($1 AS VARCHAR[])))", [ballot_ids])


def resubmit_ballots(q: Any, submissions: dict[str, str], submitted_at: datetime) -> None:
    """Ballots replaced by a new submission: ``submissions`` maps a ballot id to its new submission id."""
    run(
        q,
        "UPDATE ballots SET submission_id = q.submission, submitted_at = $1 "
        "FROM (SELECT unnest(CAST($2 AS VARCHAR[])) AS id, unnest(CAST($3 AS VARCHAR[])) AS submission) q "
        "WHERE ballots.id = q.id",
        [submitted_at, list(submissions), list(submissions.values())],
    )


def insert_ballots(q: Any, ballots: Sequence[tuple[str, str, str, str, str]], submitted_at: datetime) -> None:
    """New ballots, each (id, workshop id, device id, method, submission id): one statement for all."""
    ids, workshop_ids, device_ids, method_keys, subs = (list(col) for col in zip(*ballots, strict=True))
    run(
        q,
        "INSERT INTO ballots (id, workshop_id, device_id, method, submission_id, submitted_at) "
        "SELECT unnest(CAST($1 AS VARCHAR[])), unnest(CAST($2 AS VARCHAR[])), unnest(CAST($3 AS VARCHAR[])), "
        "unnest(CAST($4 AS VARCHAR[])), unnest(CAST($5 AS VARCHAR[])), CAST($6 AS TIMESTAMP)",
        [ids, workshop_ids, device_ids, method_keys, subs, submitted_at],
    )


def insert_votes(q: Any, votes: Sequence[tuple[str, str, str, float, bool]]) -> None:
    """Votes, each (ballot id, measure id, criterion, value, leads): one statement for all."""
    ballot_ids, measure_ids, criteria, values, leads = (list(col) for col in zip(*votes, strict=True))
    run(
        q,
        "INSERT INTO votes (ballot_id, measure_id, criterion, value, leads) "
        "SELECT unnest(CAST($1 AS VARCHAR[])), unnest(CAST($2 AS VARCHAR[])), unnest(CAST($3 AS VARCHAR[])), "
        "unnest(CAST($4 AS DOUBLE PRECISION[])), unnest(CAST($5 AS BOOLEAN[]))",
        [ballot_ids, measure_ids, criteria, [float(v) for v in values], leads],
    )


def ballot_votes(q: Any, ballot_id: str) -> list[tuple]:
    """(measure id, criterion, value) of a ballot's votes."""
    return rows(q, "SELECT measure_id, criterion, value FROM votes WHERE ballot_id = $1", [ballot_id])


def device_ballot(q: Any, device_id: str, method: str) -> str | None:
    """The id of the device's ballot for a method, if it has one."""
    return value(q, "SELECT id FROM ballots WHERE device_id = $1 AND method = $2", [device_id, method])
