"""Voting cards: single-use codes for a ballot, printed on paper."""

from __future__ import annotations

import secrets

from workshop import auth, limits
from workshop.errors import N_, NotFound, PermissionDenied, ValidationError
from workshop.store import Database

from .common import CODE_ALPHABET, Participant, _audit, _key, _settings, new_id, normalize_code, token_hash
from .participants import _joined
from .workshops import get_workshop

CARD_LENGTH = 8  # 31^8 ≈ 8.5e11 codes; guessing is rate-limited (see redeem_card)
CARD_ATTEMPTS_PER_MINUTE = 5  # wrong codes per device
CARD_ATTEMPTS_PER_WORKSHOP_MINUTE = 200  # wrong codes per workshop, from every address together
_card_attempts = limits.Window("card_device", CARD_ATTEMPTS_PER_MINUTE)
_card_attempts_by_address = limits.Window("card_address", _settings.card_tries_per_address_minute)
_card_attempts_by_workshop = limits.Window("card_workshop", CARD_ATTEMPTS_PER_WORKSHOP_MINUTE)


def _new_card_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CARD_LENGTH))


def generate_cards(db: Database, fac: auth.Facilitator, workshop_id: str, count: int) -> list[tuple[int, str]]:
    """N new single-use voting codes; only their hashes are stored, so print them right away."""
    auth.check(db, fac)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 2000:
        raise ValidationError(
            N_("“{field}” must be a whole number from {min} to {max}."), field=N_("Number of cards"), min=1, max=2000
        )
    get_workshop(db, workshop_id)
    cards: list[tuple[int, str]] = []

    def tx(cur):
        start = cur.execute(
            "SELECT coalesce(max(number), 0) FROM cards WHERE workshop_id = $1", [workshop_id]
        ).fetchone()[0]
        for i in range(count):
            code = _new_card_code()
            cur.execute(
                "INSERT INTO cards (id, workshop_id, number, code_hash) VALUES ($1, $2, $3, $4)",
                [new_id(), workshop_id, start + i + 1, token_hash(code)],
            )
            cards.append((start + i + 1, code))
        _audit(cur, workshop_id, "cards", "", "", {"generated": count})

    db.write(tx)
    return cards


def revoke_card(db: Database, fac: auth.Facilitator, workshop_id: str, number: int) -> None:
    """Revoke a lost card by its printed number; a ballot already cast with it is removed."""
    auth.check(db, fac)
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 2**31 - 1:
        raise NotFound(N_("There is no card with the number {n}."), n=number)

    def tx(cur):
        row = cur.execute(
            "SELECT id, device_id FROM cards WHERE workshop_id = $1 AND number = $2", [_key(workshop_id), number]
        ).fetchone()
        if not row:
            raise NotFound(N_("There is no card with the number {n}."), n=number)
        cur.execute("UPDATE cards SET revoked = TRUE WHERE id = $1", [row[0]])
        if row[1] is not None:
            # A ballot cast with a revoked card no longer counts.
            cur.execute("DELETE FROM votes WHERE ballot_id IN (SELECT id FROM ballots WHERE device_id = $1)", [row[1]])
            cur.execute("DELETE FROM ballots WHERE device_id = $1", [row[1]])
        _audit(cur, workshop_id, "revoke_card", str(number))

    db.write(tx)


def card_stats(db: Database, workshop_id: str) -> dict[str, int]:
    row = db.fetchone(
        "SELECT count(*), count(device_id), count(*) FILTER (WHERE revoked) FROM cards WHERE workshop_id = $1",
        [_key(workshop_id)],
    )
    return {"cards": row[0], "used": row[1], "revoked": row[2]}


def has_card(db: Database, participant: Participant) -> bool:
    participant = _joined(participant)
    return bool(db.scalar("SELECT count(*) FROM cards WHERE device_id = $1 AND NOT revoked", [participant.device_id]))


def redeem_card(db: Database, participant: Participant, code: object, *, client: str | None = None) -> None:
    """Bind a voting card to this device; each card works once.

    Wrong codes are limited per device, per workshop and address (``client``, None for this machine),
    and per workshop: fresh devices or many phones cannot add up to a guessing machine.
    """
    participant = _joined(participant)
    keys = [
        (_card_attempts, participant.device_id),
        (_card_attempts_by_workshop, participant.workshop_id),
    ]
    if client is not None:
        keys.append((_card_attempts_by_address, (participant.workshop_id, client)))
    if any(window.full(db, key) for window, key in keys):
        raise PermissionDenied(N_("Too many tries. Please wait a minute and ask the facilitation team."))
    norm = normalize_code(code)

    def tx(cur):
        row = cur.execute(
            "SELECT id, device_id, revoked FROM cards WHERE workshop_id = $1 AND code_hash = $2",
            [participant.workshop_id, token_hash(norm)],
        ).fetchone()
        if not row or row[2]:
            raise ValidationError(N_("This voting card is not valid."))
        if row[1] is not None and row[1] != participant.device_id:
            raise ValidationError(N_("This voting card has already been used."))
        cur.execute("UPDATE cards SET device_id = $1 WHERE id = $2", [participant.device_id, row[0]])

    try:
        db.write(tx)
    except ValidationError:

        def count(cur):
            for window, key in keys:
                window.add_in(db, cur, key)

        db.write(count)
        raise
