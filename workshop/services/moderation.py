"""Moderation by the facilitation team: edit, hide, move, status, merge and unmerge."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from workshop import auth, methods, store
from workshop.errors import N_, NotFound, ValidationError
from workshop.model import (
    Action,
    Measure,
    MeasureInput,
    MeasureStatus,
    Role,
    clean_flag,
    require,
)
from workshop.store import Database

from .common import (
    CHOOSE_GOAL,
    NO_SUCH_MEASURE,
    _audit,
    _check_expected,
    _key,
    _measure_input,
    _phase_of,
    _sequence,
    new_id,
)
from .measures import _MEASURE_COLS, _measure, _outdate_translations, get_measure


def _measure_workshop(cur, measure_id: object) -> tuple[str, str]:
    row = cur.execute(
        "SELECT workshop_id, title FROM measures WHERE id = $1 AND merged_into IS NULL", [_key(measure_id)]
    ).fetchone()
    if not row:
        raise NotFound(**NO_SUCH_MEASURE)
    return row[0], row[1]


def moderate_edit(
    db: Database,
    fac: auth.Facilitator,
    measure_id: str,
    data: MeasureInput,
    *,
    expected: tuple[str, str] | None = None,
) -> Measure:
    """Edit a measure's texts (the facilitator's correction of a proposal). ``expected``: the
    (title, description) the form showed; refused if the author changed them in the meantime."""
    auth.check(db, fac)
    clean = _measure_input(data)

    def tx(cur):
        wid, before = _measure_workshop(cur, measure_id)
        require(_phase_of(cur, wid), Role.FACILITATOR, Action.MODERATE)
        stored = cur.execute("SELECT title, description FROM measures WHERE id = $1", [measure_id]).fetchone()
        _check_expected(None if expected is None else tuple(expected), tuple(stored))
        _outdate_translations(cur, measure_id, stored, clean)
        cur.execute(
            "UPDATE measures SET title = $1, description = $2, responsible = $3, target_group = $4, timeframe = $5, "
            "cost = $6 WHERE id = $7",
            [
                clean.title,
                clean.description,
                clean.responsible,
                clean.target_group,
                clean.timeframe,
                clean.cost,
                measure_id,
            ],
        )
        _audit(cur, wid, "edit_measure", measure_id, before, clean.title)

    db.write(tx)
    return get_measure(db, measure_id)


def set_hidden(db: Database, fac: auth.Facilitator, measure_id: str, hidden: bool) -> Measure:
    auth.check(db, fac)
    hidden = clean_flag(hidden)

    def tx(cur):
        wid, _title = _measure_workshop(cur, measure_id)
        require(_phase_of(cur, wid), Role.FACILITATOR, Action.MODERATE)
        cur.execute("UPDATE measures SET hidden = $1 WHERE id = $2", [hidden, measure_id])
        _audit(cur, wid, "hide" if hidden else "unhide", measure_id, not hidden, hidden)

    db.write(tx)
    return get_measure(db, measure_id)


def move_measure(db: Database, fac: auth.Facilitator, measure_id: str, goal_id: str) -> Measure:
    auth.check(db, fac)

    def tx(cur):
        wid, _title = _measure_workshop(cur, measure_id)
        require(_phase_of(cur, wid), Role.FACILITATOR, Action.MODERATE)
        if not cur.execute("SELECT 1 FROM goals WHERE id = $1 AND workshop_id = $2", [_key(goal_id), wid]).fetchone():
            raise ValidationError(**CHOOSE_GOAL)
        before = cur.execute("SELECT goal_id FROM measures WHERE id = $1", [measure_id]).fetchone()[0]
        cur.execute("UPDATE measures SET goal_id = $1 WHERE id = $2", [goal_id, measure_id])
        _audit(cur, wid, "move", measure_id, before, goal_id)

    db.write(tx)
    return get_measure(db, measure_id)


def set_status(db: Database, fac: auth.Facilitator, measure_id: str, status: MeasureStatus | str) -> Measure:
    """The state of a carried-over measure: open, in progress, implemented, rejected."""
    auth.check(db, fac)
    try:
        status = MeasureStatus(status)
    except ValueError:
        raise ValidationError(N_("Unknown status.")) from None

    def tx(cur):
        wid, _title = _measure_workshop(cur, measure_id)
        require(_phase_of(cur, wid), Role.FACILITATOR, Action.MODERATE)
        before = cur.execute("SELECT status FROM measures WHERE id = $1", [measure_id]).fetchone()[0]
        cur.execute("UPDATE measures SET status = $1 WHERE id = $2", [str(status), measure_id])
        _audit(cur, wid, "status", measure_id, before, str(status))

    db.write(tx)
    return get_measure(db, measure_id)


# How one ballot's votes on several merged measures become one vote on the merged measure:
# dots add up (dots are conserved), support counts once, ratings are averaged, the best place
# of a ranking is kept. Either way a ballot counts once per measure.


def merge_measures(db: Database, fac: auth.Facilitator, target_id: str, source_ids: list[str]) -> Measure:
    """Merge duplicates into ``target_id``. The sources keep their texts (marked merged); votes
    already cast on them move to the target without counting one ballot twice."""
    auth.check(db, fac)
    sources = [s for s in dict.fromkeys(map(_key, _sequence(source_ids))) if s != target_id]
    if not sources:
        raise ValidationError(
            N_("Choose at least one other measure to merge."),
            conference=N_("Choose at least one other recommendation to merge."),
        )

    def tx(cur):
        wid, title = _measure_workshop(cur, target_id)
        require(_phase_of(cur, wid), Role.FACILITATOR, Action.MODERATE)
        for sid in sources:
            if _measure_workshop(cur, sid)[0] != wid:
                raise ValidationError(
                    N_("Only measures of the same workshop can be merged."),
                    conference=N_("Only recommendations of the same workshop can be merged."),
                )
        ids = [target_id, *sources]
        before = _votes_on(cur, ids)
        for method, agg in ((str(m.method), m.merge_sql) for m in methods.all_methods()):
            # One ballot's votes on the merged measures, combined (a few hundred rows at most).
            merged = cur.execute(
                f"SELECT v.ballot_id, v.criterion, {agg} AS value FROM votes v JOIN ballots b ON b.id = v.ballot_id "
                "WHERE b.method = $1 AND v.measure_id IN (SELECT unnest(CAST($2 AS VARCHAR[]))) "
                "GROUP BY v.ballot_id, v.criterion",
                [method, ids],
            ).fetchall()
            cur.execute(
                "DELETE FROM votes WHERE measure_id IN (SELECT unnest(CAST($1 AS VARCHAR[]))) AND ballot_id IN "
                "(SELECT id FROM ballots WHERE method = $2)",
                [ids, method],
            )
            if merged:
                cur.executemany(
                    "INSERT INTO votes (ballot_id, measure_id, criterion, value) VALUES ($1, $2, $3, $4)",
                    [(b, target_id, c, float(v)) for b, c, v in merged],
                )
        cur.execute(store.MARK_LEADS.format(where="measure_id = $1"), [target_id])
        cur.execute(
            "UPDATE measures SET merged_into = $1 WHERE id IN (SELECT unnest(CAST($2 AS VARCHAR[])))",
            [target_id, list(sources)],
        )
        position = cur.execute("SELECT coalesce(max(position), 0) + 1 FROM merges WHERE workshop_id = $1", [wid])
        cur.execute(
            "INSERT INTO merges (id, workshop_id, position, target_id, sources, votes_before, votes_after) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7)",
            [new_id(), wid, position.fetchone()[0], target_id, json.dumps(sources), json.dumps(before),
             json.dumps(_votes_on(cur, [target_id]))],
        )  # fmt: skip
        _audit(cur, wid, "merge", target_id, sources, title)

    db.write(tx)
    return get_measure(db, target_id)


def _votes_on(cur, measure_ids: list[str]) -> list[list]:
    """Every vote on these measures, in one order: what a merge keeps to undo itself."""
    rows = cur.execute(
        "SELECT ballot_id, measure_id, criterion, value FROM votes "
        "WHERE measure_id IN (SELECT unnest(CAST($1 AS VARCHAR[]))) "
        "ORDER BY ballot_id, measure_id, criterion, value",
        [list(measure_ids)],
    ).fetchall()
    return [list(r) for r in rows]


@dataclass(frozen=True)
class Merge:
    """One merge of duplicates into a measure, as the moderation screen offers to undo it."""

    id: str
    target_id: str
    sources: tuple[str, ...]
    merged_at: datetime


def open_merges(db: Database, workshop_id: str) -> list[Merge]:
    """The merges of a workshop that are not undone, the latest first."""
    rows = db.fetchall(
        "SELECT id, target_id, sources, merged_at FROM merges WHERE workshop_id = $1 AND undone_at IS NULL "
        "ORDER BY position DESC",
        [_key(workshop_id)],
    )
    return [Merge(r[0], r[1], tuple(json.loads(r[2])), r[3]) for r in rows]


def unmerge_measures(db: Database, fac: auth.Facilitator, merge_id: str) -> Measure:
    """Undo a merge: the duplicates are measures of their own again and every ballot's votes on
    them are as they were before the merge. Refused when a ballot has changed since (the votes
    before no longer belong to anybody's current ballot) or a later merge took the measure on."""
    auth.check(db, fac)

    def tx(cur):
        row = cur.execute(
            "SELECT workshop_id, position, target_id, sources, votes_before, votes_after, undone_at FROM merges "
            "WHERE id = $1",
            [_key(merge_id)],
        ).fetchone()
        if row is None:
            raise NotFound(N_("This merge does not exist."))
        wid, position, target_id, sources_json, before_json, after_json, undone_at = row
        require(_phase_of(cur, wid), Role.FACILITATOR, Action.MODERATE)
        if undone_at is not None:
            raise ValidationError(N_("This merge has already been undone."))
        sources = json.loads(sources_json)
        ids = [target_id, *sources]
        later = cur.execute(
            "SELECT target_id, sources FROM merges WHERE workshop_id = $1 AND undone_at IS NULL AND position > $2",
            [wid, position],
        ).fetchall()
        if any(t in ids or set(json.loads(s)) & set(ids) for t, s in later):
            raise ValidationError(
                N_("A later merge includes these measures: undo that one first."),
                conference=N_("A later merge includes these recommendations: undo that one first."),
            )
        if _votes_on(cur, ids) != json.loads(after_json):
            raise ValidationError(
                N_("Ballots have changed since this merge, so it cannot be undone. Move or hide measures instead."),
                conference=N_(
                    "Ballots have changed since this merge, so it cannot be undone. Move or hide recommendations "
                    "instead."
                ),
            )
        cur.execute("DELETE FROM votes WHERE measure_id IN (SELECT unnest(CAST($1 AS VARCHAR[])))", [ids])
        before = json.loads(before_json)
        if before:
            cur.executemany(
                "INSERT INTO votes (ballot_id, measure_id, criterion, value) VALUES ($1, $2, $3, $4)", before
            )
        cur.execute(store.MARK_LEADS.format(where="measure_id IN (SELECT unnest(CAST($1 AS VARCHAR[])))"), [ids])
        cur.execute(
            "UPDATE measures SET merged_into = NULL "
            "WHERE merged_into = $1 AND id IN (SELECT unnest(CAST($2 AS VARCHAR[])))",
            [target_id, list(sources)],
        )
        cur.execute("UPDATE merges SET undone_at = current_timestamp WHERE id = $1", [_key(merge_id)])
        title = cur.execute("SELECT title FROM measures WHERE id = $1", [target_id]).fetchone()[0]
        _audit(cur, wid, "unmerge", target_id, sources, title)
        return target_id

    return get_measure(db, db.write(tx))


def merged_sources(db: Database, measure_id: str) -> list[Measure]:
    """The measures merged into this one, with their original texts."""
    rows = db.fetchall(f"SELECT {_MEASURE_COLS} FROM measures WHERE merged_into = $1 ORDER BY seq", [_key(measure_id)])
    return [_measure(r) for r in rows]
