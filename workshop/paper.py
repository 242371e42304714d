"""Paper ballots: what a printed sheet shows and what staff type from it (issue 23).

A sheet is a voting card (``services.print_sheets``): its number and QR code are the card's. The
sheet lists the measures on the ballot grouped by goal, each with a short label ("2.3": the third
measure of the second goal) that the entry screen shows beside the same boxes, so a person entering
finds a line at a glance. What a sheet may be entered as: the method's ballot (the same rules as on
a phone), or invalid with one of ``INVALID_REASONS``, as in a real count.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from . import methods
from .errors import N_, ValidationError
from .model import Goal, Measure, Method, VotingRules

# Why a sheet is invalid; the keys are stored, the msgids shown (entry screen, results, report).
BREAKS_RULES = "rules"
# Who entered a sheet, in the audit log, when it was a facilitator's login (an entry link: its name).
FACILITATION = "facilitation team"
INVALID_REASONS: dict[str, str] = {
    BREAKS_RULES: N_("Breaks the voting rules"),
    "empty": N_("Empty"),
    "unclear": N_("Marks cannot be read clearly"),
    "identified": N_("Signed or marked so the voter can be identified"),
    "other": N_("Other reason"),
}

# The states of an entered sheet: counted (its ballot counts), invalid (counted as invalid),
# waiting (double entry: one of two entries made), mismatch (two entries differ: a decision).
COUNTED, INVALID, WAITING, MISMATCH = "counted", "invalid", "waiting", "mismatch"
STATES: dict[str, str] = {
    COUNTED: N_("Counted"),
    INVALID: N_("Invalid"),
    WAITING: N_("Waiting for the second entry"),
    MISMATCH: N_("Entries differ: decide"),
}
DIGITAL, PAPER = "digital", "paper"  # ballots.channel


class SheetClosed(ValidationError):
    """This sheet takes no entry now (used on a phone, revoked, of another workshop or an earlier
    vote, waiting for another person or a decision): the marks on the form belong to no sheet."""


class BreaksRules(ValidationError):
    """The marks entered break the voting rules: if the sheet shows them, it is entered as invalid
    (reason ``"rules"``); the message says which rule."""

    @classmethod
    def of(cls, exc: ValidationError) -> BreaksRules:
        return cls(exc.msgid, conference=exc.conference, **exc.params)


@dataclass(frozen=True)
class SheetLine:
    label: str  # "2.3"
    measure: Measure


@dataclass(frozen=True)
class SheetSection:
    goal: Goal
    number: int  # the goal's place in the vision, from 1
    lines: tuple[SheetLine, ...]


def fingerprint(rules: VotingRules, voting: Mapping[str, str]) -> str:
    """What a printed sheet was made for: the method, the rules it prints (dots, caps, budgets,
    criteria) and the measures on the ballot in their order and goals (``voting``: id -> goal id).
    A sheet whose ballot changed since (a merge, a hidden measure, other rules) is not entered:
    its lines and boxes no longer mean what the screen would read them as."""
    made_for = {
        "method": str(rules.method),
        "dots": [rules.dots_per_person, rules.max_per_measure, rules.goal_budget],
        "approval_limit": rules.approval_limit,
        "criteria": [[c.key, c.label] for c in rules.criteria] if rules.method == Method.RATING else [],
        "measures": [[m, g] for m, g in voting.items()],
    }
    return hashlib.sha256(json.dumps(made_for, sort_keys=True).encode()).hexdigest()[:24]


def layout(goals: Sequence[Goal], measures: Sequence[Measure], voting: Mapping[str, str]) -> list[SheetSection]:
    """The measures on the ballot (``voting``: id -> goal id, in ballot order) grouped by goal, in
    the vision's order of goals; a goal without a measure on the ballot is left out."""
    by_id = {m.id: m for m in measures}
    sections = []
    for number, goal in enumerate(goals, start=1):
        ids = [m for m, g in voting.items() if g == goal.id and m in by_id]
        if ids:
            lines = tuple(SheetLine(f"{number}.{i}", by_id[m]) for i, m in enumerate(ids, start=1))
            sections.append(SheetSection(goal, number, lines))
    return sections


