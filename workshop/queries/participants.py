"""The participants' statements: devices (a ballot token's holder) and their half-typed drafts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from . import row, run, value


def insert_device(
    q: Any, *, device_id: str, workshop_id: str, token_hash: str, group_id: str | None, kiosk: bool
) -> None:
    run(
        q,
        "INSERT INTO devices (id, workshop_id, token_hash, group_id, kiosk) VALUES ($1, $2, $3, $4, $5)",
        [device_id, workshop_id, token_hash, group_id, kiosk],
    )


def device_of_token(q: Any, token_hash: str) -> tuple | None:
    """(workshop id, device id, group id, kiosk) of the device holding a token."""
    return row(q, "SELECT workshop_id, id, group_id, kiosk FROM devices WHERE token_hash = $1", [token_hash])


def set_token_hash(q: Any, device_id: str, token_hash: str) -> None:
    run(q, "UPDATE devices SET token_hash = $1 WHERE id = $2", [token_hash, device_id])


def set_device_group(q: Any, device_id: str, group_id: str | None) -> None:
    run(q, "UPDATE devices SET group_id = $1 WHERE id = $2", [group_id, device_id])


def devices_in_group(q: Any, group_id: str) -> int:
    return value(q, "SELECT count(*) FROM devices WHERE group_id = $1", [group_id])


def draft(q: Any, device_id: str) -> str | None:
    """The stored draft of a device, as JSON text."""
    return value(q, "SELECT data FROM drafts WHERE device_id = $1", [device_id])


def delete_draft(q: Any, device_id: str) -> None:
    run(q, "DELETE FROM drafts WHERE device_id = $1", [device_id])


def keep_draft(q: Any, *, device_id: str, workshop_id: str, data: str, updated_at: datetime) -> None:
    run(
        q,
        "INSERT INTO drafts (device_id, workshop_id, data, updated_at) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (device_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at",
        [device_id, workshop_id, data, updated_at],
    )
