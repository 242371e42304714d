"""Workshops: create, find, phases, timer, reveal, rules, privacy, retention, delete."""

from __future__ import annotations

import calendar
import json
import secrets
from datetime import date, datetime

from workshop import auth, i18n, safety
from workshop.errors import N_, NP_, NotFound, ValidationError
from workshop.model import (
    MALFORMED,
    PHASE_LABELS,
    Action,
    MeasureStatus,
    Phase,
    Role,
    VotingRules,
    Workshop,
    WorkshopKind,
    clean_flag,
    clean_text,
    require,
)
from workshop.queries import ballots as ballot_queries
from workshop.queries import changes
from workshop.queries import measures as measure_queries
from workshop.queries import paper as paper_queries
from workshop.queries import vision as vision_queries
from workshop.queries import workshops as queries
from workshop.store import Database

from .common import CODE_ALPHABET, CODE_LENGTH, _audit, _check_expected, _key, _phase_of, new_id, normalize_code

WORKSHOP_TABLES = queries.WORKSHOP_TABLES
RETENTION_MONTHS_MAX = 60


def _workshop(row: tuple) -> Workshop:
    return Workshop(
        id=row[0],
        title=row[1],
        date=row[2],
        place=row[3],
        join_code=row[4],
        kind=WorkshopKind(row[5]),
        vision_title=row[6],
        vision_description=row[7],
        phase=Phase(row[8]),
        results_revealed=bool(row[9]),
        rules=VotingRules.from_dict(json.loads(row[10])),
        previous_id=row[11],
        phase_ends_at=row[12],
        privacy_contact=row[13],
        retention_months=row[14],
        wall_view=row[15],
        show_machine=bool(row[16]),
        paper_double=bool(row[17]),
        paper_closed=bool(row[18]),
        wall_paper=bool(row[19]),
    )


def workshop_version(db: Database, workshop_id: str) -> int:
    """The workshop's version: it changes with every change its screens show, made by any app
    process on this database (``common._changed``); what a process caches is keyed by it."""
    return changes.version(db, _key(workshop_id))


def get_workshop(db: Database, workshop_id: str) -> Workshop:
    row = queries.workshop_row(db, _key(workshop_id))
    if not row:
        raise NotFound(N_("This workshop does not exist."))
    return _workshop(row)


def find_by_code(db: Database, code: object) -> Workshop:
    norm = normalize_code(code)
    if len(norm) != CODE_LENGTH:
        raise ValidationError(
            NP_("A workshop code has {n} character.", "A workshop code has {n} characters."), n=CODE_LENGTH
        )
    row = queries.workshop_row_by_code(db, norm)
    if not row:
        raise NotFound(N_("No workshop has the code {code}. Please check it on the projector."), code=norm)
    return _workshop(row)


def list_workshops(db: Database) -> list[Workshop]:
    return [_workshop(r) for r in queries.workshop_rows(db)]


def current_workshop(db: Database) -> Workshop | None:
    """The workshop the app opens on: the one the facilitator chose, else the newest."""
    wid = db.get_meta("current_workshop")
    if wid:
        try:
            return get_workshop(db, wid)
        except NotFound:
            pass
    workshops = list_workshops(db)
    return workshops[0] if workshops else None


def set_current_workshop(db: Database, fac: auth.Facilitator, workshop_id: str) -> None:
    auth.check(db, fac)
    get_workshop(db, workshop_id)
    db.set_meta("current_workshop", workshop_id)


def _new_join_code(cur) -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not queries.join_code_taken(cur, code):
            return code


