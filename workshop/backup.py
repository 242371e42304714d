"""Backup and restore of one whole workshop as a JSON document (the storage adapter for backups).

A backup holds everything needed to recompute every ranking: the workshop row, goals, groups,
measures, devices, ballots, votes, voting cards (their codes only as the stored hashes), the
entered paper ballots and the audit log. It never holds ballot tokens nor their hashes: a restored
device gets a fresh random hash, so nobody can resume it; nor the links for entering paper
ballots (secrets as well): a restored workshop has none until the facilitator makes new ones.

Format 2 carries a ``checksum``: the SHA-256 of the document without it (``dumps`` of the rest).
A file changed after export no longer matches and is refused as altered, unless the restore is
asked for deliberately (``accept_altered``; the audit log records it). The checksum catches an
edited or damaged file, not a forger who recomputes it: that is what the second check is for.
Every record is held to the rules the services enforce when they write (field lengths, one ballot
per device and method, votes on measures that exist, the workshop's caps and budgets), and the
first record that breaks one is named in the refusal.
"""

from __future__ import annotations

import hashlib
import json
import math
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import duckdb
import pandas as pd
import psycopg

from . import i18n, methods, paper, pgstore
from .errors import N_, NP_, DomainError, NotFound, ValidationError
from .model import (
    TITLE_MAX,
    Made,
    MeasureInput,
    MeasureStatus,
    Method,
    Phase,
    VotingRules,
    WorkshopKind,
    clean_text,
)
from .queries import changes, tallies
from .store import MARK_LEADS, SCHEMA_VERSION, Database

# A transaction that lost to another one (retried by the store) / a row the database refuses.
CONFLICTS = (duckdb.TransactionException, *pgstore.CONFLICTS)
DATA_ERRORS = (duckdb.Error, psycopg.Error)

FORMAT = "planungswerkstatt-workshop-backup"
FORMAT_VERSION = 3
# format 1: no voting cards, no checksum (restored only as "altered"); 1 and 2: no measure
# languages and translations (read as "not known" and none). Columns and tables added within
# format 3 (``ADDED``, ``paper_sheets``) take their defaults where a file lacks them; an app from
# before them restores a newer file without them (its paper ballots then count as digital).
READABLE_VERSIONS = (1, 2, 3)


@dataclass(frozen=True)
class Col:
    name: str
    kind: str  # str, int, float, bool, timestamp, date, json
    nullable: bool = False


def _cols(spec: str) -> tuple[Col, ...]:
    """``"id, title:str?, seq:int"`` -> columns; a trailing ``?`` allows NULL, the default kind is str."""
    out = []
    for item in spec.split(","):
        name, _, kind = item.strip().partition(":")
        nullable = kind.endswith("?")
        out.append(Col(name, kind.rstrip("?") or "str", nullable))
    return tuple(out)


