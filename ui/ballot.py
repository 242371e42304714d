"""The ballot drawn in the browser: one component per voting method.

The registry (``workshop.methods``) names each method's component (``VotingMethod.component``);
the page calls ``show``. The component draws the whole ballot (the
measures grouped by goal in the device's order, the controls, the live counter, the submit button
and its answer) and keeps the half-done ballot in the browser: a tap changes the screen at once and
sends nothing to the server. The submit posts the ballot to ``POST /api/ballot`` (ui/api.py).
JavaScript: ``ballot/core.js`` (shared)
followed by ``ballot/<component>.js`` (the method's controls), one module per component.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from urllib.parse import urlencode

import streamlit as st

from ui import api
from workshop import i18n, methods, participation, translation
from workshop.errors import N_
from workshop.model import RATING_MAX, RATING_MIN, Goal, Measure, Translation, VotingRules
from workshop.vocabulary import Voice

_HERE = Path(__file__).parent / "ballot"
_CSS = (_HERE / "ballot.css").read_text(encoding="utf-8")


def _js(name: str) -> str:
    return (_HERE / "core.js").read_text(encoding="utf-8") + "\n" + (_HERE / f"{name}.js").read_text(encoding="utf-8")


_COMPONENTS = {
    m.component: st.components.v2.component(f"planungswerkstatt.ballot.{m.component}", js=_js(m.component), css=_CSS)
    for m in methods.all_methods()
    if m.component
}


def endpoint(lang: str) -> str:
    """The ballot endpoint's URL as the browser sees it (Streamlit may be served under a base
    path); the answer comes in ``lang``."""
    return api.path_under(str(st.get_option("server.baseUrlPath") or "")) + "?" + urlencode({"lang": lang})


def _dots_rules(voice: Voice, rules: VotingRules) -> dict:
    return {"total": rules.dots_per_person, "perMeasure": rules.max_per_measure, "goalBudget": rules.goal_budget}


def _dots_texts(voice: Voice, rules: VotingRules, shown: int) -> dict:
    """The dot ballot's words in the voice's language and the workshop kind's words; every number
    with its noun in the language's plural form (the counters: one text per number of dots left)."""
    _, ngettext, conference = voice.gettext, voice.ngettext, voice.conference
    most = rules.max_per_measure
    hint = (
        ngettext("At most {max} dot per recommendation.", "At most {max} dots per recommendation.", most)
        if conference
        else ngettext("At most {max} dot per measure.", "At most {max} dots per measure.", most)
    ).format(max=voice.number(most))
    goal_counts = []
    if rules.goal_budget is not None:
        budget = rules.goal_budget
        hint += " " + (
            ngettext("At most {max} dot per guiding question.", "At most {max} dots per guiding question.", budget)
            if conference
            else ngettext("At most {max} dot per goal.", "At most {max} dots per goal.", budget)
        ).format(max=voice.number(budget))
        goal_counts = [
            (
                ngettext(
                    "{left} dot left for this guiding question", "{left} dots left for this guiding question", left
                )
                if conference
                else ngettext("{left} dot left for this goal", "{left} dots left for this goal", left)
            ).format(left=voice.number(left))
            for left in range(budget + 1)
        ]
    total = rules.dots_per_person
    return {
        # "3 of 10 dots left", for each number left: the verb and the noun may go with either number.
        "counts": [
            ngettext("{left} of {total} dots left", "{left} of {total} dots left", left).format(
                left=voice.number(left), total=voice.number(total)
            )
            for left in range(total + 1)
        ],
        "hint": hint,
        "goalCounts": goal_counts,
        # The name of a measure's radio group and of each option ("0 dots", "1 dot", ...).
        "groupName": _("Dots for {title}"),
        "options": [ngettext("{n} dot", "{n} dots", n).format(n=voice.number(n)) for n in range(most + 1)],
        "noneLeft": _("Not enough dots left for that. Take dots away elsewhere first."),
        "noneLeftGoal": voice.say(
            N_("Not enough dots left for this goal. Take dots away from another measure of this goal first."),
            N_(
                "Not enough dots left for this guiding question. Take dots away from another recommendation "
                "of this guiding question first."
            ),
        ),
    }


def _approval_rules(voice: Voice, rules: VotingRules) -> dict:
    return {"limit": rules.approval_limit}


