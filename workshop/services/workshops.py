"""Workshops: create, find, phases, timer, reveal, rules, privacy, retention, delete."""

from __future__ import annotations

import calendar
import json
import secrets
from datetime import date, datetime

from workshop import auth, safety
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
from workshop.store import Database

from .common import CODE_ALPHABET, CODE_LENGTH, _audit, _check_expected, _key, _phase_of, new_id, normalize_code

_WORKSHOP_COLS = (
    "id, title, date, place, join_code, kind, vision_title, vision_description, phase, "
    "results_revealed, rules, previous_id, phase_ends_at, privacy_contact, retention_months, wall_view, show_machine"
)
RETENTION_MONTHS_MAX = 60
# Every table with a workshop_id column (votes hang off ballots); delete_workshop empties them all.
WORKSHOP_TABLES = (
    "ballots",
    "cards",
    "devices",
    "translations",
    "mediator_keys",
    "measures",
    "goals",
    "groups",
    "merges",
    "audit_log",
    "drafts",
)


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
    )


def get_workshop(db: Database, workshop_id: str) -> Workshop:
    row = db.fetchone(f"SELECT {_WORKSHOP_COLS} FROM workshops WHERE id = $1", [_key(workshop_id)])
    if not row:
        raise NotFound(N_("This workshop does not exist."))
    return _workshop(row)


def find_by_code(db: Database, code: object) -> Workshop:
    norm = normalize_code(code)
    if len(norm) != CODE_LENGTH:
        raise ValidationError(
            NP_("A workshop code has {n} character.", "A workshop code has {n} characters."), n=CODE_LENGTH
        )
    row = db.fetchone(f"SELECT {_WORKSHOP_COLS} FROM workshops WHERE join_code = $1", [norm])
    if not row:
        raise NotFound(N_("No workshop has the code {code}. Please check it on the projector."), code=norm)
    return _workshop(row)