# The columns of each table in a backup. token_hash of devices is left out on purpose.
WORKSHOP = _cols(
    "id, title, date:date?, place, join_code, kind, vision_title, vision_description, phase, "
    "results_revealed:bool, rules:json, previous_id:str?, created_at:timestamp, phase_ends_at:timestamp?, "
    "paper_double:bool, paper_closed:bool, wall_paper:bool"
)
TABLES: dict[str, tuple[Col, ...]] = {
    "goals": _cols("id, workshop_id, position:int, title, description"),
    "groups": _cols("id, workshop_id, position:int, name"),
    "measures": _cols(
        "id, workshop_id, goal_id, title, description, responsible, target_group, timeframe, cost, group_id:str?, "
        "author_device_id:str?, status, hidden:bool, merged_into:str?, seq:int, created_at:timestamp, lang"
    ),
    "translations": _cols("measure_id, workshop_id, lang, title, description, made, reviewed:bool, stale:bool"),
    "devices": _cols("id, workshop_id, group_id:str?, kiosk:bool, created_at:timestamp, paper:bool"),
    "ballots": _cols("id, workshop_id, device_id, method, submission_id, submitted_at:timestamp, channel"),
    "votes": _cols("ballot_id, measure_id, criterion, value:float"),
    "cards": _cols(
        "id, workshop_id, number:int, code_hash, device_id:str?, revoked:bool, created_at:timestamp, sheet:bool, "
        "sheet_ballot:str?"
    ),
    "paper_sheets": _cols(
        "card_id, workshop_id, number:int, method, state, first_entry:json, second_entry:json?, reason, "
        "ballot_id:str?, updated_at:timestamp"
    ),
    "audit_log": _cols("id:int, workshop_id, logged_at:timestamp, action, subject, value_before, value_after"),
}
_EXPORT_SQL = {
    "goals": "SELECT {cols} FROM goals WHERE workshop_id = $1 ORDER BY position, id",
    "groups": "SELECT {cols} FROM groups WHERE workshop_id = $1 ORDER BY position, id",
    "measures": "SELECT {cols} FROM measures WHERE workshop_id = $1 ORDER BY seq, id",
    "translations": "SELECT {cols} FROM translations WHERE workshop_id = $1 ORDER BY measure_id, lang",
    "devices": "SELECT {cols} FROM devices WHERE workshop_id = $1 ORDER BY created_at, id",
    "ballots": "SELECT {cols} FROM ballots WHERE workshop_id = $1 ORDER BY submitted_at, id",
    "votes": "SELECT {cols} FROM votes v JOIN ballots b ON b.id = v.ballot_id WHERE b.workshop_id = $1 "
    "ORDER BY v.ballot_id, v.measure_id, v.criterion, v.value",
    "cards": "SELECT {cols} FROM cards WHERE workshop_id = $1 ORDER BY number, id",
    "paper_sheets": "SELECT {cols} FROM paper_sheets WHERE workshop_id = $1 ORDER BY number, card_id",
    "audit_log": "SELECT {cols} FROM audit_log WHERE workshop_id = $1 ORDER BY id",
}
_ENUMS = {
    ("workshop", "phase"): Phase,
    ("workshop", "kind"): WorkshopKind,
    ("measures", "status"): MeasureStatus,
    ("translations", "made"): Made,
    ("ballots", "method"): Method,
    ("ballots", "channel"): (paper.DIGITAL, paper.PAPER),
    ("paper_sheets", "method"): Method,
    ("paper_sheets", "state"): tuple(paper.STATES),
    ("paper_sheets", "reason"): ("", *paper.INVALID_REASONS),
}
# Columns that came after a format's first files, with the value a file without them means.
ADDED: dict[str, dict[str, Any]] = {
    "workshop": {"paper_double": False, "paper_closed": False, "wall_paper": False},
    "translations": {"stale": False},
    "devices": {"paper": False},
    "ballots": {"channel": paper.DIGITAL},
    "cards": {"sheet": False, "sheet_ballot": None},
}


# --- export -----------------------------------------------------------------------------------


def _plain(value: Any, col: Col | None = None) -> Any:
    if col is not None and col.kind == "json" and isinstance(value, str):
        return json.loads(value)  # stored as text, written as the object it is (a paper ballot's entry)
    return value.isoformat() if isinstance(value, date | datetime) else value


def export_workshop(db: Database, workshop_id: str) -> dict:
    """One workshop with everything that belongs to it, as a JSON-serialisable dict.

    All of it is read at one moment (``Database.snapshot``): a ballot stored meanwhile is in the
    backup with its votes, or not at all, so a backup taken during the vote restores.
    """
    names = ", ".join(c.name for c in WORKSHOP)
    with db.snapshot() as cur:
        row = cur.execute(f"SELECT {names} FROM workshops WHERE id = $1", [workshop_id]).fetchone()
        if not row:
            raise NotFound(N_("This workshop does not exist."))
        workshop = {c.name: _plain(v) for c, v in zip(WORKSHOP, row, strict=True)}
        workshop["rules"] = json.loads(workshop["rules"])
        data: dict[str, Any] = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "schema_version": SCHEMA_VERSION,
            "exported_at": datetime.now().replace(microsecond=0).isoformat(),
            "workshop": workshop,
        }
        for table, cols in TABLES.items():
            prefix = "v." if table == "votes" else ""
            sql = _EXPORT_SQL[table].format(cols=", ".join(prefix + c.name for c in cols))
            rows = cur.execute(sql, [workshop_id]).fetchall()
            data[table] = [{c.name: _plain(v, c) for c, v in zip(cols, r, strict=True)} for r in rows]
    data["checksum"] = checksum(data)
    return data


