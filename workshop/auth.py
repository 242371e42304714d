"""Facilitator access: a passphrase stored only as an argon2 hash, and server-side sessions.

The passphrase comes from the environment (``PW_PASSPHRASE``) or ``.streamlit/secrets.toml``;
without one, a random passphrase is generated on first start, stored hashed, and printed
once to the server log, as Jupyter does with its token.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
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
_failures: dict[str, tuple[int, float]] = {}
_failures_lock = threading.Lock()
_in_line: dict[str, threading.Lock] = {}  # one attempt at a time per client
MAX_DELAY_S = 8.0


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


def _delay_for(client: str) -> float:
    with _failures_lock:
        count, last = _failures.get(client, (0, 0.0))
    if not count:
        return 0.0
    wait = min(MAX_DELAY_S, 0.5 * 2 ** (count - 1)) - (time.monotonic() - last)
    return max(0.0, wait)


def login(db: Database, passphrase: object, *, client: str = "default", hours: int = 12) -> Facilitator:
    """Check the passphrase (slow hash, slowed further after failures) and open a session.

    ``client`` must be something the browser cannot choose (the connection's address). Attempts of
    one client wait in line, so tries sent in parallel cannot share one waiting time.
    """
    with _failures_lock:
        in_line = _in_line.setdefault(client, threading.Lock())
    with in_line:
        time.sleep(_delay_for(client))
        stored = db.get_meta(_HASH_KEY)
        ok = False
        if stored and isinstance(passphrase, str) and passphrase:
            try:
                ok = _hasher.verify(stored, passphrase)
            except (VerificationError, InvalidHashError):
                ok = False
        with _failures_lock:
            if ok:
                _failures.pop(client, None)
            else:
                count, _ = _failures.get(client, (0, 0.0))
                _failures[client] = (count + 1, time.monotonic())
    if not ok:
        raise PermissionDenied(N_("Wrong passphrase."))
    return system_session(db, minutes=hours * 60)


def check(db: Database, actor: object) -> None:
    """Refuse anything but a live facilitator session (constant-time comparison of the key hash)."""
    if not isinstance(actor, Facilitator) or not isinstance(actor.session_key, str):
        raise PermissionDenied(N_("This needs the facilitator passphrase."))
    digest = _digest(actor.session_key)
    row = db.fetchone(
        "SELECT key_hash FROM facilitator_sessions WHERE key_hash = ? AND expires_at > ?",
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
            "INSERT INTO facilitator_sessions (key_hash, expires_at) VALUES (?, ?)", [_digest(key), expires]
        )
    )
    return Facilitator(key)


def logout(db: Database, actor: Facilitator) -> None:
    db.write(
        lambda cur: cur.execute("DELETE FROM facilitator_sessions WHERE key_hash = ?", [_digest(actor.session_key)])
    )