def list_workshops(db: Database) -> list[Workshop]:
    rows = db.fetchall(f"SELECT {_WORKSHOP_COLS} FROM workshops ORDER BY date DESC NULLS LAST, created_at DESC")
    return [_workshop(r) for r in rows]


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
        if not cur.execute("SELECT 1 FROM workshops WHERE join_code = $1", [code]).fetchone():
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
        cur.execute(
            "INSERT INTO workshops (id, title, date, place, join_code, kind, vision_title, vision_description, "
            "rules, previous_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            [
                wid,
                title,
                date_,
                place,
                code,
                str(kind),
                vision_title,
                vision_description,
                json.dumps(rules.to_dict()),
                previous_id,
            ],
        )
        if previous_id:
            _carry_over(cur, previous_id, wid)
            cur.execute(
                "UPDATE workshops AS w SET privacy_contact = p.privacy_contact, retention_months = p.retention_months "
                "FROM workshops AS p WHERE p.id = $1 AND w.id = $2",
                [previous_id, wid],
            )
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
        before = _workshop(
            cur.execute(f"SELECT {_WORKSHOP_COLS} FROM workshops WHERE id = $1", [workshop_id]).fetchone()
        )
        _check_expected(expected, (before.privacy_contact, before.retention_months))
        cur.execute(
            "UPDATE workshops SET privacy_contact = $1, retention_months = $2 WHERE id = $3",
            [contact, retention_months, workshop_id],
        )
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
    wid = _key(workshop_id)
    return db.scalar(
        "SELECT CAST(greatest(coalesce((SELECT max(logged_at) FROM audit_log WHERE workshop_id = $1), w.created_at), "
        "coalesce((SELECT max(created_at) FROM measures WHERE workshop_id = $2), w.created_at), "
        "coalesce((SELECT max(submitted_at) FROM ballots WHERE workshop_id = $3), w.created_at)) AS DATE) "
        "FROM workshops w WHERE w.id = $4",
        [wid, wid, wid, wid],
    )


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
    for gid, pos, title, desc in cur.execute(
        "SELECT id, position, title, description FROM goals WHERE workshop_id = $1 ORDER BY position", [old_id]
    ).fetchall():
        goal_map[gid] = new_id()
        cur.execute("INSERT INTO goals VALUES ($1, $2, $3, $4, $5)", [goal_map[gid], new_id_, pos, title, desc])
    group_map: dict[str, str] = {}
    for gid, pos, name in cur.execute(
        "SELECT id, position, name FROM groups WHERE workshop_id = $1 ORDER BY position", [old_id]
    ).fetchall():
        group_map[gid] = new_id()
        cur.execute("INSERT INTO groups VALUES ($1, $2, $3, $4)", [group_map[gid], new_id_, pos, name])
    rows = cur.execute(
        "SELECT goal_id, group_id, title, description, responsible, target_group, timeframe, cost, status "
        "FROM measures WHERE workshop_id = $1 AND NOT hidden AND merged_into IS NULL ORDER BY seq",
        [old_id],
    ).fetchall()
    for goal_id, group_id, *fields, status in rows:
        carried = MeasureStatus.OPEN if status == MeasureStatus.NEW else status
        cur.execute(
            "INSERT INTO measures (id, workshop_id, goal_id, group_id, title, description, responsible, "
            "target_group, timeframe, cost, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            [new_id(), new_id_, goal_map[goal_id], group_map.get(group_id), *fields, str(carried)],
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
        reveal = "" if phase == Phase.RESULTS else ", results_revealed = FALSE"
        cur.execute(
            f"UPDATE workshops SET phase = $1, phase_ends_at = NULL{reveal} WHERE id = $2", [str(phase), workshop_id]
        )
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
        cur.execute("UPDATE workshops SET phase_ends_at = $1 WHERE id = $2", [ends, workshop_id])
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
        cur.execute("UPDATE workshops SET results_revealed = $1 WHERE id = $2", [bool(revealed), workshop_id])
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
        goal = cur.execute("SELECT 1 FROM goals WHERE id = $1 AND workshop_id = $2", [view, workshop_id]).fetchone()
        if view not in (WALL_OVERALL, WALL_MATRIX) and goal is None:
            raise ValidationError(N_("Unknown view."))
        old = cur.execute("SELECT wall_view FROM workshops WHERE id = $1", [workshop_id]).fetchone()[0]
        cur.execute("UPDATE workshops SET wall_view = $1 WHERE id = $2", [view, workshop_id])
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
        old = VotingRules.from_dict(
            json.loads(cur.execute("SELECT rules FROM workshops WHERE id = $1", [workshop_id]).fetchone()[0])
        )
        _check_expected(expected, old)
        affected = cur.execute(
            "SELECT count(*) FROM ballots WHERE workshop_id = $1 AND method = $2", [workshop_id, str(old.method)]
        ).fetchone()[0]
        if affected and old != rules and confirm_affected != affected:
            raise ValidationError(
                N_("Ballots already cast that this change affects: {count}. Please confirm it."), count=affected
            )
        cur.execute("UPDATE workshops SET rules = $1 WHERE id = $2", [json.dumps(rules.to_dict()), workshop_id])
        _audit(cur, workshop_id, "rules", "", old.to_dict(), rules.to_dict())

    db.write(tx)
    return get_workshop(db, workshop_id)


def _rules(rules: object) -> VotingRules:
    if not isinstance(rules, VotingRules):
        raise ValidationError(MALFORMED)
    return rules.validated()


def audit_log(db: Database, fac: auth.Facilitator, workshop_id: str):
    auth.check(db, fac)
    return db.df(
        "SELECT logged_at, action, subject, value_before, value_after FROM audit_log "
        "WHERE workshop_id = $1 ORDER BY id",
        [_key(workshop_id)],
    )


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
        code = cur.execute("SELECT join_code FROM workshops WHERE id = $1", [workshop_id]).fetchone()[0]
        cur.execute(
            "DELETE FROM votes WHERE ballot_id IN (SELECT id FROM ballots WHERE workshop_id = $1)", [workshop_id]
        )
        for table in WORKSHOP_TABLES:
            cur.execute(f"DELETE FROM {table} WHERE workshop_id = $1", [workshop_id])
        cur.execute("DELETE FROM workshops WHERE id = $1", [workshop_id])
        # The current-workshop pointer and the projector keys of this workshop.
        cur.execute(
            "DELETE FROM meta WHERE value = $1 AND (key = 'current_workshop' OR key LIKE 'projector:%')", [workshop_id]
        )
        cur.execute("UPDATE workshops SET previous_id = NULL WHERE previous_id = $1", [workshop_id])
        return code

    code = db.write(tx)
    db.purge()  # DuckDB leaves deleted rows in free blocks; a fresh file keeps nothing of them
    safety.forget(db, code, workshop_id)  # nor do its safety copies