def _approval_texts(voice: Voice, rules: VotingRules, shown: int) -> dict:
    """The approval ballot's words: the counter for each number of supports (plural-aware; up to
    the limit, else up to the ``shown`` measures), the name of each measure's checkbox, the limit."""
    _, ngettext, say, limit = voice.gettext, voice.ngettext, voice.say, rules.approval_limit
    if limit is not None:
        # The noun goes with the limit ("1 of at most 3 measures supported").
        counter = (
            ngettext(
                "{n} of at most {max} recommendation supported", "{n} of at most {max} recommendations supported", limit
            )
            if voice.conference
            else ngettext("{n} of at most {max} measure supported", "{n} of at most {max} measures supported", limit)
        )
        counts = [counter.format(n=voice.number(n), max=voice.number(limit)) for n in range(limit + 1)]
    else:
        counts = [
            (
                ngettext("{n} recommendation supported", "{n} recommendations supported", n)
                if voice.conference
                else ngettext("{n} measure supported", "{n} measures supported", n)
            ).format(n=voice.number(n))
            for n in range(shown + 1)
        ]
    texts = {
        "counts": counts,
        "hint": say(*methods.of(rules.method).instructions),
        "support": _("I support this"),
        # The checkbox's name: the visible words and the measure they are about.
        "supportName": _("I support this: {title}"),
    }
    if limit is not None:
        texts["atLimit"] = (
            ngettext(
                "You can support at most {max} recommendation.", "You can support at most {max} recommendations.", limit
            )
            if voice.conference
            else ngettext("You can support at most {max} measure.", "You can support at most {max} measures.", limit)
        ).format(max=voice.number(limit))
    return texts


def _rating_rules(voice: Voice, rules: VotingRules) -> dict:
    """The scale and the criteria; a criterion's label (a file or the service API may set it) is
    translated where it is one of ours and otherwise handed over as it is, to be set as text."""
    _ = voice.gettext
    return {
        "min": RATING_MIN,
        "max": RATING_MAX,
        "criteria": [{"key": c.key, "label": _(c.label)} for c in rules.criteria],
    }


def _rating_texts(voice: Voice, rules: VotingRules, shown: int) -> dict:
    """The rating ballot's words: the counter for each number of rated measures (the noun goes
    with the number shown), the name of each radio group (measure, criterion and the scale's
    meaning) and of each option, "no opinion"."""
    _, ngettext, say = voice.gettext, voice.ngettext, voice.say
    counter = (
        ngettext("{n} of {total} recommendation rated", "{n} of {total} recommendations rated", shown)
        if voice.conference
        else ngettext("{n} of {total} measure rated", "{n} of {total} measures rated", shown)
    )
    low, high = _("{n} (low)"), _("{n} (high)")
    return {
        "counts": [counter.format(n=voice.number(n), total=voice.number(shown)) for n in range(shown + 1)],
        "hint": say(*methods.of(rules.method).instructions).format(
            min=voice.number(RATING_MIN), max=voice.number(RATING_MAX)
        ),
        # A radio group's name: the criterion, the measure, and what the ends of the scale mean.
        "groupName": _("{criterion} for {title}, from {min} (low) to {max} (high)"),
        "options": [
            low.format(n=voice.number(n))
            if n == RATING_MIN
            else high.format(n=voice.number(n))
            if n == RATING_MAX
            else voice.number(n)
            for n in range(RATING_MIN, RATING_MAX + 1)
        ],
        "noOpinion": _("No opinion"),
    }


def _ranking_rules(voice: Voice, rules: VotingRules) -> dict:
    return {}


def _ranking_texts(voice: Voice, rules: VotingRules, shown: int) -> dict:
    """The ranking's words: the instruction, each measure's place, the names of its two buttons
    (with the measure and its place) and what the live region says after a move."""
    _, say = voice.gettext, voice.say
    return {
        "hint": say(*methods.of(rules.method).instructions),
        "place": _("Place {n}"),
        "upName": _("Move up: {title} (place {n})"),
        "downName": _("Move down: {title} (place {n})"),
        "nowPlace": _("{title}: now place {n}"),
    }


def _start_order(order: Sequence[str], saved) -> list[str]:
    """The order a ballot starts from: the stored ballot's order, if it has one (a ranking), with
    the measures it leaves out after it in this device's order; else this device's order."""
    first = [m for m in (participation.ballot_payload(saved).get("order") or []) if m in order] if saved else []
    return first + [m for m in order if m not in first]


# Per component: the rules it enforces on screen, and its words (the server checks the same rules).
_RULES: dict[str, Callable[[Voice, VotingRules], dict]] = {
    "dots": _dots_rules,
    "approval": _approval_rules,
    "rating": _rating_rules,
    "ranking": _ranking_rules,
}
_TEXTS: dict[str, Callable[[Voice, VotingRules, int], dict]] = {
    "dots": _dots_texts,
    "approval": _approval_texts,
    "rating": _rating_texts,
    "ranking": _ranking_texts,
}


def submit_texts(voice: Voice) -> dict:
    """The words every ballot shares: its heading, the button and the answers to a press."""
    _ = voice.gettext
    return {
        "heading": _("Vote"),
        "showOriginal": _(translation.SHOW_ORIGINAL),
        "submit": _("Submit my vote"),
        "change": _("Change my vote"),
        "sending": _("Saving your vote …"),
        "saved": _("Your vote is saved. You can change it until voting closes."),
        "savedAt": _("Your vote is saved ({time}). You can change it until voting closes."),
        "unsaved": _("Your changes are not saved yet. Press “Change my vote” at the end of the ballot."),
        "offline": _("Your vote was not sent: no connection to the server. Check the network and press again."),
        "failed": _("Your vote was not saved. Please press again."),
    }


