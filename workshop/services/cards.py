"""Voting cards: single-use codes for a ballot, printed on paper."""

from __future__ import annotations

import secrets

from workshop import auth, limits
from workshop.errors import N_, NotFound, PermissionDenied, ValidationError
from workshop.queries import cards as queries
from workshop.queries import paper, tallies
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
    return _generate(db, fac, workshop_id, count)


def _generate(
    db: Database, fac: auth.Facilitator, workshop_id: str, count: int, *, sheet_ballot: str | None = None
) -> list[tuple[int, str]]:
    """N new cards, numbered on from the last one; with ``sheet_ballot`` paper ballots printed for
    that ballot (services.paper)."""
    auth.check(db, fac)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 2000:
        raise ValidationError(
            N_("“{field}” must be a whole number from {min} to {max}."), field=N_("Number of cards"), min=1, max=2000
        )
    get_workshop(db, workshop_id)
    cards: list[tuple[int, str]] = []

    def tx(cur):
        start = queries.last_number(cur, workshop_id)
        for i in range(count):
            code = _new_card_code()
            queries.insert_card(
                cur,
                card_id=new_id(),
                workshop_id=workshop_id,
                number=start + i + 1,
                code_hash=token_hash(code),
                sheet_ballot=sheet_ballot,
            )
            cards.append((start + i + 1, code))
        _audit(cur, workshop_id, "paper_sheets" if sheet_ballot else "cards", "", "", {"generated": count})

    db.write(tx)
    return cards


NO_SUCH_CARD = N_("There is no card with the number {n}.")
# What revoking a card would do (card_use): nothing used yet, a phone loses it, a ballot is removed;
# or nothing at all: revoked already, or an entered paper ballot (corrected, not revoked).
CARD_USES = ("unused", "in_use", "voted", "revoked", "entered")


def _card_number(number: object) -> int:
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 2**31 - 1:
        raise NotFound(NO_SUCH_CARD, n=number)
    return number


def card_use(db: Database, fac: auth.Facilitator, workshop_id: str, number: int) -> str:
    """What the card with this printed number is used for (``CARD_USES``): what the console asks
    before it revokes it, since revoking a card that voted takes that ballot away."""
    auth.check(db, fac)
    found = queries.card_use(db, _key(workshop_id), _card_number(number))
    if not found:
        raise NotFound(NO_SUCH_CARD, n=number)
    revoked, bound, ballots, entered = found
    if entered:
        return "entered"
    if revoked:
        return "revoked"
    if ballots:
        return "voted"
    return "in_use" if bound else "unused"


def revoke_card(db: Database, fac: auth.Facilitator, workshop_id: str, number: int) -> None:
    """Revoke a lost card (or paper ballot not entered) by its printed number; a ballot already
    cast with it on a phone is removed. An entered paper ballot is refused: it is corrected."""
    auth.check(db, fac)
    number = _card_number(number)

    def tx(cur):
        row = queries.card_by_number(cur, _key(workshop_id), number)
        if not row:
            raise NotFound(NO_SUCH_CARD, n=number)
        if paper.sheet_row(cur, row[0]) is not None:
            # An entered sheet is in the ballot box: it is corrected (as invalid, if spoiled), not revoked.
            raise ValidationError(
                N_(
                    "Paper ballot {number} has been entered. Correct it on the paper ballot screen instead "
                    "(as invalid, if it is spoiled)."
                ),
                number=number,
            )
        queries.revoke(cur, row[0])
        if row[1] is not None:
            # A ballot cast with a revoked card no longer counts.
            tallies.take_away_device(cur, row[1])
            queries.delete_ballots_of(cur, row[1])
        _audit(cur, workshop_id, "revoke_card", str(number))

    db.write(tx)


def card_stats(db: Database, workshop_id: str) -> dict[str, int]:
    row = queries.card_counts(db, _key(workshop_id))
    return {"cards": row[0], "used": row[1], "revoked": row[2]}


def has_card(db: Database, participant: Participant) -> bool:
    participant = _joined(participant)
    return bool(queries.valid_cards_of(db, participant.device_id))


CARD_INVALID = N_("This voting card is not valid.")


def _refuse_spent(row: tuple, device_id: str | None = None) -> None:
    """A card (``queries.card_by_code``) that was revoked, or is bound to another device than
    ``device_id``: a phone, or, for a paper ballot, the entry of the sheet by staff."""
    _card_id, bound_to, revoked, entered = row
    if revoked:
        raise ValidationError(CARD_INVALID)
    if bound_to is not None and bound_to != device_id:
        if entered:
            raise ValidationError(
                N_("This paper ballot has already been counted, so it cannot be used on a phone as well.")
            )
        raise ValidationError(N_("This voting card has already been used."))


def check_card_before_joining(db: Database, workshop_id: str, code: object) -> None:
    """Before a phone joins with a card's or paper ballot's QR code: refuse a card that can no longer
    be used (revoked, used on another phone, a sheet staff already entered), so that the person
    hears it before choosing a group rather than after. A code that is no card passes: it is
    ``redeem_card``'s to refuse, counted against guessing; this look tells nothing of codes that
    still work."""
    norm = normalize_code(code)
    if not norm:
        return
    row = queries.card_by_code(db, _key(workshop_id), token_hash(norm))
    if row:
        _refuse_spent(row)


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
        row = queries.card_by_code(cur, participant.workshop_id, token_hash(norm))
        if not row:
            raise ValidationError(CARD_INVALID)
        _refuse_spent(row, participant.device_id)
        queries.bind(cur, row[0], participant.device_id)

    try:
        db.write(tx)
    except ValidationError:

        def count(cur):
            for window, key in keys:
                window.add_in(db, cur, key)

        db.write(count)
        raise
