"""The participant screen (pages/participate.py) in AppTest: join, propose, vote with every method,
kiosk mode and results.

The tests share the session's demo workshop (vote phase, dot voting). A test that changes the
phase or the rules does it through the ``phase`` fixture, which puts the demo back into the vote
phase with its dot rules afterwards. The app caches the workshop for a second or two; after each
change in the database the caches are cleared, as a real participant would simply wait.
"""

from __future__ import annotations

import html
import json
import re
import uuid
from dataclasses import replace
from urllib.parse import parse_qs, urlencode

import pytest
import streamlit as st
from streamlit.testing.v1.util import patch_config_options

from ui import api, common
from workshop import i18n, participation, services, views
from workshop.model import (
    ApprovalBallot,
    DotBallot,
    MeasureInput,
    Method,
    Phase,
    RankingBallot,
    RatingBallot,
    VotingRules,
)

HOSTILE_TITLE = "**bold** [x](https://example.org) <img src=x onerror=alert(1)>"


# --- helpers ---------------------------------------------------------------------------------


def _no_exception(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _refresh() -> None:
    """Forget the app's short-lived shared reads (``common.cached_*``) and the page's data caches.

    Not ``st.cache_resource.clear()``: that would also drop the app's database connection.
    """
    for name in dir(common):
        cached = getattr(common, name)
        if name.startswith("cached_") and callable(getattr(cached, "clear", None)):
            cached.clear()
    st.cache_data.clear()


def _html(at) -> str:
    return "\n".join(h.value for h in at.get("html"))


def _markdown(at) -> str:
    texts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    texts += [e.value for e in at.error] + [s.value for s in at.success] + [i.value for i in at.info]
    return "\n".join(texts)


def _devices(db, workshop_id: str) -> int:
    return db.scalar("SELECT count(*) FROM devices WHERE workshop_id = $1", [workshop_id])


def _ballot_rows(db, participant) -> list[tuple]:
    return db.fetchall(
        "SELECT id, method, submission_id FROM ballots WHERE device_id = $1 ORDER BY id", [participant.device_id]
    )


def _first_group(db, workshop_id: str) -> str:
    return services.list_groups(db, workshop_id)[0].id


def _join(app, db, ws, **extra):
    """Join the demo workshop as a new participant of the first working group."""
    at = app({"code": ws.join_code, "lang": "en", **extra}).run()
    _no_exception(at)
    at.radio(key="group_choice").set_value(_first_group(db, ws.id))
    at.button(key="join_start").click().run()
    _no_exception(at)
    assert "t" in at.query_params, "joining puts the ballot token into the URL"
    return at


def _participant(db, at):
    participant = services.resume(db, at.query_params["t"])
    assert participant is not None
    return participant


def _ballot_data(at) -> dict | None:
    """What the page gives the dot ballot's browser component (ui/ballot.py): the measures, the
    rules, the stored ballot, the endpoint, the token and the texts. AppTest cannot look inside
    the component; its browser side is tested in tests/e2e/test_ballot_dots.py."""
    for el in at.get("bidi_component"):
        if el.proto.id.endswith("-ballot"):
            return json.loads(el.proto.mixed.json or el.proto.json)
    return None


def _measure_ids(data: dict) -> list[str]:
    return [m["id"] for g in data["goals"] for m in g["measures"]]


def _post_dots(at, dots: dict[str, int], submission: str | None = None) -> tuple[int, dict]:
    """Press the dot ballot's button as the browser does (ui/ballot/core.js) with ``dots`` placed."""
    data = _ballot_data(at)
    assert data is not None, "no dot ballot"
    return _post({**data, "ballot": {"method": "dots", "dots": dict(sorted(dots.items()))}}, submission)


def _vote_dots(at, dots: dict[str, int], submission: str | None = None) -> tuple[int, dict]:
    """Submit ``dots``, then let the screen rerun (a kiosk tablet asks for that after a save)."""
    answer = _post_dots(at, dots, submission)
    _refresh()
    at.run()
    _no_exception(at)
    return answer


def _counter(at) -> str:
    return next(h.value for h in at.get("html") if "pw-counter" in h.value)


def _click(at, key: str):
    """Tap a button; a tap inside the ballot fragment must also work in a full-app run (AppTest
    always runs the whole app, and in the browser a tap can coalesce with a pending full rerun)."""
    at.button(key=key).click().run()
    _no_exception(at)
    return at


def _post(data: dict, submission: str | None = None) -> tuple[int, dict]:
    """Press the button as the browser does (ui/ballot/core.js): post ``data["ballot"]`` to the endpoint."""
    path, _, query = data["url"].partition("?")
    assert path == api.PATH
    body = {"t": data["t"], "submission": submission or uuid.uuid4().hex, "ballot": data["ballot"]}
    return api.store_ballot(common.open_db(), body, parse_qs(query)["lang"][0])


@pytest.fixture
def phase(app_db, facilitator, workshop):
    """Move the demo workshop to another phase (and rules); afterwards back to vote with dots."""
    original = workshop.rules

    def switch_rules(rules: VotingRules) -> None:
        services.set_phase(app_db, facilitator, workshop.id, Phase.REVIEW)
        current = services.get_workshop(app_db, workshop.id).rules
        services.set_rules(
            app_db,
            facilitator,
            workshop.id,
            rules,
            confirm_affected=services.count_ballots(app_db, workshop.id, current.method),
        )

    def move(target: Phase, rules: VotingRules | None = None) -> None:
        if rules is not None:
            switch_rules(rules)
        services.set_phase(app_db, facilitator, workshop.id, target)
        _refresh()

    yield move
    if services.get_workshop(app_db, workshop.id).rules != original:
        switch_rules(original)
    services.set_phase(app_db, facilitator, workshop.id, Phase.VOTE)
    _refresh()


@pytest.fixture(autouse=True)
def _fresh_caches_and_error_details():
    """Fresh caches per test; exceptions with their message (the app's config redacts them)."""
    _refresh()
    with patch_config_options({"client.showErrorDetails": "full"}):
        yield
    _refresh()


# --- joining ---------------------------------------------------------------------------------


def test_join_screen_offers_groups_and_start(app, workshop, app_db):
    at = app({"code": workshop.join_code, "lang": "en"}).run()
    _no_exception(at)
    groups = services.list_groups(app_db, workshop.id)
    radio = at.radio(key="group_choice")
    assert radio.options == [f"\u2068{g.name}\u2069" for g in groups], "each name isolated in its own direction"
    assert radio.value is None, "no working group is preselected"
    assert at.button(key="join_start").label == "Start"
    assert workshop.title in _html(at)
    assert "t" not in at.query_params


def test_start_without_group_is_refused_and_creates_no_device(app, workshop, app_db):
    at = app({"code": workshop.join_code, "lang": "en"}).run()
    before = _devices(app_db, workshop.id)
    at.button(key="join_start").click().run()
    _no_exception(at)
    assert [e.value for e in at.error] == ["Please choose your working group."]
    assert _devices(app_db, workshop.id) == before
    assert "t" not in at.query_params


def test_join_sets_token_and_a_new_run_resumes_the_same_device(app, workshop, app_db):
    before = _devices(app_db, workshop.id)
    at = _join(app, app_db, workshop)
    assert _devices(app_db, workshop.id) == before + 1
    token = at.query_params["t"]
    participant = _participant(app_db, at)
    assert participant.group_id == _first_group(app_db, workshop.id)
    data = _ballot_data(at)
    assert data and data["t"] == token, "the vote phase shows the ballot right away"

    # A reload: a new browser session with the same token resumes the same device and ballot (a
    # half-done ballot lives in the browser: tests/e2e/test_ballot_dots.py).
    again = app({"t": token, "lang": "en"}).run()
    _no_exception(again)
    assert _devices(app_db, workshop.id) == before + 1, "resuming must not hand out a second device"
    assert not again.get("radio"), "no join screen for a known token"
    assert _participant(app_db, again) == participant
    assert again.query_params["code"] == workshop.join_code
    assert _ballot_data(again)["goals"] == data["goals"], "the same measures in the same order"


def test_lowercase_code_with_spaces_is_accepted(app, workshop):
    at = app({"code": f" {workshop.join_code.lower()[:3]} {workshop.join_code.lower()[3:]} ", "lang": "en"}).run()
    _no_exception(at)
    assert not at.error
    assert at.radio(key="group_choice")


def test_code_typed_on_the_join_screen_opens_the_workshop(app, workshop):
    at = app({"t": "not-a-token", "lang": "en"}).run()  # any participant link shows only this page
    at.text_input(key="code_input").input(workshop.join_code.lower())
    at.button(key="code_submit").click().run()
    _no_exception(at)
    assert at.query_params["code"] == workshop.join_code
    assert at.radio(key="group_choice")


@pytest.mark.parametrize("token", ["x", "garbage-" * 4, "Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4"])
def test_unknown_token_shows_the_join_screen_with_a_notice(app, workshop, app_db, token):
    before = _devices(app_db, workshop.id)
    at = app({"t": token, "code": workshop.join_code, "lang": "en"}).run()
    _no_exception(at)
    assert [i.value for i in at.info] == ["This link is no longer valid. Please join again."]
    assert at.radio(key="group_choice"), "the join screen is shown"
    assert _ballot_data(at) is None, "no ballot for an unknown token"
    assert _devices(app_db, workshop.id) == before


def test_unknown_code_shows_a_clear_error(app, workshop):
    wrong = "ZZZZZZ" if workshop.join_code != "ZZZZZZ" else "YYYYYY"
    at = app({"code": wrong, "lang": "en"}).run()
    _no_exception(at)
    assert len(at.error) == 1
    assert wrong in at.error[0].value and "check it on the projector" in at.error[0].value
    assert at.text_input(key="code_input"), "the code can be typed again"
    assert not at.get("radio")


def test_malformed_code_says_how_long_a_code_is(app):
    at = app({"code": "abc", "lang": "en"}).run()
    _no_exception(at)
    assert len(at.error) == 1 and "6 characters" in at.error[0].value
    assert at.text_input(key="code_input")


# --- dot voting (the demo's method) ------------------------------------------------------------


def test_the_dot_ballot_is_one_browser_component_with_the_measures_in_this_devices_order(app, workshop, app_db):
    at = _join(app, app_db, workshop)
    participant = _participant(app_db, at)
    data = _ballot_data(at)
    assert data is not None and not at.get("button_group"), "no dot widgets: the browser draws the ballot"
    live = services.get_workshop(app_db, workshop.id)
    goal_of = services.voting_measures(app_db, live)
    # Grouped by goal (in the goals' order), each group in this device's stable random order.
    goals = [g for g in services.list_goals(app_db, workshop.id) if g.id in goal_of.values()]
    assert [g["id"] for g in data["goals"]] == [g.id for g in goals]
    assert [g["title"] for g in data["goals"]] == [g.title for g in goals]
    order = participation.ballot_order(participant.device_id, goal_of)
    for group in data["goals"]:
        assert [m["id"] for m in group["measures"]] == [m for m in order if goal_of[m] == group["id"]]
    assert sorted(_measure_ids(data)) == sorted(goal_of)
    measures = {m.id: m for m in services.list_measures(app_db, workshop.id)}
    assert all(
        (m["title"], m["description"]) == (measures[m["id"]].title, measures[m["id"]].description or "")
        for g in data["goals"]
        for m in g["measures"]
    ), "titles and descriptions as typed: plain text, no Markdown escapes"
    assert data["rules"] == {"total": 10, "perMeasure": 3, "goalBudget": None}
    assert (data["method"], data["saved"], data["notify"], data["dir"]) == ("dots", None, False, "ltr")
    assert data["url"] == f"{api.PATH}?lang=en"
    texts = data["texts"]
    assert texts["counts"][:2] == ["0 of 10 dots left", "1 of 10 dots left"] and len(texts["counts"]) == 11
    assert texts["options"] == ["0 dots", "1 dot", "2 dots", "3 dots"], "plural-aware names of the options"
    assert texts["groupName"] == "Dots for {title}"
    assert texts["hint"] == "At most 3 dots per measure."
    assert texts["noneLeft"] == "Not enough dots left for that. Take dots away elsewhere first."
    assert (texts["submit"], texts["change"]) == ("Submit my vote", "Change my vote")
    # Another device gets the same measures in another order.
    other = _ballot_data(_join(app, app_db, workshop))
    assert sorted(_measure_ids(other)) == sorted(_measure_ids(data))
    assert _measure_ids(other) != _measure_ids(data) or len(goal_of) < 4


def test_the_dot_ballot_speaks_the_pages_language_and_direction(app, workshop, app_db):
    at = _join(app, app_db, workshop, lang="ar")
    data = _ballot_data(at)
    assert data["dir"] == "rtl" and data["lang"] == "ar" and data["url"].endswith("?lang=ar")
    ngettext = i18n.ngettext_for("ar")
    assert data["texts"]["options"] == [ngettext("{n} dot", "{n} dots", n).format(n=n) for n in range(4)]
    assert data["texts"]["counts"] == [
        ngettext("{left} of {total} dots left", "{left} of {total} dots left", n).format(left=n, total=10)
        for n in range(11)
    ], "one counter per number of dots left, each in its plural form"
    ls = _ballot_data(_join(app, app_db, workshop, lang="ls"))
    assert ls["dir"] == "ltr" and ls["texts"]["submit"] == i18n.gettext_for("ls")("Submit my vote")


def test_counts_on_the_ballot_take_each_languages_plural_forms():
    """Issue 22.1: "1 Maßnahmen unterstützt", "Noch 1 Punkte für dieses Ziel", "Sie stimmen 1
    Vorschlägen zu": every counter is chosen per number, in the forms of the language."""
    from ui import ballot
    from workshop.vocabulary import Voice

    rules = VotingRules(dots_per_person=5, max_per_measure=3, goal_budget=4)
    german = ballot._dots_texts(Voice("de"), rules, 12)
    assert german["goalCounts"][1] != german["goalCounts"][2].replace("2", "1"), german["goalCounts"][:3]
    assert "1 Punkt " in german["goalCounts"][1] and "2 Punkte " in german["goalCounts"][2]
    approval = ballot._approval_texts(Voice("de"), replace(rules, method=Method.APPROVAL, approval_limit=None), 12)
    assert approval["counts"][1] == "1 Maßnahme unterstützt" and approval["counts"][2] == "2 Maßnahmen unterstützt"
    easy = ballot._approval_texts(Voice("ls"), replace(rules, method=Method.APPROVAL, approval_limit=None), 12)
    assert "1 Vorschlägen" not in easy["counts"][1] and easy["counts"][1] != easy["counts"][2].replace("2", "1")
    russian = ballot._dots_texts(Voice("ru"), rules, 12)["options"]
    assert len({o.split(" ", 1)[1] for o in russian[1:]}) == 2, "1 балл / 2–3 балла: the forms differ"


def test_a_goal_budget_reaches_the_ballot_and_overspending_is_refused_by_the_server(app, workshop, app_db, phase):
    phase(Phase.VOTE, replace(workshop.rules, goal_budget=4))
    at = _join(app, app_db, workshop)
    data = _ballot_data(at)
    assert data["rules"]["goalBudget"] == 4
    assert data["texts"]["goalCounts"] == ["0 dots left for this goal", "1 dot left for this goal"] + [
        f"{n} dots left for this goal" for n in range(2, 5)
    ]
    assert data["texts"]["hint"] == "At most 3 dots per measure. At most 4 dots per goal."
    first_goal = data["goals"][0]["measures"]
    assert len(first_goal) >= 2
    # What the screen does not let a person choose, the server refuses too.
    assert _post_dots(at, {first_goal[0]["id"]: 3, first_goal[1]["id"]: 2}) == (
        422,
        {"error": "At most 4 dots per goal."},
    )
    assert _post_dots(at, {first_goal[0]["id"]: 4}) == (422, {"error": "At most 3 dots per measure."})
    everything = {mid: 1 for mid in _measure_ids(data)[:11]}
    assert len(everything) == 11 or pytest.skip("the demo has fewer than 11 measures")
    assert _post_dots(at, everything)[0] == 422
    assert _ballot_rows(app_db, _participant(app_db, at)) == []


def test_submit_stores_one_ballot_a_resend_too_and_a_change_replaces_it(app, workshop, app_db, monkeypatch):
    sent: list[str] = []
    real_submit = services.submit_ballot_by_token

    def spy(db, token, ballot, submission_id):
        sent.append(submission_id)
        return real_submit(db, token, ballot, submission_id)

    monkeypatch.setattr(services, "submit_ballot_by_token", spy)
    at = _join(app, app_db, workshop)
    participant = _participant(app_db, at)
    keys = _measure_ids(_ballot_data(at))
    assert _ballot_data(at)["saved"] is None, "nothing stored yet: the button reads 'Submit my vote'"
    first_dots = {keys[0]: 3, keys[1]: 1}
    status, answer = _vote_dots(at, first_dots)
    assert status == 200 and re.fullmatch(r"\d{1,2}:\d\d(\s[AP]M)?", answer["saved"]) and not answer["replaced"]

    rows = _ballot_rows(app_db, participant)
    assert len(rows) == 1 and rows[0][1] == "dots"
    first_ballot_id, _method, first_submission = rows[0]
    assert services.get_ballot(app_db, participant) == DotBallot(first_dots)

    # The same press again (a double tap, or a resend after the answer got lost on the way) stores
    # nothing new: the browser sends the same submission id for the same ballot.
    assert _post_dots(at, first_dots, first_submission) == (status, answer)
    assert sent == [first_submission, first_submission]
    assert _ballot_rows(app_db, participant) == [(first_ballot_id, "dots", first_submission)]

    # Changing the ballot and sending it again replaces it: the last one counts.
    status, answer = _vote_dots(at, {keys[0]: 1, keys[1]: 1, keys[2]: 2})
    assert status == 200 and answer["replaced"]
    assert len(sent) == 3 and sent[2] != first_submission, "new content, new submission id"
    rows = _ballot_rows(app_db, participant)
    assert len(rows) == 1
    assert rows[0][0] == first_ballot_id and rows[0][2] != first_submission
    assert services.get_ballot(app_db, participant) == DotBallot({keys[0]: 1, keys[1]: 1, keys[2]: 2})
    votes = app_db.fetchall(
        "SELECT measure_id, value FROM votes WHERE ballot_id = $1 ORDER BY measure_id", [rows[0][0]]
    )
    assert sorted(votes) == sorted([(keys[0], 1.0), (keys[1], 1.0), (keys[2], 2.0)])
    assert _ballot_data(app({"t": at.query_params["t"], "lang": "en"}).run())["saved"] == {
        "method": "dots",
        "dots": dict(sorted({keys[0]: 1, keys[1]: 1, keys[2]: 2}.items())),
    }, "a new session shows the stored ballot"


def test_submit_texts_follow_the_language(app, workshop, app_db):
    at = _join(app, app_db, workshop, lang="de")
    data = _ballot_data(at)
    assert data["url"].endswith("?lang=de")
    assert data["texts"]["submit"] != "Submit my vote" and data["texts"]["offline"] != data["texts"]["failed"]
    assert data["texts"]["counts"][1] != "1 of 10 dots left"
    status, answer = _post_dots(at, {})
    assert status == 422 and answer["error"] == "Bitte vergeben Sie mindestens einen Punkt, bevor Sie absenden."


@pytest.mark.parametrize("method", list(Method))
@pytest.mark.parametrize("lang", ["de", "ar"])
def test_the_ballot_over_http_is_the_one_the_page_draws(app, workshop, app_db, phase, method, lang):
    """A phone that waited for the vote gets its ballot from GET /api/ballot (ui/api.py) instead of
    a page run: the same measures in the same order, rules, stored ballot and words."""
    shortlist = tuple(m.id for m in services.list_measures(app_db, workshop.id)[:3])
    phase(Phase.VOTE, replace(workshop.rules, method=method, shortlist=shortlist if method == Method.RANKING else ()))
    at = _join(app, app_db, workshop, lang=lang)
    page = _ballot_data(at)
    assert page["method"] == method and "waiting" not in page
    from ui import api

    version = _screen_version(app_db, workshop)
    assert api.ballot_view(at.query_params["t"], lang) == (200, {"v": version, "ballot": page})
    if method == Method.APPROVAL:
        _post_approval(at, _measure_ids(page)[:1])
        status, answer = api.ballot_view(at.query_params["t"], lang)
        assert answer["ballot"]["saved"] == {"method": "approval", "approved": _measure_ids(page)[:1]}


def test_the_ballot_over_http_asks_for_the_page_where_the_page_must_run(app, workshop, app_db, phase):
    """Before the vote, on a kiosk tablet (its thank-you screen) and without the voting card a
    workshop asks for, the answer is "run the page"; an unknown link is refused in the phone's words."""
    from ui import api

    phase(Phase.REVIEW)
    token = _join(app, app_db, workshop).query_params["t"]
    assert api.ballot_view(token, "de")[1] == {"v": _screen_version(app_db, workshop), "rerun": True}
    phase(Phase.VOTE)
    kiosk = _join(app, app_db, workshop, kiosk="1").query_params["t"]
    assert api.ballot_view(kiosk, "de")[1].get("rerun") is True
    assert "ballot" in api.ballot_view(token, "de")[1]
    status, answer = api.ballot_view("no-such-token-0123456789abcdefghij", "tr")
    invalid = i18n.gettext_for("tr")("This link is no longer valid. Please join again.")
    assert (status, answer) == (403, {"error": invalid})
    assert api.ballot_view(None, "de")[0] == 403


def test_submitted_ballot_comes_back_in_a_new_session(app, workshop, app_db):
    at = _join(app, app_db, workshop)
    key = _measure_ids(_ballot_data(at))[-1]
    assert _vote_dots(at, {key: 2})[0] == 200
    again = app({"t": at.query_params["t"], "lang": "en"}).run()
    _no_exception(again)
    data = _ballot_data(again)
    assert data["saved"] == {"method": "dots", "dots": {key: 2}}, "the stored ballot is shown (saved, disabled)"


@pytest.mark.parametrize("method", list(Method))
def test_every_method_is_drawn_by_its_browser_component(app, workshop, app_db, phase, method):
    shortlist = tuple(m.id for m in services.list_measures(app_db, workshop.id)[:3])
    phase(Phase.VOTE, replace(workshop.rules, method=method, shortlist=shortlist if method == Method.RANKING else ()))
    at = _join(app, app_db, workshop)
    data = _ballot_data(at)
    assert data is not None and data["method"] == str(method)
    assert not at.get("button_group") and not at.get("checkbox") and not at.get("button"), "no ballot widgets"


def test_empty_dot_ballot_is_refused(app, workshop, app_db):
    at = _join(app, app_db, workshop)
    status, answer = _vote_dots(at, {})
    assert status == 422 and answer == {"error": "Place at least one dot before submitting."}
    assert _ballot_rows(app_db, _participant(app_db, at)) == []


# --- collect: propose, edit, withdraw ------------------------------------------------------------


def _propose(at, title: str, description: str = ""):
    at.text_input(key="new_title").input(title)
    if description:
        at.text_area(key="new_desc").input(description)
    at.button(key="propose").click().run()
    _no_exception(at)
    return at


def test_hostile_title_is_stored_verbatim_and_shown_escaped(app, workshop, app_db, phase):
    phase(Phase.COLLECT)
    at = _join(app, app_db, workshop)
    participant = _participant(app_db, at)
    _propose(at, HOSTILE_TITLE)
    assert not at.error
    assert [s.value for s in at.success] == ["Thank you! Your proposal was saved."]
    own = services.own_measures(app_db, participant)
    assert [m.title for m in own] == [HOSTILE_TITLE], "stored exactly as typed"

    shown = _html(at)
    assert "&lt;img src=x onerror=alert(1)&gt;" in shown
    assert "<img" not in shown
    assert "**bold** [x](https://example.org)" in shown, "the Markdown is shown as typed, not rendered"
    rendered = _markdown(at)
    assert "example.org" not in rendered and "onerror" not in rendered, "no Markdown element shows user text"
    # Clean up: the proposal is withdrawn so the demo stays as it was.
    services.withdraw_own_measure(app_db, participant, own[0].id)


def test_propose_then_edit_and_withdraw_own(app, workshop, app_db, phase):
    phase(Phase.COLLECT)
    at = _join(app, app_db, workshop)
    participant = _participant(app_db, at)
    group_before = len(services.list_measures(app_db, workshop.id, group_id=participant.group_id))
    _propose(at, "Bank am Spielplatz", "Damit Eltern sich treffen")
    assert [t.value for t in at.toast] == ["Thank you! Your proposal was saved."]
    (mine,) = services.own_measures(app_db, participant)
    assert (mine.title, mine.description, mine.group_id) == (
        "Bank am Spielplatz",
        "Damit Eltern sich treffen",
        participant.group_id,
    )
    assert len(services.list_measures(app_db, workshop.id, group_id=participant.group_id)) == group_before + 1
    # Own proposals can be edited and withdrawn; the others of the group cannot.
    assert at.button(key=f"withdraw_{mine.id}")
    assert len([b for b in at.button if b.key and b.key.startswith("withdraw_")]) == 1

    at.text_input(key=f"edit_{mine.id}_title").input("Zwei Bänke am Spielplatz")
    next(b for b in at.button if b.label == "Save changes").click().run()
    _no_exception(at)
    assert not at.error
    assert services.get_measure(app_db, mine.id).title == "Zwei Bänke am Spielplatz"
    assert "Zwei Bänke am Spielplatz" in _html(at)

    at.button(key=f"withdraw_{mine.id}").click().run()
    _no_exception(at)
    assert services.own_measures(app_db, participant) == []
    assert len(services.list_measures(app_db, workshop.id, group_id=participant.group_id)) == group_before
    assert "Zwei Bänke am Spielplatz" not in _html(at)


def test_too_short_title_is_refused(app, workshop, app_db, phase):
    phase(Phase.COLLECT)
    at = _join(app, app_db, workshop)
    _propose(at, "ab", "Eine lange Beschreibung")
    assert len(at.error) == 1 and "at least 3 characters" in at.error[0].value
    # Also as a toast: under the button, on a phone, the refusal is out of sight.
    assert [t.value for t in at.toast] == [at.error[0].value]
    assert services.own_measures(app_db, _participant(app_db, at)) == []
    assert (at.text_input(key="new_title").value, at.text_area(key="new_desc").value) == (
        "ab",
        "Eine lange Beschreibung",
    ), "a refused proposal keeps what was typed"


def test_half_typed_proposal_survives_a_reload(app, workshop, app_db, phase):
    phase(Phase.COLLECT)
    at = _join(app, app_db, workshop)
    goals = services.list_goals(app_db, workshop.id)
    at.radio(key="new_goal").set_value(goals[1].id).run()
    at.text_input(key="new_title").input("Sitzbänke am Außenmühlenteich").run()
    at.text_area(key="new_desc").input("Für Ältere, die nicht lange stehen können").run()
    at.text_input(key="new_target").input("Seniorinnen und Senioren").run()
    _no_exception(at)

    # A reload (or a phone that slept): a new session with the same token.
    again = app({"t": at.query_params["t"], "lang": "en"}).run()
    _no_exception(again)
    assert again.radio(key="new_goal").value == goals[1].id
    assert again.text_input(key="new_title").value == "Sitzbänke am Außenmühlenteich"
    assert again.text_area(key="new_desc").value == "Für Ältere, die nicht lange stehen können"
    assert again.text_input(key="new_target").value == "Seniorinnen und Senioren"

    # Sent, the draft is gone: the form is empty and stays empty after the next reload.
    next(b for b in again.button if b.label == "Submit proposal").click().run()
    _no_exception(again)
    participant = _participant(app_db, again)
    (mine,) = services.own_measures(app_db, participant)
    assert (mine.goal_id, mine.title, mine.target_group) == (
        goals[1].id,
        "Sitzbänke am Außenmühlenteich",
        "Seniorinnen und Senioren",
    )
    assert again.text_input(key="new_title").value == "" and again.text_area(key="new_desc").value == ""
    third = app({"t": again.query_params["t"], "lang": "en"}).run()
    assert third.text_input(key="new_title").value == ""
    services.withdraw_own_measure(app_db, participant, mine.id)


# --- the other voting methods ----------------------------------------------------------------


def _screen_version(db, ws) -> str:
    return participation.screen_version(services.get_workshop(db, ws.id))


def _post_approval(at, approved: list[str]) -> tuple[int, dict]:
    """Press the approval ballot's button as the browser does (ui/ballot/core.js + approval.js)."""
    data = _ballot_data(at)
    assert data is not None and data["method"] == "approval", "no approval ballot"
    return _post({**data, "ballot": {"method": "approval", "approved": sorted(approved)}})


def test_the_approval_ballot_is_a_browser_component_with_its_limit(app, workshop, app_db, phase):
    phase(Phase.VOTE, replace(workshop.rules, method=Method.APPROVAL, approval_limit=2))
    at = _join(app, app_db, workshop)
    participant = _participant(app_db, at)
    data = _ballot_data(at)
    assert data is not None and not at.get("checkbox"), "no checkbox widgets: the browser draws the ballot"
    goal_of = services.voting_measures(app_db, services.get_workshop(app_db, workshop.id))
    order = participation.ballot_order(participant.device_id, goal_of)
    for group in data["goals"]:
        assert [m["id"] for m in group["measures"]] == [m for m in order if goal_of[m] == group["id"]]
    assert sorted(_measure_ids(data)) == sorted(goal_of)
    assert (data["method"], data["saved"], data["rules"]) == ("approval", None, {"limit": 2})
    texts = data["texts"]
    assert texts["counts"] == [
        "0 of at most 2 measures supported",
        "1 of at most 2 measures supported",
        "2 of at most 2 measures supported",
    ], "one counter per number of supports, up to the limit"
    assert (texts["support"], texts["supportName"]) == ("I support this", "I support this: {title}")
    assert texts["atLimit"] == "You can support at most 2 measures."
    assert texts["hint"] == "Tick every measure you support."
    assert (texts["submit"], texts["change"]) == ("Submit my vote", "Change my vote")

    # What the screen does not let a person tick, the server refuses too.
    ids = _measure_ids(data)
    assert _post_approval(at, ids[:3]) == (422, {"error": "You can support at most 2 measures."})
    assert _post_approval(at, []) == (422, {"error": "Support at least one measure before submitting."})
    assert _ballot_rows(app_db, participant) == []
    assert _post_approval(at, ids[:2])[0] == 200
    assert services.get_ballot(app_db, participant, Method.APPROVAL) == ApprovalBallot(frozenset(ids[:2]))
    assert len(_ballot_rows(app_db, participant)) == 1
    again = app({"t": at.query_params["t"], "lang": "en"}).run()
    _no_exception(again)
    assert _ballot_data(again)["saved"] == {"method": "approval", "approved": sorted(ids[:2])}


def test_the_approval_ballot_without_a_limit_counts_in_the_pages_language(app, workshop, app_db, phase):
    phase(Phase.VOTE, replace(workshop.rules, method=Method.APPROVAL, approval_limit=None))
    data = _ballot_data(_join(app, app_db, workshop))
    n = len(_measure_ids(data))
    assert data["rules"] == {"limit": None} and "atLimit" not in data["texts"]
    assert data["texts"]["counts"][:3] == ["0 measures supported", "1 measure supported", "2 measures supported"]
    assert len(data["texts"]["counts"]) == n + 1, "a counter for every number of measures on the ballot"
    for lang in ("ar", "ls"):
        other = _ballot_data(_join(app, app_db, workshop, lang=lang))
        ngettext, gettext = i18n.ngettext_for(lang), i18n.gettext_for(lang)
        assert other["texts"]["counts"] == [
            ngettext("{n} measure supported", "{n} measures supported", k).format(n=k) for k in range(n + 1)
        ]
        assert other["texts"]["support"] == gettext("I support this"), "the words come from the page"
        assert other["texts"]["hint"] == gettext("Tick every measure you support.")
        assert other["dir"] == ("rtl" if lang == "ar" else "ltr")
    assert other["texts"]["support"] == "Ich stimme zu", "Leichte Sprache"


def _post_rating(at, ratings: dict[str, dict[str, int]]) -> tuple[int, dict]:
    """Press the rating ballot's button as the browser does (ui/ballot/core.js + rating.js)."""
    data = _ballot_data(at)
    assert data is not None and data["method"] == "rating", "no rating ballot"
    return _post({**data, "ballot": {"method": "rating", "ratings": ratings}})


def test_the_rating_ballot_is_a_browser_component_with_its_criteria_and_scale(app, workshop, app_db, phase):
    phase(Phase.VOTE, replace(workshop.rules, method=Method.RATING))
    at = _join(app, app_db, workshop)
    participant = _participant(app_db, at)
    data = _ballot_data(at)
    assert data is not None and not at.get("button_group"), "no segmented controls: the browser draws the ballot"
    goal_of = services.voting_measures(app_db, services.get_workshop(app_db, workshop.id))
    order = participation.ballot_order(participant.device_id, goal_of)
    for group in data["goals"]:
        assert [m["id"] for m in group["measures"]] == [m for m in order if goal_of[m] == group["id"]]
    ids = _measure_ids(data)
    assert sorted(ids) == sorted(goal_of)
    assert (data["method"], data["saved"]) == ("rating", None)
    assert data["rules"] == {
        "min": 1,
        "max": 5,
        "criteria": [{"key": "impact", "label": "Impact"}, {"key": "feasibility", "label": "Feasibility"}],
    }
    texts = data["texts"]
    n = len(ids)
    assert texts["counts"][:2] == [f"0 of {n} measures rated", f"1 of {n} measures rated"]
    assert len(texts["counts"]) == n + 1, "a counter for every number of rated measures"
    hint = "Rate each measure from 1 (low) to 5 (high). Leave a row empty if you have no opinion."
    assert texts["hint"] == hint, "the existing instruction, its scale filled in"
    assert texts["groupName"] == "{criterion} for {title}, from {min} (low) to {max} (high)"
    assert texts["options"] == ["1 (low)", "2", "3", "4", "5 (high)"]
    assert texts["noOpinion"] == "No opinion"
    assert (texts["submit"], texts["change"]) == ("Submit my vote", "Change my vote")

    # What the screen cannot produce, the server refuses too.
    assert _post_rating(at, {ids[0]: {"impact": 6}}) == (422, {"error": "Ratings go from 1 to 5."})
    assert _post_rating(at, {}) == (422, {"error": "Rate at least one measure before submitting."})
    assert _ballot_rows(app_db, participant) == []
    ratings = {ids[0]: {"feasibility": 2, "impact": 5}, ids[1]: {"feasibility": 4}}
    assert _post_rating(at, ratings)[0] == 200
    assert services.get_ballot(app_db, participant, Method.RATING) == RatingBallot(ratings)
    again = app({"t": at.query_params["t"], "lang": "en"}).run()
    _no_exception(again)
    assert _ballot_data(again)["saved"] == {"method": "rating", "ratings": dict(sorted(ratings.items()))}


def test_the_rating_ballot_speaks_the_pages_language(app, workshop, app_db, phase):
    phase(Phase.VOTE, replace(workshop.rules, method=Method.RATING))
    for lang in ("ar", "ls"):
        data = _ballot_data(_join(app, app_db, workshop, lang=lang))
        gettext, n = i18n.gettext_for(lang), len(_measure_ids(data))
        ngettext = i18n.ngettext_for(lang)
        assert [c["label"] for c in data["rules"]["criteria"]] == [gettext("Impact"), gettext("Feasibility")]
        assert data["texts"]["counts"][1] == ngettext(
            "{n} of {total} measure rated", "{n} of {total} measures rated", n
        ).format(n=1, total=n)
        assert data["texts"]["noOpinion"] == gettext("No opinion")
        assert data["texts"]["hint"] == gettext(
            "Rate each measure from {min} (low) to {max} (high). Leave a row empty if you have no opinion."
        ).format(min=1, max=5)
        assert data["dir"] == ("rtl" if lang == "ar" else "ltr")
    assert data["rules"]["criteria"][0]["label"] != "Impact", "Leichte Sprache has its own words"


def _post_ranking(at, order: list[str]) -> tuple[int, dict]:
    """Press the ranking's button as the browser does (ui/ballot/core.js + ranking.js)."""
    data = _ballot_data(at)
    assert data is not None and data["method"] == "ranking", "no ranking"
    return _post({**data, "ballot": {"method": "ranking", "order": order}})


def test_the_ranking_is_a_browser_component_with_the_shortlist_in_the_devices_order(app, workshop, app_db, phase):
    shortlist = tuple(m.id for m in services.list_measures(app_db, workshop.id)[:3])
    phase(Phase.VOTE, replace(workshop.rules, method=Method.RANKING, shortlist=shortlist))
    at = _join(app, app_db, workshop)
    participant = _participant(app_db, at)
    data = _ballot_data(at)
    assert data is not None and not at.get("button"), "no arrow buttons: the browser draws the ranking"
    assert sorted(_measure_ids(data)) == sorted(shortlist), "only the shortlist is ranked"
    assert data["order"] == participation.ballot_order(participant.device_id, shortlist), "this device's order"
    measures = {m.id: m for m in services.list_measures(app_db, workshop.id)}
    assert all(
        (m["title"], m["description"]) == (measures[m["id"]].title, measures[m["id"]].description or "")
        for g in data["goals"]
        for m in g["measures"]
    ), "titles and descriptions as typed: plain text, no Markdown escapes"
    assert (data["method"], data["saved"], data["rules"]) == ("ranking", None, {})
    texts = data["texts"]
    assert texts["hint"] == "Put the measures in order: the most important at the top. Use the arrows to move them."
    assert (texts["place"], texts["upName"], texts["downName"], texts["nowPlace"]) == (
        "Place {n}",
        "Move up: {title} (place {n})",
        "Move down: {title} (place {n})",
        "{title}: now place {n}",
    )

    # The stored order comes back first, in a new session too.
    expected = list(reversed(data["order"]))
    assert _post_ranking(at, expected)[0] == 200
    assert services.get_ballot(app_db, participant, Method.RANKING) == RankingBallot(tuple(expected))
    again = _ballot_data(app({"t": at.query_params["t"], "lang": "en"}).run())
    assert again["saved"] == {"method": "ranking", "order": expected} and again["order"] == expected
    # A stored ranking that stops early: its places first, the rest in this device's order.
    assert _post_ranking(at, expected[:1])[0] == 200
    partial = _ballot_data(app({"t": at.query_params["t"], "lang": "en"}).run())
    assert partial["order"] == expected[:1] + [m for m in data["order"] if m != expected[0]]

    ar = _ballot_data(_join(app, app_db, workshop, lang="ar"))
    gettext = i18n.gettext_for("ar")
    assert ar["dir"] == "rtl" and ar["texts"]["upName"] == gettext("Move up: {title} (place {n})")
    assert ar["texts"]["place"] == gettext("Place {n}") != "Place {n}", "the words come from the catalogs"


# --- results and waiting screens ------------------------------------------------------------


def test_results_hidden_then_revealed(app, workshop, app_db, facilitator, phase):
    phase(Phase.RESULTS)
    at = _join(app, app_db, workshop)
    assert [i.value for i in at.info] == [
        "Voting is closed. The results will appear here as soon as the facilitation team shows them."
    ]
    assert not at.get("plotly_chart"), "no tallies before the reveal"
    titles = [m.title for m in services.list_measures(app_db, workshop.id)]
    assert not [t for t in titles if t in _html(at)], "no measure (and no ranking) before the reveal"

    services.reveal_results(app_db, facilitator, workshop.id)
    _refresh()
    at.run()
    _no_exception(at)
    assert not at.info
    assert len(at.get("plotly_chart")) == 1
    ranked = views.ranking(app_db, services.get_workshop(app_db, workshop.id))
    winners = ranked[ranked["rank_goal"] == 1]["title"]
    assert len(winners) >= len(services.list_goals(app_db, workshop.id))
    shown = _html(at)
    assert all(f"1. {title}" in shown for title in winners), "the best measure of each goal is listed first"
    method = services.get_workshop(app_db, workshop.id).rules.method
    ballots = services.count_ballots(app_db, workshop.id, method)
    assert f"{ballots} ballots" in [c.value for c in at.caption], "how many ballots the ranking counts"


def test_results_list_reads_in_the_participants_language_with_the_original_a_tap_away(
    app, workshop, app_db, facilitator, phase
):
    phase(Phase.REVIEW)
    ranked = views.ranking(app_db, services.get_workshop(app_db, workshop.id))
    best = ranked[ranked["rank_goal"] == 1].iloc[0]
    services.translate_measure(
        app_db, facilitator, best["measure_id"], "tr", MeasureInput("Mahallede <b>aylık</b> demokrasi kahvesi")
    )
    phase(Phase.RESULTS)
    services.reveal_results(app_db, facilitator, workshop.id)
    _refresh()
    shown = _html(_join(app, app_db, workshop, lang="tr"))
    assert "1. Mahallede &lt;b&gt;aylık&lt;/b&gt; demokrasi kahvesi" in shown, "the translation, as text"
    note = i18n.gettext_for("tr")("Translated from: {language}").format(language="Almanca")  # in Turkish
    assert f'<summary class="pw-muted" dir="auto">{note}</summary>' in shown
    assert f'lang="de">{html.escape(best["title"])}</p></details>' in shown, "the original one tap away"
    german = _html(_join(app, app_db, workshop, lang="de"))
    title = html.escape(best["title"])
    assert f"1. {title}" in german and f'lang="de">{title}</p></details>' not in german, "an original: no note"


def test_review_phase_asks_to_wait_in_the_ballot_to_come(app, workshop, app_db, phase):
    """The waiting screen is the component of the vote's method (ui/ballot.py ``waiting``): it
    says to wait, and knows where to ask for this device's ballot when the vote opens."""
    phase(Phase.REVIEW)
    at = _join(app, app_db, workshop, lang="tr")
    data = _ballot_data(at)
    assert data["waiting"] == i18n.gettext_for("tr")(
        "The proposals are being reviewed. Voting starts soon; this screen updates by itself."
    )
    assert data["method"] == str(workshop.rules.method) and "goals" not in data, "no ballot before the vote"
    assert data["view"] == "/api/ballot?" + urlencode({"lang": "tr", "t": at.query_params["t"]})
    assert not at.info and not at.get("form")


# --- kiosk -----------------------------------------------------------------------------------


def test_kiosk_next_person_gets_a_fresh_ballot(app, workshop, app_db):
    before = services.count_ballots(app_db, workshop.id)
    at = _join(app, app_db, workshop, kiosk="1")
    first = _participant(app_db, at)
    assert first.kiosk
    assert _ballot_data(at)["notify"], "a kiosk's button asks for a rerun after a save (Next person)"
    keys = _measure_ids(_ballot_data(at))
    assert not [b for b in at.button if b.key == "kiosk_next"], "no next person before this one submitted"
    first_token = at.query_params["t"]
    assert _vote_dots(at, {keys[0]: 3})[0] == 200

    # The save itself takes the tablet to the neutral screen: nothing of the ballot is left on it,
    # and its link no longer opens a ballot.
    assert at.query_params["t"] != first_token and at.query_params["thanks"] == "1"
    thanks = _html(at)
    assert "Thank you! Your vote is saved." in thanks and "Next person, please" in thanks
    assert _ballot_data(at) is None
    assert services.resume(app_db, first_token) is None, "the previous person's link is closed"
    at.run()
    assert _ballot_data(at) is None, "it stays neutral until the next person taps"

    at.button(key="kiosk_next").click().run()
    _no_exception(at)
    assert "thanks" not in at.query_params
    second = _participant(app_db, at)
    assert second.device_id != first.device_id and second.kiosk
    assert second.group_id == first.group_id, "the tablet stays with its working group"
    data = _ballot_data(at)
    assert data["t"] == at.query_params["t"] != first_token, "the next person's ballot is their own"
    assert data["saved"] is None, "the previous person's dots are gone: the button reads 'Submit my vote'"
    assert not [b for b in at.button if b.key == "kiosk_next"]

    assert _vote_dots(at, {keys[1]: 2})[0] == 200
    assert services.count_ballots(app_db, workshop.id) == before + 2
    assert services.get_ballot(app_db, first) == DotBallot({keys[0]: 3})
    assert services.get_ballot(app_db, second) == DotBallot({keys[1]: 2})


def test_no_next_person_button_without_kiosk(app, workshop, app_db):
    at = _join(app, app_db, workshop)
    assert not _ballot_data(at)["notify"], "a phone's button saves without a rerun"
    assert _vote_dots(at, {_measure_ids(_ballot_data(at))[0]: 1})[0] == 200
    assert not [b for b in at.button if b.key == "kiosk_next"]


def test_a_criterion_label_set_by_a_file_is_shown_as_text(app, workshop, app_db, phase):
    """Issue 18.4: `**x**` and a link in a criterion's label became <strong> and <a> on the ballot.
    The component gets the label as it was set (it sets it as text), not escaped nor rendered."""
    from workshop.model import Criterion

    label = "**Wirkung** [mehr](http://example.org) <b>x</b>"
    hostile = Criterion("impact", label, 1.0)
    phase(Phase.VOTE, replace(workshop.rules, method=Method.RATING, criteria=(hostile, workshop.rules.criteria[1])))
    at = _join(app, app_db, workshop)
    _no_exception(at)
    data = _ballot_data(at)
    assert data["rules"]["criteria"][0] == {"key": "impact", "label": label}, "as set, to be shown as text"
    assert label not in _html(at) and "<strong>Wirkung" not in _html(at), "not drawn by the page"
    assert not at.get("button_group"), "no widget label that Markdown could interpret"


def test_a_turkish_proposal_also_in_german_reaches_german_readers_with_its_original(app, workshop, app_db, phase):
    """Issue 20: the author writes in their language (the screen's, changeable) and, one tap away,
    also in German; a German phone of the group reads the German version marked as translated, and
    the ballot shows it with the original one tap away."""
    phase(Phase.COLLECT)
    at = _join(app, app_db, workshop, lang="tr")
    author = _participant(app_db, at)
    assert at.selectbox(key="new_lang").value == "tr", "written in the screen's language, to begin with"
    assert at.selectbox(key="new_also_lang").value == "de"
    at.text_input(key="new_also_title").input("Ein Ausländerbeirat für Harburg")
    _propose(at, "Harburg için yabancılar meclisi", "Göçmenlerin sesi")
    (mine,) = services.own_measures(app_db, author)
    assert mine.lang == "tr"
    german = services.translations_of(app_db, mine.id)["de"]
    assert (german.title, german.made) == ("Ein Ausländerbeirat für Harburg", "author")
    assert at.text_input(key="new_also_title").value == "", "the form is empty for the next proposal"
    try:
        other = app({"t": services.join(app_db, workshop.join_code, group_id=author.group_id)[1], "lang": "de"}).run()
        shown = _html(other)
        assert "Ein Ausländerbeirat für Harburg" in shown and "Übersetzt aus: Türkisch" in shown
        phase(Phase.VOTE)
        data = _ballot_data(app({"t": other.query_params["t"], "lang": "de"}).run())
        item = next(m for g in data["goals"] for m in g["measures"] if m["id"] == mine.id)
        assert (item["title"], item["lang"], item["note"]) == (
            "Ein Ausländerbeirat für Harburg",
            "de",
            "Übersetzt aus: Türkisch",
        )
        assert item["original"] == {
            "title": "Harburg için yabancılar meclisi",
            "description": "Göçmenlerin sesi",
            "lang": "tr",
        }
        arabic = _ballot_data(_join(app, app_db, workshop, lang="ar"))
        item = next(m for g in arabic["goals"] for m in g["measures"] if m["id"] == mine.id)
        assert item["title"] == "Harburg için yabancılar meclisi" and "original" not in item and item["note"]
    finally:
        phase(Phase.COLLECT)
        services.withdraw_own_measure(app_db, author, mine.id)