def create_workshop(
    db: Database,
    fac: auth.Facilitator,
    *,
    title: object,
    date_: date | None = None,
    place: object = "",
    kind: WorkshopKind | str = WorkshopKind.VISION,
    vision_title: object = "",
    vision_description: object = "",
    rules: VotingRules | None = None,
    previous_id: str | None = None,
) -> Workshop:
    """A new workshop in setup; as the next round of ``previous_id`` its measures come along."""
    auth.check(db, fac)
    title = clean_text(title, field_label=N_("Title"), min_len=3, max_len=120)
    place = clean_text(place, field_label=N_("Venue"))
    vision_title = clean_text(vision_title, field_label=N_("Guiding vision"), max_len=200)
    vision_description = clean_text(vision_description, field_label=N_("Description"), max_len=2000, multiline=True)
    if date_ is not None and not isinstance(date_, date):
        raise ValidationError(N_("“{field}” must be a date."), field=N_("Date"))
    if isinstance(date_, datetime):  # e.g. a YAML timestamp: the workshop has a day, not a time
        date_ = date_.date()
    try:
        kind = WorkshopKind(kind)
    except ValueError:
        raise ValidationError(N_("Unknown kind of workshop.")) from None
    rules = _rules(VotingRules() if rules is None else rules)
    if previous_id is not None:
        get_workshop(db, previous_id)
    wid = new_id()

    def tx(cur):
        code = _new_join_code(cur)
        queries.insert_workshop(
            cur,
            workshop_id=wid,
            title=title,
            date_=date_,
            place=place,
            join_code=code,
            kind=str(kind),
            vision_title=vision_title,
            vision_description=vision_description,
            rules=json.dumps(rules.to_dict()),
            previous_id=previous_id,
        )
        if previous_id:
            _carry_over(cur, previous_id, wid)
            queries.copy_privacy(cur, previous_id, wid)
        _audit(cur, wid, "create_workshop", title, "", {"kind": str(kind), "previous": previous_id})

    db.write(tx)
    return get_workshop(db, wid)


def set_privacy(
    db: Database,
    fac: auth.Facilitator,
    workshop_id: str,
    contact: object,
    retention_months: object,
    *,
    expected: tuple[str, int] | None = None,
) -> Workshop:
    """Who participants can ask about their data, and how many months after the workshop it is kept.

    ``expected`` is (contact, months) as the form showed them: a form that showed other values
    than those stored now is refused (see _check_expected), as in every setup form."""
    auth.check(db, fac)
    contact = clean_text(contact, field_label=N_("Contact for data protection questions"), max_len=300, multiline=True)
    if (
        isinstance(retention_months, bool)
        or not isinstance(retention_months, int)
        or not 1 <= retention_months <= RETENTION_MONTHS_MAX
    ):
        raise ValidationError(
            N_("“{field}” must be a whole number from {min} to {max}."),
            field=N_("Months the data is kept"),
            min=1,
            max=RETENTION_MONTHS_MAX,
        )
    get_workshop(db, workshop_id)

    def tx(cur):
        before = _workshop(queries.workshop_row(cur, workshop_id))
        _check_expected(expected, (before.privacy_contact, before.retention_months))
        queries.update_privacy(cur, workshop_id, contact=contact, retention_months=retention_months)
        _audit(
            cur,
            workshop_id,
            "set_privacy",
            "",
            {"contact": before.privacy_contact, "months": before.retention_months},
            {"contact": contact, "months": retention_months},
        )

    db.write(tx)
    return get_workshop(db, workshop_id)


def last_activity(db: Database, workshop_id: str) -> date | None:
    """The last day anything happened in a workshop: a facilitator's step, a proposal or a ballot."""
    return queries.last_activity(db, _key(workshop_id))


