"""What every section of the service layer shares: ids and tokens, argument shapes, the
participant, refusals raised in several places, the audit log and the optimistic-edit check."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

from workshop import config, limits
from workshop.errors import N_, NotFound, ValidationError
from workshop.model import MALFORMED, MeasureInput, Phase
from workshop.queries import changes
from workshop.queries import workshops as workshop_queries

# Join codes avoid characters people confuse when reading them off a wall: 0/O, 1/I/L.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
PROPOSALS_PER_MINUTE = 10  # per device: a group tablet typing fast stays far below it
TOKEN_BYTES = 24  # 192 random bits per ballot token
_settings = config.load()
_joins = limits.Window("join", _settings.joins_per_address_minute)  # new devices per client address

# Refusals raised in several places, in both kinds' words (errors.DomainError).
NO_SUCH_GOAL = {"msgid": N_("This goal does not exist."), "conference": N_("This guiding question does not exist.")}
NO_SUCH_MEASURE = {
    "msgid": N_("This measure does not exist."),
    "conference": N_("This recommendation does not exist."),
}
CHOOSE_GOAL = {
    "msgid": N_("Please choose a goal of this workshop."),
    "conference": N_("Please choose a guiding question of this workshop."),
}


def new_id() -> str:
    return uuid.uuid4().hex


def token_hash(token: str) -> str:
    """Tokens are stored only as hashes: the database never holds a usable ballot token."""
    return hashlib.sha256(token.encode()).hexdigest()


def _key(value: object) -> str:
    """An id for a query. Only a string can name a row; anything else (a number, a list) would
    make DuckDB try a cast and fail, so it becomes the empty string, which names no row; so does a
    string with a NUL character (PostgreSQL's text cannot hold one, and no id has one)."""
    return value if isinstance(value, str) and "\x00" not in value else ""


def _sequence(value: object) -> list:
    """A list argument (names, ids, goals); a string would otherwise be read letter by letter."""
    if not isinstance(value, list | tuple):
        raise ValidationError(MALFORMED)
    return list(value)


def normalize_code(code: object) -> str:
    if not isinstance(code, str):
        return ""
    return "".join(ch for ch in code.upper() if ch.isalnum())


@dataclass(frozen=True)
class Participant:
    """A device that joined a workshop: resolved from its ballot token on every request."""

    workshop_id: str
    device_id: str
    group_id: str | None
    kiosk: bool = False


def _audit(cur, workshop_id: str, action: str, subject: str = "", before: Any = "", after: Any = "") -> None:
    """One audit entry: when, what, before → after. Never a participant's identity. An audited
    change is one the workshop's screens may show: it draws the workshop a new version (``_changed``)."""
    workshop_queries.insert_audit(cur, workshop_id, action, subject, _audit_value(before), _audit_value(after))
    _changed(cur, workshop_id)


def _changed(cur, workshop_id: str) -> None:
    """In the transaction of a change to what the workshop's screens show (its row, vision, groups,
    measures, translations): a new version, which every app process's caches are keyed by."""
    changes.bump(cur, workshop_id)


def _audit_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


STALE_FORM = N_(
    "Someone changed this in the meantime (another window or a colleague). The form now shows what is "
    "stored: please check it and save again."
)


def _check_expected(expected: object, stored: object) -> None:
    """Refuse a save from a form that showed other values than those stored now (a stale form)."""
    if expected is not None and expected != stored:
        raise ValidationError(STALE_FORM)


def _phase_of(cur, workshop_id: str) -> Phase:
    phase = workshop_queries.phase(cur, _key(workshop_id))
    if phase is None:
        raise NotFound(N_("This workshop does not exist."))
    return Phase(phase)


def _measure_input(data: object) -> MeasureInput:
    if not isinstance(data, MeasureInput):
        raise ValidationError(MALFORMED)
    return data.validated()
