"""Issue 16.9: an Integrationskonferenz speaks of a theme, guiding questions and recommendations on
every screen, not of a guiding vision, goals and measures (the Planungswerkstatt's words).

Every page is drawn for a conference workshop in each phase, as the facilitator and on a phone, and
every text the page sends (labels, help, options, captions, messages, table columns) is searched for
the other kind's words.
"""

from __future__ import annotations

import json
import re

import pytest

from workshop import scoring, services
from workshop.model import (
    ApprovalBallot,
    DotBallot,
    MeasureInput,
    Method,
    Phase,
    RankingBallot,
    RatingBallot,
    VotingRules,
    WorkshopKind,
)

# The Planungswerkstatt's words in English: none may reach a conference's screen.
VISION_WORDS = re.compile(r"\b(measures?|goals?|(guiding )?vision|Leitbild)\b", re.IGNORECASE)
# Proto fields that are ids, keys or code, not text for people.
_NOT_TEXT = re.compile(r"^\s*(id|form_id|key|page_script_hash|url|data|spec|column_order|arrow_data)\b")

_CODE = re.compile(r"<style|<script|\{\s*$|;\s*\}")
_TAG = re.compile(r"<[^>]*>")

# The form for a new workshop names both kinds (the kind is chosen in it).
BOTH_KINDS = ("Theme or guiding vision (optional", "Planning workshop: goals of a guiding vision")

# Names that stay what they are: the file format's documentation and its CSV column.
_NAMES = re.compile(r"docs/vision-format\.md|the columns goal \(")

FACILITATOR_PAGES = ["setup.py", "console.py", "moderation.py", "results.py", "projector.py", "home.py"]


def texts(at) -> list[str]:
    """Every string the page's elements carry, one per proto line."""
    found = []

    def walk(node):
        proto = getattr(node, "proto", None)
        if type(proto).__name__ == "BidiComponent":  # a browser component: its code, and its data
            data = json.loads(proto.mixed.json or proto.json or "null")
            shown = data.get("texts", {}) if isinstance(data, dict) else {}  # the words it shows
            found.extend(t for v in shown.values() for t in (v if isinstance(v, list) else [v]))
        elif proto is not None:
            for line in str(proto).splitlines():
                if line.strip().startswith("columns:"):  # a table's column_config: read below
                    continue
                if not (_NOT_TEXT.match(line) or _CODE.search(line)):
                    found.append(_TAG.sub(" ", line))
        for child in getattr(node, "children", {}).values():
            walk(child)
        if type(node).__name__ == "Dataframe":  # labelled columns show their labels, others their names
            config = json.loads(node.proto.columns or "{}")
            found.extend(c["label"] for c in config.values() if c.get("label"))
            found.extend(str(c) for c in node.value.columns if str(c) not in config)

    walk(at._tree)
    return found


def fresh() -> None:
    """Forget what the pages cached (a phase changed behind their back)."""
    import streamlit as st

    from ui import common

    st.cache_data.clear()
    for cached in (common.cached_version, common.cached_counts):
        cached.clear()


def offenders(at) -> list[str]:
    assert not at.exception, [e.value for e in at.exception]
    return sorted(
        {
            line.strip()[:160]
            for line in texts(at)
            if VISION_WORDS.search(_NAMES.sub("", line)) and not any(both in line for both in BOTH_KINDS)
        }
    )


@pytest.fixture(scope="module")
def conference(app_db, facilitator):
    """A conference with two guiding questions, two working groups, recommendations and ballots."""
    previous = services.current_workshop(app_db)
    ws = services.create_workshop(
        app_db,
        facilitator,
        title="16. Integrationskonferenz",
        kind=WorkshopKind.CONFERENCE,
        vision_title="Demokratie – Wohin?",
        rules=VotingRules(dots_per_person=5, max_per_measure=2),
    )
    services.replace_vision(
        app_db,
        facilitator,
        ws.id,
        title="Demokratie – Wohin?",
        description="Gesellschaftliches Miteinander im Bezirk Harburg",
        goals=[("Wie erreichen wir Neuzugezogene?", ""), ("Wer spricht für wen?", "")],
    )
    services.set_current_workshop(app_db, facilitator, ws.id)
    goals = services.list_goals(app_db, ws.id)
    services.set_phase(app_db, facilitator, ws.id, Phase.COLLECT)
    ids = [
        services.propose_measure(app_db, facilitator, goals[i % 2].id, MeasureInput(title=t)).id
        for i, t in enumerate(["Sprachcafé", "Beirat", "Patenschaften", "Stadtteilzeitung"])
    ]
    yield ws, ids
    services.set_current_workshop(app_db, facilitator, previous.id)
    services.delete_workshop(app_db, facilitator, ws.id)


