"""The vision's statements: the workshop's vision text and kind, its goals, its working groups,
and the measures a vision file brings or a removed goal or group leaves behind."""

from __future__ import annotations

from typing import Any

from . import row, rows, run, value

# -- the vision text ---------------------------------------------------------------------------


def vision_text(q: Any, workshop_id: str) -> tuple | None:
    """(vision title, vision description, kind) of a workshop."""
    return row(q, "SELECT vision_title, vision_description, kind FROM workshops WHERE id = $1", [workshop_id])


def set_vision_text_and_kind(q: Any, workshop_id: str, *, title: str, description: str, kind: str) -> None:
    run(
        q,
        "UPDATE workshops SET vision_title = $1, vision_description = $2, kind = $3 WHERE id = $4",
        [title, description, kind, workshop_id],
    )


def set_vision_text(q: Any, workshop_id: str, *, title: str, description: str) -> None:
    run(
        q,
        "UPDATE workshops SET vision_title = $1, vision_description = $2 WHERE id = $3",
        [title, description, workshop_id],
    )


def set_kind(q: Any, workshop_id: str, kind: str) -> None:
    run(q, "UPDATE workshops SET kind = $1 WHERE id = $2", [kind, workshop_id])


# -- goals -------------------------------------------------------------------------------------


def goals_of(q: Any, workshop_id: str) -> list[tuple]:
    return rows(
        q,
        "SELECT id, workshop_id, position, title, description FROM goals WHERE workshop_id = $1 ORDER BY position",
        [workshop_id],
    )


def goal_row(q: Any, goal_id: str) -> tuple | None:
    return row(q, "SELECT id, workshop_id, position, title, description FROM goals WHERE id = $1", [goal_id])


def goal_fields(q: Any, goal_id: str) -> tuple | None:
    """(workshop id, position, title, description) of a goal."""
    return row(q, "SELECT workshop_id, position, title, description FROM goals WHERE id = $1", [goal_id])


def goal_in_workshop(q: Any, goal_id: str, workshop_id: str) -> bool:
    return row(q, "SELECT 1 FROM goals WHERE id = $1 AND workshop_id = $2", [goal_id, workshop_id]) is not None


def goal_workshop(q: Any, goal_id: str) -> str | None:
    return value(q, "SELECT workshop_id FROM goals WHERE id = $1", [goal_id])


def group_in_workshop(q: Any, group_id: str, workshop_id: str) -> bool:
    return row(q, "SELECT 1 FROM groups WHERE id = $1 AND workshop_id = $2", [group_id, workshop_id]) is not None


def goal_ids(q: Any, workshop_id: str) -> list[tuple]:
    """The ids of a workshop's goals, in their order."""
    return rows(q, "SELECT id FROM goals WHERE workshop_id = $1 ORDER BY position", [workshop_id])


def other_goal_titles(q: Any, workshop_id: str, goal_id: str) -> list[tuple]:
    """The titles of a workshop's goals but ``goal_id``."""
    return rows(q, "SELECT title FROM goals WHERE workshop_id = $1 AND id <> $2", [workshop_id, goal_id])


def next_goal_position(q: Any, workshop_id: str) -> int:
    return value(q, "SELECT coalesce(max(position), 0) + 1 FROM goals WHERE workshop_id = $1", [workshop_id])


def insert_goal(q: Any, *, goal_id: str, workshop_id: str, position: int, title: str, description: str) -> None:
    run(q, "INSERT INTO goals VALUES ($1, $2, $3, $4, $5)", [goal_id, workshop_id, position, title, description])


def update_goal(q: Any, goal_id: str, *, title: str, description: str) -> None:
    run(q, "UPDATE goals SET title = $1, description = $2 WHERE id = $3", [title, description, goal_id])


def set_goal_position(q: Any, goal_id: str, position: int) -> None:
    run(q, "UPDATE goals SET position = $1 WHERE id = $2", [position, goal_id])


def delete_goal(q: Any, goal_id: str) -> None:
    run(q, "DELETE FROM goals WHERE id = $1", [goal_id])


def delete_goals_of(q: Any, workshop_id: str) -> None:
    run(q, "DELETE FROM goals WHERE workshop_id = $1", [workshop_id])


# -- the measures under the goals and groups ---------------------------------------------------


def measures_per_goal(q: Any, workshop_id: str) -> list[tuple]:
    """(goal id, how many measures) for each goal of a workshop that has measures."""
    return rows(q, "SELECT goal_id, count(*) FROM measures WHERE workshop_id = $1 GROUP BY goal_id", [workshop_id])


def measure_count(q: Any, workshop_id: str) -> int:
    return value(q, "SELECT count(*) FROM measures WHERE workshop_id = $1", [workshop_id])


def measures_of_goal(q: Any, goal_id: str) -> int:
    """How many measures a goal holds."""
    return value(q, "SELECT count(*) FROM measures WHERE goal_id = $1", [goal_id])


def measures_of_group(q: Any, group_id: str) -> int:
    """How many measures a working group holds."""
    return value(q, "SELECT count(*) FROM measures WHERE group_id = $1", [group_id])


def move_measures(q: Any, *, from_goal: str, to_goal: str) -> None:
    run(q, "UPDATE measures SET goal_id = $1 WHERE goal_id = $2", [to_goal, from_goal])


# -- working groups ----------------------------------------------------------------------------


def groups_of(q: Any, workshop_id: str) -> list[tuple]:
    return rows(
        q, "SELECT id, workshop_id, position, name FROM groups WHERE workshop_id = $1 ORDER BY position", [workshop_id]
    )


def group_names(q: Any, workshop_id: str) -> list[tuple]:
    """The names of a workshop's working groups, in their order."""
    return rows(q, "SELECT name FROM groups WHERE workshop_id = $1 ORDER BY position", [workshop_id])


def group_ids_by_name(q: Any, workshop_id: str) -> list[tuple]:
    """(name, id) of each working group of a workshop."""
    return rows(q, "SELECT name, id FROM groups WHERE workshop_id = $1", [workshop_id])


def group_names_by_id(q: Any, workshop_id: str) -> list[tuple]:
    """(id, name) of each working group of a workshop."""
    return rows(q, "SELECT id, name FROM groups WHERE workshop_id = $1", [workshop_id])


def insert_group(q: Any, *, group_id: str, workshop_id: str, position: int, name: str) -> None:
    run(q, "INSERT INTO groups VALUES ($1, $2, $3, $4)", [group_id, workshop_id, position, name])


def set_group_position(q: Any, group_id: str, position: int) -> None:
    run(q, "UPDATE groups SET position = $1 WHERE id = $2", [position, group_id])


def delete_group(q: Any, group_id: str) -> None:
    run(q, "DELETE FROM groups WHERE id = $1", [group_id])
