"""Measures: proposing, listing and editing one's own; the languages a measure is written in."""

from __future__ import annotations

from collections.abc import Mapping

from workshop import i18n
from workshop.errors import N_, NP_, NotFound, PermissionDenied, ValidationError
from workshop.model import MALFORMED, Action, Made, Measure, MeasureInput, MeasureStatus, Role, require
from workshop.queries import measures as queries
from workshop.queries import translations as translation_queries
from workshop.queries import vision as vision_queries
from workshop.store import Database

from .common import (
    CHOOSE_GOAL,
    NO_SUCH_MEASURE,
    PROPOSALS_PER_MINUTE,
    Participant,
    _audit,
    _changed,
    _key,
    _measure_input,
    _phase_of,
    new_id,
)
from .participants import _actor_role, _joined

_MEASURE_COLS = queries.MEASURE_COLUMNS


def _measure(row: tuple) -> Measure:
    return Measure(*row[:10], MeasureStatus(row[10]), bool(row[11]), row[12], int(row[13]), row[14] or "")


def get_measure(db: Database, measure_id: str) -> Measure:
    row = queries.measure_row(db, _key(measure_id))
    if not row:
        raise NotFound(**NO_SUCH_MEASURE)
    return _measure(row)


def list_measures(
    db: Database, workshop_id: str, *, include_hidden: bool = False, group_id: str | None = None
) -> list[Measure]:
    """Measures in goal order, then proposal order; merged-away ones are never listed."""
    rows = queries.measures_of(
        db,
        _key(workshop_id),
        include_hidden=include_hidden,
        group_id=None if group_id is None else _key(group_id),
    )
    return [_measure(r) for r in rows]


def own_measures(db: Database, participant: Participant) -> list[Measure]:
    participant = _joined(participant)
    return [_measure(r) for r in queries.measures_by_author(db, participant.device_id)]


def propose_measure(
    db: Database,
    actor: object,
    goal_id: str,
    data: MeasureInput,
    *,
    group_id: str | None = None,
    lang: str | None = None,
    versions: Mapping[str, MeasureInput] | None = None,
) -> Measure:
    """A new proposal under a goal, by a participant (collect phase) or the facilitator. ``lang``:
    the language it is written in (the author's screen language); ``versions``: the same proposal
    in other languages, written by the author (``Made.AUTHOR``), stored with it or not at all."""
    role = _actor_role(db, actor)
    clean = _measure_input(data)
    original = _language(lang) if lang is not None else ""
    extra = _versions(versions or {}, original)
    mid = new_id()
    if isinstance(actor, Participant):
        workshop_id, group_id, device_id = actor.workshop_id, actor.group_id, actor.device_id
    else:
        workshop_id, device_id = vision_queries.goal_workshop(db, _key(goal_id)), None
        if workshop_id is None:
            raise ValidationError(**CHOOSE_GOAL)

    def tx(cur):
        require(_phase_of(cur, workshop_id), role, Action.PROPOSE)
        if device_id is not None and queries.proposals_last_minute(cur, device_id) >= PROPOSALS_PER_MINUTE:
            raise ValidationError(
                NP_(
                    "You sent {max} proposal in the last minute. Please wait a moment before the next one.",
                    "You sent {max} proposals in the last minute. Please wait a moment before the next one.",
                ),
                max=PROPOSALS_PER_MINUTE,
            )
        if not vision_queries.goal_in_workshop(cur, _key(goal_id), workshop_id):
            raise ValidationError(**CHOOSE_GOAL)
        if group_id is not None and not vision_queries.group_in_workshop(cur, _key(group_id), workshop_id):
            raise ValidationError(N_("Unknown working group."))
        queries.insert_measure(
            cur,
            measure_id=mid,
            workshop_id=workshop_id,
            goal_id=goal_id,
            texts=queries.texts(clean),
            group_id=group_id,
            author_device_id=device_id,
            lang=original,
        )
        made = Made.AUTHOR if role == Role.PARTICIPANT else Made.FACILITATOR
        for version_lang, version in extra.items():
            _put_translation(cur, workshop_id, mid, version_lang, version, made, reviewed=made == Made.FACILITATOR)
        if role == Role.FACILITATOR:
            _audit(cur, workshop_id, "add_measure", mid, "", clean.title)
        else:
            _changed(cur, workshop_id)

    db.write(tx)
    return get_measure(db, mid)