_NUMBER = re.compile(r"\s*#?\s*(\d{1,9})\s*")


def read_typed(typed: object) -> int | str:
    """What a person typed or a scanner sent for a sheet: its printed number (an int), or its code
    (str, as printed or inside the QR code's link). ValidationError for anything else."""
    if not isinstance(typed, str) or not typed.strip() or len(typed) > 2000:
        raise ValidationError(N_("Type the number printed on the paper ballot, or scan its QR code."))
    if m := _NUMBER.fullmatch(typed):
        return int(m.group(1))
    text = typed.strip()
    if "://" in text or "card=" in text:
        found = parse_qs(urlsplit(text).query).get("card") or parse_qs(text.split("?")[-1]).get("card")
        if not found:
            raise ValidationError(N_("This QR code is not one of a paper ballot."))
        return found[0]
    return text


def ranks_ballot(ranks: Mapping[str, int | None]) -> methods.Ballot:
    """The ranking ballot of the place numbers written on a sheet (1 = best; gaps are fine, as a
    counter would read them); two measures with the same place break the rules."""
    from .methods.ranking import RankingBallot

    placed = {m: r for m, r in ranks.items() if r}
    seen: dict[int, str] = {}
    for m, r in placed.items():
        if isinstance(r, bool) or not isinstance(r, int) or r < 1:
            raise ValidationError(N_("A place must be a whole number from 1."))
        if r in seen:
            raise BreaksRules(N_("Two lines have the same place {place}."), place=r)
        seen[r] = m
    return RankingBallot(tuple(seen[r] for r in sorted(seen)))


def ballot_from_marks(method: Method | str, marks: Mapping[str, object]) -> methods.Ballot:
    """The method's ballot of what the entry screen shows ticked, per measure: dots (a number or
    None), approval (a tick), rating (criterion -> 1..5 or None), ranking (a place or None).
    Lines left empty are left out; the rules are the services' to check."""
    kind = methods.of(method)
    if kind.method == Method.RANKING:
        return ranks_ballot({m: v for m, v in marks.items() if isinstance(v, int)})
    if kind.method == Method.APPROVAL:
        return kind.ballot(frozenset(m for m, v in marks.items() if v))
    if kind.method == Method.RATING:
        ratings = {m: {c: r for c, r in v.items() if r} for m, v in marks.items() if isinstance(v, Mapping)}
        return kind.ballot({m: per for m, per in ratings.items() if per})
    return kind.ballot({m: v for m, v in marks.items() if isinstance(v, int) and v})


def marks_by_line(method: Method | str, marks: Mapping | None) -> dict[str, str]:
    """An entry's marks (a ballot's payload) per measure as short text, to set two entries side
    by side: "2" dots, "✓", "1: 4 · 2: 5" per criterion, a place "3"."""
    if not marks:
        return {}
    kind = methods.of(method).method
    if kind == Method.APPROVAL:
        return {m: "✓" for m in marks.get("approved", [])}
    if kind == Method.RANKING:
        return {m: str(i) for i, m in enumerate(marks.get("order", []), start=1)}
    if kind == Method.RATING:
        return {
            m: " · ".join(f"{c}: {v}" for c, v in sorted(per.items()) if v is not None)
            for m, per in marks.get("ratings", {}).items()
        }
    return {m: str(n) for m, n in marks.get("dots", {}).items()}


def differences(method: Method | str, first: Mapping | None, second: Mapping | None, order: Sequence[str]):
    """The lines where two entries of a sheet differ, in the sheet's ``order`` (measure ids):
    (measure id, what entry 1 says, what entry 2 says), "" where an entry has nothing."""
    one, two = marks_by_line(method, first), marks_by_line(method, second)
    place = {m: i for i, m in enumerate(order)}
    differ = {m for m in one.keys() | two.keys() if one.get(m) != two.get(m)}
    return [(m, one.get(m, ""), two.get(m, "")) for m in sorted(differ, key=lambda m: (place.get(m, len(place)), m))]


def sheet_ranks(ballot: methods.Ballot) -> dict[str, int]:
    """The place numbers of a ranking ballot, as they would stand on the sheet."""
    return {m: i for i, m in enumerate(getattr(ballot, "order", ()), start=1)}
