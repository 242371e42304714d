"""The measures' statements: reading, proposing, editing and withdrawing a measure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import row, rows, run, value

# A measure's texts, as the proposal form has them (``MeasureInput``'s fields, in its order).
TEXT_COLUMNS = ("title", "description", "responsible", "target_group", "timeframe", "cost")

MEASURE_COLUMNS = (
    "id, workshop_id, goal_id, title, description, responsible, target_group, timeframe, cost, group_id, "
    "status, hidden, merged_into, seq, lang"
)


def texts(data: Any) -> list[str]:
    """The ``TEXT_COLUMNS`` of a ``MeasureInput`` (or of anything with these attributes)."""
    return [getattr(data, column) for column in TEXT_COLUMNS]


def measure_row(q: Any, measure_id: str) -> tuple | None:
    return row(q, f"SELECT {MEASURE_COLUMNS} FROM measures WHERE id = $1", [measure_id])


def measures_of(q: Any, workshop_id: str, *, include_hidden: bool, group_id: str | None) -> list[tuple]:
    """A workshop's measures in goal order, then proposal order, without the merged-away ones."""
    sql = (
        f"SELECT {', '.join('m.' + c.strip() for c in MEASURE_COLUMNS.split(','))} FROM measures m "
        "JOIN goals g ON g.id = m.goal_id WHERE m.workshop_id = $1 AND m.merged_into IS NULL"
    )
    params: list[Any] = [workshop_id]
    if not include_hidden:
        sql += " AND NOT m.hidden"
    if group_id is not None:
        sql += " AND m.group_id = $2"
        params.append(group_id)
    return rows(q, sql + " ORDER BY g.position, m.seq", params)


def measures_by_author(q: Any, device_id: str) -> list[tuple]:
    return rows(
        q,
        f"SELECT {MEASURE_COLUMNS} FROM measures WHERE author_device_id = $1 AND merged_into IS NULL ORDER BY seq",
        [device_id],
    )


def proposals_last_minute(q: Any, device_id: str) -> int:
    return value(
        q,
        "SELECT count(*) FROM measures WHERE author_device_id = $1 "
        "AND created_at > CAST(current_timestamp AS TIMESTAMP) - INTERVAL '60 seconds'",
        [device_id],
    )


def insert_measure(
    q: Any, *, measure_id: str, workshop_id: str, goal_id: str, texts: Sequence[str], group_id: str | None, **more: Any
) -> None:
    """A new measure with its ``texts`` (``TEXT_COLUMNS``); ``more``: ``author_device_id``, ``lang``,
    ``status`` (the table's defaults where not given)."""
    if not set(more) <= {"author_device_id", "lang", "status"}:
        raise TypeError(f"not a column a new measure is given: {sorted(more)}")
    columns = ["id", "workshop_id", "goal_id", *TEXT_COLUMNS, "group_id", *more]
    values = [measure_id, workshop_id, goal_id, *texts, group_id, *more.values()]
    places = ", ".join(f"${i}" for i in range(1, len(values) + 1))
    run(q, f"INSERT INTO measures ({', '.join(columns)}) VALUES ({places})", values)


def measure_author(q: Any, measure_id: str, workshop_id: str) -> tuple | None:
    """``(author device id,)`` of the workshop's measure, None if the workshop has no such measure."""
    return row(q, "SELECT author_device_id FROM measures WHERE id = $1 AND workshop_id = $2", [measure_id, workshop_id])


def title_and_description(q: Any, measure_id: str) -> tuple | None:
    return row(q, "SELECT title, description FROM measures WHERE id = $1", [measure_id])


def update_texts(q: Any, measure_id: str, texts: Sequence[str], *, goal_id: str | None = None) -> None:
    """A measure's ``texts`` (``TEXT_COLUMNS``), and its goal if given."""
    columns = [*TEXT_COLUMNS, *(["goal_id"] if goal_id is not None else [])]
    values = [*texts, *([goal_id] if goal_id is not None else [])]
    sets = ", ".join(f"{c} = ${i}" for i, c in enumerate(columns, 1))
    run(q, f"UPDATE measures SET {sets} WHERE id = ${len(values) + 1}", [*values, measure_id])


def delete_measure(q: Any, measure_id: str) -> None:
    run(q, "DELETE FROM measures WHERE id = $1", [measure_id])
