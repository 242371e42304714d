"""The DuckDB store: one connection per process, a cursor per call, every write in a transaction.

SQL lives here and in ``queries`` functions of this module only. The schema carries a version
number; ``MIGRATIONS[i]`` moves a file from version ``i`` to ``i + 1``.
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

import duckdb
import pandas as pd

from .errors import N_, StoreDamaged, StoreLocked, StoreUnwritable

log = logging.getLogger(__name__)
T = TypeVar("T")

_V1 = """
CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
CREATE SEQUENCE seq_measure START 1;
CREATE SEQUENCE seq_audit START 1;
CREATE TABLE workshops (
    id VARCHAR PRIMARY KEY,
    title VARCHAR NOT NULL,
    date DATE,
    place VARCHAR NOT NULL DEFAULT '',
    join_code VARCHAR NOT NULL UNIQUE,
    kind VARCHAR NOT NULL DEFAULT 'vision',
    vision_title VARCHAR NOT NULL DEFAULT '',
    vision_description VARCHAR NOT NULL DEFAULT '',
    phase VARCHAR NOT NULL DEFAULT 'setup',
    results_revealed BOOLEAN NOT NULL DEFAULT FALSE,
    rules VARCHAR NOT NULL,
    previous_id VARCHAR,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
CREATE TABLE goals (
    id VARCHAR PRIMARY KEY,
    workshop_id VARCHAR NOT NULL,
    position INTEGER NOT NULL,
    title VARCHAR NOT NULL,
    description VARCHAR NOT NULL DEFAULT ''
);
CREATE TABLE groups (
    id VARCHAR PRIMARY KEY,
    workshop_id VARCHAR NOT NULL,
    position INTEGER NOT NULL,
    name VARCHAR NOT NULL
);
CREATE TABLE devices (
    id VARCHAR PRIMARY KEY,
    workshop_id VARCHAR NOT NULL,
    token_hash VARCHAR NOT NULL UNIQUE,
    group_id VARCHAR,
    kiosk BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
CREATE TABLE measures (
    id VARCHAR PRIMARY KEY,
    workshop_id VARCHAR NOT NULL,
    goal_id VARCHAR NOT NULL,
    title VARCHAR NOT NULL,
    description VARCHAR NOT NULL DEFAULT '',
    responsible VARCHAR NOT NULL DEFAULT '',
    target_group VARCHAR NOT NULL DEFAULT '',
    timeframe VARCHAR NOT NULL DEFAULT '',
    cost VARCHAR NOT NULL DEFAULT '',
    group_id VARCHAR,
    author_device_id VARCHAR,
    status VARCHAR NOT NULL DEFAULT 'new',
    hidden BOOLEAN NOT NULL DEFAULT FALSE,
    merged_into VARCHAR,
    seq BIGINT NOT NULL DEFAULT nextval('seq_measure'),
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
CREATE TABLE ballots (
    id VARCHAR PRIMARY KEY,
    workshop_id VARCHAR NOT NULL,
    device_id VARCHAR NOT NULL,
    method VARCHAR NOT NULL,
    submission_id VARCHAR NOT NULL,
    submitted_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
CREATE TABLE votes (
    ballot_id VARCHAR NOT NULL,
    measure_id VARCHAR NOT NULL,
    criterion VARCHAR NOT NULL DEFAULT '',
    value DOUBLE PRECISION NOT NULL
);
"""

_V2 = """
ALTER TABLE workshops ADD COLUMN phase_ends_at TIMESTAMP;
CREATE TABLE audit_log (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_audit'),
    workshop_id VARCHAR NOT NULL,
    logged_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    action VARCHAR NOT NULL,
    subject VARCHAR NOT NULL DEFAULT '',
    value_before VARCHAR NOT NULL DEFAULT '',
    value_after VARCHAR NOT NULL DEFAULT ''
);
CREATE TABLE facilitator_sessions (
    key_hash VARCHAR PRIMARY KEY,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX idx_votes_ballot ON votes (ballot_id);
CREATE INDEX idx_ballots_device ON ballots (device_id);
"""

_V3 = """
CREATE TABLE cards (
    id VARCHAR PRIMARY KEY,
    workshop_id VARCHAR NOT NULL,
    number INTEGER NOT NULL,
    code_hash VARCHAR NOT NULL UNIQUE,
    device_id VARCHAR,
    revoked BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
"""

# The privacy notice's contact and retention period, set per workshop by the facilitator.
_V4 = """
ALTER TABLE workshops ADD COLUMN privacy_contact VARCHAR NOT NULL DEFAULT '';
ALTER TABLE workshops ADD COLUMN retention_months INTEGER NOT NULL DEFAULT 6;
"""

# A ballot names a measure once per criterion (ratings: once per criterion rated). `leads` marks
# exactly one row per (ballot, measure), so the voters of a measure are a plain count (a distinct
# count of (measure, ballot) cost 60-85 ms at a million votes; see views.ranking). Rows inserted
# by a ballot are marked as they are built (services._write_ballots); every other writer of
# votes (merge, restore, this migration) re-marks the ballots it touched with MARK_LEADS.
MARK_LEADS = """
UPDATE votes SET leads = (votes.criterion = f.first)
FROM (SELECT ballot_id, measure_id, min(criterion) AS first FROM votes WHERE {where} GROUP BY ballot_id, measure_id) f
WHERE votes.ballot_id = f.ballot_id AND votes.measure_id = f.measure_id
"""
_V5 = f"""
ALTER TABLE votes ADD COLUMN leads BOOLEAN DEFAULT TRUE;
{MARK_LEADS.format(where="TRUE")}
"""

# A merge remembers the votes on its measures before and after, so that it can be undone
# (services.unmerge_measures) as long as no ballot has changed since. What the projector shows in
# the results phase is the console's choice (``wall_view``: '' for the overall ranking, a goal id,
# or 'matrix').
_V6 = """
CREATE TABLE merges (
    id VARCHAR PRIMARY KEY,
    workshop_id VARCHAR NOT NULL,
    position INTEGER NOT NULL,
    target_id VARCHAR NOT NULL,
    sources VARCHAR NOT NULL,
    votes_before VARCHAR NOT NULL,
    votes_after VARCHAR NOT NULL,
    merged_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    undone_at TIMESTAMP
);
ALTER TABLE workshops ADD COLUMN wall_view VARCHAR NOT NULL DEFAULT '';
"""

# A measure's original language (the author's screen language; '' for measures from before) and
# its translations, one per language, with who made them (model.Made) and whether a person
# reviewed them. A merged-away measure keeps its translations with it (like its original). The
# keys of the language mediators' links (one language each, revocable; only their hash is kept).
_V7 = """
ALTER TABLE measures ADD COLUMN lang VARCHAR NOT NULL DEFAULT '';
CREATE TABLE translations (
    measure_id VARCHAR NOT NULL,
    workshop_id VARCHAR NOT NULL,
    lang VARCHAR NOT NULL,
    title VARCHAR NOT NULL,
    description VARCHAR NOT NULL DEFAULT '',
    made VARCHAR NOT NULL,
    reviewed BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (measure_id, lang)
);
CREATE INDEX idx_translations_workshop ON translations (workshop_id);
CREATE TABLE mediator_keys (
    id VARCHAR PRIMARY KEY,
    workshop_id VARCHAR NOT NULL,
    key_hash VARCHAR NOT NULL UNIQUE,
    lang VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    revoked BOOLEAN NOT NULL DEFAULT FALSE
);
"""

# Whether participants see the offline engine's translations before a person checked them (the
# facilitator's switch on the console; off: they see the original, marked as not translated yet).
_V8 = """
ALTER TABLE workshops ADD COLUMN show_machine BOOLEAN NOT NULL DEFAULT FALSE;
"""

# A translation whose original was edited afterwards is stale: readers see the original (marked)
# until a person translates or checks it again, and it is back in the desk's queue. (DuckDB adds
# no column to a table an index depends on: the index is made again.)
_V9 = """
DROP INDEX idx_translations_workshop;
ALTER TABLE translations ADD COLUMN stale BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX idx_translations_workshop ON translations (workshop_id);
"""

# Both engines: an upsert as the SQL standard's dialects of DuckDB and PostgreSQL write it.
SET_META = "INSERT INTO meta VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value"

# What several app processes on one database must share (issue 21): the login slow-down per
# address, the limits on joins and voting-card tries, and half-typed proposals (drafts) per device.
# Before, each lived in a process's memory, so a second process knew nothing of them.
_V10 = """
CREATE TABLE login_attempts (
    client VARCHAR PRIMARY KEY,
    failures INTEGER NOT NULL DEFAULT 0,
    last_at TIMESTAMP NOT NULL,
    busy_until TIMESTAMP
);
CREATE TABLE attempts (
    kind VARCHAR NOT NULL,
    key VARCHAR NOT NULL,
    tried_at TIMESTAMP NOT NULL
);
CREATE INDEX idx_attempts ON attempts (kind, key);
INSERT INTO meta VALUES ('limits_salt',
    replace(CAST(gen_random_uuid() AS VARCHAR), '-', '') || replace(CAST(gen_random_uuid() AS VARCHAR), '-', ''));
CREATE TABLE drafts (
    device_id VARCHAR PRIMARY KEY,
    workshop_id VARCHAR NOT NULL,
    data VARCHAR NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
"""

# A version per workshop, drawn from one sequence and changed in the same transaction as anything
# its screens show (vision, groups, measures, translations, rules): an app process keys what it
# caches by it, so a change made by another process on the same database is seen at the next look
# at the version (issue 21). From a sequence, not a counter: a workshop deleted and restored from a
# backup never gets a version a process may still hold from before.
_V11 = """
CREATE SEQUENCE seq_changes START 1;
CREATE TABLE changes (
    workshop_id VARCHAR PRIMARY KEY,
    version BIGINT NOT NULL
);
INSERT INTO changes SELECT id, nextval('seq_changes') FROM workshops;
"""

# What the votes of some ballots add to the tallies (workshop.queries.tallies): $1 the shard, $2 the
# sign (1 or -1), {votes} which votes.
ADD_TALLIES = """
INSERT INTO tallies (shard, workshop_id, method, measure_id, criterion, n, total, positive, leads, place_sum)
SELECT $1, b.workshop_id, b.method, v.measure_id, v.criterion,
       CAST($2 AS BIGINT) * count(*), CAST($2 AS BIGINT) * sum(v.value),
       CAST($2 AS BIGINT) * count(*) FILTER (WHERE v.value > 0),
       CAST($2 AS BIGINT) * count(*) FILTER (WHERE v.leads), CAST($2 AS BIGINT) * sum(v.place)
FROM (
    SELECT ballot_id, measure_id, criterion, value, leads,
           row_number() OVER (PARTITION BY ballot_id, criterion ORDER BY value, measure_id) AS place
    FROM votes WHERE {votes}
) AS v JOIN ballots b ON b.id = v.ballot_id
GROUP BY b.workshop_id, b.method, v.measure_id, v.criterion
ON CONFLICT (shard, workshop_id, method, measure_id, criterion) DO UPDATE SET
    n = tallies.n + excluded.n, total = tallies.total + excluded.total,
    positive = tallies.positive + excluded.positive, leads = tallies.leads + excluded.leads,
    place_sum = tallies.place_sum + excluded.place_sum
"""
# Tallies per workshop, method, measure and criterion, kept with the votes on PostgreSQL
# (workshop.queries.tallies): a ranking reads them instead of a million votes. The
# votes get an index by measure (the ballots that ranked a measure no longer counted); with the
# ballot in it, MARK_LEADS's join on (ballot, measure) finds one row per lookup (by measure alone,
# PostgreSQL chose it after a bulk load and took 20 minutes for a million votes).
_V12 = """
CREATE TABLE tallies (
    shard VARCHAR NOT NULL,
    workshop_id VARCHAR NOT NULL,
    method VARCHAR NOT NULL,
    measure_id VARCHAR NOT NULL,
    criterion VARCHAR NOT NULL,
    n BIGINT NOT NULL,
    total DOUBLE PRECISION NOT NULL,
    positive BIGINT NOT NULL,
    leads BIGINT NOT NULL,
    place_sum BIGINT NOT NULL,
    PRIMARY KEY (shard, workshop_id, method, measure_id, criterion)
);
CREATE INDEX idx_votes_measure ON votes (measure_id, ballot_id);
"""

# Paper ballots next to phones (issue 23): a ballot says which channel it came by; a printed sheet
# is a voting card (``sheet``), made for one ballot (``sheet_ballot``: ``paper.fingerprint``) and
# entered for a device of its own (``paper``); a sheet's entries by staff are kept per sheet (one
# or two entries, the state, the reason it is invalid, the ballot it became); entry links for
# staff, like the mediators'; per workshop whether two people enter each sheet, whether entry has
# ended after the vote, and whether the projector shows how many are in.
_V13 = """
DROP INDEX idx_ballots_device;
ALTER TABLE ballots ADD COLUMN channel VARCHAR NOT NULL DEFAULT 'digital';
CREATE INDEX idx_ballots_device ON ballots (device_id);
ALTER TABLE cards ADD COLUMN sheet BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE cards ADD COLUMN sheet_ballot VARCHAR;
ALTER TABLE devices ADD COLUMN paper BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE workshops ADD COLUMN paper_double BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE workshops ADD COLUMN paper_closed BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE workshops ADD COLUMN wall_paper BOOLEAN NOT NULL DEFAULT FALSE;
CREATE TABLE paper_sheets (
    card_id VARCHAR PRIMARY KEY,
    workshop_id VARCHAR NOT NULL,
    number INTEGER NOT NULL,
    method VARCHAR NOT NULL,
    state VARCHAR NOT NULL,
    first_entry VARCHAR NOT NULL,
    second_entry VARCHAR,
    reason VARCHAR NOT NULL DEFAULT '',
    ballot_id VARCHAR,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX idx_paper_sheets_workshop ON paper_sheets (workshop_id, number);
CREATE TABLE entry_keys (
    id VARCHAR PRIMARY KEY,
    workshop_id VARCHAR NOT NULL,
    key_hash VARCHAR NOT NULL UNIQUE,
    label VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    revoked BOOLEAN NOT NULL DEFAULT FALSE
);
"""

# Steps of a migration that only one engine takes: PostgreSQL keeps tallies, counted here from the
# votes stored so far (DuckDB ranks from the votes: its table stays empty, see queries.tallies).
ENGINE_STEPS: dict[tuple[str, int], str] = {
    ("postgresql", 12): ADD_TALLIES.format(votes="TRUE").replace("$1", "''").replace("CAST($2 AS BIGINT)", "1"),
}

MIGRATIONS: list[str] = [_V1, _V2, _V3, _V4, _V5, _V6, _V7, _V8, _V9, _V10, _V11, _V12, _V13]
SCHEMA_VERSION = len(MIGRATIONS)
_RETRIES = 8


def _checkpoint(cur, tries: int = 40) -> None:
    """CHECKPOINT, waiting for a write transaction of another cursor to end (DuckDB refuses a
    checkpoint while one is open: a read-modify-write of the try limits, a test's own write)."""
    for attempt in range(tries):
        try:
            cur.execute("CHECKPOINT")
            return
        except duckdb.TransactionException as exc:
            if "checkpoint" not in str(exc).lower() or attempt == tries - 1:
                raise
            time.sleep(0.05)


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text and ("conflicting" in text or "could not set" in text)


def _write_failure(exc: BaseException) -> str:
    """The cause of a failed write, as a msgid a facilitator understands."""
    text = str(exc).lower()
    if "no space" in text or "disk full" in text or "not enough space" in text:
        return N_("the disk is full")
    if "read-only" in text or "read only" in text or "permission denied" in text:
        return N_("the file or its folder is read-only")
    return N_("the disk reported an error")


def _is_io_failure(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "could not write" in text or "no space" in text or "read-only" in text or "permission denied" in text


def _rollback(cur) -> None:
    """Roll back what is left of a failed transaction (a failed COMMIT leaves none to roll back)."""
    try:
        cur.execute("ROLLBACK")
    except duckdb.Error:
        pass


def _is_unwritable(exc: BaseException) -> bool:
    return _write_failure(exc) != N_("the disk reported an error")


def _unopenable(path: str, exc: BaseException) -> StoreUnwritable:
    """A file that cannot be opened for writing at all (a read-only file system, a full disk)."""
    return StoreUnwritable(
        N_(
            "The database file {path} cannot be opened for writing ({reason}). Set PW_DB_PATH to a file "
            "in a folder the app can write to, or free space on the disk, then start it again."
        ),
        path=path,
        reason=_write_failure(exc),
    )


def _damage(exc: BaseException) -> str | None:
    """What a failed open found damaged: ``"wal"`` (the write-ahead log), ``"file"``, or None."""
    text = str(exc).lower()
    if "wal file" in text and ("replaying" in text or "corrupt" in text):
        return "wal"
    if any(s in text for s in ("corrupt database file", "not a valid duckdb database", "could not read enough bytes")):
        return "file"
    return None


def _damaged(path: str, what: str) -> StoreDamaged:
    """The damage, and the commands that get the app going again (the safety copies' restore)."""
    from . import config, safety  # safety copies are backups, and backup imports this module

    folder = config.safety_dir(path)
    if what == "wal":
        return StoreDamaged(
            N_(
                "The database's write-ahead log {wal} is damaged (a crash or a failing disk while it was "
                "written), so the app cannot open the database; nothing was changed. Move the damaged log "
                "aside and start the app again:\n\n{commands}\n\nThe database then holds what was saved up "
                "to its last checkpoint, so the ballots and proposals of the last minutes may be missing: "
                "the facilitator's console compares each workshop with its newest safety copy (in {folder}) "
                "and says how to restore it."
            ),
            wal=path + ".wal",
            commands=safety.set_aside_commands(path, wal_only=True),
            folder=folder,
        )
    return StoreDamaged(
        N_(
            "The database file {path} is damaged (a crash or a failing disk) and cannot be opened; nothing "
            "was changed. Move it aside, restore the newest safety copy of each workshop into a fresh file "
            "and start the app again:\n\n{commands}\n\nA workshop without a safety copy (in {folder}) "
            "comes back only from a backup you downloaded, with the same restore command."
        ),
        path=path,
        commands=safety.set_aside_commands(path) + "\n" + safety.restore_commands(path, folder),
        folder=folder,
    )


class Store:
    """What services, views and exports ask of a store, whichever engine holds the data.

    Two engines: ``Database`` (an embedded DuckDB file, the default) and
    ``workshop.pgstore.PostgresDatabase`` (a PostgreSQL server shared by several app processes).
    Statements are written once where the two dialects agree: positional ``$1`` parameters
    (native to both), ``unnest`` of list parameters, ``ON CONFLICT`` upserts; where they differ,
    each engine has its own statement, chosen by ``engine``.
    """

    engine: str
    path: str
    write_trouble: tuple[datetime, str] | None

    def cursor(self):  # pragma: no cover - each engine
        raise NotImplementedError

    def snapshot(self):  # pragma: no cover - each engine
        raise NotImplementedError

    def write(self, fn: Callable[[Any], T]) -> T:  # pragma: no cover - each engine
        raise NotImplementedError

    def df(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:  # pragma: no cover
        raise NotImplementedError

    def fetchall(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        with self.cursor() as cur:
            return cur.execute(sql, params or []).fetchall()

    def fetchone(self, sql: str, params: Sequence[Any] | None = None) -> tuple | None:
        with self.cursor() as cur:
            return cur.execute(sql, params or []).fetchone()

    def scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        row = self.fetchone(sql, params)
        return row[0] if row else None

    def write_batched(
        self,
        item: Any,
        batch_fn: Callable[[duckdb.DuckDBPyConnection, list[Any]], list[Any]],
        key: Callable[[Any], Any] = id,
    ) -> Any:
        """Group commit: write ``item`` together with whatever else is waiting for the same
        ``batch_fn``, in one transaction, and return this item's outcome.

        ``batch_fn(cursor, items)`` returns one outcome per item, in order: a result, or an
        exception for an item it refused (and wrote nothing for). If the transaction fails, every
        item of it gets that exception and nothing of it is stored. Items with equal ``key`` never
        share a batch: they are written one after the other, in the order they arrived.

        Why: every DuckDB statement costs about half a millisecond and each one hands the GIL back
        and forth; 300 phones submitting within two seconds, one transaction each, queued for
        seconds at the write lock. One transaction for everyone waiting is a few statements.
        """
        with self._batches_lock:
            batcher = self._batches.setdefault(batch_fn, _Batcher())
        return batcher.run(self, item, batch_fn, key)

    # -- schema ------------------------------------------------------------------------------
    def version(self) -> int:
        with self.cursor() as cur:
            exists = cur.execute(
                "SELECT count(*) FROM information_schema.tables "
                "WHERE table_name = 'meta' AND table_schema = current_schema()"
            ).fetchone()[0]
            if not exists:
                return 0
            row = cur.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            return int(row[0]) if row else 0

    def migrate(self, target: int = SCHEMA_VERSION) -> int:
        """Apply the forward migrations up to ``target``; returns the version reached."""
        current = self.version()
        if current > SCHEMA_VERSION:
            raise RuntimeError(f"database schema {current} is newer than this app ({SCHEMA_VERSION})")
        for version in range(current, target):
            script = MIGRATIONS[version]

            def apply(cur, script=script, version=version):
                for statement in filter(str.strip, script.split(";")):
                    cur.execute(statement)
                if (self.engine, version + 1) in ENGINE_STEPS:
                    cur.execute(ENGINE_STEPS[(self.engine, version + 1)])
                cur.execute(SET_META, ["schema_version", str(version + 1)])

            self.write(apply)
            log.info("database %s migrated to schema %d", self.path, version + 1)
        return max(current, target)

    # -- key/value settings ------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        return self.scalar("SELECT value FROM meta WHERE key = $1", [key])

    def set_meta(self, key: str, value: str) -> None:
        self.write(lambda cur: cur.execute(SET_META, [key, value]))


class Database(Store):
    """One DuckDB file, opened once per process, safe to use from many threads."""

    engine = "duckdb"

    def __init__(self, path: str | Path, *, read_only: bool = False, migrate: bool = True) -> None:
        self.path = str(path)
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._conn = duckdb.connect(self.path, read_only=read_only)
        except duckdb.IOException as exc:
            if _is_lock_error(exc):
                raise StoreLocked(
                    N_(
                        "The database file {path} is in use by another process (probably the running app). "
                        "Stop that process first, or use the app's backup download, or point "
                        "PW_DB_PATH at another file."
                    ),
                    path=self.path,
                ) from exc
            if what := _damage(exc):
                raise _damaged(self.path, what) from exc
            if not _is_unwritable(exc):
                raise
            raise _unopenable(self.path, exc) from exc
        except (duckdb.PermissionException, OSError) as exc:
            raise _unopenable(self.path, exc) from exc
        except duckdb.Error as exc:  # a damaged WAL or file raises the plain error type
            if what := _damage(exc):
                raise _damaged(self.path, what) from exc
            raise
        self._write_lock = threading.Lock()
        # The last failed write's moment and cause, until a write succeeds again (the console's alarm).
        self.write_trouble: tuple[datetime, str] | None = None
        self._batches: dict[Callable, _Batcher] = {}
        self._batches_lock = threading.Lock()
        # Readers pass a gate that purge() closes while it swaps the file under the connection.
        self._gate = threading.Condition()
        self._readers = 0
        self._paused = False
        if migrate and not read_only:
            try:
                self.migrate()
            except BaseException as exc:
                self._conn.close()
                if what := _damage(exc):  # a damaged block that the first reads come upon
                    raise _damaged(self.path, what) from exc
                raise

    # -- reading -----------------------------------------------------------------------------
    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor of its own for one call (a shared one loses writes across threads)."""
        with self._gate:
            while self._paused:
                self._gate.wait()
            self._readers += 1
        try:
            cur = self._conn.cursor()
            try:
                yield cur
            finally:
                cur.close()
        finally:
            with self._gate:
                self._readers -= 1
                if not self._readers:
                    self._gate.notify_all()

    @contextmanager
    def snapshot(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor whose reads all see one moment (a transaction that writes nothing): a backup
        taken while ballots arrive holds no vote without its ballot. Takes no write lock."""
        with self.cursor() as cur:
            cur.execute("BEGIN TRANSACTION")
            try:
                yield cur
            finally:
                _rollback(cur)

    def df(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        with self.cursor() as cur:
            return cur.execute(sql, params or []).df()

    # -- writing -----------------------------------------------------------------------------
    def write(self, fn: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """Run ``fn(cursor)`` in one transaction: all of it is stored, or none of it.

        Writes are serialised within the process (DuckDB allows one writer at a time anyway,
        and serialising avoids optimistic-concurrency conflicts); a conflict that still occurs
        is retried, so an acknowledged write is never lost.
        """
        for attempt in range(_RETRIES):
            with self._write_lock, self.cursor() as cur:
                cur.execute("BEGIN TRANSACTION")
                try:
                    result = fn(cur)
                    cur.execute("COMMIT")
                    self.write_trouble = None
                    return result
                except duckdb.TransactionException as exc:
                    _rollback(cur)
                    # A full disk fails the COMMIT itself ("Failed to commit: Could not write file …"):
                    # that is no conflict to retry but a store that cannot be written.
                    if _is_io_failure(exc):
                        raise self._unwritable(exc) from exc
                    if attempt == _RETRIES - 1:
                        raise
                    log.warning("write conflict, retrying: %s", exc)
                except (duckdb.IOException, duckdb.PermissionException, OSError) as exc:
                    _rollback(cur)
                    raise self._unwritable(exc) from exc
                except BaseException:
                    _rollback(cur)
                    raise
            time.sleep(0.005 * (attempt + 1))
        raise AssertionError("unreachable")

    def _unwritable(self, exc: BaseException) -> StoreUnwritable:
        reason = _write_failure(exc)
        self.write_trouble = (datetime.now(), reason)
        log.error("the database %s cannot be written (%s): %s", self.path, reason, exc)
        return StoreUnwritable(
            N_("The database cannot be written ({reason}). Nothing of this was saved; please try again in a moment."),
            reason=reason,
        )

    def checkpoint(self) -> None:
        with self._write_lock, self.cursor() as cur:
            _checkpoint(cur)

    def purge(self) -> None:
        """Rewrite the file so that deleted rows leave nothing behind.

        DuckDB marks the blocks of deleted rows free but does not overwrite them, so a deleted
        workshop could still be read from the file with a hex editor. Copying the live data into
        a fresh file and swapping it in leaves no trace. Writers wait (write lock), readers wait
        at the gate for the moment of the swap; the old file stays intact until the atomic rename.
        """
        if self.path == ":memory:":
            return
        fresh = self.path + ".purge"
        for leftover in (fresh, fresh + ".wal"):
            Path(leftover).unlink(missing_ok=True)
        with self._write_lock:
            with self.cursor() as cur:
                _checkpoint(cur)
                name = cur.execute("SELECT current_database()").fetchone()[0]
                cur.execute("ATTACH ? AS purge_target", [fresh])
                try:  # tables, indexes and sequences (at their current value)
                    cur.execute(f'COPY FROM DATABASE "{name}" TO purge_target')
                finally:
                    cur.execute("DETACH purge_target")
            with self._gate:
                self._paused = True
                while self._readers:
                    self._gate.wait()
            try:
                self._conn.close()
                os.replace(fresh, self.path)
                Path(self.path + ".wal").unlink(missing_ok=True)
            finally:
                self._conn = duckdb.connect(self.path)
                with self._gate:
                    self._paused = False
                    self._gate.notify_all()

    def close(self) -> None:
        self._conn.close()


class _Pending:
    __slots__ = ("done", "item", "outcome")

    def __init__(self, item: Any) -> None:
        self.item = item
        self.outcome: Any = None
        self.done = False


class _Batcher:
    """Leader/follower group commit: whoever holds the leader lock writes everything queued."""

    def __init__(self) -> None:
        self._queue: list[_Pending] = []
        self._mutex = threading.Lock()
        self._leader = threading.Lock()

    def run(self, db: Database, item: Any, batch_fn, key) -> Any:
        mine = _Pending(item)
        with self._mutex:
            self._queue.append(mine)
        with self._leader:
            while not mine.done:
                with self._mutex:
                    batch, rest, seen = [], [], set()
                    for p in self._queue:
                        k = key(p.item)
                        (rest if k in seen else batch).append(p)
                        seen.add(k)
                    self._queue = rest
                self._write(db, batch, batch_fn)
        if isinstance(mine.outcome, BaseException):
            raise mine.outcome
        return mine.outcome

    @staticmethod
    def _write(db: Database, batch: list[_Pending], batch_fn) -> None:
        def tx(cur):
            outcomes = batch_fn(cur, [p.item for p in batch])
            if len(outcomes) != len(batch):  # before the commit: a miscount stores nothing
                raise RuntimeError(f"batch_fn returned {len(outcomes)} outcomes for {len(batch)} items")
            return outcomes

        try:
            outcomes = db.write(tx)
        except BaseException as exc:  # nothing of the batch was stored: everyone hears why
            outcomes = [exc] * len(batch)
        for p, outcome in zip(batch, outcomes, strict=True):
            p.outcome = outcome
            p.done = True