def _outdate_translations(cur, measure_id: str, before: tuple, after: MeasureInput) -> None:
    """The original's title or description changed: its translations no longer say the same."""
    if tuple(before) != (after.title, after.description):
        translation_queries.outdate_translations(cur, measure_id)


def _own(cur, participant: Participant, measure_id: str) -> None:
    row = queries.measure_author(cur, _key(measure_id), participant.workshop_id)
    if not row or row[0] != participant.device_id:
        raise PermissionDenied(N_("You can only change your own proposals."))


def edit_own_measure(
    db: Database, participant: Participant, measure_id: str, goal_id: str, data: MeasureInput
) -> Measure:
    participant = _joined(participant)
    clean = _measure_input(data)

    def tx(cur):
        require(_phase_of(cur, participant.workshop_id), Role.PARTICIPANT, Action.EDIT_OWN)
        _own(cur, participant, measure_id)
        if not vision_queries.goal_in_workshop(cur, _key(goal_id), participant.workshop_id):
            raise ValidationError(**CHOOSE_GOAL)
        before = queries.title_and_description(cur, measure_id)
        _outdate_translations(cur, measure_id, before, clean)
        queries.update_texts(cur, measure_id, queries.texts(clean), goal_id=goal_id)
        _changed(cur, participant.workshop_id)

    db.write(tx)
    return get_measure(db, measure_id)


def withdraw_own_measure(db: Database, participant: Participant, measure_id: str) -> None:
    participant = _joined(participant)

    def tx(cur):
        require(_phase_of(cur, participant.workshop_id), Role.PARTICIPANT, Action.WITHDRAW_OWN)
        _own(cur, participant, measure_id)
        translation_queries.delete_translations_of(cur, measure_id)
        queries.delete_measure(cur, measure_id)
        _changed(cur, participant.workshop_id)

    db.write(tx)


# A measure is written in one language (``measures.lang``) and may have a translation per other
# language (``translations``): by its author, a language mediator, the offline engine or the
# facilitation team (``Made``). The same validation as the original (MeasureInput's limits and
# cleaning); shown as literal text everywhere, like the original.

_NO_SUCH_LANGUAGE = N_("This language is not offered here.")


def _language(lang: object) -> str:
    """A language this app offers (``i18n.available_languages``), else refused."""
    if not isinstance(lang, str) or lang not in i18n.available_languages():
        raise ValidationError(_NO_SUCH_LANGUAGE)
    return lang


def _versions(versions: object, original: str) -> dict[str, MeasureInput]:
    """Other languages' versions of a proposal, validated: a language offered here, not the
    original's, each title and description within the original's limits."""
    if not isinstance(versions, Mapping):
        raise ValidationError(MALFORMED)
    out = {}
    for lang, data in versions.items():
        lang = _language(lang)
        if lang == original:
            raise ValidationError(N_("A translation must be in another language than the original."))
        out[lang] = _version_input(data)
    return out


def _version_input(data: object) -> MeasureInput:
    """A translation's title and description, validated as the original's (the other fields of a
    measure are not translated)."""
    if not isinstance(data, MeasureInput):
        raise ValidationError(MALFORMED)
    return MeasureInput(data.title, data.description).validated()


def _put_translation(cur, workshop_id: str, measure_id: str, lang: str, data: MeasureInput, made, *, reviewed: bool):
    translation_queries.delete_translation(cur, measure_id, lang)
    translation_queries.insert_translation(
        cur,
        measure_id=measure_id,
        workshop_id=workshop_id,
        lang=lang,
        title=data.title,
        description=data.description,
        made=str(made),
        reviewed=reviewed,
    )
