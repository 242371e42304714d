"""The phase watch (issue 19.3): a waiting or voting phone learns of a phase change, a reveal or
changed rules from a small cached JSON answer, not from script runs.

The endpoint is driven as the server drives it (an ASGI call); the browser side (ui/watch.js) by
the participant browser tests, which follow phase changes without reloading.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time

import pytest
from starlette.applications import Starlette

from bench.client import Client
from bench.server import Server
from tests.integration import asyncrun
from ui import api, common
from workshop import auth, demo, participation, services
from workshop.model import DotBallot, MeasureInput, Phase
from workshop.store import Database


def _clear() -> None:
    for cached in (common.cached_version, common.cached_workshop_id, common.cached_counts):
        cached.clear()


@pytest.fixture
def hall(tmp_path, monkeypatch):
    db = Database(tmp_path / "watch.duckdb")
    ws = demo.build(db)
    monkeypatch.setattr(common, "_open_db", lambda: db)
    _clear()
    yield db, ws
    _clear()
    db.close()


async def call(query: str, path: str = api.WATCH_PATH) -> tuple[int, dict, dict]:
    """One GET through the app's routes, as the server drives them (an ASGI call)."""
    app = Starlette(routes=api.routes())
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "headers": [],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8501),
    }
    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], json.loads(body), headers


def get(query: str, path: str = api.WATCH_PATH) -> tuple[int, dict, dict]:
    return asyncrun.run(call(query, path))


def test_the_watch_answers_the_screen_version_and_follows_a_phase_change(hall):
    db, ws = hall
    fac = auth.system_session(db)
    status, answer, headers = get(f"code={ws.join_code}")
    assert status == 200 and answer["v"] == participation.screen_version(services.get_workshop(db, ws.id))
    assert answer["every"] == participation.watch_seconds(ws.phase, ws.results_revealed, 0) or answer["every"] > 0
    assert headers["cache-control"] == "public, max-age=1"
    before = answer["v"]
    services.set_phase(db, fac, ws.id, Phase.REVIEW)
    time.sleep(1.1)  # the pages' cache of the workshop lives a second (a facilitator's write clears it)
    status, answer, _h = get(f"code={ws.join_code.lower()}")
    assert status == 200 and answer["v"] != before
    assert answer["v"] == participation.screen_version(services.get_workshop(db, ws.id))


def test_the_rules_and_the_reveal_change_the_version_too(hall):
    db, ws = hall
    fac = auth.system_session(db)
    services.set_phase(db, fac, ws.id, Phase.REVIEW)
    _clear()
    first = get(f"code={ws.join_code}")[1]["v"]
    services.set_rules(
        db,
        fac,
        ws.id,
        dataclasses.replace(ws.rules, dots_per_person=ws.rules.dots_per_person + 1),
        confirm_affected=services.count_ballots(db, ws.id, ws.rules.method),
    )
    _clear()
    second = get(f"code={ws.join_code}")[1]["v"]
    services.set_phase(db, fac, ws.id, Phase.RESULTS)
    _clear()
    third = get(f"code={ws.join_code}")[1]["v"]
    services.reveal_results(db, fac, ws.id)
    _clear()
    fourth = get(f"code={ws.join_code}")[1]["v"]
    assert len({first, second, third, fourth}) == 4