def retention_ends(workshop: Workshop, last_active: date | None = None) -> date | None:
    """The day after which the workshop's data should be deleted: the retention months counted
    from the workshop's day or from its last activity, whichever is later (a workshop set up with
    a past date, or still in use after its day, is not due for deletion while it is in use)."""
    start = max((d for d in (workshop.date, last_active) if d is not None), default=None)
    if start is None:
        return None
    month = start.month - 1 + workshop.retention_months
    year, month = start.year + month // 12, month % 12 + 1
    if year > date.max.year:
        return date.max
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def _carry_over(cur, old_id: str, new_id_: str) -> None:
    """Copy goals, groups and the visible measures of a past workshop into the next round."""
    goal_map: dict[str, str] = {}
    for gid, _old, pos, title, desc in vision_queries.goals_of(cur, old_id):
        goal_map[gid] = new_id()
        vision_queries.insert_goal(
            cur, goal_id=goal_map[gid], workshop_id=new_id_, position=pos, title=title, description=desc
        )
    group_map: dict[str, str] = {}
    for gid, _old, pos, name in vision_queries.groups_of(cur, old_id):
        group_map[gid] = new_id()
        vision_queries.insert_group(cur, group_id=group_map[gid], workshop_id=new_id_, position=pos, name=name)
    for goal_id, group_id, *texts, status in queries.measures_to_carry(cur, old_id):
        carried = MeasureStatus.OPEN if status == MeasureStatus.NEW else status
        measure_queries.insert_measure(
            cur,
            measure_id=new_id(),
            workshop_id=new_id_,
            goal_id=goal_map[goal_id],
            texts=texts,
            group_id=group_map.get(group_id),
            status=str(carried),
        )


def set_phase(db: Database, fac: auth.Facilitator, workshop_id: str, phase: Phase | str) -> Workshop:
    """Move the workshop to any phase (forward or back); the change goes to the audit log."""
    auth.check(db, fac)
    try:
        phase = Phase(phase)
    except ValueError:
        raise ValidationError(N_("Unknown phase.")) from None

    def tx(cur):
        before = _phase_of(cur, workshop_id)
        require(before, Role.FACILITATOR, Action.CHANGE_PHASE)
        if before == phase:
            return False
        queries.update_phase(cur, workshop_id, str(phase), hide_results=phase != Phase.RESULTS)
        if phase == Phase.VOTE:  # a new vote: its paper ballots may be entered after it until ended again
            paper_queries.set_option(cur, workshop_id, "paper_closed", False)
        _audit(cur, workshop_id, "phase", "", str(before), str(phase))
        return True

    if db.write(tx):
        safety.phase_changed(db, workshop_id)  # a safety copy, written by its thread
    return get_workshop(db, workshop_id)


def set_timer(db: Database, fac: auth.Facilitator, workshop_id: str, minutes: int | None) -> Workshop:
    """Start (or clear, with None) a countdown for the current phase."""
    auth.check(db, fac)
    if minutes is not None and (isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= 600):
        raise ValidationError(
            N_("“{field}” must be a whole number from {min} to {max}."), field=N_("Minutes"), min=1, max=600
        )
    ends = None if minutes is None else datetime.now().replace(microsecond=0) + _minutes(minutes)

    def tx(cur):
        _phase_of(cur, workshop_id)
        queries.update_phase_end(cur, workshop_id, ends)
        _audit(cur, workshop_id, "timer", "", "", "" if ends is None else ends.isoformat())

    db.write(tx)
    return get_workshop(db, workshop_id)


def _minutes(n: int):
    from datetime import timedelta

    return timedelta(minutes=n)


def reveal_results(db: Database, fac: auth.Facilitator, workshop_id: str, revealed: bool = True) -> Workshop:
    auth.check(db, fac)
    revealed = clean_flag(revealed)

    def tx(cur):
        require(_phase_of(cur, workshop_id), Role.FACILITATOR, Action.REVEAL_RESULTS)
        queries.update_results_revealed(cur, workshop_id, bool(revealed))
        _audit(cur, workshop_id, "reveal_results", "", not revealed, bool(revealed))

    db.write(tx)
    return get_workshop(db, workshop_id)


WALL_OVERALL = ""  # the ranking of all measures
WALL_MATRIX = "matrix"  # the impact × feasibility matrix (rating ballots)


