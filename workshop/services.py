"""The service layer: every action a page can take, with the phase × role check on each call.

Pages call one function here per action. Facilitator calls take an ``auth.Facilitator`` that is
re-checked against the store; participant calls take a ``Participant`` resolved from the ballot
token. Every write runs in one transaction through ``Database.write``; a refused call writes
nothing.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from . import auth, config, i18n, limits, methods, safety, store
from .errors import N_, NP_, DomainError, NotFound, PermissionDenied, ValidationError
from .model import (
    MALFORMED,
    PHASE_LABELS,
    Action,
    Goal,
    Group,
    Made,
    Measure,
    MeasureInput,
    MeasureStatus,
    Method,
    Phase,
    Role,
    Translation,
    VoteRow,
    VotingRules,
    Workshop,
    WorkshopKind,
    clean_flag,
    clean_text,
    require,
)
from .store import Database

# Join codes avoid characters people confuse when reading them off a wall: 0/O, 1/I/L.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
PROPOSALS_PER_MINUTE = 10  # per device: a group tablet typing fast stays far below it
TOKEN_BYTES = 24  # 192 random bits per ballot token
_settings = config.load()
_joins = limits.Window("join", _settings.joins_per_address_minute)  # new devices per client address

# Refusals raised in several places, in both kinds' words (errors.DomainError).
NO_SUCH_GOAL = {"msgid": N_("This goal does not exist."), "conference": N_("This guiding question does not exist.")}
NO_SUCH_MEASURE = {
    "msgid": N_("This measure does not exist."),
    "conference": N_("This recommendation does not exist."),
}
CHOOSE_GOAL = {
    "msgid": N_("Please choose a goal of this workshop."),
    "conference": N_("Please choose a guiding question of this workshop."),
}


def new_id() -> str:
    return uuid.uuid4().hex


def token_hash(token: str) -> str:
    """Tokens are stored only as hashes: the database never holds a usable ballot token."""
    return hashlib.sha256(token.encode()).hexdigest()


def _key(value: object) -> str:
    """An id for a query. Only a string can name a row; anything else (a number, a list) would
    make DuckDB try a cast and fail, so it becomes the empty string, which names no row; so does a
    string with a NUL character (PostgreSQL's text cannot hold one, and no id has one)."""
    return value if isinstance(value, str) and "\x00" not in value else ""


def _sequence(value: object) -> list:
    """A list argument (names, ids, goals); a string would otherwise be read letter by letter."""
    if not isinstance(value, list | tuple):
        raise ValidationError(MALFORMED)
    return list(value)


def normalize_code(code: object) -> str:
    if not isinstance(code, str):
        return ""
    return "".join(ch for ch in code.upper() if ch.isalnum())


@dataclass(frozen=True)
class Participant:
    """A device that joined a workshop: resolved from its ballot token on every request."""

    workshop_id: str
    device_id: str
    group_id: str | None
    kiosk: bool = False


# --- workshops --------------------------------------------------------------------------------

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


def _audit(cur, workshop_id: str, action: str, subject: str = "", before: Any = "", after: Any = "") -> None:
    """One audit entry: when, what, before → after. Never a participant's identity."""
    cur.execute(
        "INSERT INTO audit_log (workshop_id, action, subject, value_before, value_after) VALUES ($1, $2, $3, $4, $5)",
        [workshop_id, action, subject, _audit_value(before), _audit_value(after)],
    )


def _audit_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


STALE_FORM = N_(
    "Someone changed this in the meantime (another window or a colleague). The form now shows what is "
    "stored: please check it and save again."
)


def _check_expected(expected: object, stored: object) -> None:
    """Refuse a save from a form that showed other values than those stored now (a stale form)."""
    if expected is not None and expected != stored:
        raise ValidationError(STALE_FORM)


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


def _phase_of(cur, workshop_id: str) -> Phase:
    row = cur.execute("SELECT phase FROM workshops WHERE id = $1", [_key(workshop_id)]).fetchone()
    if not row:
        raise NotFound(N_("This workshop does not exist."))
    return Phase(row[0])


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


def count_ballots(db: Database, workshop_id: str, method: Method | str | None = None) -> int:
    if method is None:
        return db.scalar("SELECT count(*) FROM ballots WHERE workshop_id = $1", [_key(workshop_id)])
    return db.scalar(
        "SELECT count(*) FROM ballots WHERE workshop_id = $1 AND method = $2", [_key(workshop_id), str(method)]
    )


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


# --- vision and groups ------------------------------------------------------------------------


def list_goals(db: Database, workshop_id: str) -> list[Goal]:
    rows = db.fetchall(
        "SELECT id, workshop_id, position, title, description FROM goals WHERE workshop_id = $1 ORDER BY position",
        [_key(workshop_id)],
    )
    return [Goal(*r) for r in rows]


def list_groups(db: Database, workshop_id: str) -> list[Group]:
    rows = db.fetchall(
        "SELECT id, workshop_id, position, name FROM groups WHERE workshop_id = $1 ORDER BY position",
        [_key(workshop_id)],
    )
    return [Group(*r) for r in rows]


def measures_per_goal(db: Database, workshop_id: str) -> dict[str, int]:
    """How many measures (hidden and merged ones too) each goal holds: what removing it would move."""
    return dict(
        db.fetchall(
            "SELECT goal_id, count(*) FROM measures WHERE workshop_id = $1 GROUP BY goal_id", [_key(workshop_id)]
        )
    )


def _clean_goal(title: object, description: object) -> tuple[str, str]:
    return (
        clean_text(title, field_label=N_("Goal"), min_len=3, max_len=120),
        clean_text(description, field_label=N_("Short description"), max_len=1000, multiline=True),
    )


def _refuse_a_second(cur, workshop_id: str, title: str, goal_id: str = "") -> None:
    """A goal (guiding question) with the title of another one of the workshop (case aside)."""
    others = cur.execute(
        "SELECT title FROM goals WHERE workshop_id = $1 AND id <> $2", [workshop_id, goal_id]
    ).fetchall()
    if title.casefold() in {t.casefold() for (t,) in others}:
        raise ValidationError(
            N_("Two goals have the same title."), conference=N_("Two guiding questions have the same title.")
        )


def add_goal(db: Database, fac: auth.Facilitator, workshop_id: str, title: object, description: object = "") -> Goal:
    auth.check(db, fac)
    title, description = _clean_goal(title, description)
    gid = new_id()

    def tx(cur):
        require(_phase_of(cur, workshop_id), Role.FACILITATOR, Action.EDIT_VISION)
        _refuse_a_second(cur, workshop_id, title)
        pos = cur.execute(
            "SELECT coalesce(max(position), 0) + 1 FROM goals WHERE workshop_id = $1", [workshop_id]
        ).fetchone()[0]
        cur.execute("INSERT INTO goals VALUES ($1, $2, $3, $4, $5)", [gid, workshop_id, pos, title, description])
        _audit(cur, workshop_id, "add_goal", title)

    db.write(tx)
    return next(g for g in list_goals(db, workshop_id) if g.id == gid)


def set_vision_text(
    db: Database,
    fac: auth.Facilitator,
    workshop_id: str,
    *,
    title: object,
    description: object,
    kind: WorkshopKind | str | None = None,
    expected: tuple[str, str, str] | None = None,
) -> Workshop:
    """The title and description of the guiding vision (the theme of an Integrationskonferenz),
    and the kind of workshop. ``expected`` is (title, description, kind) as the form showed them."""
    auth.check(db, fac)
    title = clean_text(title, field_label=N_("Title"), max_len=200)
    description = clean_text(description, field_label=N_("Description"), max_len=2000, multiline=True)
    if kind is not None:
        try:
            kind = WorkshopKind(kind)
        except ValueError:
            raise ValidationError(N_("Unknown kind of workshop.")) from None

    def tx(cur):
        require(_phase_of(cur, workshop_id), Role.FACILITATOR, Action.EDIT_VISION)
        before = cur.execute(
            "SELECT vision_title, vision_description, kind FROM workshops WHERE id = $1", [workshop_id]
        ).fetchone()
        _check_expected(None if expected is None else tuple(map(str, expected)), tuple(before))
        new_kind = before[2] if kind is None else str(kind)
        cur.execute(
            "UPDATE workshops SET vision_title = $1, vision_description = $2, kind = $3 WHERE id = $4",
            [title, description, new_kind, workshop_id],
        )
        _audit(
            cur,
            workshop_id,
            "vision_text",
            "",
            {"title": before[0], "description": before[1], "kind": before[2]},
            {"title": title, "description": description, "kind": new_kind},
        )

    db.write(tx)
    return get_workshop(db, workshop_id)


def _goal_row(cur, goal_id: object) -> tuple[str, int, str, str]:
    row = cur.execute(
        "SELECT workshop_id, position, title, description FROM goals WHERE id = $1", [_key(goal_id)]
    ).fetchone()
    if not row:
        raise NotFound(**NO_SUCH_GOAL)
    return row


def edit_goal(
    db: Database,
    fac: auth.Facilitator,
    goal_id: str,
    title: object,
    description: object = "",
    *,
    expected: tuple[str, str] | None = None,
) -> Goal:
    """Change a goal's (guiding question's) title and description; its measures stay with it."""
    auth.check(db, fac)
    title, description = _clean_goal(title, description)

    def tx(cur):
        wid, _pos, old_title, old_desc = _goal_row(cur, goal_id)
        require(_phase_of(cur, wid), Role.FACILITATOR, Action.EDIT_VISION)
        _check_expected(None if expected is None else tuple(expected), (old_title, old_desc))
        _refuse_a_second(cur, wid, title, goal_id)
        cur.execute("UPDATE goals SET title = $1, description = $2 WHERE id = $3", [title, description, goal_id])
        _audit(cur, wid, "edit_goal", goal_id, {"title": old_title, "description": old_desc}, {"title": title})

    db.write(tx)
    return _get_goal(db, goal_id)


def _get_goal(db: Database, goal_id: str) -> Goal:
    row = db.fetchone("SELECT id, workshop_id, position, title, description FROM goals WHERE id = $1", [_key(goal_id)])
    if not row:
        raise NotFound(**NO_SUCH_GOAL)
    return Goal(*row)


def remove_goal(db: Database, fac: auth.Facilitator, goal_id: str, *, move_to: str | None = None) -> int:
    """Remove a goal. A goal with measures is removed only when ``move_to`` names another goal of
    the workshop: its measures (with their votes) move there. Returns how many measures moved."""
    auth.check(db, fac)

    def tx(cur):
        wid, _pos, title, _desc = _goal_row(cur, goal_id)
        require(_phase_of(cur, wid), Role.FACILITATOR, Action.EDIT_VISION)
        n = cur.execute("SELECT count(*) FROM measures WHERE goal_id = $1", [goal_id]).fetchone()[0]
        if n and move_to is None:
            raise ValidationError(
                NP_(
                    "“{goal}” has {count} measure. Choose where it goes, then remove it.",
                    "“{goal}” has {count} measures. Choose where they go, then remove it.",
                ),
                conference=NP_(
                    "“{goal}” has {count} recommendation. Choose where it goes, then remove it.",
                    "“{goal}” has {count} recommendations. Choose where they go, then remove it.",
                ),
                goal=title,
                count=n,
            )
        if n:
            if (
                move_to == goal_id
                or not cur.execute(
                    "SELECT 1 FROM goals WHERE id = $1 AND workshop_id = $2", [_key(move_to), wid]
                ).fetchone()
            ):
                raise ValidationError(**CHOOSE_GOAL)
            cur.execute("UPDATE measures SET goal_id = $1 WHERE goal_id = $2", [move_to, goal_id])
        cur.execute("DELETE FROM goals WHERE id = $1", [goal_id])
        _renumber_goals(cur, wid)
        _audit(cur, wid, "remove_goal", goal_id, title, {"moved": n, "to": move_to})
        return n

    return db.write(tx)


def _renumber_goals(cur, workshop_id: str, order: list[str] | None = None) -> None:
    ids = order or [
        gid
        for (gid,) in cur.execute(
            "SELECT id FROM goals WHERE workshop_id = $1 ORDER BY position", [workshop_id]
        ).fetchall()
    ]
    for pos, gid in enumerate(ids, start=1):
        cur.execute("UPDATE goals SET position = $1 WHERE id = $2", [pos, gid])


def move_goal(db: Database, fac: auth.Facilitator, goal_id: str, step: int) -> list[Goal]:
    """Move a goal up (step < 0) or down (step > 0) in the vision's order."""
    auth.check(db, fac)
    if isinstance(step, bool) or not isinstance(step, int) or step == 0:
        raise ValidationError(MALFORMED)

    def tx(cur):
        wid, _pos, title, _desc = _goal_row(cur, goal_id)
        require(_phase_of(cur, wid), Role.FACILITATOR, Action.EDIT_VISION)
        ids = [
            gid
            for (gid,) in cur.execute("SELECT id FROM goals WHERE workshop_id = $1 ORDER BY position", [wid]).fetchall()
        ]
        i = ids.index(goal_id)
        j = max(0, min(len(ids) - 1, i + step))
        if i == j:
            return wid
        ids.insert(j, ids.pop(i))
        _renumber_goals(cur, wid, ids)
        _audit(cur, wid, "move_goal", goal_id, i + 1, j + 1)
        return wid

    return list_goals(db, db.write(tx))


def replace_vision(
    db: Database,
    fac: auth.Facilitator,
    workshop_id: str,
    *,
    title: object,
    description: object,
    goals: list[tuple[object, object]],
    groups: list[object] | None = None,
    rules: VotingRules | None = None,
    kind: WorkshopKind | str | None = None,
    measures: list[tuple[int, MeasureInput, str | None, str]] | None = None,
) -> None:
    """Replace the vision (title, description, goals) of a workshop that has no measures yet;
    with a file's ``groups``, ``rules``, ``kind`` and ``measures`` too (each only when given).

    ``measures`` are (goal index, texts, working group name or None, status), as in a vision file.
    Everything is stored in one transaction, or nothing."""
    auth.check(db, fac)
    title = clean_text(title, field_label=N_("Guiding vision"), max_len=200)
    description = clean_text(description, field_label=N_("Description"), max_len=2000, multiline=True)
    pairs = _sequence(goals)
    if not all(isinstance(p, list | tuple) and len(p) == 2 for p in pairs):
        raise ValidationError(MALFORMED)
    clean_goals = [_clean_goal(t, d) for t, d in pairs]
    if not clean_goals:
        raise ValidationError(
            N_("A vision needs at least one goal."), conference=N_("A theme needs at least one guiding question.")
        )
    clean_groups = None if groups is None else _clean_group_names(groups)
    clean_rules = None if rules is None else _rules(rules)
    if kind is not None:
        try:
            kind = WorkshopKind(kind)
        except ValueError:
            raise ValidationError(N_("Unknown kind of workshop.")) from None
    clean_measures = _clean_imported_measures(measures, len(clean_goals), clean_groups)

    def tx(cur):
        phase = _phase_of(cur, workshop_id)
        require(phase, Role.FACILITATOR, Action.EDIT_VISION)
        if clean_rules is not None:
            require(phase, Role.FACILITATOR, Action.SET_RULES)
            if cur.execute("SELECT count(*) FROM ballots WHERE workshop_id = $1", [workshop_id]).fetchone()[0]:
                raise ValidationError(N_("This workshop already has ballots; change its rules under “Voting rules”."))
        if cur.execute("SELECT count(*) FROM measures WHERE workshop_id = $1", [workshop_id]).fetchone()[0]:
            raise ValidationError(
                N_("This workshop already has measures; its goals can only be added to."),
                conference=N_("This workshop already has recommendations; its guiding questions can only be added to."),
            )
        cur.execute("DELETE FROM goals WHERE workshop_id = $1", [workshop_id])
        goal_ids = [new_id() for _ in clean_goals]
        for pos, (gid, (gt, gd)) in enumerate(zip(goal_ids, clean_goals, strict=True), start=1):
            cur.execute("INSERT INTO goals VALUES ($1, $2, $3, $4, $5)", [gid, workshop_id, pos, gt, gd])
        cur.execute(
            "UPDATE workshops SET vision_title = $1, vision_description = $2 WHERE id = $3",
            [title, description, workshop_id],
        )
        if clean_groups is not None:
            _write_groups(cur, workshop_id, clean_groups)
        if clean_rules is not None:
            rules_json = json.dumps(clean_rules.to_dict())
            cur.execute("UPDATE workshops SET rules = $1 WHERE id = $2", [rules_json, workshop_id])
        if clean_measures:
            groups = dict(cur.execute("SELECT name, id FROM groups WHERE workshop_id = $1", [workshop_id]).fetchall())
            for goal_index, data, group, status in clean_measures:
                cur.execute(
                    "INSERT INTO measures (id, workshop_id, goal_id, title, description, responsible, target_group, "
                    "timeframe, cost, group_id, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                    [
                        new_id(),
                        workshop_id,
                        goal_ids[goal_index],
                        data.title,
                        data.description,
                        data.responsible,
                        data.target_group,
                        data.timeframe,
                        data.cost,
                        groups.get(group) if group else None,
                        status,
                    ],
                )
        if kind is not None:
            cur.execute("UPDATE workshops SET kind = $1 WHERE id = $2", [str(kind), workshop_id])
        _audit(
            cur,
            workshop_id,
            "import_vision",
            title,
            "",
            {
                "goals": len(clean_goals),
                "measures": len(clean_measures),
                "rules": clean_rules is not None,
                "kind": None if kind is None else str(kind),
            },
        )

    db.write(tx)