def checksum(data: dict) -> str:
    """SHA-256 of the document without its ``checksum`` key, as ``dumps`` writes it."""
    rest = {k: v for k, v in data.items() if k != "checksum"}
    return "sha256:" + hashlib.sha256(dumps(rest).encode("utf-8")).hexdigest()


def _json_default(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(data: dict) -> str:
    """The backup as JSON text (write it as UTF-8): sorted keys, one-space indent, dates as ISO."""
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True, default=_json_default)


# --- restore ----------------------------------------------------------------------------------


class _Damaged(Exception):
    """Internal: where the file is broken (a path such as ``measures[3].seq``)."""


def _decode(value: Any, col: Col, where: str) -> Any:
    if value is None:
        if col.nullable:
            return None
        raise _Damaged(where)
    kind = col.kind
    if kind == "str" and isinstance(value, str):
        return value
    if kind == "int" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind == "float" and isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)  # not NaN or infinity (JSON from Python may carry them)
    if kind == "bool" and isinstance(value, bool):
        return value
    if kind == "json" and isinstance(value, dict):
        return value
    if kind in ("timestamp", "date") and isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value) if kind == "timestamp" else date.fromisoformat(value)
        except ValueError:
            raise _Damaged(where) from None
        if kind == "timestamp" and parsed.tzinfo is not None:
            raise _Damaged(where)
        return parsed
    raise _Damaged(where)


def _decode_row(row: Any, cols: tuple[Col, ...], where: str) -> dict[str, Any]:
    if not isinstance(row, dict):
        raise _Damaged(where)
    out = {}
    for col in cols:
        if col.name not in row:
            raise _Damaged(f"{where}.{col.name}")
        out[col.name] = _decode(row[col.name], col, f"{where}.{col.name}")
    return out


def _parse(data: dict | str | bytes) -> dict:
    if isinstance(data, bytes | bytearray):
        try:
            data = bytes(data).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError(N_("This file is not a workshop backup; nothing was restored.")) from None
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            raise ValidationError(N_("This file is not a workshop backup; nothing was restored.")) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValidationError(N_("This file is not a workshop backup; nothing was restored."))
    version = data.get("format_version")
    if version not in READABLE_VERSIONS:
        raise ValidationError(
            N_("This backup has format version {found}; this app reads version {expected}. Nothing was restored."),
            found=version,
            expected=FORMAT_VERSION,
        )
    return data


