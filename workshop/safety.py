"""Safety copies: a backup of each open workshop every few minutes and at each phase change.

A crash can leave DuckDB's write-ahead log damaged: the database then cannot be opened, or opens
without its last writes. The copies bound what can be lost to the interval. Each is a backup of
format 2 (``backup.export_workshop``, with its checksum), written atomically into a folder of its
own per workshop, only when the workshop changed, and restorable with ``python -m workshop
restore``. On start the newest copy of each workshop is compared with the database: ballots or
proposals that the copy holds and the database lacks are reported, never silently dropped.

A daemon thread per process writes the copies; a phase change only wakes it, so the facilitator's
click never waits for a file. The thread reads in a snapshot and holds no write lock.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import re
import shlex
import shutil
import sys
import tempfile
import threading
import time
import weakref
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from . import backup, config
from .errors import N_, DomainError, NotFound
from .model import Phase
from .store import Database

log = logging.getLogger(__name__)

OPEN_PHASES = (Phase.COLLECT, Phase.REVIEW, Phase.VOTE, Phase.RESULTS)
KEPT = "-kept"  # a copy holding writes the database lost: never rotated away


class LostWrites(DomainError):
    """The newest safety copy of a workshop holds ballots or proposals the database lacks (found on start)."""


class SafetyCopyFailed(DomainError):
    """The last safety copy could not be written; the app goes on and tries again."""


# --- files ------------------------------------------------------------------------------------


def folder_of(folder: str | Path, join_code: str, workshop_id: str) -> Path:
    """A workshop's own folder of copies: its join code (a restored file's odd code: a hash of its id)."""
    if re.fullmatch(r"[A-Z0-9]{4,12}", join_code):
        return Path(folder) / join_code
    return Path(folder) / ("w-" + hashlib.sha256(workshop_id.encode()).hexdigest()[:16])


def copies(where: Path) -> list[Path]:
    """A workshop's copies, oldest first (the names sort by time)."""
    if not where.is_dir():
        return []
    return sorted(p for p in where.glob("*.json") if not p.name.startswith("."))