def _clean_imported_measures(
    measures: object, goals: int, groups: list[str] | None
) -> list[tuple[int, MeasureInput, str | None, str]]:
    out = []
    for item in [] if measures is None else _sequence(measures):
        if not (isinstance(item, tuple | list) and len(item) == 4):
            raise ValidationError(MALFORMED)
        goal_index, data, group, status = item
        if isinstance(goal_index, bool) or not isinstance(goal_index, int) or not 0 <= goal_index < goals:
            raise ValidationError(MALFORMED)
        if group is not None and group not in (groups or []):
            raise ValidationError(N_("The working group “{name}” is not in “groups:”."), name=str(group))
        try:
            status = MeasureStatus(status)
        except ValueError:
            raise ValidationError(N_("Unknown status.")) from None
        out.append((goal_index, _measure_input(data), group, str(status)))
    return out


def _clean_group_names(names: list[object]) -> list[str]:
    clean = [clean_text(n, field_label=N_("Working group"), min_len=1, max_len=80) for n in _sequence(names)]
    if len({n.casefold() for n in clean}) != len(clean):
        raise ValidationError(N_("Each working group needs its own name."))
    return clean


def _write_groups(cur, workshop_id: str, names: list[str]) -> None:
    existing = {
        name: gid
        for gid, name in cur.execute("SELECT id, name FROM groups WHERE workshop_id = $1", [workshop_id]).fetchall()
    }
    keep = set()
    for pos, name in enumerate(names, start=1):
        if name in existing:
            cur.execute("UPDATE groups SET position = $1 WHERE id = $2", [pos, existing[name]])
            keep.add(existing[name])
        else:
            cur.execute("INSERT INTO groups VALUES ($1, $2, $3, $4)", [new_id(), workshop_id, pos, name])
    for name, gid in existing.items():
        if gid not in keep:
            used = (
                cur.execute("SELECT count(*) FROM measures WHERE group_id = $1", [gid]).fetchone()[0]
                + cur.execute("SELECT count(*) FROM devices WHERE group_id = $1", [gid]).fetchone()[0]
            )
            if used:
                raise ValidationError(N_("The working group “{name}” is in use and cannot be removed."), name=name)
            cur.execute("DELETE FROM groups WHERE id = $1", [gid])