def _check(data: dict) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """Types, enums and references inside the file; raises ``_Damaged`` with the first problem."""
    ws = _decode_row(_with_added("workshop", data.get("workshop")), WORKSHOP, "workshop")
    tables: dict[str, list[dict[str, Any]]] = {}
    version = data.get("format_version")
    for table, cols in TABLES.items():
        missing = (
            (table == "cards" and version == 1)
            or (table == "translations" and version in (1, 2))
            or table == "paper_sheets"  # came after format 3's first files
        )
        rows = data.get(table, [] if missing else None)
        if not isinstance(rows, list):
            raise _Damaged(table)
        if table == "measures" and version in (1, 2):
            rows = [{"lang": "", **r} if isinstance(r, dict) else r for r in rows]
        rows = [_with_added(table, r) for r in rows]
        tables[table] = [_decode_row(r, cols, f"{table}[{i}]") for i, r in enumerate(rows)]
    for (table, column), enum in _ENUMS.items():
        for i, row in enumerate([ws] if table == "workshop" else tables[table]):
            if row[column] not in {str(e) for e in enum}:
                raise _Damaged(f"{table}[{i}].{column}" if table != "workshop" else f"workshop.{column}")
    try:
        VotingRules.from_dict(ws["rules"]).validated()
    except Exception:  # any failure here means the rules in the file are unusable
        raise _Damaged("workshop.rules") from None
    for table, rows in tables.items():
        for i, row in enumerate(rows):
            if "workshop_id" in row and row["workshop_id"] != ws["id"]:
                raise _Damaged(f"{table}[{i}].workshop_id")
        if table == "translations":
            keys = [(r["measure_id"], r["lang"]) for r in rows]
            if len(set(keys)) != len(keys):
                raise _Damaged(f"{table} (duplicate)")
        elif table != "votes":
            key = "card_id" if table == "paper_sheets" else "id"
            ids = [r[key] for r in rows]
            if len(set(ids)) != len(ids):
                raise _Damaged(f"{table}.{key} (duplicate)")
    known = {t: {r["id"] for r in tables[t]} for t in ("goals", "groups", "devices", "ballots", "measures", "cards")}
    refs = (
        ("measures", "goal_id", "goals"),
        ("measures", "group_id", "groups"),
        ("measures", "merged_into", "measures"),
        ("measures", "author_device_id", "devices"),
        ("devices", "group_id", "groups"),
        ("ballots", "device_id", "devices"),
        ("votes", "ballot_id", "ballots"),
        ("votes", "measure_id", "measures"),
        ("translations", "measure_id", "measures"),
        ("cards", "device_id", "devices"),
        ("paper_sheets", "card_id", "cards"),
        ("paper_sheets", "ballot_id", "ballots"),
    )
    for table, column, target in refs:
        for i, row in enumerate(tables[table]):
            if row[column] is not None and row[column] not in known[target]:
                raise _Damaged(f"{table}[{i}].{column}")
    _check_sheets(tables)
    return ws, tables


def _with_added(table: str, row: Any) -> Any:
    """A record of a file written before some of its columns existed, with their defaults (``ADDED``)."""
    return {**ADDED[table], **row} if table in ADDED and isinstance(row, dict) else row


def _check_sheets(tables: dict[str, list[dict[str, Any]]]) -> None:
    """Each entered paper ballot as the services store it: on a card printed as a sheet, under its
    number; a counted one with its ballot (from paper, of its method), any other without one; an
    invalid one with its reason."""
    cards = {c["id"]: c for c in tables["cards"]}
    ballots = {b["id"]: b for b in tables["ballots"]}
    for i, sheet in enumerate(tables["paper_sheets"]):
        card = cards[sheet["card_id"]]
        if not card["sheet"]:
            raise _Damaged(f"paper_sheets[{i}].card_id")
        if sheet["number"] != card["number"]:
            raise _Damaged(f"paper_sheets[{i}].number")
        ballot = ballots.get(sheet["ballot_id"])
        if (sheet["state"] == paper.COUNTED) != (ballot is not None) or (
            ballot is not None
            and (ballot["channel"], ballot["method"], ballot["device_id"])
            != (paper.PAPER, sheet["method"], card["device_id"])
        ):
            raise _Damaged(f"paper_sheets[{i}].ballot_id")
        if (sheet["state"] == paper.INVALID) != bool(sheet["reason"]):
            raise _Damaged(f"paper_sheets[{i}].reason")
    on_sheets = {s["ballot_id"] for s in tables["paper_sheets"]}
    for i, ballot in enumerate(tables["ballots"]):
        if ballot["channel"] == paper.PAPER and ballot["id"] not in on_sheets:
            raise _Damaged(f"ballots[{i}].channel")


class _Breaks(Exception):
    """Internal: a record that breaks a rule of the services (where, and the refusal)."""

    def __init__(self, where: str, problem: DomainError) -> None:
        super().__init__(where)
        self.where, self.problem = where, problem