def fingerprint(data: dict) -> str:
    """What a copy holds, without the moment of its export: equal for a workshop that did not change."""
    rest = {k: v for k, v in data.items() if k not in ("exported_at", "checksum")}
    compact = json.dumps(rest, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(compact.encode("utf-8")).hexdigest()


# Every row of a workshop, hashed inside the database: a few milliseconds where an export takes
# tens (bench/safety.py), so that a round over unchanged workshops converts and writes nothing.
# One statement per table (as scalar subqueries of one statement they took several times longer).
# PostgreSQL: the hash of each row's text (``hashtext``), summed (it has no hash of a whole row).
def _rows_sql(row_hash: str, combine: str) -> list[str]:
    return [f"SELECT {row_hash.format(t='w')} FROM workshops w WHERE id = $1"] + [
        f"SELECT count(*), {combine.format(h=row_hash.format(t='v'))} FROM votes v "
        "JOIN ballots b ON b.id = v.ballot_id WHERE b.workshop_id = $1"
        if table == "votes"
        else f"SELECT count(*), {combine.format(h=row_hash.format(t='t'))} FROM {table} t WHERE workshop_id = $1"
        for table in backup.TABLES
    ]


_ROWS_SQL = {
    "duckdb": _rows_sql("hash({t})", "bit_xor({h})"),
    "postgresql": _rows_sql("hashtext({t}::text)", "sum({h}::bigint)"),
}


def _rows(db: Database, workshop_id: str) -> tuple:
    with db.snapshot() as cur:
        return tuple(tuple(cur.execute(sql, [workshop_id]).fetchone()) for sql in _ROWS_SQL[db.engine])


def _write(where: Path, name: str, text: str) -> Path:
    """Atomically: a temporary file in the same folder, on the disk, then renamed (a crash leaves
    the old copies and at most a stray temporary file). Readable by the owner only: copies hold ballots."""
    where.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    where.mkdir(mode=0o700, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=where)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, where / name)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(where, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # the rename itself survives a power cut
    finally:
        os.close(dir_fd)
    return where / name


def _rotate(where: Path, keep: int) -> None:
    """Keep the newest ``keep`` copies (kept ones aside) and no temporary file of an earlier crash."""
    for stray in where.glob(".*.tmp"):
        stray.unlink(missing_ok=True)
    regular = [p for p in copies(where) if not p.stem.endswith(KEPT)]
    for old in regular[:-keep]:
        old.unlink(missing_ok=True)


def _read(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.warning("safety copy %s cannot be read: %s", path, exc)
        return None
    if not isinstance(data, dict) or data.get("format") != backup.FORMAT or not isinstance(data.get("workshop"), dict):
        log.warning("safety copy %s is not a workshop backup", path)
        return None
    return data


def _command(*args: str) -> str:
    return shlex.join(args)


def set_aside_commands(db_path: str, *, wal_only: bool = False) -> str:
    """The shell commands that move a damaged database file (and its log) aside, keeping them."""
    wal = db_path + ".wal"
    lines = [] if wal_only else [_command("mv", db_path, db_path + ".damaged")]
    if wal_only or Path(wal).exists():
        lines.append(_command("mv", wal, wal + ".damaged"))
    return "\n".join(lines)


def restore_commands(db_path: str, folder: str | Path) -> str:
    """One restore command per workshop folder: its newest copy into ``db_path``."""
    root = Path(folder)
    folders = sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    newest = [c[-1] for c in map(copies, folders) if c]
    return "\n".join(_command(sys.executable, "-m", "workshop", "--db", db_path, "restore", str(p)) for p in newest)


def _reason(exc: BaseException) -> str:
    """Why a copy failed, in the words of the database's own alarm (the same msgids)."""
    code = getattr(exc, "errno", None)
    if code == errno.ENOSPC:
        return N_("the disk is full")
    if code in (errno.EROFS, errno.EACCES, errno.EPERM):
        return N_("the file or its folder is read-only")
    return N_("the disk reported an error")


# --- lost writes ------------------------------------------------------------------------------


def _lost(copy: dict, now: dict | None) -> tuple[int, int]:
    """Ballots and proposals of the copy the database lacks: missing, or a ballot stored earlier
    than the copy's version of it. A ballot removed with its revoked voting card is not lost."""
    have = {b["id"]: b["submitted_at"] for b in now["ballots"]} if now else {}
    revoked = {c["device_id"] for c in now["cards"] if c["revoked"] and c["device_id"]} if now else set()
    measures = {m["id"] for m in now["measures"]} if now else set()
    ballots = sum(
        1
        for b in copy.get("ballots", [])
        if b["device_id"] not in revoked
        and (b["id"] not in have or datetime.fromisoformat(have[b["id"]]) < datetime.fromisoformat(b["submitted_at"]))
    )
    return ballots, sum(1 for m in copy.get("measures", []) if m["id"] not in measures)


def _lost_writes(db: Database, copy_path: Path, copy: dict, found: bool, ballots: int, measures: int) -> LostWrites:
    """The finding, with the command that restores the copy (into this file if the workshop is gone)."""
    ws = copy["workshop"]
    params: dict[str, Any] = {
        "title": ws.get("title", ""),
        "time": str(copy.get("exported_at", "")).replace("T", " "),
        "ballots": ballots,
        "measures": measures,
        "copy": str(copy_path),
    }
    if not found:  # the whole workshop is gone: the copy goes back into this file as it is
        return LostWrites(
            N_(
                "The database does not have the workshop “{title}” at all, but its safety copy of {time} does "
                "(ballots: {ballots}, proposals: {measures}): the last writes before the app stopped were lost. "
                "Stop the app, restore the copy and start the app again:\n\n{restore}"
            ),
            restore=_command(sys.executable, "-m", "workshop", "--db", db.path, "restore", str(copy_path)),
            **params,
        )
    fresh = str(Path(db.path).with_name(f"{Path(db.path).stem}-restored-{copy_path.stem}.duckdb"))
    return LostWrites(
        N_(
            "The newest safety copy of “{title}” ({time}) holds writes the database does not have (ballots: "
            "{ballots}, proposals: {measures}): the last writes before the app stopped were probably lost (a "
            "damaged or cut-off write-ahead log). Before anyone votes again, stop the app, restore the copy "
            "into a new database file and start the app with PW_DB_PATH set to that file:\n\n{restore}\n\n"
            "The current file stays as it is; the copy is kept until you delete it: {copy}"
        ),
        restore=_command(sys.executable, "-m", "workshop", "--db", fresh, "restore", str(copy_path)),
        **params,
    )


# --- the keeper ---------------------------------------------------------------------------------


class Keeper:
    """The safety copies of one database: a round every ``minutes``, and one workshop on request."""

    def __init__(self, db: Database, folder: str | Path, *, minutes: float, keep: int) -> None:
        # A weak reference: the keeper's thread must not keep a database open that its owner let go.
        self._db = weakref.ref(db)
        self.folder = Path(folder)
        self.interval = max(1.0, minutes * 60)
        self.keep = max(1, keep)
        self._lock = threading.Lock()  # one copy at a time (the thread, a deletion)
        self._last: dict[str, str] = {}  # workshop id -> fingerprint of its newest copy
        self._rows: dict[str, tuple] = {}  # workshop id -> its rows' hashes when it was last looked at
        self._asked: set[str] = set()
        self._asked_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.lost: list[LostWrites] = []
        self.trouble: SafetyCopyFailed | None = None

    def db(self) -> Database:
        db = self._db()
        if db is None:
            raise duckdb.ConnectionException("the database was let go")
        return db

    # -- copies ----------------------------------------------------------------------------------
    def copy(self, workshop_id: str, *, any_phase: bool = False) -> Path | None:
        """Write a copy of one workshop if it is open (or ``any_phase``) and changed since its last
        copy; returns the new file, or None."""
        with self._lock:
            db = self.db()
            rows = _rows(db, workshop_id)  # before the export: a change in between is seen next time
            if rows == self._rows.get(workshop_id):
                return None
            try:
                data = backup.export_workshop(db, workshop_id)
            except NotFound:  # deleted meanwhile
                return None
            ws = data["workshop"]
            if not any_phase and ws["phase"] not in OPEN_PHASES:
                return None
            where = folder_of(self.folder, ws["join_code"], workshop_id)
            mark = fingerprint(data)
            if workshop_id not in self._last:
                newest = copies(where)[-1:]
                stored = _read(newest[0]) if newest else None
                self._last[workshop_id] = fingerprint(stored) if stored else ""
            if mark == self._last[workshop_id]:
                self._rows[workshop_id] = rows
                return None
            now = datetime.now()
            name = f"{where.name}-{now:%Y%m%d-%H%M%S}-{now.microsecond // 1000:03d}.json"
            path = _write(where, name, backup.dumps(data))
            self._last[workshop_id], self._rows[workshop_id] = mark, rows  # only once the file is there
            _rotate(where, self.keep)
            log.info("safety copy %s", path)
            return path

    def copy_all(self) -> list[Path]:
        """A copy of every open workshop that changed since its last one."""
        phases = [str(p) for p in OPEN_PHASES]
        rows = self.db().fetchall(
            "SELECT id FROM workshops WHERE phase IN (SELECT unnest(CAST($1 AS VARCHAR[])))", [phases]
        )
        ids = [r[0] for r in rows]
        return [path for wid in ids if (path := self.copy(wid))]

    def forget(self, join_code: str, workshop_id: str) -> None:
        """Remove a deleted workshop's copies (deleting a workshop leaves nothing of it)."""
        with self._lock:
            shutil.rmtree(folder_of(self.folder, join_code, workshop_id), ignore_errors=True)
            self._last.pop(workshop_id, None)
            self._rows.pop(workshop_id, None)

    # -- lost writes -----------------------------------------------------------------------------
    def check(self) -> list[LostWrites]:
        """Compare the newest copy of each workshop, and every kept one, with the database; log
        and keep what the database lacks.

        A copy that holds lost writes is renamed ``…-kept.json``: rotation never removes it, and
        every start reports it again until the writes are back or someone deletes the file.
        """
        db = self.db()
        folders = sorted(p for p in self.folder.iterdir() if p.is_dir()) if self.folder.is_dir() else []
        for where in folders:
            found = copies(where)
            if found and (newest := _read(found[-1])) is not None:
                self._last[str(newest["workshop"].get("id", ""))] = fingerprint(newest)
            for path in sorted({*found[-1:], *(p for p in found if p.stem.endswith(KEPT))}):
                try:
                    self._compare(db, path)
                except Exception:  # one odd file must not hide what the others say
                    log.exception("the safety copy %s could not be compared with the database", path)
        return self.lost

    def _compare(self, db: Database, path: Path) -> None:
        copy = _read(path)
        if copy is None:
            return
        try:
            now = backup.export_workshop(db, str(copy["workshop"].get("id", "")))
        except NotFound:
            now = None
        ballots, measures = _lost(copy, now)
        if not ballots and not measures:
            return
        if not path.stem.endswith(KEPT):
            path = path.rename(path.with_name(path.stem + KEPT + ".json"))
        problem = _lost_writes(db, path, copy, now is not None, ballots, measures)
        log.error("LOST WRITES: %s", problem.message())
        self.lost.append(problem)

    # -- the thread ------------------------------------------------------------------------------
    def ask(self, workshop_id: str) -> None:
        """Copy this workshop soon, in the thread (a phase change: the click does not wait)."""
        with self._asked_lock:
            self._asked.add(workshop_id)
        self._wake.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="safety-copies", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def _run(self) -> None:
        due = time.monotonic() + self.interval
        while not self._stop.is_set():
            self._wake.wait(max(0.0, due - time.monotonic()))
            self._wake.clear()
            with self._asked_lock:
                asked, self._asked = self._asked, set()
            for wid in sorted(asked):
                self._guarded(lambda wid=wid: self.copy(wid, any_phase=True))
            if time.monotonic() >= due:
                self._guarded(self.copy_all)
                due = time.monotonic() + self.interval

    def _guarded(self, fn) -> None:
        """Run one copy: a failure is logged and shown on the console, never raised."""
        try:
            fn()
        except duckdb.ConnectionException:  # the database was closed: this keeper's work is done
            self._stop.set()
            return
        except Exception as exc:
            log.exception("a safety copy in %s failed", self.folder)
            self.trouble = SafetyCopyFailed(
                N_(
                    "The last safety copy could not be written at {time} ({reason}). The workshop goes on; "
                    "the app tries again at the next change of phase and every {minutes} minutes. Check the "
                    "folder {folder}."
                ),
                time=datetime.now().strftime("%H:%M"),
                reason=_reason(exc),
                minutes=f"{self.interval / 60:g}",
                folder=str(self.folder),
            )
            return
        self.trouble = None


# --- one keeper per database, for the pages and the services ---------------------------------

_keepers: weakref.WeakKeyDictionary[Database, Keeper] = weakref.WeakKeyDictionary()


def start(db: Database, settings: config.Settings) -> Keeper | None:
    """Start the safety copies of the process's database and report lost writes; never raises
    (a copy is a safeguard: its failure must not keep the hall from working)."""
    # PostgreSQL keeps its own write-ahead log and backups (pg_dump): no copies beside each replica.
    if db.path == ":memory:" or db.engine != "duckdb" or settings.safety_minutes <= 0 or db in _keepers:
        return _keepers.get(db)
    keeper = Keeper(db, settings.safety_dir, minutes=settings.safety_minutes, keep=settings.safety_keep)
    try:
        keeper.check()
    except Exception:
        log.exception("the safety copies in %s could not be compared with the database", keeper.folder)
    _keepers[db] = keeper
    keeper.start()
    return keeper


def phase_changed(db: Database, workshop_id: str) -> None:
    """A phase changed: ask the thread for a copy of the workshop (no file is written here)."""
    keeper = _keepers.get(db)
    if keeper is not None:
        keeper.ask(workshop_id)


def forget(db: Database, join_code: str, workshop_id: str) -> None:
    """Remove a deleted workshop's copies, whether or not a keeper runs in this process (the
    command line deletes too). A failure is logged: the workshop is gone from the database anyway."""
    if db.path == ":memory:" or db.engine != "duckdb":
        return
    try:
        keeper = _keepers.get(db)
        if keeper is not None:
            keeper.forget(join_code, workshop_id)
        else:
            shutil.rmtree(folder_of(config.safety_dir(db.path), join_code, workshop_id), ignore_errors=True)
    except Exception:
        log.exception("the safety copies of the deleted workshop %s could not be removed", join_code)


def problems(db: Database) -> list[DomainError]:
    """What the facilitator's console shows: lost writes found on start, a failing copy."""
    keeper = _keepers.get(db)
    if keeper is None:
        return []
    return [*keeper.lost, *([keeper.trouble] if keeper.trouble else [])]
