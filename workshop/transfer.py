"""Move the whole archive between engines: a DuckDB file into PostgreSQL and back.

``python -m workshop copy-store FROM TO``: every table row for row (ids, tokens' hashes, the
passphrase's hash, sessions, the audit log), in one transaction on the target, whose schema is
migrated first and must hold no workshop yet; the sequences continue after the copied values. At
the end every workshop's ranking is computed on both sides and compared: a difference undoes
nothing (the target is new) but is reported and fails the command.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from . import scoring, services, views
from .errors import N_, ValidationError
from .queries import tallies
from .store import Store

# Parents before children (no foreign keys are declared, but a reader of a half-copied target
# should never meet a vote without its ballot); ``meta`` last (its schema version is the target's).
_ORDER = (
    "workshops",
    "goals",
    "groups",
    "devices",
    "measures",
    "translations",
    "mediator_keys",
    "cards",
    "ballots",
    "votes",
    "merges",
    "audit_log",
    "facilitator_sessions",
    "meta",
)
# Made from other tables by the engine that keeps them (queries.tallies): counted on the target.
DERIVED = {"tallies"}
_SEQUENCES = {
    "seq_measure": ("measures", "seq"),
    "seq_audit": ("audit_log", "id"),
    "seq_changes": ("changes", "version"),
}


@dataclass(frozen=True)
class Copied:
    rows: dict[str, int]
    workshops: int
    rankings_checked: int


def _tables(db: Store) -> list[str]:
    names = {
        r[0]
        for r in db.fetchall(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        )
    }
    return [t for t in _ORDER if t in names] + sorted(names - set(_ORDER))


def _columns(db: Store, table: str) -> list[str]:
    return [
        r[0]
        for r in db.fetchall(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = $1 AND table_schema = current_schema() ORDER BY ordinal_position",
            [table],
        )
    ]


def insert_frame(cur, engine: str, table: str, columns: list[str], frame: pd.DataFrame) -> None:
    """Bulk-insert a frame's rows: DuckDB reads the frame itself, PostgreSQL a COPY."""
    if frame.empty:
        return
    names = ", ".join(columns)
    if engine == "postgresql":
        with cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in frame.itertuples(index=False, name=None):
                copy.write_row([None if _missing(v) else _plain(v) for v in row])
        return
    cur.register("copied_rows", frame)
    cur.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM copied_rows")
    cur.unregister("copied_rows")


def _missing(value) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _plain(value):
    """numpy scalars and pandas timestamps as the Python values a COPY row takes."""
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime()
    if hasattr(value, "item"):
        return value.item()
    return value


def _advance(cur, engine: str, sequence: str, at_least: int) -> None:
    if at_least <= 0:
        return
    if engine == "postgresql":
        cur.execute(f"SELECT setval('{sequence}', $1)", [at_least])
    else:
        cur.execute(f"SELECT max(nextval('{sequence}')) FROM generate_series(1, $1)", [at_least])


def copy_store(source: Store, target: Store, say: Callable[[str], None] = print) -> Copied:
    """Copy everything from ``source`` into the empty ``target``; compare every ranking."""
    if target.scalar("SELECT count(*) FROM workshops"):
        raise ValidationError(N_("The target database already holds workshops; nothing was copied."))
    tables = [t for t in _tables(source) if t not in DERIVED]
    frames = {}
    with source.snapshot() as cur:  # one moment of the source, however long the copy takes
        for table in tables:
            columns = [c for c in _columns(source, table) if c in set(_columns(target, table))]
            cur.execute(f"SELECT {', '.join(columns)} FROM {table}")
            frames[table] = (columns, pd.DataFrame(cur.fetchall(), columns=columns))

    def tx(cur) -> dict[str, int]:
        counts = {}
        for table, (columns, frame) in frames.items():
            if table == "meta":  # the target's own schema version stays
                frame = frame[frame["key"] != "schema_version"]
                cur.execute("DELETE FROM meta WHERE key <> 'schema_version'")
            insert_frame(cur, target.engine, table, columns, frame)
            counts[table] = len(frame)
        for workshop_id in frames["workshops"][1]["id"]:
            tallies.recount(cur, workshop_id)  # kept by the target's engine, if it keeps them
        for sequence, (table, column) in _SEQUENCES.items():
            if table in frames:
                highest = frames[table][1][column].max()
                _advance(cur, target.engine, sequence, 0 if pd.isna(highest) else int(highest))
        return counts

    counts = target.write(tx)
    for table, n in counts.items():
        say(f"{table}: {n}")
    checked = 0
    for ws in services.list_workshops(source):
        for key in scoring.METHODS:
            before = _ranking(source, ws, key)
            after = _ranking(target, services.get_workshop(target, ws.id), key)
            if not before.equals(after):
                raise ValidationError(
                    N_("The ranking of {title} ({method}) differs after the copy."), title=ws.title, method=key
                )
            checked += 1
    say(f"{len(frames['workshops'][1]) if 'workshops' in frames else 0} workshops, {checked} rankings unchanged")
    return Copied(counts, len(services.list_workshops(target)), checked)


def _ranking(db: Store, ws, key: str) -> pd.DataFrame:
    ranked = views.ranking(db, ws, key)
    columns = [c for c in ("measure_id", "score", "rank_overall", "rank_goal", "place_overall") if c in ranked]
    return ranked[columns].sort_values("measure_id").reset_index(drop=True).astype({"score": float})