def test_after_the_reveal_a_paper_ballot_entered_late_and_the_end_of_entry_redraw_the_phones(hall):
    """Staff may still enter paper ballots once the results are shown: the phones' ranking and
    their "may still change" note follow each entry and the end of entry, not only a reload."""
    db, ws = hall
    fac = auth.system_session(db)
    services.set_phase(db, fac, ws.id, Phase.REVIEW)
    ((number, _code),) = services.print_sheets(db, fac, ws.id, 1)
    services.set_phase(db, fac, ws.id, Phase.VOTE)
    services.set_phase(db, fac, ws.id, Phase.RESULTS)
    services.reveal_results(db, fac, ws.id)
    _clear()
    shown = get(f"code={ws.join_code}")[1]["v"]
    _clear()
    assert get(f"code={ws.join_code}")[1]["v"] == shown, "nothing changed: no redraw"
    measure = next(iter(services.voting_measures(db, services.get_workshop(db, ws.id))))
    assert str(ws.rules.method) == "dots"
    services.enter_sheet(db, fac, ws.id, str(number), DotBallot({measure: 1}))
    _clear()
    entered = get(f"code={ws.join_code}")[1]["v"]
    services.set_paper_options(db, fac, ws.id, closed=True)
    _clear()
    ended = get(f"code={ws.join_code}")[1]["v"]
    assert len({shown, entered, ended}) == 3


@pytest.mark.parametrize("query", ["", "code=", "code=ZZZZZZ", "code=%00%00", "code=" + "A" * 5000])
def test_an_unknown_or_malformed_code_is_a_404_without_a_version(hall, query):
    status, answer, _h = get(query)
    assert (status, answer) == (404, {"v": None})


def test_a_held_question_wakes_when_the_vote_opens_and_says_phase_and_method(hall):
    """A question that brings its screen's version is held; the facilitator's click answers all
    of them at once (one look at the cache per tick serves the whole hall), not a poll later."""
    db, ws = hall
    fac = auth.system_session(db)
    services.set_phase(db, fac, ws.id, Phase.REVIEW)
    _clear()
    shown = get(f"code={ws.join_code}")[1]["v"]

    def open_the_vote() -> None:
        services.set_phase(db, fac, ws.id, Phase.VOTE)
        common.refresh()  # what the console does after a facilitator's write

    async def scenario():
        questions = [asyncio.create_task(call(f"code={ws.join_code}&since={shown}")) for _i in range(50)]
        await asyncio.sleep(0.6)
        held = sum(not q.done() for q in questions)
        clicked = time.perf_counter()
        await asyncio.to_thread(open_the_vote)
        answers = await asyncio.gather(*questions)
        return held, time.perf_counter() - clicked, answers

    held, waited, answers = asyncrun.run(scenario())
    assert held == 50, "a question whose screen is up to date is held"
    assert waited < api.WATCH_HOLD / 2, "woken by the change, not by the end of the hold"
    now = participation.screen_version(services.get_workshop(db, ws.id))
    assert {(status, a["v"], a["phase"], a["method"], a.get("held")) for status, a, _h in answers} == {
        (200, now, "vote", str(ws.rules.method), None)
    }
    assert not api._held, "nothing held any more: the look at the cache stopped with the last question"


