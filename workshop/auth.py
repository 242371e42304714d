"""Facilitator access: a passphrase stored only as an argon2 hash, and server-side sessions.

The passphrase comes from the environment (``PW_PASSPHRASE``) or ``.streamlit/secrets.toml``;
without one, a random passphrase is generated on first start, stored hashed, and printed
once to the server log, as Jupyter does with its token.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from . import limits
from .errors import N_, PermissionDenied
from .store import Database

log = logging.getLogger(__name__)
_HASH_KEY = "facilitator_passphrase_hash"
_hasher = PasswordHasher()
# Per client address, in the database (``login_attempts``: every app process on one database
# counts the same tries): wrong attempts so far, the moment the last one was checked, and until when
# a check under way holds the address (a process that dies mid-check frees it after BUSY_FOR).
_FORGET_AFTER_S = 3600.0
BUSY_FOR = timedelta(seconds=30)
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


def _wait_for(count: int, last: datetime, now: datetime) -> float:
    if not count:
        return 0.0
    return max(0.0, min(MAX_DELAY_S, 0.5 * 2 ** (count - 1)) - (now - last).total_seconds())


def _claim(db: Database, client: str) -> None:
    """Let one check of this client's passphrase begin, or refuse at once (nothing waits in line).
    One transaction: of tries sent at once, to one process or several, exactly one claims."""

    client = limits.pseudonym(db, client)  # never the address itself

    def tx(cur) -> float | None:
        now = datetime.now()
        cur.execute("DELETE FROM login_attempts WHERE last_at < $1 AND (busy_until IS NULL OR busy_until < $2)",
                    [now - timedelta(seconds=_FORGET_AFTER_S), now])  # fmt: skip
        row = cur.execute(
            "SELECT failures, last_at, busy_until FROM login_attempts WHERE client = $1", [client]
        ).fetchone()
        count, last, busy_until = row if row else (0, now, None)
        wait = _wait_for(count, last, now)
        if (busy_until is not None and busy_until > now) or wait > 0:
            return wait
        cur.execute(
            "INSERT INTO login_attempts (client, failures, last_at, busy_until) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT (client) DO UPDATE SET busy_until = excluded.busy_until",
            [client, count, last, now + BUSY_FOR],
        )
        return None

    wait = db.write(tx)
    if wait is not None:
        raise PermissionDenied(TOO_SOON, seconds=max(1, math.ceil(wait)))


def _settle(db: Database, client: str, ok: bool | None) -> None:
    """End this client's check: a right passphrase forgets its failures, a wrong one counts."""
    client = limits.pseudonym(db, client)

    def tx(cur) -> None:
        if ok:
            cur.execute("DELETE FROM login_attempts WHERE client = $1", [client])
        elif ok is False:
            cur.execute(
                "UPDATE login_attempts SET failures = failures + 1, last_at = $1, busy_until = NULL WHERE client = $2",
                [datetime.now(), client],
            )
        else:
            cur.execute("UPDATE login_attempts SET busy_until = NULL WHERE client = $1", [client])

    db.write(tx)


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
    _claim(db, client)
    try:
        ok = _verify(db, passphrase)
    except BaseException:  # the store failed, not the passphrase: release the claim, count nothing
        with contextlib.suppress(Exception):  # the store may still fail: the claim ends after BUSY_FOR
            _settle(db, client, None)
        raise
    _settle(db, client, ok)
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