def set_groups(
    db: Database,
    fac: auth.Facilitator,
    workshop_id: str,
    names: list[object],
    *,
    expected: list[str] | None = None,
) -> list[Group]:
    """Define the working groups by name (existing names keep their id and their members).
    ``expected`` is the list of names the form showed (a stale form is refused)."""
    auth.check(db, fac)
    clean = _clean_group_names(names)

    def tx(cur):
        require(_phase_of(cur, workshop_id), Role.FACILITATOR, Action.EDIT_GROUPS)
        before = [
            n
            for (n,) in cur.execute(
                "SELECT name FROM groups WHERE workshop_id = $1 ORDER BY position", [workshop_id]
            ).fetchall()
        ]
        _check_expected(None if expected is None else list(expected), before)
        _write_groups(cur, workshop_id, clean)
        _audit(cur, workshop_id, "groups", "", before, clean)

    db.write(tx)
    return list_groups(db, workshop_id)


# --- participants -----------------------------------------------------------------------------


def join(
    db: Database,
    code: object,
    *,
    token: str | None = None,
    group_id: str | None = None,
    kiosk: bool = False,
    client: str | None = None,
) -> tuple[Participant, str]:
    """Join by code: resume the device of ``token`` if it belongs here, else a new anonymous one.

    ``client`` is the connection's address (None for this machine): new devices per address and
    minute are limited, so that fresh devices cannot multiply voting-card guesses or inflate the
    count of devices joined.
    """
    kiosk = clean_flag(kiosk)
    workshop = find_by_code(db, code)
    require(workshop.phase, Role.PARTICIPANT, Action.JOIN)
    if token:
        existing = resume(db, token)
        if existing and existing.workshop_id == workshop.id:
            return existing, token
    if group_id is not None and _key(group_id) not in {g.id for g in list_groups(db, workshop.id)}:
        raise ValidationError(N_("Unknown working group."))
    if client is not None and _joins.full(db, client):
        raise PermissionDenied(
            N_("Too many new devices joined from this network in the last minute. Please wait a minute and try again.")
        )
    token = secrets.token_urlsafe(TOKEN_BYTES)
    device_id = new_id()

    def tx(cur):
        cur.execute(
            "INSERT INTO devices (id, workshop_id, token_hash, group_id, kiosk) VALUES ($1, $2, $3, $4, $5)",
            [device_id, workshop.id, token_hash(token), group_id, kiosk],
        )
        if client is not None:
            _joins.add_in(db, cur, client)

    db.write(tx)
    return Participant(workshop.id, device_id, group_id, kiosk), token


def _token_shape(token: object) -> bool:
    # Tokens are URL-safe base64 (ASCII); anything else (a lone surrogate cannot even be hashed) is no token.
    return isinstance(token, str) and 16 <= len(token) <= 100 and token.isascii()


def resume(db: Database, token: object) -> Participant | None:
    """The device of a ballot token, or None for a token that is unknown or malformed."""
    if not _token_shape(token):
        return None
    row = db.fetchone("SELECT workshop_id, id, group_id, kiosk FROM devices WHERE token_hash = $1", [token_hash(token)])
    return Participant(row[0], row[1], row[2], bool(row[3])) if row else None


def _joined(participant: object) -> Participant:
    """The participant of a participant's call: anything else (a facilitator, None) is refused."""
    if not isinstance(participant, Participant):
        raise PermissionDenied(N_("Please join the workshop first."))
    return participant


def retire_token(db: Database, participant: Participant) -> None:
    """Make a device's token unusable (kiosk: the next person must not reopen this ballot by
    going back in the browser). The ballot stays stored and counts."""
    participant = _joined(participant)
    db.write(
        lambda cur: cur.execute(
            "UPDATE devices SET token_hash = $1 WHERE id = $2", [f"retired:{new_id()}", participant.device_id]
        )
    )


# A half-typed proposal per device, kept while it is typed (a reload, a dropped Wi-Fi, a phone that
# slept, or the next request landing on another app process finds it again). Its texts are emptied
# when it is sent, it goes with its workshop, and it is never part of a backup: nobody but its author
# has seen it.
DRAFT_MAX_CHARS = 40_000


def get_draft(db: Database, participant: Participant) -> dict:
    participant = _joined(participant)
    data = db.scalar("SELECT data FROM drafts WHERE device_id = $1", [participant.device_id])
    try:
        found = json.loads(data) if data else {}
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def keep_draft(db: Database, participant: Participant, data: dict) -> None:
    """Store the draft (an empty one deletes it); a draft too large to be typing is not kept.
    ``data``: field name -> what is typed (text, a choice, nothing)."""
    participant = _joined(participant)
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and (v is None or isinstance(v, str | bool | int)) for k, v in data.items()
    ):
        raise ValidationError(MALFORMED)
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    if len(text) > DRAFT_MAX_CHARS:
        return
    if not any(v for v in data.values()):
        db.write(lambda cur: cur.execute("DELETE FROM drafts WHERE device_id = $1", [participant.device_id]))
        return
    db.write(
        lambda cur: cur.execute(
            "INSERT INTO drafts (device_id, workshop_id, data, updated_at) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT (device_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at",
            [participant.device_id, participant.workshop_id, text, datetime.now()],
        )
    )


def set_device_group(db: Database, participant: Participant, group_id: str | None) -> Participant:
    participant = _joined(participant)
    if group_id is not None and _key(group_id) not in {g.id for g in list_groups(db, participant.workshop_id)}:
        raise ValidationError(N_("Unknown working group."))
    db.write(
        lambda cur: cur.execute("UPDATE devices SET group_id = $1 WHERE id = $2", [group_id, participant.device_id])
    )
    return replace(participant, group_id=group_id)


def _actor_role(db: Database, actor: object) -> Role:
    if isinstance(actor, Participant):
        return Role.PARTICIPANT
    auth.check(db, actor)
    return Role.FACILITATOR