def set_wall_view(db: Database, fac: auth.Facilitator, workshop_id: str, view: object) -> Workshop:
    """What the projector shows once results are revealed: the overall ranking, the ranking of
    one goal (its id) or the rating matrix. The console chooses; the wall shows it large."""
    auth.check(db, fac)
    view = "" if view is None else view
    if not isinstance(view, str):
        raise ValidationError(N_("Unknown view."))

    def tx(cur):
        require(_phase_of(cur, workshop_id), Role.FACILITATOR, Action.REVEAL_RESULTS)
        is_goal = vision_queries.goal_in_workshop(cur, view, workshop_id)
        if view not in (WALL_OVERALL, WALL_MATRIX) and not is_goal:
            raise ValidationError(N_("Unknown view."))
        old = queries.wall_view(cur, workshop_id)
        queries.update_wall_view(cur, workshop_id, view)
        _audit(cur, workshop_id, "wall_view", "", old, view)

    db.write(tx)
    return get_workshop(db, workshop_id)


def set_rules(
    db: Database,
    fac: auth.Facilitator,
    workshop_id: str,
    rules: VotingRules,
    *,
    confirm_affected: int | None = None,
    expected: VotingRules | None = None,
) -> Workshop:
    """Change the voting rules; locked while voting runs.

    When ballots of the current method exist, the caller must pass ``confirm_affected`` equal to
    their number (the page asks the facilitator and says how many ballots it affects).
    ``expected`` is the rules the form showed; other stored rules refuse the save (a stale form).
    """
    auth.check(db, fac)
    rules = _rules(rules)

    def tx(cur):
        require(_phase_of(cur, workshop_id), Role.FACILITATOR, Action.SET_RULES)
        old = VotingRules.from_dict(json.loads(queries.rules(cur, workshop_id)))
        _check_expected(expected, old)
        affected = ballot_queries.ballot_count(cur, workshop_id, str(old.method))
        if affected and old != rules and confirm_affected != affected:
            raise ValidationError(
                N_("Ballots already cast that this change affects: {count}. Please confirm it."), count=affected
            )
        queries.update_rules(cur, workshop_id, json.dumps(rules.to_dict()))
        _audit(cur, workshop_id, "rules", "", old.to_dict(), rules.to_dict())

    db.write(tx)
    return get_workshop(db, workshop_id)


def _rules(rules: object) -> VotingRules:
    if not isinstance(rules, VotingRules):
        raise ValidationError(MALFORMED)
    return rules.validated()


def audit_log(db: Database, fac: auth.Facilitator, workshop_id: str):
    auth.check(db, fac)
    return queries.audit_entries(db, _key(workshop_id))


def audit_names(db: Database, fac: auth.Facilitator, workshop_id: str) -> dict[str, str]:
    """The names of what the audit log's entries concern, by id (``workshop.audit.readable``): a
    measure's or goal's title, an entry link's name, a mediator link's language."""
    auth.check(db, fac)
    return {
        str(key): i18n.LANGUAGES.get(name, name) if is_language else name
        for key, name, is_language in queries.audit_names(db, _key(workshop_id))
    }


def phase_label(phase: Phase) -> str:
    try:
        return PHASE_LABELS[Phase(phase)]
    except ValueError:
        raise ValidationError(N_("Unknown phase.")) from None


def delete_workshop(db: Database, fac: auth.Facilitator, workshop_id: str) -> None:
    """Delete a workshop completely: measures, ballots, devices (tokens), audit log, everything."""
    auth.check(db, fac)

    def tx(cur):
        require(_phase_of(cur, workshop_id), Role.FACILITATOR, Action.DELETE_WORKSHOP)
        code = queries.join_code(cur, workshop_id)
        queries.delete_workshop(cur, workshop_id)
        return code

    code = db.write(tx)
    db.purge()  # DuckDB leaves deleted rows in free blocks; a fresh file keeps nothing of them
    safety.forget(db, code, workshop_id)  # nor do its safety copies
