"""Participants: joining with the code, the ballot token, half-typed proposals, the group."""

from __future__ import annotations

import json
import secrets
from dataclasses import replace
from datetime import datetime

from workshop import auth
from workshop.errors import N_, PermissionDenied, ValidationError
from workshop.model import MALFORMED, Action, Role, clean_flag, require
from workshop.queries import participants as queries
from workshop.store import Database

from .common import TOKEN_BYTES, Participant, _joins, _key, new_id, token_hash
from .vision import list_groups
from .workshops import find_by_code


def join(
    db: Database,
    code: object,
    *,
    token: str | None = None,
    group_id: str | None = None,
    kiosk: bool = False,
    client: str | None = None,
) -> tuple[Participant, str]:
    """Join by code: resume the device of ``token`` if it belongs here, else a new anonymous one.

    ``client`` is the connection's address (None for this machine): new devices per address and
    minute are limited, so that fresh devices cannot multiply voting-card guesses or inflate the
    count of devices joined.
    """
    kiosk = clean_flag(kiosk)
    workshop = find_by_code(db, code)
    require(workshop.phase, Role.PARTICIPANT, Action.JOIN)
    if token:
        existing = resume(db, token)
        if existing and existing.workshop_id == workshop.id:
            return existing, token
    if group_id is not None and _key(group_id) not in {g.id for g in list_groups(db, workshop.id)}:
        raise ValidationError(N_("Unknown working group."))
    if client is not None and _joins.full(db, client):
        raise PermissionDenied(
            N_("Too many new devices joined from this network in the last minute. Please wait a minute and try again.")
        )
    token = secrets.token_urlsafe(TOKEN_BYTES)
    device_id = new_id()

    def tx(cur):
        queries.insert_device(
            cur,
            device_id=device_id,
            workshop_id=workshop.id,
            token_hash=token_hash(token),
            group_id=group_id,
            kiosk=kiosk,
        )
        if client is not None:
            _joins.add_in(db, cur, client)

    db.write(tx)
    return Participant(workshop.id, device_id, group_id, kiosk), token


def _token_shape(token: object) -> bool:
    # Tokens are URL-safe base64 (ASCII); anything else (a lone surrogate cannot even be hashed) is no token.
    return isinstance(token, str) and 16 <= len(token) <= 100 and token.isascii()


def resume(db: Database, token: object) -> Participant | None:
    """The device of a ballot token, or None for a token that is unknown or malformed."""
    if not _token_shape(token):
        return None
    row = queries.device_of_token(db, token_hash(token))
    return Participant(row[0], row[1], row[2], bool(row[3])) if row else None


def _joined(participant: object) -> Participant:
    """The participant of a participant's call: anything else (a facilitator, None) is refused."""
    if not isinstance(participant, Participant):
        raise PermissionDenied(N_("Please join the workshop first."))
    return participant


def retire_token(db: Database, participant: Participant) -> None:
    """Make a device's token unusable (kiosk: the next person must not reopen this ballot by
    going back in the browser). The ballot stays stored and counts."""
    participant = _joined(participant)
    db.write(lambda cur: queries.set_token_hash(cur, participant.device_id, f"retired:{new_id()}"))


# A half-typed proposal per device, kept while it is typed (a reload, a dropped Wi-Fi, a phone that
# slept, or the next request landing on another app process finds it again). Its texts are emptied
# when it is sent, it goes with its workshop, and it is never part of a backup: nobody but its author
# has seen it.
DRAFT_MAX_CHARS = 40_000


def get_draft(db: Database, participant: Participant) -> dict:
    participant = _joined(participant)
    data = queries.draft(db, participant.device_id)
    try:
        found = json.loads(data) if data else {}
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def keep_draft(db: Database, participant: Participant, data: dict) -> None:
    """Store the draft (an empty one deletes it); a draft too large to be typing is not kept.
    ``data``: field name -> what is typed (text, a choice, nothing)."""
    participant = _joined(participant)
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and (v is None or isinstance(v, str | bool | int)) for k, v in data.items()
    ):
        raise ValidationError(MALFORMED)
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    if len(text) > DRAFT_MAX_CHARS:
        return
    if not any(v for v in data.values()):
        db.write(lambda cur: queries.delete_draft(cur, participant.device_id))
        return
    db.write(
        lambda cur: queries.keep_draft(
            cur,
            device_id=participant.device_id,
            workshop_id=participant.workshop_id,
            data=text,
            updated_at=datetime.now(),
        )
    )


def set_device_group(db: Database, participant: Participant, group_id: str | None) -> Participant:
    participant = _joined(participant)
    if group_id is not None and _key(group_id) not in {g.id for g in list_groups(db, participant.workshop_id)}:
        raise ValidationError(N_("Unknown working group."))
    db.write(lambda cur: queries.set_device_group(cur, participant.device_id, group_id))
    return replace(participant, group_id=group_id)


def _actor_role(db: Database, actor: object) -> Role:
    if isinstance(actor, Participant):
        return Role.PARTICIPANT
    auth.check(db, actor)
    return Role.FACILITATOR
