"""Sliding-window limits for what a device or an address may try per minute (joins, card codes).

In the database (``attempts``), so that every app process on one database counts the same tries:
behind a load balancer a guesser's tries land on several processes. Rows older than the window
are deleted as new ones arrive, so a flood of made-up keys cannot grow the table without bound.
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Hashable
from datetime import datetime, timedelta

from .store import Store

_SALT_KEY = "limits_salt"
_salts: weakref.WeakKeyDictionary[Store, bytes] = weakref.WeakKeyDictionary()


def pseudonym(db: Store, key: Hashable) -> str:
    """The key as stored: a keyed hash, never the address itself (the privacy notice promises no IP
    address is stored). The hash's key is random per database and shared by its processes: made
    by the migration to schema 10 (random UUIDs of either engine), kept in ``meta``."""
    salt = _salts.get(db)
    if salt is None:
        salt = _salts[db] = bytes.fromhex(db.get_meta(_SALT_KEY))
    text = "|".join(map(str, key)) if isinstance(key, tuple) else str(key)
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), key=salt, digest_size=16).hexdigest()


class Window:
    """At most ``limit`` events per key within ``seconds``; ``limit`` 0 or less means no limit."""

    def __init__(self, kind: str, limit: int, seconds: float = 60.0) -> None:
        self.kind = kind
        self.limit = limit
        self.seconds = seconds

    def full(self, db: Store, key: Hashable) -> bool:
        """True when ``key`` has had ``limit`` events in the window (the next one would be too many)."""
        if self.limit <= 0:
            return False
        since = datetime.now() - timedelta(seconds=self.seconds)
        count = db.scalar(
            "SELECT count(*) FROM attempts WHERE kind = $1 AND key = $2 AND tried_at > $3",
            [self.kind, pseudonym(db, key), since],
        )
        return count >= self.limit

    def add(self, db: Store, key: Hashable) -> None:
        if self.limit <= 0:
            return
        db.write(lambda cur: self.add_in(db, cur, key))

    def add_in(self, db: Store, cur, key: Hashable) -> None:
        """Count an event inside a transaction that writes anyway (a join)."""
        if self.limit <= 0:
            return
        stored = pseudonym(db, key)
        now = datetime.now()
        cur.execute(
            "DELETE FROM attempts WHERE kind = $1 AND tried_at <= $2",
            [self.kind, now - timedelta(seconds=self.seconds)],
        )
        cur.execute("INSERT INTO attempts (kind, key, tried_at) VALUES ($1, $2, $3)", [self.kind, stored, now])
