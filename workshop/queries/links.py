"""Link keys: a revocable key in a link that opens one part of one workshop to someone without an
account, a language mediator's desk (``mediator_keys``, with its language) or the entry of paper
ballots (``entry_keys``, with the link's name). Only the keys' hashes are stored."""

from __future__ import annotations

from typing import Any

from . import row, rows, run, value

# Each table of link keys and its column that says what the link is for.
_DETAIL = {"mediator_keys": "lang", "entry_keys": "label"}


def _columns(table: str) -> tuple[str, str]:
    if table not in _DETAIL:
        raise ValueError(f"no table of link keys: {table!r}")
    return table, _DETAIL[table]


def insert(q: Any, table: str, *, key_id: str, workshop_id: str, key_hash: str, detail: str) -> None:
    table, detail_column = _columns(table)
    run(
        q,
        f"INSERT INTO {table} (id, workshop_id, key_hash, {detail_column}) VALUES ($1, $2, $3, $4)",
        [key_id, workshop_id, key_hash, detail],
    )


def of_workshop(q: Any, table: str, workshop_id: str) -> list[tuple]:
    """``(key id, detail, created at, revoked)`` of the workshop's links, oldest first."""
    table, detail_column = _columns(table)
    return rows(
        q,
        f"SELECT id, {detail_column}, created_at, revoked FROM {table} WHERE workshop_id = $1 ORDER BY created_at, id",
        [workshop_id],
    )


def key_row(q: Any, table: str, key_id: str) -> tuple | None:
    """``(workshop id, detail)`` of a link key, revoked or not."""
    table, detail_column = _columns(table)
    return row(q, f"SELECT workshop_id, {detail_column} FROM {table} WHERE id = $1", [key_id])


def revoke(q: Any, table: str, key_id: str) -> None:
    table, _detail = _columns(table)
    run(q, f"UPDATE {table} SET revoked = TRUE WHERE id = $1", [key_id])


def by_hash(q: Any, table: str, key_hash: str) -> tuple | None:
    """``(workshop id, key id, detail)`` of a link key that is not revoked."""
    table, detail_column = _columns(table)
    return row(
        q, f"SELECT workshop_id, id, {detail_column} FROM {table} WHERE key_hash = $1 AND NOT revoked", [key_hash]
    )


def works(q: Any, table: str, key_id: str) -> bool:
    table, _detail = _columns(table)
    return value(q, f"SELECT 1 FROM {table} WHERE id = $1 AND NOT revoked", [key_id]) is not None
