"""The voting cards' statements: cards by number or code hash, binding, revoking, counts."""

from __future__ import annotations

from typing import Any

from . import row, run, value


def last_number(q: Any, workshop_id: str) -> int:
    """The highest card number of the workshop, 0 before the first card."""
    return value(q, "SELECT coalesce(max(number), 0) FROM cards WHERE workshop_id = $1", [workshop_id])


def insert_card(
    q: Any, *, card_id: str, workshop_id: str, number: int, code_hash: str, sheet_ballot: str | None = None
) -> None:
    """A card, or a paper ballot printed for the ballot ``sheet_ballot`` (``paper.fingerprint``;
    a sheet is a card: its number and code are the card's)."""
    run(
        q,
        "INSERT INTO cards (id, workshop_id, number, code_hash, sheet, sheet_ballot) VALUES ($1, $2, $3, $4, $5, $6)",
        [card_id, workshop_id, number, code_hash, sheet_ballot is not None, sheet_ballot],
    )


def card_by_number(q: Any, workshop_id: str, number: int) -> tuple | None:
    """(card id, device id) of the card with this printed number."""
    return row(q, "SELECT id, device_id FROM cards WHERE workshop_id = $1 AND number = $2", [workshop_id, number])


def card_use(q: Any, workshop_id: str, number: int) -> tuple | None:
    """(revoked, bound to a device, ballots of that device, entered as a paper ballot) of the card
    with this printed number."""
    return row(
        q,
        "SELECT c.revoked, c.device_id IS NOT NULL, "
        "(SELECT count(*) FROM ballots b WHERE b.device_id = c.device_id), "
        "EXISTS (SELECT 1 FROM paper_sheets p WHERE p.card_id = c.id) "
        "FROM cards c WHERE c.workshop_id = $1 AND c.number = $2",
        [workshop_id, number],
    )


def card_by_code(q: Any, workshop_id: str, code_hash: str) -> tuple | None:
    """(card id, device id, revoked, entered by staff as a paper ballot) of the card with this code."""
    return row(
        q,
        "SELECT c.id, c.device_id, c.revoked, coalesce(d.paper, FALSE) FROM cards c "
        "LEFT JOIN devices d ON d.id = c.device_id WHERE c.workshop_id = $1 AND c.code_hash = $2",
        [workshop_id, code_hash],
    )


def revoke(q: Any, card_id: str) -> None:
    run(q, "UPDATE cards SET revoked = TRUE WHERE id = $1", [card_id])


def bind(q: Any, card_id: str, device_id: str) -> None:
    run(q, "UPDATE cards SET device_id = $1 WHERE id = $2", [device_id, card_id])


def delete_ballots_of(q: Any, device_id: str) -> None:
    """The device's ballots and their votes."""
    run(q, "DELETE FROM votes WHERE ballot_id IN (SELECT id FROM ballots WHERE device_id = $1)", [device_id])
    run(q, "DELETE FROM ballots WHERE device_id = $1", [device_id])


def card_counts(q: Any, workshop_id: str) -> tuple:
    """(cards, used, revoked) of the workshop."""
    return row(
        q,
        "SELECT count(*), count(device_id), count(*) FILTER (WHERE revoked) FROM cards WHERE workshop_id = $1",
        [workshop_id],
    )


def valid_cards_of(q: Any, device_id: str) -> int:
    """The device's cards that are not revoked."""
    return value(q, "SELECT count(*) FROM cards WHERE device_id = $1 AND NOT revoked", [device_id])
