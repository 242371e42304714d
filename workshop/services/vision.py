"""The guiding vision (Leitbild), its goals and the working groups."""

from __future__ import annotations

import json

from workshop import auth
from workshop.errors import N_, NP_, NotFound, ValidationError
from workshop.model import (
    MALFORMED,
    Action,
    Goal,
    Group,
    MeasureInput,
    MeasureStatus,
    Role,
    VotingRules,
    Workshop,
    WorkshopKind,
    clean_text,
    require,
)
from workshop.queries import ballots as ballot_queries
from workshop.queries import measures as measure_queries
from workshop.queries import participants as participant_queries
from workshop.queries import vision as queries
from workshop.queries import workshops as workshop_queries
from workshop.store import Database

from .common import (
    CHOOSE_GOAL,
    NO_SUCH_GOAL,
    _audit,
    _check_expected,
    _key,
    _measure_input,
    _phase_of,
    _sequence,
    new_id,
)
from .workshops import _rules, get_workshop


def list_goals(db: Database, workshop_id: str) -> list[Goal]:
    return [Goal(*r) for r in queries.goals_of(db, _key(workshop_id))]


def list_groups(db: Database, workshop_id: str) -> list[Group]:
    return [Group(*r) for r in queries.groups_of(db, _key(workshop_id))]


def measures_per_goal(db: Database, workshop_id: str) -> dict[str, int]:
    """How many measures (hidden and merged ones too) each goal holds: what removing it would move."""
    return dict(queries.measures_per_goal(db, _key(workshop_id)))


def _clean_goal(title: object, description: object) -> tuple[str, str]:
    return (
        clean_text(title, field_label=N_("Goal"), min_len=3, max_len=120),
        clean_text(description, field_label=N_("Short description"), max_len=1000, multiline=True),
    )


def _refuse_a_second(cur, workshop_id: str, title: str, goal_id: str = "") -> None:
    """A goal (guiding question) with the title of another one of the workshop (case aside)."""
    others = queries.other_goal_titles(cur, workshop_id, goal_id)
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
        pos = queries.next_goal_position(cur, workshop_id)
        queries.insert_goal(
            cur, goal_id=gid, workshop_id=workshop_id, position=pos, title=title, description=description
        )
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
        before = queries.vision_text(cur, workshop_id)
        _check_expected(None if expected is None else tuple(map(str, expected)), tuple(before))
        new_kind = before[2] if kind is None else str(kind)
        queries.set_vision_text_and_kind(cur, workshop_id, title=title, description=description, kind=new_kind)
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
    row = queries.goal_fields(cur, _key(goal_id))
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
        queries.update_goal(cur, goal_id, title=title, description=description)
        _audit(cur, wid, "edit_goal", goal_id, {"title": old_title, "description": old_desc}, {"title": title})

    db.write(tx)
    return _get_goal(db, goal_id)


def _get_goal(db: Database, goal_id: str) -> Goal:
    row = queries.goal_row(db, _key(goal_id))
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
        n = queries.measures_of_goal(cur, goal_id)
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
            if move_to == goal_id or not queries.goal_in_workshop(cur, _key(move_to), wid):
                raise ValidationError(**CHOOSE_GOAL)
            queries.move_measures(cur, from_goal=goal_id, to_goal=move_to)
        queries.delete_goal(cur, goal_id)
        _renumber_goals(cur, wid)
        _audit(cur, wid, "remove_goal", goal_id, title, {"moved": n, "to": move_to})
        return n

    return db.write(tx)


def _renumber_goals(cur, workshop_id: str, order: list[str] | None = None) -> None:
    ids = order or [gid for (gid,) in queries.goal_ids(cur, workshop_id)]
    for pos, gid in enumerate(ids, start=1):
        queries.set_goal_position(cur, gid, pos)


def move_goal(db: Database, fac: auth.Facilitator, goal_id: str, step: int) -> list[Goal]:
    """Move a goal up (step < 0) or down (step > 0) in the vision's order."""
    auth.check(db, fac)
    if isinstance(step, bool) or not isinstance(step, int) or step == 0:
        raise ValidationError(MALFORMED)

    def tx(cur):
        wid, _pos, title, _desc = _goal_row(cur, goal_id)
        require(_phase_of(cur, wid), Role.FACILITATOR, Action.EDIT_VISION)
        ids = [gid for (gid,) in queries.goal_ids(cur, wid)]
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
            if ballot_queries.ballot_count(cur, workshop_id):
                raise ValidationError(N_("This workshop already has ballots; change its rules under “Voting rules”."))
        if queries.measure_count(cur, workshop_id):
            raise ValidationError(
                N_("This workshop already has measures; its goals can only be added to."),
                conference=N_("This workshop already has recommendations; its guiding questions can only be added to."),
            )
        queries.delete_goals_of(cur, workshop_id)
        goal_ids = [new_id() for _ in clean_goals]
        for pos, (gid, (gt, gd)) in enumerate(zip(goal_ids, clean_goals, strict=True), start=1):
            queries.insert_goal(cur, goal_id=gid, workshop_id=workshop_id, position=pos, title=gt, description=gd)
        queries.set_vision_text(cur, workshop_id, title=title, description=description)
        if clean_groups is not None:
            _write_groups(cur, workshop_id, clean_groups)
        if clean_rules is not None:
            rules_json = json.dumps(clean_rules.to_dict())
            workshop_queries.update_rules(cur, workshop_id, rules_json)
        if clean_measures:
            groups = dict(queries.group_ids_by_name(cur, workshop_id))
            for goal_index, data, group, status in clean_measures:
                measure_queries.insert_measure(
                    cur,
                    measure_id=new_id(),
                    workshop_id=workshop_id,
                    goal_id=goal_ids[goal_index],
                    texts=measure_queries.texts(data),
                    group_id=groups.get(group) if group else None,
                    status=status,
                )
        if kind is not None:
            queries.set_kind(cur, workshop_id, str(kind))
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
    existing = {name: gid for gid, name in queries.group_names_by_id(cur, workshop_id)}
    keep = set()
    for pos, name in enumerate(names, start=1):
        if name in existing:
            queries.set_group_position(cur, existing[name], pos)
            keep.add(existing[name])
        else:
            queries.insert_group(cur, group_id=new_id(), workshop_id=workshop_id, position=pos, name=name)
    for name, gid in existing.items():
        if gid not in keep:
            used = queries.measures_of_group(cur, gid) + participant_queries.devices_in_group(cur, gid)
            if used:
                raise ValidationError(N_("The working group “{name}” is in use and cannot be removed."), name=name)
            queries.delete_group(cur, gid)


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
        before = [n for (n,) in queries.group_names(cur, workshop_id)]
        _check_expected(None if expected is None else list(expected), before)
        _write_groups(cur, workshop_id, clean)
        _audit(cur, workshop_id, "groups", "", before, clean)

    db.write(tx)
    return list_groups(db, workshop_id)


def reuse_vision(db: Database, fac: auth.Facilitator, workshop_id: str, source_id: str) -> None:
    """Copy the vision (title, description, goals) of a past workshop."""
    source = get_workshop(db, source_id)
    goals = [(g.title, g.description) for g in list_goals(db, source_id)]
    replace_vision(db, fac, workshop_id, title=source.vision_title, description=source.vision_description, goals=goals)
