"""Pure helpers for the participant screens: stable random order, dot budgets, the ballot on the wire."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping

from . import methods
from .errors import ValidationError
from .methods.base import MALFORMED
from .model import Phase, Translation, VotingRules, Workshop
from .translation import FALLBACK, usable

# How often a participant's screen asks whether it must change (the phase, a reveal, the rules):
# one small HTTP request (ui/api.py, /api/watch) answered from a cache, no script run. Where people
# wait for the next step the screen follows within a couple of seconds; where they are busy
# (typing, voting) a later update is harmless. The interval grows with the hall, so that all
# devices together ask at most this often per second, up to a longest interval.
WATCH_WAITING = 2.0
WATCH_BUSY = 5.0
HALL_WATCHES_WAITING = 300.0
HALL_WATCHES_BUSY = 100.0
WATCH_WAITING_MAX = 10.0
WATCH_BUSY_MAX = 30.0


def watch_seconds(phase: Phase, results_revealed: bool, devices: int = 1) -> float:
    """The interval at which a participant screen in this phase, in a hall of ``devices``, asks."""
    busy = phase in (Phase.COLLECT, Phase.VOTE) or (phase == Phase.RESULTS and results_revealed)
    if busy:
        return min(WATCH_BUSY_MAX, max(WATCH_BUSY, devices / HALL_WATCHES_BUSY))
    return min(WATCH_WAITING_MAX, max(WATCH_WAITING, devices / HALL_WATCHES_WAITING))


def screen_version(workshop: Workshop, version: int = 0) -> str:
    """What a participant's screen was drawn from, as a short fingerprint: the phase, the reveal and
    the rules (method, limits, shortlist, cards), and whether machine translations are shown; once
    the results are shown, also the workshop's ``version`` (``services.workshop_version``): paper
    ballots staff still enter after the reveal, the end of their entry (which takes back "the
    results may still change") and a measure hidden or merged later change the ranking a phone
    shows. A different one means the screen must be redrawn."""
    state = [str(workshop.phase), bool(workshop.results_revealed), workshop.rules.to_dict()]
    if workshop.show_machine:  # machine translations shown: the ballots' texts change
        state.append("machine")
    if workshop.phase == Phase.RESULTS and workshop.results_revealed:
        state.append(int(version))
    return hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()[:16]


def texts_versions(translations: Mapping[str, Mapping[str, Translation]], machine: bool) -> dict[str, str]:
    """Per language, a short fingerprint of the translations to it that readers may see
    (``translation.usable``; ``machine``: the facilitator shows the engine's): a language
    mediator's save changes its language's fingerprint, and the screens that show measures to
    readers of that language take the new text (the watch's ``tv``, ui/api.py)."""
    rows: dict[str, list] = {}
    for mid in sorted(translations):
        for lang, t in sorted(translations[mid].items()):
            if usable(t, machine):
                rows.setdefault(lang, []).append([mid, t.title, t.description, str(t.made), t.reviewed])
    return {
        lang: hashlib.sha256(json.dumps(found, ensure_ascii=False).encode()).hexdigest()[:8]
        for lang, found in rows.items()
    }


def texts_read(lang: str, versions: Mapping[str, str]) -> dict[str, str]:
    """The fingerprints a reader of ``lang`` depends on: their language's and the one they fall
    back to (Leichte Sprache: German); "" where there is no translation to it yet."""
    langs = [lang] + ([FALLBACK[lang]] if lang in FALLBACK else [])
    return {code: versions.get(code, "") for code in langs}


def ballot_order(device_id: str, measure_ids: Iterable[str]) -> list[str]:
    """A random order per device that stays the same for that device (reloads, reruns)."""
    return sorted(measure_ids, key=lambda m: hashlib.sha256(f"{device_id}:{m}".encode()).hexdigest())


def dots_allowed(
    dots: Mapping[str, int], measure_id: str, wanted: int, rules: VotingRules, goal_of: Mapping[str, str]
) -> int:
    """The most dots ``measure_id`` can have, up to ``wanted``, without breaking any rule.

    Used by the page to make overspending impossible: the server refuses it as well.
    """
    wanted = max(0, min(int(wanted), rules.max_per_measure))
    others = sum(n for m, n in dots.items() if m != measure_id)
    wanted = min(wanted, rules.dots_per_person - others)
    if rules.goal_budget is not None:
        goal = goal_of[measure_id]
        in_goal = sum(n for m, n in dots.items() if m != measure_id and goal_of.get(m) == goal)
        wanted = min(wanted, rules.goal_budget - in_goal)
    return max(0, wanted)


def dots_left(dots: Mapping[str, int], rules: VotingRules) -> int:
    return rules.dots_per_person - sum(dots.values())


def goal_dots_left(dots: Mapping[str, int], rules: VotingRules, goal_of: Mapping[str, str], goal_id: str) -> int | None:
    if rules.goal_budget is None:
        return None
    return rules.goal_budget - sum(n for m, n in dots.items() if goal_of.get(m) == goal_id)


# --- the ballot as it travels: the page hands it to the browser, the browser posts it back ------

# The longest request body the ballot endpoint reads (a ballot of 200 measures × 3 criteria is
# about 25 kB of JSON).
MAX_PAYLOAD_BYTES = 64 * 1024


def ballot_payload(ballot) -> dict:
    """A ballot as JSON-ready data: ``{"method": ..., <the ballot's field>: ...}``; lists sorted so
    that the same ballot always gives the same payload (the browser compares them)."""
    return methods.for_ballot(ballot).payload(ballot)


def ballot_from_payload(payload: object):
    """The ballot a browser sent, or a ValidationError for anything that is not one.

    Only the shape is checked here (the right containers of strings and whole numbers); what the
    ballot may contain (rules, measures, phase) is checked where it is stored."""
    if not isinstance(payload, dict):
        raise ValidationError(MALFORMED)
    try:
        method = methods.of(payload.get("method"))
    except (KeyError, ValueError, TypeError):
        raise ValidationError(MALFORMED) from None
    return method.from_payload(payload)