def test_a_translation_saved_during_the_vote_wakes_the_screens_of_its_language_only(hall, monkeypatch):
    """Issue 20's measure: a mediator's German translation reaches the German phones' ballots
    within a tick (their held questions wake with the new ``tv``; the ballot then takes its data
    from /api/ballot), while Turkish phones keep waiting: nothing changed for them."""
    db, ws = hall
    fac = auth.system_session(db)
    monkeypatch.setattr(api, "WATCH_HOLD", 2.0)
    services.set_phase(db, fac, ws.id, Phase.COLLECT)
    goal = services.list_goals(db, ws.id)[0].id
    turkish = services.propose_measure(db, fac, goal, MeasureInput("Harburg için yabancılar meclisi"), lang="tr")
    services.set_phase(db, fac, ws.id, Phase.VOTE)
    _p, token = services.join(db, ws.join_code)
    _clear()
    first = get(f"code={ws.join_code}")[1]
    assert first["tv"] == {}, "no translations yet"
    desk = services.mediator(db, services.create_mediator_key(db, fac, ws.id, "de")[1])

    def save() -> None:
        services.translate_measure(db, desk, turkish.id, "de", MeasureInput("Ein Ausländerbeirat für Harburg"))
        common.refresh()  # what the desk does after a save

    async def scenario():
        ask = f"code={ws.join_code}&since={first['v']}&tv="
        german = [asyncio.create_task(call(ask + "de:")) for _i in range(20)]
        plain = [asyncio.create_task(call(ask + "ls:,de:")) for _i in range(5)]  # Leichte Sprache reads German
        turkish_phones = [asyncio.create_task(call(ask + "tr:")) for _i in range(20)]
        await asyncio.sleep(0.5)
        saved = time.perf_counter()
        await asyncio.to_thread(save)
        woken = await asyncio.gather(*german, *plain)
        waited = time.perf_counter() - saved
        return waited, woken, await asyncio.gather(*turkish_phones)

    waited, woken, others = asyncrun.run(scenario())
    assert waited < 1.0, f"the German screens learn of it within a tick or two, not after the hold: {waited:.2f} s"
    versions = {a["tv"]["de"] for _s, a, _h in woken}
    assert len(versions) == 1 and "" not in versions and all(not a.get("held") for _s, a, _h in woken)
    assert all(a.get("held") and a["v"] == first["v"] for _s, a, _h in others), "the Turkish ones held on"
    # What the German ballot then asks for: the translation, and the fingerprint it was drawn with.
    status, ballot, _h = get(f"lang=de&t={token}", api.PATH)
    assert status == 200 and ballot["ballot"]["tv"] == {"de": versions.pop()}
    titles = [m["title"] for g in ballot["ballot"]["goals"] for m in g["measures"]]
    assert "Ein Ausländerbeirat für Harburg" in titles and "Harburg için yabancılar meclisi" not in titles
    assert get(f"lang=tr&t={token}", api.PATH)[1]["ballot"]["tv"] == {"tr": ""}


def test_an_unchanged_question_is_answered_after_the_hold_and_an_old_one_at_once(hall, monkeypatch):
    db, ws = hall
    monkeypatch.setattr(api, "WATCH_HOLD", 0.5)
    shown = get(f"code={ws.join_code}")[1]["v"]
    started = time.perf_counter()
    status, answer, _h = get(f"code={ws.join_code}&since={shown}")
    assert (status, answer["v"], answer["held"]) == (200, shown, True)
    assert time.perf_counter() - started >= 0.5
    status, answer, _h = get(f"code={ws.join_code}&since=an-older-screen")
    assert (status, answer["v"], answer.get("held")) == (200, shown, None), "a screen behind learns at once"
    assert get(f"code=ZZZZZZ&since={shown}")[:2] == (404, {"v": None})


def test_a_waiting_phone_runs_no_script_until_the_phase_changes(tmp_path):
    """Before: a ``run_every`` fragment reran the screen every 3 s per waiting phone."""
    path = tmp_path / "hall.duckdb"
    db = Database(path)
    ws = demo.build(db)
    fac = auth.system_session(db)
    services.set_phase(db, fac, ws.id, Phase.REVIEW)
    _participant, token = services.join(db, ws.join_code)
    db.close()
    server = Server("app.py", env={"PW_DB_PATH": str(path), "PW_PASSPHRASE": "watch-test-1"}, log=tmp_path / "s.log")
    server.start(timeout=90)
    try:

        async def scenario() -> tuple[dict, dict]:
            phone = Client(server.port, f"t={token}&lang=de")
            await phone.connect()
            try:
                result = await phone.rerun()
                assert result.status == "ok"
                assert not phone.auto_reruns, "the participant screen still reruns on a timer"
                watch = phone.watch()
                assert watch is not None and watch["version"], "no phase watch on the participant screen"
                runs_before = phone.runs
                await asyncio.sleep(7)  # more than two intervals of a waiting screen
                assert phone.runs == runs_before, "a script ran on a waiting phone"
                return watch, await phone.ask_watch(server.port)
            finally:
                await phone.close()

        watch, answer = asyncrun.run(scenario())
        assert answer["v"] == watch["version"], "the watch says change although nothing changed"
    finally:
        server.stop()
