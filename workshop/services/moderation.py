"""Moderation by the facilitation team: edit, hide, move, status, merge and unmerge."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from workshop import auth, methods
from workshop.errors import N_, NotFound, ValidationError
from workshop.model import Action, Measure, MeasureInput, MeasureStatus, Role, clean_flag, require
from workshop.queries import measures as measure_queries
from workshop.queries import moderation as queries
from workshop.queries import tallies
from workshop.queries import vision as vision_queries
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
from .measures import _measure, _outdate_translations, get_measure


def _measure_workshop(cur, measure_id: object) -> tuple[str, str]:
    row = queries.workshop_and_title(cur, _key(measure_id))
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
        stored = measure_queries.title_and_description(cur, measure_id)
        _check_expected(None if expected is None else tuple(expected), tuple(stored))
        _outdate_translations(cur, measure_id, stored, clean)
        measure_queries.update_texts(cur, measure_id, measure_queries.texts(clean))
        _audit(cur, wid, "edit_measure", measure_id, before, clean.title)

    db.write(tx)
    return get_measure(db, measure_id)


def set_hidden(db: Database, fac: auth.Facilitator, measure_id: str, hidden: bool) -> Measure:
    auth.check(db, fac)
    hidden = clean_flag(hidden)

    def tx(cur):
        wid, _title = _measure_workshop(cur, measure_id)
        require(_phase_of(cur, wid), Role.FACILITATOR, Action.MODERATE)
        queries.update_hidden(cur, measure_id, hidden)
        _audit(cur, wid, "hide" if hidden else "unhide", measure_id, not hidden, hidden)

    db.write(tx)
    return get_measure(db, measure_id)


def move_measure(db: Database, fac: auth.Facilitator, measure_id: str, goal_id: str) -> Measure:
    auth.check(db, fac)

    def tx(cur):
        wid, _title = _measure_workshop(cur, measure_id)
        require(_phase_of(cur, wid), Role.FACILITATOR, Action.MODERATE)
        if not vision_queries.goal_in_workshop(cur, _key(goal_id), wid):
            raise ValidationError(**CHOOSE_GOAL)
        before = queries.goal_of(cur, measure_id)
        queries.update_goal(cur, measure_id, goal_id)
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
        before = queries.status(cur, measure_id)
        queries.update_status(cur, measure_id, str(status))
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
        touched = sorted({vote[0] for vote in before})  # the ballots whose votes change
        tallies.add(cur, touched, -1)
        for method, agg in ((str(m.method), m.merge_sql) for m in methods.all_methods()):
            merged = queries.combined_votes(cur, ids, method=method, aggregate=agg)
            queries.delete_votes_on(cur, ids, method=method)
            queries.insert_votes(cur, [(b, target_id, c, float(v)) for b, c, v in merged])
        queries.mark_leads_on(cur, target_id)
        tallies.add(cur, touched)
        queries.merge_into(cur, target_id, list(sources))
        queries.insert_merge(
            cur,
            merge_id=new_id(),
            workshop_id=wid,
            position=queries.next_merge_position(cur, wid),
            target_id=target_id,
            sources=json.dumps(sources),
            votes_before=json.dumps(before),
            votes_after=json.dumps(_votes_on(cur, [target_id])),
        )
        _audit(cur, wid, "merge", target_id, sources, title)

    db.write(tx)
    return get_measure(db, target_id)


def _votes_on(cur, measure_ids: list[str]) -> list[list]:
    """Every vote on these measures, in one order: what a merge keeps to undo itself."""
    return [list(r) for r in queries.votes_on(cur, list(measure_ids))]


@dataclass(frozen=True)
class Merge:
    """One merge of duplicates into a measure, as the moderation screen offers to undo it."""

    id: str
    target_id: str
    sources: tuple[str, ...]
    merged_at: datetime


def open_merges(db: Database, workshop_id: str) -> list[Merge]:
    """The merges of a workshop that are not undone, the latest first."""
    rows = queries.open_merge_rows(db, _key(workshop_id))
    return [Merge(r[0], r[1], tuple(json.loads(r[2])), r[3]) for r in rows]


def unmerge_measures(db: Database, fac: auth.Facilitator, merge_id: str) -> Measure:
    """Undo a merge: the duplicates are measures of their own again and every ballot's votes on
    them are as they were before the merge. Refused when a ballot has changed since (the votes
    before no longer belong to anybody's current ballot) or a later merge took the measure on."""
    auth.check(db, fac)

    def tx(cur):
        row = queries.merge_row(cur, _key(merge_id))
        if row is None:
            raise NotFound(N_("This merge does not exist."))
        wid, position, target_id, sources_json, before_json, after_json, undone_at = row
        require(_phase_of(cur, wid), Role.FACILITATOR, Action.MODERATE)
        if undone_at is not None:
            raise ValidationError(N_("This merge has already been undone."))
        sources = json.loads(sources_json)
        ids = [target_id, *sources]
        later = queries.later_merges(cur, wid, position)
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
        restored = json.loads(before_json)
        touched = sorted({vote[0] for vote in restored})  # every ballot of the merge's votes
        tallies.add(cur, touched, -1)
        queries.delete_votes_on(cur, ids)
        queries.insert_votes(cur, restored)
        queries.mark_leads_on_each(cur, ids)
        tallies.add(cur, touched)
        queries.unmerge_from(cur, target_id, list(sources))
        queries.mark_merge_undone(cur, _key(merge_id))
        title = queries.title(cur, target_id)
        _audit(cur, wid, "unmerge", target_id, sources, title)
        return target_id

    return get_measure(db, db.write(tx))


def merged_sources(db: Database, measure_id: str) -> list[Measure]:
    """The measures merged into this one, with their original texts."""
    return [_measure(r) for r in queries.merged_source_rows(db, _key(measure_id))]