# --- measures ---------------------------------------------------------------------------------

_MEASURE_COLS = (
    "id, workshop_id, goal_id, title, description, responsible, target_group, timeframe, cost, group_id, "
    "status, hidden, merged_into, seq, lang"
)


def _measure(row: tuple) -> Measure:
    return Measure(*row[:10], MeasureStatus(row[10]), bool(row[11]), row[12], int(row[13]), row[14] or "")


def get_measure(db: Database, measure_id: str) -> Measure:
    row = db.fetchone(f"SELECT {_MEASURE_COLS} FROM measures WHERE id = $1", [_key(measure_id)])
    if not row:
        raise NotFound(**NO_SUCH_MEASURE)
    return _measure(row)


def list_measures(
    db: Database, workshop_id: str, *, include_hidden: bool = False, group_id: str | None = None
) -> list[Measure]:
    """Measures in goal order, then proposal order; merged-away ones are never listed."""
    sql = (
        f"SELECT {', '.join('m.' + c.strip() for c in _MEASURE_COLS.split(','))} FROM measures m "
        "JOIN goals g ON g.id = m.goal_id WHERE m.workshop_id = $1 AND m.merged_into IS NULL"
    )
    params: list[Any] = [_key(workshop_id)]
    if not include_hidden:
        sql += " AND NOT m.hidden"
    if group_id is not None:
        sql += " AND m.group_id = $2"
        params.append(_key(group_id))
    return [_measure(r) for r in db.fetchall(sql + " ORDER BY g.position, m.seq", params)]


def own_measures(db: Database, participant: Participant) -> list[Measure]:
    participant = _joined(participant)
    rows = db.fetchall(
        f"SELECT {_MEASURE_COLS} FROM measures WHERE author_device_id = $1 AND merged_into IS NULL ORDER BY seq",
        [participant.device_id],
    )
    return [_measure(r) for r in rows]


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
        goal = db.fetchone("SELECT workshop_id FROM goals WHERE id = $1", [_key(goal_id)])
        if not goal:
            raise ValidationError(**CHOOSE_GOAL)
        workshop_id, device_id = goal[0], None

    def tx(cur):
        require(_phase_of(cur, workshop_id), role, Action.PROPOSE)
        if device_id is not None:
            recent = cur.execute(
                "SELECT count(*) FROM measures WHERE author_device_id = $1 "
                "AND created_at > CAST(current_timestamp AS TIMESTAMP) - INTERVAL '60 seconds'",
                [device_id],
            ).fetchone()[0]
            if recent >= PROPOSALS_PER_MINUTE:
                raise ValidationError(
                    NP_(
                        "You sent {max} proposal in the last minute. Please wait a moment before the next one.",
                        "You sent {max} proposals in the last minute. Please wait a moment before the next one.",
                    ),
                    max=PROPOSALS_PER_MINUTE,
                )
        if not cur.execute(
            "SELECT 1 FROM goals WHERE id = $1 AND workshop_id = $2", [_key(goal_id), workshop_id]
        ).fetchone():
            raise ValidationError(**CHOOSE_GOAL)
        if (
            group_id is not None
            and not cur.execute(
                "SELECT 1 FROM groups WHERE id = $1 AND workshop_id = $2", [_key(group_id), workshop_id]
            ).fetchone()
        ):
            raise ValidationError(N_("Unknown working group."))
        cur.execute(
            "INSERT INTO measures (id, workshop_id, goal_id, title, description, responsible, target_group, "
            "timeframe, cost, group_id, author_device_id, lang) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            [
                mid,
                workshop_id,
                goal_id,
                clean.title,
                clean.description,
                clean.responsible,
                clean.target_group,
                clean.timeframe,
                clean.cost,
                group_id,
                device_id,
                original,
            ],
        )
        made = Made.AUTHOR if role == Role.PARTICIPANT else Made.FACILITATOR
        for version_lang, version in extra.items():
            _put_translation(cur, workshop_id, mid, version_lang, version, made, reviewed=made == Made.FACILITATOR)
        if role == Role.FACILITATOR:
            _audit(cur, workshop_id, "add_measure", mid, "", clean.title)

    db.write(tx)
    return get_measure(db, mid)


def _outdate_translations(cur, measure_id: str, before: tuple, after: MeasureInput) -> None:
    """The original's title or description changed: its translations no longer say the same."""
    if tuple(before) != (after.title, after.description):
        cur.execute("UPDATE translations SET stale = TRUE, reviewed = FALSE WHERE measure_id = $1", [measure_id])


def _measure_input(data: object) -> MeasureInput:
    if not isinstance(data, MeasureInput):
        raise ValidationError(MALFORMED)
    return data.validated()


def _own(cur, participant: Participant, measure_id: str) -> None:
    row = cur.execute(
        "SELECT author_device_id FROM measures WHERE id = $1 AND workshop_id = $2",
        [_key(measure_id), participant.workshop_id],
    ).fetchone()
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
        if not cur.execute(
            "SELECT 1 FROM goals WHERE id = $1 AND workshop_id = $2", [_key(goal_id), participant.workshop_id]
        ).fetchone():
            raise ValidationError(**CHOOSE_GOAL)
        before = cur.execute("SELECT title, description FROM measures WHERE id = $1", [measure_id]).fetchone()
        _outdate_translations(cur, measure_id, before, clean)
        cur.execute(
            "UPDATE measures SET goal_id = $1, title = $2, description = $3, responsible = $4, target_group = $5, "
            "timeframe = $6, cost = $7 WHERE id = $8",
            [
                goal_id,
                clean.title,
                clean.description,
                clean.responsible,
                clean.target_group,
                clean.timeframe,
                clean.cost,
                measure_id,
            ],
        )

    db.write(tx)
    return get_measure(db, measure_id)


def withdraw_own_measure(db: Database, participant: Participant, measure_id: str) -> None:
    participant = _joined(participant)

    def tx(cur):
        require(_phase_of(cur, participant.workshop_id), Role.PARTICIPANT, Action.WITHDRAW_OWN)
        _own(cur, participant, measure_id)
        cur.execute("DELETE FROM translations WHERE measure_id = $1", [measure_id])
        cur.execute("DELETE FROM measures WHERE id = $1", [measure_id])

    db.write(tx)


# --- translations of measures ------------------------------------------------------------------
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
    cur.execute("DELETE FROM translations WHERE measure_id = $1 AND lang = $2", [measure_id, lang])
    cur.execute(
        "INSERT INTO translations (measure_id, workshop_id, lang, title, description, made, reviewed) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7)",
        [measure_id, workshop_id, lang, data.title, data.description, str(made), reviewed],
    )


def _translatable(cur, measure_id: object, lang: object) -> tuple[str, str, str]:
    """(workshop id, title, original language) of a measure that may get a translation to ``lang``."""
    row = cur.execute(
        "SELECT workshop_id, title, lang FROM measures WHERE id = $1 AND merged_into IS NULL", [_key(measure_id)]
    ).fetchone()
    if not row:
        raise NotFound(**NO_SUCH_MEASURE)
    if _language(lang) == row[2]:
        raise ValidationError(N_("A translation must be in another language than the original."))
    return row[0], row[1], row[2]


def translate_measure(
    db: Database,
    actor: object,
    measure_id: str,
    lang: str,
    data: MeasureInput,
    *,
    expected: tuple[str, str] | None = None,
) -> Translation:
    """Store ``measure_id``'s title and description in ``lang``: by its author while proposals may
    be edited (``Made.AUTHOR``), or by the facilitation team in moderation (``Made.FACILITATOR``,
    counted as reviewed and audit-logged). It replaces an earlier translation to ``lang``.
    ``expected``: the (title, description) the form showed ("", "" for none); refused if someone
    changed the translation in the meantime."""
    role = None if isinstance(actor, Mediator) else _actor_role(db, actor)
    version = _version_input(data)

    def tx(cur):
        wid, _title, _original = _translatable(cur, measure_id, lang)
        if role is None:
            _mediator_save(cur, _as_mediator(db, actor), measure_id, lang)
        if expected is not None:
            stored = cur.execute(
                "SELECT title, description FROM translations WHERE measure_id = $1 AND lang = $2", [measure_id, lang]
            ).fetchone()
            shown = tuple(expected) if isinstance(expected, list | tuple) else expected
            _check_expected(shown, tuple(stored) if stored else ("", ""))
        if role is None:
            before = cur.execute(
                "SELECT title FROM translations WHERE measure_id = $1 AND lang = $2", [measure_id, lang]
            ).fetchone()
            _put_translation(cur, wid, measure_id, lang, version, Made.MEDIATOR, reviewed=False)
            _audit(
                cur,
                wid,
                "mediator_translate",
                f"{actor.key_id}:{measure_id}:{lang}",
                before[0] if before else "",
                version.title,
            )
        elif role == Role.PARTICIPANT:
            require(_phase_of(cur, wid), Role.PARTICIPANT, Action.EDIT_OWN)
            _own(cur, actor, measure_id)
            _put_translation(cur, wid, measure_id, lang, version, Made.AUTHOR, reviewed=False)
        else:
            require(_phase_of(cur, wid), Role.FACILITATOR, Action.TRANSLATE)
            before = cur.execute(
                "SELECT title FROM translations WHERE measure_id = $1 AND lang = $2", [measure_id, lang]
            ).fetchone()
            _put_translation(cur, wid, measure_id, lang, version, Made.FACILITATOR, reviewed=True)
            _audit(cur, wid, "translate", f"{measure_id}:{lang}", before[0] if before else "", version.title)

    db.write(tx)
    return translations_of(db, measure_id)[lang]