def _hold_to_the_rules(ws: dict[str, Any], tables: dict[str, list[dict[str, Any]]]) -> None:
    """What the services would have refused to write; raises ``_Breaks`` at the first record."""

    def field(where: str, value: str, label: str, *, min_len: int = 0, max_len: int, multiline=False) -> None:
        try:
            clean_text(value, field_label=label, min_len=min_len, max_len=max_len, multiline=multiline)
        except DomainError as exc:
            raise _Breaks(where, exc) from None

    field("workshop.title", ws["title"], N_("Title"), min_len=3, max_len=120)
    field("workshop.place", ws["place"], N_("Venue"), max_len=200)
    field("workshop.vision_title", ws["vision_title"], N_("Guiding vision"), max_len=200)
    field("workshop.vision_description", ws["vision_description"], N_("Description"), max_len=2000, multiline=True)
    for i, goal in enumerate(tables["goals"]):
        field(f"goals[{i}].title", goal["title"], N_("Goal"), min_len=3, max_len=TITLE_MAX)
        field(f"goals[{i}].description", goal["description"], N_("Short description"), max_len=1000, multiline=True)
    for i, group in enumerate(tables["groups"]):
        field(f"groups[{i}].name", group["name"], N_("Working group"), min_len=1, max_len=80)
    languages = set(i18n.available_languages())
    original = {}
    for i, m in enumerate(tables["measures"]):
        details = {k: m[k] for k in ("description", "responsible", "target_group", "timeframe", "cost")}
        try:
            MeasureInput(title=m["title"], **details).validated()
        except DomainError as exc:
            raise _Breaks(f"measures[{i}]", exc) from None
        if m["lang"] and m["lang"] not in languages:
            raise _Breaks(f"measures[{i}].lang", ValidationError(N_("This language is not offered here.")))
        original[m["id"]] = m["lang"]
    for i, t in enumerate(tables["translations"]):
        try:
            MeasureInput(title=t["title"], description=t["description"]).validated()
        except DomainError as exc:
            raise _Breaks(f"translations[{i}]", exc) from None
        if t["lang"] not in languages:
            raise _Breaks(f"translations[{i}].lang", ValidationError(N_("This language is not offered here.")))
        if t["lang"] == original[t["measure_id"]]:
            raise _Breaks(
                f"translations[{i}].lang",
                ValidationError(N_("A translation must be in another language than the original.")),
            )
    rules = VotingRules.from_dict(ws["rules"]).validated()
    seen = Counter((b["device_id"], b["method"]) for b in tables["ballots"])
    for i, b in enumerate(tables["ballots"]):
        if seen[(b["device_id"], b["method"])] > 1:
            raise _Breaks(f"ballots[{i}]", ValidationError(N_("A second ballot of one device for one method.")))
    goal_of = {m["id"]: m["goal_id"] for m in tables["measures"]}
    merged_into = Counter(m["merged_into"] for m in tables["measures"] if m["merged_into"])
    method_of = {b["id"]: b["method"] for b in tables["ballots"]}
    rows: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for i, v in enumerate(tables["votes"]):
        rows.setdefault(v["ballot_id"], []).append((i, v))
    for ballot_id, votes in rows.items():
        method = Method(method_of[ballot_id])
        voting = methods.of(method)
        keys = Counter((v["measure_id"], v["criterion"]) for _i, v in votes)
        for i, v in votes:
            where = f"votes[{i}]"
            if keys[(v["measure_id"], v["criterion"])] > 1:
                raise _Breaks(where, ValidationError(N_("The same vote twice in one ballot.")))
            # A merge averages a ballot's ratings of the merged measures (3.5): only ratings may be fractions.
            if voting.whole_numbers and not float(v["value"]).is_integer():
                raise _Breaks(where, ValidationError(N_("A vote must be a whole number.")))
            # A merge adds its duplicates' dots to the measure kept: its cap grows with them.
            cap = voting.value_cap(rules) * (1 + merged_into[v["measure_id"]]) if voting.value_cap else None
            if cap is not None and v["value"] > cap:
                raise _Breaks(
                    where,
                    ValidationError(
                        NP_("At most {max} dot per measure.", "At most {max} dots per measure."),
                        conference=NP_(
                            "At most {max} dot per recommendation.", "At most {max} dots per recommendation."
                        ),
                        max=cap,
                    ),
                )
        # The ballot as the services check it; caps and budgets as above where merges moved dots.
        relaxed = rules if not merged_into else _without_caps(rules)
        try:
            ballot = voting.ballot.from_rows([(v["measure_id"], v["criterion"], round(v["value"])) for _i, v in votes])
            ballot.validate(_with_method(relaxed, method), goal_of)
        except DomainError as exc:
            raise _Breaks(f"votes[{votes[0][0]}]", exc) from None


