"""The PostgreSQL store: a database server shared by several app processes (``PW_DATABASE_URL``).

The same interface as the embedded DuckDB file (``store.Store``); the statements are the same
text where the two dialects agree (positional ``$1`` parameters are native to both: psycopg's
``RawCursor`` passes them to the server unchanged). A pool of connections per process; every
write is one SERIALIZABLE transaction, retried when PostgreSQL reports a conflict with another
process's transaction, so that two replicas never both store what one alone would refuse.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import pandas as pd
import psycopg
from psycopg import errors as pg_errors
from psycopg.types.numeric import FloatLoader
from psycopg_pool import ConnectionPool, PoolClosed, PoolTimeout

from .errors import N_, StoreUnreachable, StoreUnwritable, ValidationError
from .model import MALFORMED
from .store import Store

log = logging.getLogger(__name__)
T = TypeVar("T")

_RETRIES = 12
# A transaction that lost to another process's (PostgreSQL aborts one of the two): run it again.
CONFLICTS: tuple[type[Exception], ...] = (
    pg_errors.SerializationFailure,
    pg_errors.DeadlockDetected,
    pg_errors.UniqueViolation,  # two replicas inserting the same key at once: the retry sees the winner's row
)
# The server is gone or cannot be reached (a restart, the network): the write may succeed later.
UNREACHABLE: tuple[type[Exception], ...] = (psycopg.OperationalError, PoolTimeout, PoolClosed)


def is_url(target: str | Path) -> bool:
    return str(target).startswith(("postgresql://", "postgres://"))


def redacted(url: str) -> str:
    """The URL without its password (for logs, messages and the console)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


def _local_zone() -> str:
    """The zone name of this machine (``TIMESTAMP`` columns hold local time, as with DuckDB)."""
    if os.environ.get("TZ"):
        return os.environ["TZ"].lstrip(":")
    try:
        target = os.readlink("/etc/localtime")
    except OSError:
        return "UTC"
    return target.split("zoneinfo/", 1)[1] if "zoneinfo/" in target else "UTC"


def _configure(conn: psycopg.Connection) -> None:
    # Sums and means of integers arrive as floats (DuckDB's types for the same statements),
    # not as Decimal.
    conn.adapters.register_loader("numeric", FloatLoader)
    conn.execute("SELECT set_config('TimeZone', $1, false)", [_local_zone()])


def unreachable(url: str, exc: BaseException | None = None) -> StoreUnreachable:
    """The message for a server that does not answer (at start, or gone mid-vote)."""
    return StoreUnreachable(
        N_(
            "The database server {url} does not answer ({reason}). Check that PostgreSQL is running and "
            "reachable, then try again; nothing of this was saved."
        ),
        url=redacted(url),
        reason=type(exc).__name__ if exc is not None else "timeout",
    )


class PostgresDatabase(Store):
    """One PostgreSQL database, shared by every process of the app; a pool of connections each."""

    engine = "postgresql"

    def __init__(
        self,
        url: str,
        *,
        migrate: bool = True,
        read_only: bool = False,
        max_connections: int = 8,
        connect_timeout: float = 5.0,
    ) -> None:
        self.url = url
        self.path = redacted(url)
        self.read_only = read_only
        self.write_trouble: tuple[datetime, str] | None = None
        self._write_lock = threading.Lock()
        self._batches: dict = {}
        self._batches_lock = threading.Lock()
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=max_connections,
            kwargs={
                "autocommit": True,
                "cursor_factory": psycopg.RawCursor,
                "connect_timeout": max(1, int(connect_timeout)),
            },
            configure=_configure,
            timeout=connect_timeout,
            open=False,
            name="planungswerkstatt",
        )
        try:
            self._pool.open(wait=True, timeout=connect_timeout)
        except PoolTimeout as exc:
            self._pool.close()
            raise unreachable(url, exc) from exc
        if migrate and not read_only:
            try:
                self.migrate()
            except BaseException:
                self._pool.close()
                raise

    # -- reading -----------------------------------------------------------------------------
    @contextmanager
    def cursor(self) -> Iterator[psycopg.RawCursor]:
        """A connection of the pool for one call; every statement commits on its own."""
        try:
            with self._pool.connection() as conn, conn.cursor() as cur:
                yield cur
        except UNREACHABLE as exc:
            raise unreachable(self.url, exc) from exc
        except psycopg.DataError as exc:  # text PostgreSQL cannot hold (a NUL character): bad input
            raise ValidationError(MALFORMED) from exc

    @contextmanager
    def snapshot(self) -> Iterator[psycopg.RawCursor]:
        """A cursor whose reads all see one moment (a read-only REPEATABLE READ transaction)."""
        try:
            with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                yield cur
        except UNREACHABLE as exc:
            raise unreachable(self.url, exc) from exc

    def df(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        with self.cursor() as cur:
            cur.execute(sql, params or None)
            columns = [d.name for d in cur.description]
            return pd.DataFrame(cur.fetchall(), columns=columns)

    # -- writing -----------------------------------------------------------------------------
    def write(self, fn: Callable[[psycopg.RawCursor], T]) -> T:
        """Run ``fn(cursor)`` in one SERIALIZABLE transaction: all of it is stored, or none of it.

        Within the process writes take turns (as with DuckDB; the group commit makes them few);
        across processes PostgreSQL aborts one of two conflicting transactions, which runs again.
        """
        for attempt in range(_RETRIES):
            try:
                with self._write_lock, self._pool.connection() as conn:
                    with conn.transaction(), conn.cursor() as cur:
                        cur.execute("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE")
                        result = fn(cur)
                    self.write_trouble = None
                    return result
            except CONFLICTS as exc:
                if attempt == _RETRIES - 1:
                    raise
                log.info("write conflict with another process, retrying: %s", exc)
            except psycopg.DataError as exc:  # text PostgreSQL cannot hold (a NUL character): bad input
                raise ValidationError(MALFORMED) from exc
            except UNREACHABLE as exc:
                self.write_trouble = (datetime.now(), N_("the database server does not answer"))
                log.error("the database server %s does not answer: %s", self.path, exc)
                raise StoreUnwritable(
                    N_(
                        "The database cannot be written ({reason}). Nothing of this was saved; please try "
                        "again in a moment."
                    ),
                    reason=N_("the database server does not answer"),
                ) from exc
            time.sleep(0.005 * (attempt + 1))
        raise AssertionError("unreachable")

    def checkpoint(self) -> None:
        """Nothing to do: PostgreSQL makes a commit durable itself (its write-ahead log)."""

    def purge(self) -> None:
        """Rewrite the tables so that deleted rows leave nothing behind (``VACUUM FULL``; a few
        seconds' lock on each table, taken after a workshop is deleted)."""
        with self._write_lock, self.cursor() as cur:
            for table in [r[0] for r in cur.execute(_TABLES_SQL).fetchall()]:
                cur.execute(f'VACUUM FULL "{table}"')

    def close(self) -> None:
        self._pool.close()


_TABLES_SQL = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"


def open_store(target: str | Path, **kwargs: Any) -> Store:
    """The store a setting names: a ``postgresql://`` URL, or the path of a DuckDB file."""
    if is_url(target):
        return PostgresDatabase(str(target), **kwargs)
    from .store import Database

    return Database(target, **kwargs)
