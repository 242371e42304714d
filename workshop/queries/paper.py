"""The paper ballots' statements: sheets (cards printed as ballots), their entries, the options,
and the ballots counted per channel."""

from __future__ import annotations

from typing import Any

from . import row, rows, run, value


def sheet_card(q: Any, workshop_id: str, number: int) -> tuple | None:
    """(card id, number, sheet, revoked, device id, device is paper, the ballot it was printed for)
    of the card with this number."""
    return row(
        q,
        "SELECT c.id, c.number, c.sheet, c.revoked, c.device_id, coalesce(d.paper, FALSE), c.sheet_ballot "
        "FROM cards c LEFT JOIN devices d ON d.id = c.device_id WHERE c.workshop_id = $1 AND c.number = $2",
        [workshop_id, number],
    )


def card_by_code(q: Any, code_hash: str) -> tuple | None:
    """(workshop id, number) of the card with this code, in any workshop."""
    return row(q, "SELECT workshop_id, number FROM cards WHERE code_hash = $1", [code_hash])


def sheet_row(q: Any, card_id: str) -> tuple | None:
    """(state, first entry, second entry, reason, ballot id, method) of an entered sheet."""
    return row(
        q,
        "SELECT state, first_entry, second_entry, reason, ballot_id, method FROM paper_sheets WHERE card_id = $1",
        [card_id],
    )


def save_sheet(
    q: Any,
    *,
    card_id: str,
    workshop_id: str,
    number: int,
    method: str,
    state: str,
    first_entry: str,
    second_entry: str | None,
    reason: str,
    ballot_id: str | None,
) -> None:
    run(q, "DELETE FROM paper_sheets WHERE card_id = $1", [card_id])
    run(
        q,
        "INSERT INTO paper_sheets (card_id, workshop_id, number, method, state, first_entry, second_entry, reason, "
        "ballot_id, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, current_timestamp)",
        [card_id, workshop_id, number, method, state, first_entry, second_entry, reason, ballot_id],
    )


def forget_sheet(q: Any, card_id: str) -> None:
    run(q, "DELETE FROM paper_sheets WHERE card_id = $1", [card_id])


def sheets_of(q: Any, workshop_id: str) -> list[tuple]:
    """(number, state, reason, method, first entry, second entry, updated at) of the entered sheets."""
    return rows(
        q,
        "SELECT number, state, reason, method, first_entry, second_entry, updated_at FROM paper_sheets "
        "WHERE workshop_id = $1 ORDER BY number",
        [workshop_id],
    )


def insert_paper_device(q: Any, *, device_id: str, workshop_id: str) -> None:
    """The device a sheet's ballot is stored for: no token (nobody can resume it), marked as paper."""
    run(
        q,
        "INSERT INTO devices (id, workshop_id, token_hash, group_id, kiosk, paper) "
        "VALUES ($1, $2, $3, NULL, FALSE, TRUE)",
        [device_id, workshop_id, f"paper:{device_id}"],
    )


def bind_card(q: Any, card_id: str, device_id: str) -> None:
    run(q, "UPDATE cards SET device_id = $1 WHERE id = $2", [device_id, card_id])


def ballot_of_device(q: Any, device_id: str, method: str) -> str | None:
    return value(q, "SELECT id FROM ballots WHERE device_id = $1 AND method = $2", [device_id, method])


def delete_ballot(q: Any, ballot_id: str) -> None:
    run(q, "DELETE FROM votes WHERE ballot_id = $1", [ballot_id])
    run(q, "DELETE FROM ballots WHERE id = $1", [ballot_id])


def insert_paper_ballot(
    q: Any, *, ballot_id: str, workshop_id: str, device_id: str, method: str, submission_id: str
) -> None:
    run(
        q,
        "INSERT INTO ballots (id, workshop_id, device_id, method, submission_id, submitted_at, channel) "
        "VALUES ($1, $2, $3, $4, $5, current_timestamp, 'paper')",
        [ballot_id, workshop_id, device_id, method, submission_id],
    )


def sheet_counts(q: Any, workshop_id: str, method: str, made_for: str) -> tuple:
    """(handed out, counted, invalid, waiting, mismatch, stale) for the ballot ``made_for``: sheets
    printed for it, not revoked and not used on a phone; their entries; and the sheets printed for
    a ballot that has changed since and not entered (they cannot be)."""
    return row(
        q,
        "SELECT (SELECT count(*) FROM cards c LEFT JOIN devices d ON d.id = c.device_id "
        "        WHERE c.workshop_id = $1 AND c.sheet AND NOT c.revoked AND c.sheet_ballot = $3 "
        "        AND (c.device_id IS NULL OR d.paper)), "
        "count(*) FILTER (WHERE state = 'counted'), count(*) FILTER (WHERE state = 'invalid'), "
        "count(*) FILTER (WHERE state = 'waiting'), count(*) FILTER (WHERE state = 'mismatch'), "
        "(SELECT count(*) FROM cards c WHERE c.workshop_id = $1 AND c.sheet AND NOT c.revoked "
        "        AND c.sheet_ballot <> $3 AND NOT EXISTS (SELECT 1 FROM paper_sheets p WHERE p.card_id = c.id)) "
        "FROM paper_sheets WHERE workshop_id = $1 AND method = $2",
        [workshop_id, method, made_for],
    )


def channel_counts(q: Any, workshop_id: str, method: str) -> tuple:
    """(ballots from phones and tablets, ballots from paper, invalid paper sheets) for a method."""
    return row(
        q,
        "SELECT count(*) FILTER (WHERE channel <> 'paper'), count(*) FILTER (WHERE channel = 'paper'), "
        "(SELECT count(*) FROM paper_sheets WHERE workshop_id = $1 AND method = $2 AND state = 'invalid') "
        "FROM ballots WHERE workshop_id = $1 AND method = $2",
        [workshop_id, method],
    )


_OPTIONS = {
    "paper_double": "UPDATE workshops SET paper_double = $1 WHERE id = $2",
    "paper_closed": "UPDATE workshops SET paper_closed = $1 WHERE id = $2",
    "wall_paper": "UPDATE workshops SET wall_paper = $1 WHERE id = $2",
}


def set_option(q: Any, workshop_id: str, column: str, on: bool) -> None:
    """One of the workshop's paper options (``_OPTIONS``)."""
    run(q, _OPTIONS[column], [on, workshop_id])