def remove_translation(db: Database, fac: auth.Facilitator, measure_id: str, lang: str) -> None:
    """The facilitation team takes a translation back (a wrong one is worse than none)."""
    auth.check(db, fac)

    def tx(cur):
        wid, _title, _original = _translatable(cur, measure_id, lang)
        require(_phase_of(cur, wid), Role.FACILITATOR, Action.TRANSLATE)
        before = cur.execute(
            "SELECT title FROM translations WHERE measure_id = $1 AND lang = $2", [measure_id, lang]
        ).fetchone()
        if before:
            cur.execute("DELETE FROM translations WHERE measure_id = $1 AND lang = $2", [measure_id, lang])
            _audit(cur, wid, "remove_translation", f"{measure_id}:{lang}", before[0], "")

    db.write(tx)


def set_measure_language(db: Database, actor: object, measure_id: str, lang: str) -> Measure:
    """Correct the language a measure is written in (its author while proposals may be edited, or
    the facilitation team): refused where a translation to that language exists (remove it first)."""
    role = _actor_role(db, actor)
    lang = _language(lang)

    def tx(cur):
        row = cur.execute(
            "SELECT workshop_id, lang FROM measures WHERE id = $1 AND merged_into IS NULL", [_key(measure_id)]
        ).fetchone()
        if not row:
            raise NotFound(**NO_SUCH_MEASURE)
        wid, before = row
        if role == Role.PARTICIPANT:
            require(_phase_of(cur, wid), Role.PARTICIPANT, Action.EDIT_OWN)
            _own(cur, actor, measure_id)
        else:
            require(_phase_of(cur, wid), Role.FACILITATOR, Action.TRANSLATE)
        if cur.execute("SELECT 1 FROM translations WHERE measure_id = $1 AND lang = $2", [measure_id, lang]).fetchone():
            raise ValidationError(
                N_("There is a translation to this language already. Remove it first, then change the original's.")
            )
        cur.execute("UPDATE measures SET lang = $1 WHERE id = $2", [lang, measure_id])
        if role == Role.FACILITATOR:
            _audit(cur, wid, "measure_language", measure_id, before, lang)

    db.write(tx)
    return get_measure(db, measure_id)


def set_machine_translations(db: Database, fac: auth.Facilitator, workshop_id: str, shown: bool) -> Workshop:
    """Whether participants see the offline engine's translations until a person checked them
    (off: the original, marked as not translated yet). Audit-logged."""
    auth.check(db, fac)
    shown = clean_flag(shown)
    before = get_workshop(db, workshop_id)

    def tx(cur):
        cur.execute("UPDATE workshops SET show_machine = $1 WHERE id = $2", [shown, before.id])
        _audit(cur, before.id, "show_machine_translations", "", before.show_machine, shown)

    db.write(tx)
    return get_workshop(db, workshop_id)


def translate_with_engine(db: Database, fac: auth.Facilitator, workshop_id: str, engine: object) -> int:
    """Fill in the engine's translation (``Made.ENGINE``, not reviewed) wherever a measure has none
    in a language the engine offers from its original; a person's translation is never replaced.
    Returns how many were made. The engine runs before the write (it may take seconds)."""
    from . import engine as engines

    auth.check(db, fac)
    ws = get_workshop(db, workshop_id)
    require(ws.phase, Role.FACILITATOR, Action.TRANSLATE)
    have = list_translations(db, ws.id)
    made: list[tuple[str, str, MeasureInput]] = []
    for m in list_measures(db, ws.id, include_hidden=True):
        source = m.lang or "de"
        for lang in i18n.available_languages():
            if lang == source or lang in have.get(m.id, {}):
                continue
            found = engines.suggest(engine, m.title, m.description, source, lang)
            if found is None:
                continue
            try:
                made.append((m.id, lang, MeasureInput(*found).validated()))
            except ValidationError:
                continue  # an engine's text the rules refuse (too long): a person translates it

    def tx(cur):
        n = 0
        for mid, lang, version in made:
            taken = cur.execute(
                "SELECT 1 FROM translations WHERE measure_id = $1 AND lang = $2", [mid, lang]
            ).fetchone()
            if not taken:  # a person saved one meanwhile: theirs stays
                _put_translation(cur, ws.id, mid, lang, version, Made.ENGINE, reviewed=False)
                n += 1
        _audit(cur, ws.id, "engine_translations", "", "", n)
        return n

    return db.write(tx)


# --- the translation desk: language mediators (Sprachmittler) with a link per language ---------

# From the first proposal on: during the vote a translation reaches the phones' ballots (ui/api.py,
# the watch's ``tv``), after it the results and the report for the district assembly.
MEDIATOR_PHASES = (Phase.COLLECT, Phase.REVIEW, Phase.VOTE, Phase.RESULTS)
MEDIATOR_SAVES_PER_MINUTE = 30


@dataclass(frozen=True)
class Mediator:
    """Who holds a mediator link: one workshop, one target language, nothing else."""

    workshop_id: str
    lang: str
    key_id: str


@dataclass(frozen=True)
class MediatorKey:
    id: str
    lang: str
    created_at: datetime
    revoked: bool


def create_mediator_key(db: Database, fac: auth.Facilitator, workshop_id: str, lang: str) -> tuple[MediatorKey, str]:
    """A link key for a language mediator translating into ``lang`` (audit-logged): it opens the
    translation desk of this workshop for that language and nothing else. Returns the key once."""
    auth.check(db, fac)
    get_workshop(db, workshop_id)
    lang = _language(lang)
    key, kid = secrets.token_urlsafe(24), new_id()

    def tx(cur):
        cur.execute(
            "INSERT INTO mediator_keys (id, workshop_id, key_hash, lang) VALUES ($1, $2, $3, $4)",
            [kid, workshop_id, token_hash(key), lang],
        )
        _audit(cur, workshop_id, "mediator_link", kid, "", lang)

    db.write(tx)
    return next(k for k in list_mediator_keys(db, fac, workshop_id) if k.id == kid), key


def list_mediator_keys(db: Database, fac: auth.Facilitator, workshop_id: str) -> list[MediatorKey]:
    auth.check(db, fac)
    rows = db.fetchall(
        "SELECT id, lang, created_at, revoked FROM mediator_keys WHERE workshop_id = $1 ORDER BY created_at, id",
        [_key(workshop_id)],
    )
    return [MediatorKey(r[0], r[1], r[2], bool(r[3])) for r in rows]


def revoke_mediator_key(db: Database, fac: auth.Facilitator, key_id: str) -> None:
    """The link stops working at once (its next request is refused); audit-logged."""
    auth.check(db, fac)

    def tx(cur):
        row = cur.execute("SELECT workshop_id, lang FROM mediator_keys WHERE id = $1", [_key(key_id)]).fetchone()
        if not row:
            raise NotFound(N_("This link does not exist."))
        cur.execute("UPDATE mediator_keys SET revoked = TRUE WHERE id = $1", [key_id])
        _audit(cur, row[0], "mediator_link_revoked", key_id, row[1], "")

    db.write(tx)


def mediator(db: Database, key: object) -> Mediator | None:
    """The mediator of a link key, or None for a key that is unknown, malformed or revoked."""
    if not isinstance(key, str) or not 16 <= len(key) <= 100:
        return None
    row = db.fetchone(
        "SELECT workshop_id, lang, id FROM mediator_keys WHERE key_hash = $1 AND NOT revoked", [token_hash(key)]
    )
    return Mediator(row[0], row[1], row[2]) if row else None


