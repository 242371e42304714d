"""A workshop's version (``changes``, schema 11): what an app process caches is keyed by it."""

from __future__ import annotations

from typing import Any

from . import run, value

# One statement for both engines; the version is a fresh value of one sequence, never reused.
_BUMP = (
    "INSERT INTO changes VALUES ($1, nextval('seq_changes')) "
    "ON CONFLICT (workshop_id) DO UPDATE SET version = excluded.version"
)


def bump(q: Any, workshop_id: str) -> None:
    """Inside the transaction of a change the workshop's screens show."""
    run(q, _BUMP, [workshop_id])


def version(q: Any, workshop_id: str) -> int:
    """0 for a workshop that does not exist (every one has a version: the schema-11 migration gave
    one to those there were, and a new one draws its first when it is created)."""
    return int(value(q, "SELECT version FROM changes WHERE workshop_id = $1", [workshop_id]) or 0)