def _vote(app_db, ws, ids):
    for n in range(3):
        participant, _token = services.join(app_db, ws.join_code)
        services.submit_ballot(app_db, participant, DotBallot({ids[n]: 2, ids[3]: 1}), f"sub-{ws.id}-{n}")


@pytest.mark.parametrize("phase", [Phase.SETUP, Phase.COLLECT, Phase.REVIEW, Phase.VOTE, Phase.RESULTS])
def test_every_page_speaks_the_conferences_words(app, app_db, facilitator, conference, phase):
    ws, ids = conference
    services.set_phase(app_db, facilitator, ws.id, phase)
    if phase == Phase.VOTE:
        _vote(app_db, ws, ids)
    fresh()
    found = {}
    for page in FACILITATOR_PAGES:
        at = app({"lang": "en"}, facilitator=facilitator).run()
        at.switch_page(f"app_pages/{page}").run()
        found[page] = offenders(at)
    if phase not in (Phase.SETUP, Phase.RESULTS):
        found["participate.py"] = offenders(phone(app, ws))
    assert not any(found.values()), "\n".join(f"{p}: {line}" for p, lines in found.items() for line in lines)


def phone(app, ws):
    at = app({"code": ws.join_code, "lang": "en"}).run()
    at.button(key="join_start").click().run()
    return at


BALLOTS = {
    Method.DOTS: lambda ids: DotBallot({ids[0]: 2, ids[1]: 1}),
    Method.APPROVAL: lambda ids: ApprovalBallot(frozenset(ids[:2])),
    Method.RATING: lambda ids: RatingBallot({ids[0]: {"impact": 4, "feasibility": 2}, ids[1]: {"impact": 1}}),
    Method.RANKING: lambda ids: RankingBallot(tuple(ids[:3])),
}


def test_every_method_speaks_the_conferences_words(app, app_db, facilitator, conference):
    """Each method's ballot on a phone, its explanation on the results page, its mistakes refused."""
    ws, ids = conference
    found = {}
    for n, (method, ballot) in enumerate(BALLOTS.items()):
        services.set_phase(app_db, facilitator, ws.id, Phase.REVIEW)
        current = services.get_workshop(app_db, ws.id)
        services.set_rules(
            app_db,
            facilitator,
            ws.id,
            VotingRules(method=method, dots_per_person=5, max_per_measure=2, goal_budget=3, approval_limit=2),
            confirm_affected=services.count_ballots(app_db, ws.id, current.rules.method),
        )
        services.set_phase(app_db, facilitator, ws.id, Phase.VOTE)
        fresh()
        at = phone(app, ws)
        found[f"participate.py {method}"] = offenders(at)
        if method == Method.APPROVAL:  # drawn in the browser: its words come from the page, the conference's
            shown = texts(at)
            assert "1 of at most 2 recommendations supported" in shown, shown
            assert (
                "You can support at most 2 recommendations." in shown
                and "Tick every recommendation you support." in shown
            )
        if method == Method.RATING:  # drawn in the browser too
            shown = texts(at)
            assert any(re.fullmatch(r"1 of \d+ recommendations rated", t) for t in shown), shown
            hint = "Rate each recommendation from 1 (low) to 5 (high). Leave a row empty if you have no opinion."
            assert hint in shown, shown
        if method == Method.RANKING:  # drawn in the browser too
            shown = texts(at)
            hint = "Put the recommendations in order: the most important at the top. Use the arrows to move them."
            assert hint in shown and "Move up: {title} (place {n})" in shown, shown
        for k in range(2):
            participant, _token = services.join(app_db, ws.join_code)
            services.submit_ballot(app_db, participant, ballot(ids), f"m-{ws.id}-{n}-{k}")
    services.set_phase(app_db, facilitator, ws.id, Phase.RESULTS)
    fresh()
    at = app({"lang": "en"}, facilitator=facilitator).run()
    at.switch_page("app_pages/results.py").run()
    for key in scoring.METHODS:
        at.selectbox(key="results_method:en").set_value(key).run()
        found[f"results.py {key}"] = offenders(at)
    assert not any(found.values()), "\n".join(f"{p}: {line}" for p, lines in found.items() for line in lines)
