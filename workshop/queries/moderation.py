"""Moderation's statements: a measure's texts, visibility, goal and status; merges and their undoing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from workshop.store import MARK_LEADS

from . import row, rows, run, run_many, value
from .measures import MEASURE_COLUMNS


def workshop_and_title(q: Any, measure_id: str) -> tuple | None:
    """(workshop id, title) of a measure that is not merged into another."""
    return row(q, "SELECT workshop_id, title FROM measures WHERE id = $1 AND merged_into IS NULL", [measure_id])


def update_hidden(q: Any, measure_id: str, hidden: bool) -> None:
    run(q, "UPDATE measures SET hidden = $1 WHERE id = $2", [hidden, measure_id])


def goal_of(q: Any, measure_id: str) -> str | None:
    return value(q, "SELECT goal_id FROM measures WHERE id = $1", [measure_id])


def update_goal(q: Any, measure_id: str, goal_id: str) -> None:
    run(q, "UPDATE measures SET goal_id = $1 WHERE id = $2", [goal_id, measure_id])


def status(q: Any, measure_id: str) -> str | None:
    return value(q, "SELECT status FROM measures WHERE id = $1", [measure_id])


def update_status(q: Any, measure_id: str, status: str) -> None:
    run(q, "UPDATE measures SET status = $1 WHERE id = $2", [status, measure_id])


def title(q: Any, measure_id: str) -> str | None:
    return value(q, "SELECT title FROM measures WHERE id = $1", [measure_id])


def combined_votes(q: Any, measure_ids: list[str], *, method: str, aggregate: str) -> list[tuple]:
    """(ballot id, criterion, value) of each ballot of the method: its votes on these measures,
    combined by ``aggregate`` (the method's ``merge_sql``)."""
    # One ballot's votes on the merged measures, combined (a few hundred rows at most).
    return rows(
        q,
        f"SELECT v.ballot_id, v.criterion, {aggregate} AS value FROM votes v JOIN ballots b ON b.id = v.ballot_id "
        "WHERE b.method = $1 AND v.measure_id IN (SELECT unnest(CAST($2 AS VARCHAR[]))) "
        "GROUP BY v.ballot_id, v.criterion",
        [method, measure_ids],
    )


def delete_votes_on(q: Any, measure_ids: list[str], *, method: str | None = None) -> None:
    """The votes on these measures, of every ballot or of the ballots of one method."""
    if method is None:
        run(q, "DELETE FROM votes WHERE measure_id IN (SELECT unnest(CAST($1 AS VARCHAR[])))", [measure_ids])
    else:
        run(
            q,
            "DELETE FROM votes WHERE measure_id IN (SELECT unnest(CAST($1 AS VARCHAR[]))) AND ballot_id IN "
            "(SELECT id FROM ballots WHERE method = $2)",
            [measure_ids, method],
        )


def insert_votes(q: Any, votes: Sequence[Sequence[Any]]) -> None:
    """Votes, each (ballot id, measure id, criterion, value); ``leads`` is marked afterwards."""
    run_many(q, "INSERT INTO votes (ballot_id, measure_id, criterion, value) VALUES ($1, $2, $3, $4)", votes)


def mark_leads_on(q: Any, measure_id: str) -> None:
    run(q, MARK_LEADS.format(where="measure_id = $1"), [measure_id])


def mark_leads_on_each(q: Any, measure_ids: list[str]) -> None:
    run(q, MARK_LEADS.format(where="measure_id IN (SELECT unnest(CAST($1 AS VARCHAR[])))"), [measure_ids])


def votes_on(q: Any, measure_ids: list[str]) -> list[tuple]:
    """(ballot id, measure id, criterion, value) of every vote on these measures, in one order."""
    return rows(
        q,
        "SELECT ballot_id, measure_id, criterion, value FROM votes "
        "WHERE measure_id IN (SELECT unnest(CAST($1 AS VARCHAR[]))) "
        "ORDER BY ballot_id, measure_id, criterion, value",
        [measure_ids],
    )


def merge_into(q: Any, target_id: str, source_ids: list[str]) -> None:
    run(
        q,
        "UPDATE measures SET merged_into = $1 WHERE id IN (SELECT unnest(CAST($2 AS VARCHAR[])))",
        [target_id, source_ids],
    )


def unmerge_from(q: Any, target_id: str, source_ids: list[str]) -> None:
    run(
        q,
        "UPDATE measures SET merged_into = NULL "
        "WHERE merged_into = $1 AND id IN (SELECT unnest(CAST($2 AS VARCHAR[])))",
        [target_id, source_ids],
    )


def next_merge_position(q: Any, workshop_id: str) -> int:
    return value(q, "SELECT coalesce(max(position), 0) + 1 FROM merges WHERE workshop_id = $1", [workshop_id])


def insert_merge(
    q: Any,
    *,
    merge_id: str,
    workshop_id: str,
    position: int,
    target_id: str,
    sources: str,
    votes_before: str,
    votes_after: str,
) -> None:
    """A merge; ``sources`` and the votes before and after it are JSON."""
    run(
        q,
        "INSERT INTO merges (id, workshop_id, position, target_id, sources, votes_before, votes_after) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7)",
        [merge_id, workshop_id, position, target_id, sources, votes_before, votes_after],
    )


def open_merge_rows(q: Any, workshop_id: str) -> list[tuple]:
    """(id, target id, sources, merged at) of the merges not undone, the latest first."""
    return rows(
        q,
        "SELECT id, target_id, sources, merged_at FROM merges WHERE workshop_id = $1 AND undone_at IS NULL "
        "ORDER BY position DESC",
        [workshop_id],
    )


def merge_row(q: Any, merge_id: str) -> tuple | None:
    """(workshop id, position, target id, sources, votes before, votes after, undone at) of a merge."""
    return row(
        q,
        "SELECT workshop_id, position, target_id, sources, votes_before, votes_after, undone_at FROM merges "
        "WHERE id = $1",
        [merge_id],
    )


def later_merges(q: Any, workshop_id: str, position: int) -> list[tuple]:
    """(target id, sources) of the merges made after this position and not undone."""
    return rows(
        q,
        "SELECT target_id, sources FROM merges WHERE workshop_id = $1 AND undone_at IS NULL AND position > $2",
        [workshop_id, position],
    )


def mark_merge_undone(q: Any, merge_id: str) -> None:
    run(q, "UPDATE merges SET undone_at = current_timestamp WHERE id = $1", [merge_id])


def merged_source_rows(q: Any, measure_id: str) -> list[tuple]:
    """The measures merged into this one (``MEASURE_COLUMNS``)."""
    return rows(q, f"SELECT {MEASURE_COLUMNS} FROM measures WHERE merged_into = $1 ORDER BY seq", [measure_id])