def _as_mediator(db: Database, actor: object) -> Mediator:
    """A mediator whose key still works (a revoked link stops at its next request)."""
    if not isinstance(actor, Mediator):
        raise PermissionDenied(N_("This link is not valid (any more). Please ask the facilitation team for a new one."))
    row = db.fetchone("SELECT 1 FROM mediator_keys WHERE id = $1 AND NOT revoked", [actor.key_id])
    if not row:
        raise PermissionDenied(N_("This link is not valid (any more). Please ask the facilitation team for a new one."))
    return actor


@dataclass(frozen=True)
class QueueItem:
    """A measure at the desk: what is there in the mediator's language, if anything."""

    measure: Measure
    translation: Translation | None

    @property
    def done(self) -> bool:
        """Translated by a person and checked: nothing left to do."""
        t = self.translation
        return t is not None and not t.stale and (t.reviewed or t.made == Made.MEDIATOR)


def translation_queue(db: Database, actor: Mediator) -> list[QueueItem]:
    """The desk's queue for the mediator's language: the measures of the workshop not written in
    it, those still to do first (nothing, a machine suggestion or the author's unchecked version),
    newest first; the done ones after them."""
    actor = _as_mediator(db, actor)
    measures = [m for m in list_measures(db, actor.workshop_id) if (m.lang or "de") != actor.lang]
    found = list_translations(db, actor.workshop_id)
    items = [QueueItem(m, found.get(m.id, {}).get(actor.lang)) for m in measures]
    return sorted(items, key=lambda i: (i.done, -i.measure.seq))


def _mediator_save(cur, actor: Mediator, measure_id: object, lang: object) -> str:
    """Checks of a mediator's write: their workshop, their language, the phase, the rate."""
    if lang != actor.lang:
        raise PermissionDenied(N_("This link is for another language."))
    wid, _title, _original = _translatable(cur, measure_id, lang)
    if wid != actor.workshop_id:
        raise NotFound(**NO_SUCH_MEASURE)
    if _phase_of(cur, wid) not in MEDIATOR_PHASES:
        raise PermissionDenied(N_("Translations can be made once proposals are collected."))
    recent = cur.execute(
        "SELECT count(*) FROM audit_log WHERE workshop_id = $1 AND action = 'mediator_translate' AND subject LIKE $2 "
        "AND logged_at > CAST(current_timestamp AS TIMESTAMP) - INTERVAL '60 seconds'",
        [wid, actor.key_id + ":%"],
    ).fetchone()[0]
    if recent >= MEDIATOR_SAVES_PER_MINUTE:
        raise ValidationError(
            NP_(
                "You saved {max} translation in the last minute. Please wait a moment before the next one.",
                "You saved {max} translations in the last minute. Please wait a moment before the next one.",
            ),
            max=MEDIATOR_SAVES_PER_MINUTE,
        )
    return wid


def review_translation(db: Database, actor: object, measure_id: str, lang: str) -> Translation:
    """A mediator (their language) or the facilitation team checked a translation as it is."""

    def tx(cur):
        if isinstance(actor, Mediator):
            wid = _mediator_save(cur, _as_mediator(db, actor), measure_id, lang)
            _audit(cur, wid, "mediator_translate", f"{actor.key_id}:{measure_id}:{lang}", "", "reviewed")
        else:
            auth.check(db, actor)
            wid, _title, _original = _translatable(cur, measure_id, lang)
            require(_phase_of(cur, wid), Role.FACILITATOR, Action.TRANSLATE)
            _audit(cur, wid, "review_translation", f"{measure_id}:{lang}", "", "reviewed")
        if not cur.execute(
            "UPDATE translations SET reviewed = TRUE, stale = FALSE, updated_at = current_timestamp "
            "WHERE measure_id = $1 AND lang = $2 RETURNING 1",
            [measure_id, lang],
        ).fetchone():
            raise NotFound(N_("There is no translation to check yet."))

    db.write(tx)
    return translations_of(db, measure_id)[lang]


def _translation(row: tuple) -> Translation:
    return Translation(row[0], row[1], row[2], row[3], Made(row[4]), bool(row[5]), bool(row[6]))


_TRANSLATION_COLS = "measure_id, lang, title, description, made, reviewed, stale"


def translations_of(db: Database, measure_id: str) -> dict[str, Translation]:
    """One measure's translations by language."""
    rows = db.fetchall(
        f"SELECT {_TRANSLATION_COLS} FROM translations WHERE measure_id = $1 ORDER BY lang", [_key(measure_id)]
    )
    return {r[1]: _translation(r) for r in rows}


def list_translations(db: Database, workshop_id: str) -> dict[str, dict[str, Translation]]:
    """Every translation of a workshop's measures: measure id -> language -> translation."""
    rows = db.fetchall(
        f"SELECT {_TRANSLATION_COLS} FROM translations WHERE workshop_id = $1 ORDER BY measure_id, lang",
        [_key(workshop_id)],
    )
    out: dict[str, dict[str, Translation]] = {}
    for r in rows:
        out.setdefault(r[0], {})[r[1]] = _translation(r)
    return out


# --- ballots ----------------------------------------------------------------------------------


def voting_measures(db: Database, workshop: Workshop) -> dict[str, str]:
    """The measures open for voting (id -> goal id): visible ones, or the shortlist for ranking."""
    if not isinstance(workshop, Workshop):
        raise NotFound(N_("This workshop does not exist."))
    with db.cursor() as cur:
        return _voting_measures(cur, workshop)


def _voting_measures(cur, workshop: Workshop) -> dict[str, str]:
    # Only the two columns, in the order list_measures gives: every submit validates against this.
    rows = cur.execute(
        "SELECT m.id, m.goal_id FROM measures m JOIN goals g ON g.id = m.goal_id "
        "WHERE m.workshop_id = $1 AND m.merged_into IS NULL AND NOT m.hidden ORDER BY g.position, m.seq",
        [workshop.id],
    ).fetchall()
    visible = dict(rows)
    if methods.of(workshop.rules.method).uses_shortlist and workshop.rules.shortlist:
        return {m: visible[m] for m in workshop.rules.shortlist if m in visible}
    return visible


@dataclass(frozen=True)
class Receipt:
    ballot_id: str
    submission_id: str
    submitted_at: datetime
    # Whether this submission replaced an earlier ballot: informative only, not part of identity
    # (a resend of the same submission returns an equal receipt).
    replaced: bool = field(default=False, compare=False)


def submit_ballot(db: Database, participant: Participant, ballot: methods.Ballot, submission_id: str) -> Receipt:
    """Store a device's ballot; the last one submitted counts.

    ``submission_id`` is chosen by the page for one press of the submit button: a resend of the
    same submission (a double tap, a reconnect) stores nothing new and returns the same receipt.
    """
    participant = _joined(participant)
    _check_ballot(ballot, submission_id)
    # Everything that needs the database (phase, rules, measures, device, card) is checked in the
    # write itself: one transaction for all ballots waiting, and no reads before it. Under a burst
    # each read handed the GIL to hundreds of other sessions and waited for it again (BENCHMARKS.md).
    pending = _PendingBallot(participant.workshop_id, participant.device_id, submission_id, ballot)
    return db.write_batched(pending, _write_ballots, key=_PendingBallot.key)


LINK_INVALID = N_("This link is no longer valid. Please join again.")


def submit_ballot_by_token(db: Database, token: object, ballot: methods.Ballot, submission_id: str) -> Receipt:
    """``submit_ballot`` for the device of a ballot token (the ballot endpoint, ui/api.py): the
    device is looked up in the write, one query for every ballot of a burst instead of a read
    per request (700 ballots at once: 0.13–0.16 s instead of 0.64–0.80 s, bench/endpoint.py)."""
    if not _token_shape(token):
        raise PermissionDenied(LINK_INVALID)
    _check_ballot(ballot, submission_id)
    pending = _PendingBallot(None, None, submission_id, ballot, token_hash=token_hash(token))
    return db.write_batched(pending, _write_ballots, key=_PendingBallot.key)


def _check_ballot(ballot: object, submission_id: object) -> None:
    if not isinstance(submission_id, str) or not 8 <= len(submission_id) <= 64:
        raise ValidationError(N_("This submission is malformed; please reload the page."))
    if not isinstance(ballot, _ballot_types()):
        raise ValidationError(N_("This ballot does not fit the voting method of the workshop."))


@dataclass(frozen=True)
class _PendingBallot:
    workshop_id: str | None  # None until the token is looked up
    device_id: str | None
    submission_id: str
    ballot: methods.Ballot  # as sent: validated in the transaction against the rules stored then
    token_hash: str | None = None

    def key(self) -> str:
        """Ballots of one device never share a batch (write_batched)."""
        return self.device_id or f"token:{self.token_hash}"


