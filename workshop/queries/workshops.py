"""The workshops' statements: the workshop row, its phase, settings and audit log, the next
round's copy of a past workshop, and deleting a workshop with everything that hangs off it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pandas as pd

from . import frame, row, rows, run, value

WORKSHOP_COLUMNS = (
    "id, title, date, place, join_code, kind, vision_title, vision_description, phase, "
    "results_revealed, rules, previous_id, phase_ends_at, privacy_contact, retention_months, wall_view, show_machine, "
    "paper_double, paper_closed, wall_paper"
)
# Every table with a workshop_id column (votes hang off ballots); delete_workshop empties them all.
WORKSHOP_TABLES = (
    "ballots",
    "cards",
    "devices",
    "translations",
    "mediator_keys",
    "measures",
    "goals",
    "groups",
    "merges",
    "audit_log",
    "drafts",
    "paper_sheets",
    "entry_keys",
    "tallies",
    "changes",
)


def workshop_row(q: Any, workshop_id: str) -> tuple | None:
    return row(q, f"SELECT {WORKSHOP_COLUMNS} FROM workshops WHERE id = $1", [workshop_id])


def workshop_row_by_code(q: Any, join_code: str) -> tuple | None:
    return row(q, f"SELECT {WORKSHOP_COLUMNS} FROM workshops WHERE join_code = $1", [join_code])


def workshop_rows(q: Any) -> list[tuple]:
    """Every workshop, the latest day first."""
    return rows(q, f"SELECT {WORKSHOP_COLUMNS} FROM workshops ORDER BY date DESC NULLS LAST, created_at DESC")


def phase(q: Any, workshop_id: str) -> str | None:
    return value(q, "SELECT phase FROM workshops WHERE id = $1", [workshop_id])


def join_code_taken(q: Any, join_code: str) -> bool:
    return row(q, "SELECT 1 FROM workshops WHERE join_code = $1", [join_code]) is not None


def insert_workshop(
    q: Any,
    *,
    workshop_id: str,
    title: str,
    date_: date | None,
    place: str,
    join_code: str,
    kind: str,
    vision_title: str,
    vision_description: str,
    rules: str,
    previous_id: str | None,
) -> None:
    run(
        q,
        "INSERT INTO workshops (id, title, date, place, join_code, kind, vision_title, vision_description, "
        "rules, previous_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        [workshop_id, title, date_, place, join_code, kind, vision_title, vision_description, rules, previous_id],
    )


def copy_privacy(q: Any, from_id: str, to_id: str) -> None:
    run(
        q,
        "UPDATE workshops AS w SET privacy_contact = p.privacy_contact, retention_months = p.retention_months "
        "FROM workshops AS p WHERE p.id = $1 AND w.id = $2",
        [from_id, to_id],
    )


def update_privacy(q: Any, workshop_id: str, *, contact: str, retention_months: int) -> None:
    run(
        q,
        "UPDATE workshops SET privacy_contact = $1, retention_months = $2 WHERE id = $3",
        [contact, retention_months, workshop_id],
    )


def last_activity(q: Any, workshop_id: str) -> date | None:
    """The day of the latest audit entry, proposal or ballot, else the day the workshop was created."""
    return value(
        q,
        "SELECT CAST(greatest(coalesce((SELECT max(logged_at) FROM audit_log WHERE workshop_id = $1), w.created_at), "
        "coalesce((SELECT max(created_at) FROM measures WHERE workshop_id = $2), w.created_at), "
        "coalesce((SELECT max(submitted_at) FROM ballots WHERE workshop_id = $3), w.created_at)) AS DATE) "
        "FROM workshops w WHERE w.id = $4",
        [workshop_id, workshop_id, workshop_id, workshop_id],
    )


def measures_to_carry(q: Any, workshop_id: str) -> list[tuple]:
    """(goal_id, group_id, title, description, responsible, target_group, timeframe, cost, status)
    of the visible measures that were not merged into another, in the order they came in."""
    return rows(
        q,
        "SELECT goal_id, group_id, title, description, responsible, target_group, timeframe, cost, status "
        "FROM measures WHERE workshop_id = $1 AND NOT hidden AND merged_into IS NULL ORDER BY seq",
        [workshop_id],
    )


def update_phase(q: Any, workshop_id: str, phase: str, *, hide_results: bool) -> None:
    """The new phase, its timer cleared; ``hide_results`` also takes back the revealed results."""
    reveal = ", results_revealed = FALSE" if hide_results else ""
    run(q, f"UPDATE workshops SET phase = $1, phase_ends_at = NULL{reveal} WHERE id = $2", [phase, workshop_id])


def update_phase_end(q: Any, workshop_id: str, ends: datetime | None) -> None:
    run(q, "UPDATE workshops SET phase_ends_at = $1 WHERE id = $2", [ends, workshop_id])


def update_results_revealed(q: Any, workshop_id: str, revealed: bool) -> None:
    run(q, "UPDATE workshops SET results_revealed = $1 WHERE id = $2", [revealed, workshop_id])


def wall_view(q: Any, workshop_id: str) -> str | None:
    return value(q, "SELECT wall_view FROM workshops WHERE id = $1", [workshop_id])


def update_wall_view(q: Any, workshop_id: str, view: str) -> None:
    run(q, "UPDATE workshops SET wall_view = $1 WHERE id = $2", [view, workshop_id])


def rules(q: Any, workshop_id: str) -> str | None:
    """The voting rules as stored (JSON)."""
    return value(q, "SELECT rules FROM workshops WHERE id = $1", [workshop_id])


def update_rules(q: Any, workshop_id: str, rules: str) -> None:
    run(q, "UPDATE workshops SET rules = $1 WHERE id = $2", [rules, workshop_id])


def insert_audit(q: Any, workshop_id: str, action: str, subject: str, before: str, after: str) -> None:
    run(
        q,
        "INSERT INTO audit_log (workshop_id, action, subject, value_before, value_after) VALUES ($1, $2, $3, $4, $5)",
        [workshop_id, action, subject, before, after],
    )


def audit_entries(q: Any, workshop_id: str) -> pd.DataFrame:
    return frame(
        q,
        "SELECT logged_at, action, subject, value_before, value_after FROM audit_log "
        "WHERE workshop_id = $1 ORDER BY id",
        [workshop_id],
    )


def audit_names(q: Any, workshop_id: str) -> list[tuple]:
    """``(id, name, a language)`` of what the audit log's entries concern: measures (hidden and
    merged ones too), goals, entry links by their name and the language mediators' links by their
    language's code."""
    return rows(
        q,
        "SELECT id, title, FALSE FROM measures WHERE workshop_id = $1 "
        "UNION ALL SELECT id, title, FALSE FROM goals WHERE workshop_id = $1 "
        "UNION ALL SELECT id, label, FALSE FROM entry_keys WHERE workshop_id = $1 "
        "UNION ALL SELECT id, lang, TRUE FROM mediator_keys WHERE workshop_id = $1",
        [workshop_id],
    )


def join_code(q: Any, workshop_id: str) -> str | None:
    return value(q, "SELECT join_code FROM workshops WHERE id = $1", [workshop_id])


def delete_workshop(q: Any, workshop_id: str) -> None:
    """The workshop, every row of every table that belongs to it, and what points at it."""
    run(q, "DELETE FROM votes WHERE ballot_id IN (SELECT id FROM ballots WHERE workshop_id = $1)", [workshop_id])
    for table in WORKSHOP_TABLES:
        run(q, f"DELETE FROM {table} WHERE workshop_id = $1", [workshop_id])
    run(q, "DELETE FROM workshops WHERE id = $1", [workshop_id])
    # The current-workshop pointer and the projector keys of this workshop.
    run(q, "DELETE FROM meta WHERE value = $1 AND (key = 'current_workshop' OR key LIKE 'projector:%')", [workshop_id])
    run(q, "UPDATE workshops SET previous_id = NULL WHERE previous_id = $1", [workshop_id])
