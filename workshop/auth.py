"""Facilitator access: a passphrase stored only as an argon2 hash, and server-side sessions.

The passphrase comes from the environment (``PW_PASSPHRASE``) or ``.streamlit/secrets.toml``;
without one, a random passphrase is generated on first start, stored hashed, and printed
once to the server log, as Jupyter does with its token.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from .errors import N_, PermissionDenied
from .store import Database

log = logging.getLogger(__name__)
_HASH_KEY = "facilitator_passphrase_hash"
_hasher = PasswordHasher()
# Per client address: wrong attempts so far, the moment the last one was checked, and whether a
# check is under way right now.
_failures: dict[str, list] = {}
_failures_lock = threading.Lock()
_FORGET_AFTER_S = 3600.0
MAX_DELAY_S = 8.0
TOO_SOON = N_("The passphrase was not checked: after a wrong one, please wait {seconds} s before trying again.")


@dataclass(frozen=True)
class Facilitator:
    """Proof of a successful login; every facilitator service call re-checks it in the store."""

    session_key: str


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def ensure_passphrase(db: Database, configured: str | None) -> str | None:
    """Make sure a passphrase hash is stored; returns a newly generated passphrase, else None."""
    stored = db.get_meta(_HASH_KEY)
    if configured:
        try:
            if stored and _hasher.verify(stored, configured):
                return None
        except (VerificationError, InvalidHashError):
            pass
        db.set_meta(_HASH_KEY, _hasher.hash(configured))
        return None
    if stored:
        return None
    generated = "-".join(secrets.token_hex(3) for _ in range(3))
    db.set_meta(_HASH_KEY, _hasher.hash(generated))
    return generated


def _wait_for(count: int, last: float, now: float) -> float:
    if not count:
        return 0.0
    return max(0.0, min(MAX_DELAY_S, 0.5 * 2 ** (count - 1)) - (now - last))


def _claim(client: str) -> None:
    """Let one check of this client's passphrase begin, or refuse at once (nothing waits in line)."""
    now = time.monotonic()
    with _failures_lock:
        if len(_failures) > 10_000:  # a flood of addresses: forget the long quiet ones
            for key in [k for k, (_c, last, busy) in _failures.items() if not busy and now - last > _FORGET_AFTER_S]:
                del _failures[key]
        entry = _failures.setdefault(client, [0, 0.0, False])
        count, last, busy = entry
        wait = _wait_for(count, last, now)
        if busy or wait > 0:
            raise PermissionDenied(TOO_SOON, seconds=max(1, math.ceil(wait)))
        entry[2] = True


def _settle(client: str, ok: bool | None) -> None:
    """End this client's check: a right passphrase forgets its failures, a wrong one counts."""
    with _failures_lock:
        entry = _failures.setdefault(client, [0, 0.0, False])
        entry[2] = False
        if ok:
            _failures.pop(client, None)
        elif ok is False:
            entry[0] += 1
            entry[1] = time.monotonic()


def _verify(db: Database, passphrase: object) -> bool:
    stored = db.get_meta(_HASH_KEY)
    if not (stored and isinstance(passphrase, str) and passphrase):
        return False
    try:
        return _hasher.verify(stored, passphrase)
    except (VerificationError, InvalidHashError):
        return False


def login(db: Database, passphrase: object, *, client: str = "default", hours: int = 12) -> Facilitator:
    """Check the passphrase (a slow hash) and open a session.

    ``client`` must be something the browser cannot choose (the connection's address, behind a
    proxy the address it sets). After a wrong passphrase, that address may try again after 0.5 s,
    1 s, 2 s … up to 8 s; a try before then, or while another try of the same address is being
    checked, is refused at once without checking it. Nothing waits in line, so guessers cannot make
    the facilitator's right passphrase wait behind theirs, and from another address they do not
    slow it down at all.
    """
    _claim(client)
    try:
        ok = _verify(db, passphrase)
    except BaseException:  # the store failed, not the passphrase: release the claim, count nothing
        _settle(client, None)
        raise
    _settle(client, ok)
    if not ok:
        raise PermissionDenied(N_("Wrong passphrase."))
    return system_session(db, minutes=hours * 60)


def check(db: Database, actor: object) -> None:
    """Refuse anything but a live facilitator session (constant-time comparison of the key hash)."""
    if not isinstance(actor, Facilitator) or not isinstance(actor.session_key, str):
        raise PermissionDenied(N_("This needs the facilitator passphrase."))
    digest = _digest(actor.session_key)
    row = db.fetchone(
        "SELECT key_hash FROM facilitator_sessions WHERE key_hash = $1 AND expires_at > $2",
        [digest, datetime.now()],
    )
    if not row or not hmac.compare_digest(row[0], digest):
        raise PermissionDenied(N_("This needs the facilitator passphrase."))


def system_session(db: Database, minutes: int = 5) -> Facilitator:
    """A short facilitator session for server-side tools that hold the database file already
    (the command line, the demo builder). Never handed to a browser session."""
    key = secrets.token_urlsafe(32)
    expires = datetime.now() + timedelta(minutes=minutes)
    db.write(
        lambda cur: cur.execute(
            "INSERT INTO facilitator_sessions (key_hash, expires_at) VALUES ($1, $2)", [_digest(key), expires]
        )
    )
    return Facilitator(key)


def logout(db: Database, actor: Facilitator) -> None:
    db.write(
        lambda cur: cur.execute("DELETE FROM facilitator_sessions WHERE key_hash = $1", [_digest(actor.session_key)])
    )