def _resolve_tokens(cur, ballots: list[_PendingBallot]) -> list[_PendingBallot | DomainError]:
    """Each ballot with its device: those sent with a token are looked up (one query); an unknown
    token is refused, as is a second ballot of one device in the batch (one sent with its token,
    one with its device: the two ways never meet in the app)."""
    hashes = [b.token_hash for b in ballots if b.token_hash is not None]
    found = {}
    if hashes:
        found = {
            row[0]: row[1:]
            for row in cur.execute(
                "SELECT token_hash, workshop_id, id FROM devices "
                "WHERE token_hash IN (SELECT unnest(CAST($1 AS VARCHAR[])))",
                [hashes],
            ).fetchall()
        }
    items: list[_PendingBallot | DomainError] = []
    seen: set[str] = set()
    for b in ballots:
        if b.token_hash is not None:
            if b.token_hash not in found:
                items.append(PermissionDenied(LINK_INVALID))
                continue
            workshop_id, device_id = found[b.token_hash]
            b = replace(b, workshop_id=workshop_id, device_id=device_id)
        if b.device_id in seen:
            items.append(ValidationError(N_("Your vote arrived twice at the same moment. Please send it again.")))
            continue
        seen.add(b.device_id)
        items.append(b)
    return items


def _write_ballots(cur, ballots: list[_PendingBallot]) -> list[Receipt | DomainError]:
    """Store several devices' ballots in one transaction (group commit, see Database.write_batched);
    a ballot that may not be stored gets its error and writes nothing. At most one per device."""
    # Checked inside the transaction, against the rules and measures stored now. Simple queries
    # over the id lists: a join against the unnested lists cost 3-4 ms to plan.
    items = _resolve_tokens(cur, ballots)
    ballots = [b for b in items if isinstance(b, _PendingBallot)]
    if not ballots:  # every one refused: nothing to read or write (an empty list has no type to unnest)
        return items
    workshops = {
        row[0]: _workshop(row)
        for row in cur.execute(
            f"SELECT {_WORKSHOP_COLS} FROM workshops WHERE id IN (SELECT unnest(CAST($1 AS VARCHAR[])))",
            [sorted({b.workshop_id for b in ballots})],
        ).fetchall()
    }
    measures: dict[str, dict[str, str]] = {}  # per workshop, read once for the batch when needed
    devices = [b.device_id for b in ballots]
    joined = set(
        cur.execute(
            "SELECT id, workshop_id FROM devices WHERE id IN (SELECT unnest(CAST($1 AS VARCHAR[])))", [devices]
        ).fetchall()
    )
    stored = {
        (row[0], row[1]): row[2:]
        for row in cur.execute(
            "SELECT device_id, method, id, submission_id, submitted_at FROM ballots "
            "WHERE device_id IN (SELECT unnest(CAST($1 AS VARCHAR[])))",
            [devices],
        ).fetchall()
    }
    carded = set()
    if any(ws.rules.cards_required for ws in workshops.values()):
        carded = {
            row[0]
            for row in cur.execute(
                "SELECT device_id FROM cards WHERE NOT revoked AND device_id IN (SELECT unnest(CAST($1 AS VARCHAR[])))",
                [devices],
            ).fetchall()
        }
    now = datetime.now()
    outcomes: list[Receipt | DomainError] = []
    replaced: dict[str, str] = {}  # ballot id -> submission id
    new: list[tuple[str, str, str, str, str]] = []  # ballots rows: id, workshop, device, method, submission
    votes: list[tuple[str, str, str, float, bool]] = []  # ballot, measure, criterion, value, leads
    for b in items:
        if isinstance(b, DomainError):
            outcomes.append(b)
            continue
        try:
            workshop = workshops.get(b.workshop_id)
            if workshop is None:
                raise NotFound(N_("This workshop does not exist."))
            require(workshop.phase, Role.PARTICIPANT, Action.SUBMIT_BALLOT)
            rules = workshop.rules
            if not isinstance(b.ballot, methods.of(rules.method).ballot):
                raise ValidationError(N_("This ballot does not fit the voting method of the workshop."))
            if b.workshop_id not in measures:
                measures[b.workshop_id] = _voting_measures(cur, workshop)
            open_measures = measures[b.workshop_id]
            if ballot_size(b.ballot) > len(open_measures) * max(1, len(rules.criteria)):
                # More entries than there can be: refuse before looking at them one by one.
                raise ValidationError(N_("This ballot has more entries than there are proposals to vote on."))
            rows = b.ballot.validate(rules, open_measures).rows()
            if (b.device_id, b.workshop_id) not in joined:
                raise PermissionDenied(N_("Please join the workshop first."))
            if rules.cards_required and b.device_id not in carded:
                raise PermissionDenied(N_("Voting needs a valid voting card."))
        except DomainError as exc:
            outcomes.append(exc)
            continue
        method = str(rules.method)
        ballot_id, stored_submission, stored_at = stored.get((b.device_id, method), (None, None, None))
        if ballot_id is not None and stored_submission == b.submission_id:
            # The same submission again: a resend (stored already) if it carries the same votes;
            # other votes under a used id are refused, so that "saved" always means saved.
            if _stored_rows(cur, ballot_id) == sorted((m, c, float(v)) for m, c, v in rows):
                outcomes.append(Receipt(ballot_id, b.submission_id, stored_at, replaced=False))
            else:
                outcomes.append(
                    DomainError(
                        N_("This vote was sent before with other choices. Please reload the page and vote again.")
                    )
                )
            continue
        if ballot_id is not None:
            replaced[ballot_id] = b.submission_id
        else:
            ballot_id = new_id()
            new.append((ballot_id, b.workshop_id, b.device_id, method, b.submission_id))
        votes.extend(_vote_rows(ballot_id, rows))
        outcomes.append(Receipt(ballot_id, b.submission_id, now, replaced=ballot_id in replaced))
    # A few statements for everyone (lists unnested by DuckDB), however many ballots there are.
    if replaced:
        ids = list(replaced)
        cur.execute("DELETE FROM votes WHERE ballot_id IN (SELECT unnest(CAST($1 AS VARCHAR[])))", [ids])
        cur.execute(
            "UPDATE ballots SET submission_id = q.submission, submitted_at = $1 "
            "FROM (SELECT unnest(CAST($2 AS VARCHAR[])) AS id, unnest(CAST($3 AS VARCHAR[])) AS submission) q "
            "WHERE ballots.id = q.id",
            [now, ids, list(replaced.values())],
        )
    if new:
        ids, workshop_ids, device_ids, method_keys, subs = (list(col) for col in zip(*new, strict=True))
        cur.execute(
            "INSERT INTO ballots (id, workshop_id, device_id, method, submission_id, submitted_at) "
            "SELECT unnest(CAST($1 AS VARCHAR[])), unnest(CAST($2 AS VARCHAR[])), unnest(CAST($3 AS VARCHAR[])), "
            "unnest(CAST($4 AS VARCHAR[])), unnest(CAST($5 AS VARCHAR[])), CAST($6 AS TIMESTAMP)",
            [ids, workshop_ids, device_ids, method_keys, subs, now],
        )
    if votes:
        ballot_ids, measure_ids, criteria, values, leads = (list(col) for col in zip(*votes, strict=True))
        cur.execute(
            "INSERT INTO votes (ballot_id, measure_id, criterion, value, leads) "
            "SELECT unnest(CAST($1 AS VARCHAR[])), unnest(CAST($2 AS VARCHAR[])), unnest(CAST($3 AS VARCHAR[])), "
            "unnest(CAST($4 AS DOUBLE PRECISION[])), unnest(CAST($5 AS BOOLEAN[]))",
            [ballot_ids, measure_ids, criteria, [float(v) for v in values], leads],
        )
    return outcomes


def _stored_rows(cur, ballot_id: str) -> list[tuple[str, str, float]]:
    rows = cur.execute("SELECT measure_id, criterion, value FROM votes WHERE ballot_id = $1", [ballot_id]).fetchall()
    return sorted((m, c, float(v)) for m, c, v in rows)


def _vote_rows(ballot_id: str, rows: list[VoteRow]):
    """The stored rows of a ballot: the first row of each measure leads (see store.MARK_LEADS)."""
    named: set[str] = set()
    for measure_id, criterion, value in rows:
        yield ballot_id, measure_id, criterion, float(value), measure_id not in named
        named.add(measure_id)


def _ballot_types() -> tuple[type, ...]:
    return tuple(m.ballot for m in methods.all_methods())