def _with_method(rules: VotingRules, method: Method) -> VotingRules:
    from dataclasses import replace

    return replace(rules, method=method)


def _without_caps(rules: VotingRules) -> VotingRules:
    from dataclasses import replace

    return replace(rules, max_per_measure=rules.dots_per_person, goal_budget=None)


def _frame(rows: list[dict[str, Any]], cols: tuple[Col, ...]) -> pd.DataFrame:
    """Rows as a typed frame, so DuckDB bulk-inserts them (row-wise inserts take seconds for votes)."""
    dtypes = {"str": object, "int": "int64", "float": "float64", "bool": "bool", "timestamp": "datetime64[us]"}
    return pd.DataFrame({c.name: pd.Series([r[c.name] for r in rows], dtype=dtypes[c.kind]) for c in cols})


def _insert(cur, engine: str, table: str, rows: list[dict[str, Any]], cols: tuple[Col, ...]) -> None:
    """Bulk-insert a table's rows: DuckDB reads a typed frame, PostgreSQL a COPY."""
    if not rows:
        return
    if engine == "postgresql":
        names = ", ".join(c.name for c in cols)
        with cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row([r[c.name] for c in cols])
        return
    frame = _frame(rows, cols)
    names = ", ".join(frame.columns)
    cur.register("restore_rows", frame)
    try:
        cur.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM restore_rows")
    except duckdb.Error:
        # The transaction is aborted: unregistering now would raise a TransactionException of its
        # own (read as a write conflict and retried) in place of the error that counts.
        raise
    cur.unregister("restore_rows")


def _json_text(value: dict | None) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True)


def _advance_sequence(cur, engine: str, name: str, at_least: int) -> None:
    """Move a sequence past ``at_least``.

    DuckDB has no ``ALTER SEQUENCE ... RESTART`` and cannot replace a sequence a table default
    depends on, so the missing values are drawn (in one statement) until it is far enough;
    PostgreSQL sets it.
    """
    if engine == "postgresql":
        cur.execute(f"SELECT setval('{name}', greatest($1, (SELECT last_value FROM {name})))", [max(at_least, 1)])
        return
    last = cur.execute(
        "SELECT coalesce(last_value, 0) FROM duckdb_sequences() "
        "WHERE sequence_name = $1 AND database_name = current_database()",
        [name],
    ).fetchone()[0]
    missing = at_least - last
    if missing > 0:
        cur.execute(f"SELECT max(nextval('{name}')) FROM generate_series(1, $1)", [missing])