def _measure_data(measure: Measure, translations, voice: Voice, lang: str, machine: bool) -> dict:
    """One measure as the reader of ``lang`` sees it: its text in their language (or the original,
    marked), the language of that text, and the original where the text is not it."""
    read = translation.reading(measure, translations, lang, machine=machine)
    data = {
        "id": measure.id,
        "title": read.title,
        "description": read.description or "",
        "lang": i18n.locale_of(read.lang),
    }
    if note := translation.note(read, voice.gettext, i18n.language_names(lang)):
        data["note"] = note
    if read.translated:
        data["original"] = {
            "title": measure.title,
            "description": measure.description or "",
            "lang": i18n.locale_of(read.original_lang),
        }
    return data


def ballot_data(
    *,
    voice: Voice,
    device_id: str,
    token: str,
    rules: VotingRules,
    goals: Sequence[Goal],
    measures: Mapping[str, Measure],
    goal_of: Mapping[str, str],
    saved,
    notify: bool,
    translations: Mapping[str, Mapping[str, Translation]] | None = None,
    machine: bool = False,
    texts: Mapping[str, str] | None = None,
) -> dict:
    """What the component gets: the measures by goal in this device's order, titles and
    descriptions as plain text in the reader's language where there is a translation (with the
    original one tap away, ``translation.reading``), the rules, the stored ballot (or None), and
    every word translated (the page's and the HTTP answer's alike: ``view``). ``texts``: the
    fingerprints of those translations (``participation.texts_read``): the watch asks about them,
    and the ballot takes new ones by itself."""
    name = methods.of(rules.method).component
    order = participation.ballot_order(device_id, measures)
    lang = i18n.normalize(voice.lang)
    by_goal = [
        {
            "id": goal.id,
            "title": goal.title,
            "lang": i18n.locale_of(translation.MAIN_LANGUAGE),  # the facilitation team writes the goals
            "measures": [
                _measure_data(measures[mid], (translations or {}).get(mid), voice, lang, machine)
                for mid in order
                if goal_of.get(mid) == goal.id and mid in measures
            ],
        }
        for goal in goals
    ]
    shown = [g for g in by_goal if g["measures"]]
    listed = {m["id"] for g in shown for m in g["measures"]}
    return {
        "method": str(rules.method),
        "url": endpoint(lang),
        "t": token,
        "lang": i18n.locale_of(lang),  # a valid language tag (Leichte Sprache is German)
        "dir": "rtl" if i18n.is_rtl(lang) else "ltr",
        "notify": notify,
        "saved": participation.ballot_payload(saved) if saved is not None else None,
        "rules": _RULES[name](voice, rules),
        "goals": shown,
        # One list across the goals (a ranking): the stored order, else this device's.
        "order": _start_order([m for m in order if m in listed], saved),
        "texts": {**submit_texts(voice), **_TEXTS[name](voice, rules, sum(len(g["measures"]) for g in shown))},
        # The numbers the component writes itself (a dot's count, a rank), in the language's digits.
        "numerals": [voice.number(n) for n in range(max(len(listed), rules.dots_per_person, RATING_MAX) + 1)],
        "tv": dict(texts) if texts is not None else None,
    }


def show(data: dict) -> None:
    """Draw the ballot (``ballot_data``) in its method's browser component. With ``notify`` a save
    reruns the script (a kiosk tablet's "thank you" screen follows)."""
    _COMPONENTS[methods.of(data["method"]).component](
        key="ballot", data=data, on_saved_change=lambda: None, on_rerun_change=lambda: None
    )


def waiting(*, voice: Voice, token: str, rules: VotingRules, message: str) -> None:
    """The screen before the vote (review): ``message``, in the component of the method the vote
    will use. When the phase watch (ui/watch.js) hears that the vote is open, the component asks
    ``GET /api/ballot`` for the ballot and draws it: the screen turns into the ballot without a
    script run, so a hall of phones waiting for the vote does not queue 300 page runs at once. Where
    the answer says the page must run (a voting card to redeem, a kiosk tablet), it asks for a run."""
    lang = i18n.normalize(voice.lang)
    _COMPONENTS[methods.of(rules.method).component](
        key="ballot",
        data={
            "method": str(rules.method),
            "waiting": message,
            "view": endpoint(lang) + "&" + urlencode({"t": token}),
            "dir": "rtl" if i18n.is_rtl(lang) else "ltr",
            "lang": i18n.locale_of(lang),
        },
        on_saved_change=lambda: None,
        on_rerun_change=lambda: None,
    )