def ballot_size(ballot: methods.Ballot) -> int:
    """The number of entries a ballot carries, as sent (before validation); a ballot whose
    entries are not the container its type holds (a list of dots, a number) is refused."""
    size = ballot.size() if isinstance(ballot, _ballot_types()) else None
    if size is None:
        raise ValidationError(N_("This ballot does not fit the voting method of the workshop."))
    return size


def get_ballot(db: Database, participant: Participant, method: Method | str | None = None) -> methods.Ballot | None:
    """The device's last submitted ballot for the workshop's (or the given) method."""
    participant = _joined(participant)
    if method is None:
        method = get_workshop(db, participant.workshop_id).rules.method
    try:
        method = Method(method)
    except ValueError:
        raise ValidationError(N_("Unknown voting method.")) from None
    row = db.fetchone(
        "SELECT id FROM ballots WHERE device_id = $1 AND method = $2", [participant.device_id, str(method)]
    )
    if not row:
        return None
    rows = db.fetchall("SELECT measure_id, criterion, value FROM votes WHERE ballot_id = $1", [row[0]])
    return methods.of(method).ballot.from_rows(rows)


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


# --- moderation (facilitator, collect and review) ---------------------------------------------


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


# --- the hall: public address and projector links ---------------------------------------------


def public_url(db: Database) -> str | None:
    return db.get_meta("public_url") or None


def set_public_url(db: Database, fac: auth.Facilitator, url: object) -> None:
    """The address participants' devices use (e.g. behind a reverse proxy); empty clears it."""
    auth.check(db, fac)
    url = clean_text(url, field_label=N_("Public address"), max_len=300).rstrip("/")
    if url and not url.startswith(("http://", "https://")):  # after rstrip: "https://" alone is refused
        raise ValidationError(N_("The address must start with http:// or https://."))
    if url:
        db.set_meta("public_url", url)
    else:
        db.write(lambda cur: cur.execute("DELETE FROM meta WHERE key = 'public_url'"))


def projector_key(db: Database, fac: auth.Facilitator, workshop_id: str) -> str:
    """A read-only key for the projector window: it shows what the projector shows, nothing else."""
    auth.check(db, fac)
    get_workshop(db, workshop_id)
    key = secrets.token_urlsafe(24)
    db.set_meta(f"projector:{token_hash(key)}", workshop_id)
    return key


def projector_workshop(db: Database, key: object) -> str | None:
    if not isinstance(key, str) or not 16 <= len(key) <= 100:
        return None
    return db.get_meta(f"projector:{token_hash(key)}")


def reuse_vision(db: Database, fac: auth.Facilitator, workshop_id: str, source_id: str) -> None:
    """Copy the vision (title, description, goals) of a past workshop."""
    source = get_workshop(db, source_id)
    goals = [(g.title, g.description) for g in list_goals(db, source_id)]
    replace_vision(db, fac, workshop_id, title=source.vision_title, description=source.vision_description, goals=goals)


def set_shortlist(db: Database, fac: auth.Facilitator, workshop_id: str, measure_ids: list[str]) -> Workshop:
    """The measures a ranking vote puts in order (for example the top k of an earlier round)."""
    ws = get_workshop(db, workshop_id)
    visible = {m.id for m in list_measures(db, workshop_id)}
    chosen = tuple(dict.fromkeys(map(_key, _sequence(measure_ids))))
    if not chosen or any(m not in visible for m in chosen):
        raise ValidationError(
            N_("The shortlist must name visible measures of this workshop."),
            conference=N_("The shortlist must name visible recommendations of this workshop."),
        )
    return set_rules(
        db,
        fac,
        workshop_id,
        replace(ws.rules, shortlist=chosen),
        confirm_affected=count_ballots(db, workshop_id, ws.rules.method),
    )


# --- voting cards: single-use codes for a ballot, printed on paper -----------------------------

CARD_LENGTH = 8  # 31^8 ≈ 8.5e11 codes; guessing is rate-limited (see redeem_card)
CARD_ATTEMPTS_PER_MINUTE = 5  # wrong codes per device
CARD_ATTEMPTS_PER_WORKSHOP_MINUTE = 200  # wrong codes per workshop, from every address together
_card_attempts = limits.Window("card_device", CARD_ATTEMPTS_PER_MINUTE)
_card_attempts_by_address = limits.Window("card_address", _settings.card_tries_per_address_minute)
_card_attempts_by_workshop = limits.Window("card_workshop", CARD_ATTEMPTS_PER_WORKSHOP_MINUTE)


def _new_card_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CARD_LENGTH))


def generate_cards(db: Database, fac: auth.Facilitator, workshop_id: str, count: int) -> list[tuple[int, str]]:
    """N new single-use voting codes; only their hashes are stored, so print them right away."""
    auth.check(db, fac)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 2000:
        raise ValidationError(
            N_("“{field}” must be a whole number from {min} to {max}."), field=N_("Number of cards"), min=1, max=2000
        )
    get_workshop(db, workshop_id)
    cards: list[tuple[int, str]] = []

    def tx(cur):
        start = cur.execute(
            "SELECT coalesce(max(number), 0) FROM cards WHERE workshop_id = $1", [workshop_id]
        ).fetchone()[0]
        for i in range(count):
            code = _new_card_code()
            cur.execute(
                "INSERT INTO cards (id, workshop_id, number, code_hash) VALUES ($1, $2, $3, $4)",
                [new_id(), workshop_id, start + i + 1, token_hash(code)],
            )
            cards.append((start + i + 1, code))
        _audit(cur, workshop_id, "cards", "", "", {"generated": count})

    db.write(tx)
    return cards


def revoke_card(db: Database, fac: auth.Facilitator, workshop_id: str, number: int) -> None:
    """Revoke a lost card by its printed number; a ballot already cast with it is removed."""
    auth.check(db, fac)
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 2**31 - 1:
        raise NotFound(N_("There is no card with the number {n}."), n=number)

    def tx(cur):
        row = cur.execute(
            "SELECT id, device_id FROM cards WHERE workshop_id = $1 AND number = $2", [_key(workshop_id), number]
        ).fetchone()
        if not row:
            raise NotFound(N_("There is no card with the number {n}."), n=number)
        cur.execute("UPDATE cards SET revoked = TRUE WHERE id = $1", [row[0]])
        if row[1] is not None:
            # A ballot cast with a revoked card no longer counts.
            cur.execute("DELETE FROM votes WHERE ballot_id IN (SELECT id FROM ballots WHERE device_id = $1)", [row[1]])
            cur.execute("DELETE FROM ballots WHERE device_id = $1", [row[1]])
        _audit(cur, workshop_id, "revoke_card", str(number))

    db.write(tx)


def card_stats(db: Database, workshop_id: str) -> dict[str, int]:
    row = db.fetchone(
        "SELECT count(*), count(device_id), count(*) FILTER (WHERE revoked) FROM cards WHERE workshop_id = $1",
        [_key(workshop_id)],
    )
    return {"cards": row[0], "used": row[1], "revoked": row[2]}


def has_card(db: Database, participant: Participant) -> bool:
    participant = _joined(participant)
    return bool(db.scalar("SELECT count(*) FROM cards WHERE device_id = $1 AND NOT revoked", [participant.device_id]))


def redeem_card(db: Database, participant: Participant, code: object, *, client: str | None = None) -> None:
    """Bind a voting card to this device; each card works once.

    Wrong codes are limited per device, per workshop and address (``client``, None for this machine),
    and per workshop: fresh devices or many phones cannot add up to a guessing machine.
    """
    participant = _joined(participant)
    keys = [
        (_card_attempts, participant.device_id),
        (_card_attempts_by_workshop, participant.workshop_id),
    ]
    if client is not None:
        keys.append((_card_attempts_by_address, (participant.workshop_id, client)))
    if any(window.full(db, key) for window, key in keys):
        raise PermissionDenied(N_("Too many tries. Please wait a minute and ask the facilitation team."))
    norm = normalize_code(code)

    def tx(cur):
        row = cur.execute(
            "SELECT id, device_id, revoked FROM cards WHERE workshop_id = $1 AND code_hash = $2",
            [participant.workshop_id, token_hash(norm)],
        ).fetchone()
        if not row or row[2]:
            raise ValidationError(N_("This voting card is not valid."))
        if row[1] is not None and row[1] != participant.device_id:
            raise ValidationError(N_("This voting card has already been used."))
        cur.execute("UPDATE cards SET device_id = $1 WHERE id = $2", [participant.device_id, row[0]])

    try:
        db.write(tx)
    except ValidationError:

        def count(cur):
            for window, key in keys:
                window.add_in(db, cur, key)

        db.write(count)
        raise