def restore(db: Database, data: dict | str | bytes, *, accept_altered: bool = False) -> str:
    """Insert a backup as a new workshop in one transaction; returns its id.

    Refused, with nothing written: a file that is not a backup or is damaged, another format
    version, a file changed since its export (its checksum; ``accept_altered`` restores it anyway
    and the audit log says so), a record that breaks the rules the services enforce, or a workshop
    (id or join code) or records that already exist in the database.
    """
    parsed = _parse(data)
    try:
        ws, tables = _check(parsed)
    except _Damaged as exc:
        raise ValidationError(
            N_("The backup is damaged or incomplete ({detail}); nothing was restored."), detail=str(exc)
        ) from None
    altered = parsed.get("checksum") != checksum(parsed)
    if altered and not accept_altered:
        raise ValidationError(
            N_(
                "This backup was changed after it was exported (its checksum does not match), or it is from an "
                "older version without one; nothing was restored. Restore it deliberately only if you trust "
                "the file."
            )
        )
    try:
        _hold_to_the_rules(ws, tables)
    except _Breaks as exc:
        raise ValidationError(
            N_("The backup breaks a rule of the workshop at {where}: {problem} Nothing was restored."),
            where=exc.where,
            problem=exc.problem.message(),
        ) from None

    def tx(cur) -> str:
        if cur.execute("SELECT 1 FROM workshops WHERE id = $1", [ws["id"]]).fetchone():
            raise ValidationError(
                N_(
                    "This workshop already exists in the database; nothing was restored. Delete it first "
                    "to replace it with the backup."
                )
            )
        if cur.execute("SELECT 1 FROM workshops WHERE join_code = $1", [ws["join_code"]]).fetchone():
            raise ValidationError(
                N_("Another workshop in the database has the join code {code}; nothing was restored."),
                code=ws["join_code"],
            )
        for table in ("goals", "groups", "measures", "devices", "ballots", "cards"):
            ids = [r["id"] for r in tables[table]]
            taken = f"SELECT count(*) FROM {table} WHERE id IN (SELECT unnest(CAST($1 AS VARCHAR[])))"
            if ids and cur.execute(taken, [ids]).fetchone()[0]:
                raise ValidationError(N_("Parts of this backup already exist in the database; nothing was restored."))
        row = {**ws, "rules": json.dumps(ws["rules"], ensure_ascii=False)}
        names = [c.name for c in WORKSHOP]
        cur.execute(
            f"INSERT INTO workshops ({', '.join(names)}) "
            f"VALUES ({', '.join(f'${i}' for i in range(1, len(names) + 1))})",
            [row[n] for n in names],
        )
        try:
            for table, cols in TABLES.items():
                rows = tables[table]
                if table == "devices":
                    # Tokens are not in backups: a fresh random hash that matches no token anyone has.
                    cols = (*cols, Col("token_hash", "str"))
                    rows = [{**r, "token_hash": hashlib.sha256(secrets.token_bytes(32)).hexdigest()} for r in rows]
                if any(c.kind == "json" for c in cols):  # stored as text, as the services write it
                    rows = [{**r, **{c.name: _json_text(r[c.name]) for c in cols if c.kind == "json"}} for r in rows]
                    cols = tuple(Col(c.name, "str", c.nullable) if c.kind == "json" else c for c in cols)
                if table == "audit_log":
                    # Entry ids are drawn fresh from seq_audit (the old ones may be taken here), in the old order.
                    rows = sorted(rows, key=lambda r: r["id"])
                    fresh = sorted(
                        i
                        for (i,) in cur.execute(
                            "SELECT nextval('seq_audit') FROM generate_series(1, $1)", [len(rows)]
                        ).fetchall()
                    )
                    rows = [{**r, "id": i} for r, i in zip(rows, fresh, strict=True)]
                _insert(cur, db.engine, table, rows, cols)
        except CONFLICTS:
            raise
        except DATA_ERRORS as exc:
            raise ValidationError(
                N_("The backup is damaged or incomplete ({detail}); nothing was restored."), detail=type(exc).__name__
            ) from exc
        if altered:
            cur.execute(
                "INSERT INTO audit_log (workshop_id, action, subject, value_before, value_after) "
                "VALUES ($1, 'restore_altered', $2, '', $3)",
                [ws["id"], ws["id"], str(parsed.get("checksum") or "")],
            )
        # `leads` is derived, not in the file: marked again for the restored ballots.
        cur.execute(MARK_LEADS.format(where="ballot_id IN (SELECT id FROM ballots WHERE workshop_id = $1)"), [ws["id"]])
        tallies.recount(cur, ws["id"])  # derived too: counted from the restored votes
        changes.bump(cur, ws["id"])  # a workshop restored under an id some process may still cache
        # Explicit seq values keep the tie-break; new measures must still come after all of them.
        highest = cur.execute("SELECT coalesce(max(seq), 0) FROM measures").fetchone()[0]
        _advance_sequence(cur, db.engine, "seq_measure", highest)
        return ws["id"]

    return db.write(tx)
