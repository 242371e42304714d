"""The ballot endpoint (ui/api.py): what a phone's submit button posts, on a real DuckDB file.

The route is driven as the server drives it (an ASGI call with the request's bytes); the browser
side (ui/ballot/core.js) is covered by tests/e2e/test_ballot_*.py.
"""

from __future__ import annotations

import json
import uuid

import pytest
from starlette.applications import Starlette

from tests.integration import asyncrun
from ui import api, common
from workshop import auth, demo, i18n, participation, services
from workshop.errors import StoreLocked
from workshop.model import DotBallot, Phase


@pytest.fixture
def hall(make_store, monkeypatch):
    db = make_store("api")
    ws = demo.build(db)
    monkeypatch.setattr(common, "open_db", lambda: db)
    yield db, ws
    db.close()


def call(
    body: bytes | object,
    *,
    method: str = "POST",
    lang: str = "en",
    chunked: bool = False,
    content_type: bytes | None = b"application/json",
) -> tuple[int, dict]:
    """One request through the route as the server makes it; the status and the JSON answer.
    ``chunked``: the body comes in pieces without a declared length."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    app = Starlette(routes=api.routes())
    sent: list[dict] = []
    pieces = [raw[i : i + 8192] for i in range(0, len(raw), 8192)] if chunked else [raw]
    chunks = [{"type": "http.request", "body": p, "more_body": i < len(pieces) - 1} for i, p in enumerate(pieces)]
    headers = [(b"content-type", content_type)] if content_type else []
    if not chunked:
        headers.append((b"content-length", str(len(raw)).encode()))

    async def receive():
        return chunks.pop(0) if chunks else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": api.PATH,
        "raw_path": api.PATH.encode(),
        "query_string": f"lang={lang}".encode(),
        "headers": headers,
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8501),
    }
    asyncrun.run(app(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    payload = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    try:
        return status, json.loads(payload)
    except ValueError:
        return status, {}


def _body(token: str, ballot, submission: str | None = None) -> dict:
    return {"t": token, "submission": submission or uuid.uuid4().hex, "ballot": participation.ballot_payload(ballot)}


def _first(db, ws) -> str:
    return sorted(services.voting_measures(db, ws))[0]


def test_a_posted_ballot_is_stored_a_resend_stores_nothing_new_a_change_replaces(hall):
    db, ws = hall
    participant, token = services.join(db, ws.join_code)
    first = _first(db, ws)
    body = _body(token, DotBallot({first: 2}))
    status, answer = call(body)
    assert status == 200 and not answer["replaced"]
    stored_at = db.scalar("SELECT submitted_at FROM ballots WHERE device_id = $1", [participant.device_id])
    assert answer["saved"] == i18n.format_time(stored_at, "en"), "the time in the reader's language: 2:05 PM"
    assert services.get_ballot(db, participant) == DotBallot({first: 2})
    assert call(body) == (status, answer), "a resend (same submission) gets the same answer"
    assert services.count_ballots(db, ws.id) == 1 + demo_ballots(db, ws, participant)

    status, answer = call(_body(token, DotBallot({first: 1})))
    assert status == 200 and answer["replaced"]
    assert services.get_ballot(db, participant) == DotBallot({first: 1})


def demo_ballots(db, ws, participant) -> int:
    """Ballots of other devices (the demo may come with some)."""
    return db.scalar(
        "SELECT count(*) FROM ballots WHERE workshop_id = $1 AND device_id <> $2", [ws.id, participant.device_id]
    )


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b"[" * 30_000 + b"]" * 30_000,  # deeper than the JSON parser goes
        {"submission": "0123456789abcdef", "ballot": {"method": "dots", "dots": {}}},  # no token
        {"t": None, "ballot": None},
    ],
)
def test_malformed_requests_are_refused_in_the_requests_language_and_store_nothing(hall, body):
    db, ws = hall
    before = services.count_ballots(db, ws.id)
    status, answer = call(body, lang="de")
    assert status in (403, 422), (status, answer)
    assert answer["error"] in (
        "Dieser Stimmzettel ist fehlerhaft; bitte laden Sie die Seite neu.",
        "Dieser Link gilt nicht mehr. Bitte treten Sie erneut bei.",
    ), answer
    assert services.count_ballots(db, ws.id) == before


@pytest.mark.parametrize(
    "ballot",
    [
        {"method": "dots", "dots": {"x": True}},
        {"method": "dots", "dots": ["a"]},
        {"method": "dots", "dots": {"x": 1.5}},
        {"method": "approval", "approved": "abc"},
        {"method": "rating", "ratings": {"m": 3}},
        {"method": "ranking", "order": [1, 2]},
        {"method": "borda", "order": []},
        {"dots": {}},
    ],
)
def test_ballots_of_the_wrong_shape_are_refused(hall, ballot):
    db, ws = hall
    _participant, token = services.join(db, ws.join_code)
    before = services.count_ballots(db, ws.id)
    status, answer = call({"t": token, "submission": uuid.uuid4().hex, "ballot": ballot})
    assert status == 422 and answer == {"error": "This ballot is malformed; please reload the page."}
    assert services.count_ballots(db, ws.id) == before


def test_rule_breaking_ballot_and_unknown_token_and_closed_vote(hall):
    db, ws = hall
    participant, token = services.join(db, ws.join_code)
    first = _first(db, ws)
    status, answer = call(_body(token, DotBallot({first: ws.rules.max_per_measure + 1})))
    assert status == 422 and answer["error"] == f"At most {ws.rules.max_per_measure} dots per measure."

    status, answer = call(_body("t" * 40, DotBallot({first: 1})), lang="de")
    assert status == 403 and answer["error"] == "Dieser Link gilt nicht mehr. Bitte treten Sie erneut bei."

    fac = auth.system_session(db)
    services.set_phase(db, fac, ws.id, Phase.RESULTS)
    status, answer = call(_body(token, DotBallot({first: 1})))
    assert status == 403 and answer["error"], "the vote is closed"
    assert services.get_ballot(db, participant) is None


@pytest.mark.parametrize("chunked", [False, True])
def test_an_oversized_body_is_refused(hall, chunked):
    db, ws = hall
    _participant, token = services.join(db, ws.join_code)
    huge = {"t": token, "submission": uuid.uuid4().hex, "ballot": {"method": "dots", "dots": {"x" * 40: 1}}}
    huge["pad"] = "x" * participation.MAX_PAYLOAD_BYTES
    before = services.count_ballots(db, ws.id)
    status, answer = call(huge, chunked=chunked, lang="de")
    assert status == 413 and answer["error"].startswith("Dieser Stimmzettel")
    assert services.count_ballots(db, ws.id) == before


def test_the_route_answers_under_a_base_path_too():
    assert [r.path for r in api.routes("/hall/")] == [
        api.PATH,
        "/hall" + api.PATH,
        api.WATCH_PATH,
        "/hall" + api.WATCH_PATH,
    ]
    assert [r.path for r in api.routes("")] == [api.PATH, api.WATCH_PATH]


def test_only_post_and_get_are_answered_and_get_needs_a_token(hall):
    for method in ("PUT", "DELETE", "PATCH"):
        assert call(b"", method=method)[0] == 405
    status, answer = call(b"", method="GET", lang="tr")
    invalid = i18n.gettext_for("tr")("This link is no longer valid. Please join again.")
    assert (status, answer) == (403, {"error": invalid})


def test_a_held_database_file_gives_a_translated_503(hall, monkeypatch):
    db, ws = hall
    _participant, token = services.join(db, ws.join_code)

    def locked():
        raise StoreLocked(N_LOCKED, path="/x.duckdb")

    N_LOCKED = "The database file {path} is in use by another process (probably the running app). "
    monkeypatch.setattr(common, "open_db", locked)
    status, answer = call(_body(token, DotBallot({_first(db, ws): 1})), lang="de")
    # Issue 18.6: the phone learns to tell the team, never the file's path.
    assert status == 503 and "/x.duckdb" not in answer["error"] and "Moderationsteam" in answer["error"], answer


def test_a_refusal_speaks_the_words_of_the_workshops_kind(hall):
    """Issue 16.9: a phone at an Integrationskonferenz is told about recommendations and guiding
    questions, not measures and goals."""
    from workshop.model import MeasureInput, VotingRules, WorkshopKind

    db, _ws = hall
    fac = auth.system_session(db)
    ws = services.create_workshop(
        db,
        fac,
        title="Integrationskonferenz",
        kind=WorkshopKind.CONFERENCE,
        rules=VotingRules(dots_per_person=5, max_per_measure=5, goal_budget=2),
    )
    services.replace_vision(db, fac, ws.id, title="Teilhabe", description="", goals=[("Wer spricht?", "")])
    goal = services.list_goals(db, ws.id)[0]
    services.set_phase(db, fac, ws.id, Phase.COLLECT)
    mid = services.propose_measure(db, fac, goal.id, MeasureInput(title="Sprachcafé")).id
    services.set_phase(db, fac, ws.id, Phase.VOTE)
    _participant, token = services.join(db, ws.join_code)
    status, answer = call(_body(token, DotBallot({mid: 3})))
    assert (status, answer["error"]) == (422, "At most 2 dots per guiding question.")
    status, answer = call(_body(token, DotBallot({"not-a-measure": 1})))
    assert (status, answer["error"]) == (422, "The ballot names a recommendation that is not open for voting.")
    # The same refusal at a Planungswerkstatt keeps its words.
    _participant, vision_token = services.join(db, _ws.join_code)
    services.set_phase(db, fac, _ws.id, Phase.VOTE)
    status, answer = call(_body(vision_token, DotBallot({"not-a-measure": 1})))
    assert answer["error"] == "The ballot names a measure that is not open for voting."


def test_a_used_submission_id_with_other_votes_is_refused_not_acknowledged(hall):
    """Issue 18.1: the same submission id with a different ballot answered 200 "saved" while the
    first ballot stayed stored. Same id, same votes: a resend; same id, other votes: 409."""
    db, ws = hall
    participant, token = services.join(db, ws.join_code)
    first = _first(db, ws)
    body = _body(token, DotBallot({first: 2}), submission="reused-submission-0001")
    assert call(body)[0] == 200
    assert call(body)[0] == 200, "a resend"
    status, answer = call(_body(token, DotBallot({first: 1}), submission="reused-submission-0001"), lang="de")
    assert status == 409 and "mit anderen" in answer["error"], answer
    assert services.get_ballot(db, participant) == DotBallot({first: 2}), "the stored ballot is what was saved"


@pytest.mark.parametrize(
    "content_type", [b"text/plain", b"application/x-www-form-urlencoded", b"multipart/form-data", None]
)
def test_only_json_is_accepted(hall, content_type):
    """Issue 18.12: a cross-site form (text/plain, form data, no type) could post a ballot."""
    db, ws = hall
    participant, token = services.join(db, ws.join_code)
    raw = json.dumps(_body(token, DotBallot({_first(db, ws): 1}))).encode()
    status, answer = call(raw, content_type=content_type, lang="de")
    assert status == 415 and answer["error"].startswith("Dieser Stimmzettel")
    assert services.get_ballot(db, participant) is None


def test_a_write_failure_answers_503_in_json_and_raises_the_alarm(hall, monkeypatch):
    """Issue 18.5: a read-only file or a full disk answered a bare 500 "Internal Server Error".
    PostgreSQL (issue 21.4): the server going away mid-vote answers the same way."""
    import duckdb
    import psycopg

    from workshop.services import ballots as services_module

    db, ws = hall
    participant, token = services.join(db, ws.join_code)
    real = services_module._write_ballots

    def disk_full(cur, ballots):
        if db.engine == "postgresql":
            raise psycopg.OperationalError("server closed the connection unexpectedly")
        raise duckdb.IOException("Could not write file: No space left on device")

    monkeypatch.setattr(services_module, "_write_ballots", disk_full)
    status, answer = call(_body(token, DotBallot({_first(db, ws): 1})), lang="de")
    said, reason = {
        "duckdb": ("Festplatte ist voll", "the disk is full"),
        "postgresql": ("Datenbank-Server antwortet nicht", "the database server does not answer"),
    }[db.engine]
    assert status == 503 and said in answer["error"], answer
    assert db.write_trouble is not None and db.write_trouble[1] == reason
    assert services.get_ballot(db, participant) is None
    monkeypatch.setattr(services_module, "_write_ballots", real)
    assert call(_body(token, DotBallot({_first(db, ws): 1})))[0] == 200, "saved once the disk has room"
    assert db.write_trouble is None, "the alarm ends with the next write that succeeds"
