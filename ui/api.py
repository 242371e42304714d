"""The ballot endpoint: a phone stores its ballot with one HTTP request, without a script run.

The ballot screen (``app_pages/participate.py``) draws the ballot in a browser component
(``ui/ballot.py``); its submit button posts the ballot shown to ``POST /api/ballot`` and shows the answer.
Why not a Streamlit button: when the facilitator says "one minute left", the whole hall submits
at once, and every Streamlit submit is a script run on the one core the server has (~10 ms each
with the session's widget states); here it is a request and the group-committed write (BENCHMARKS.md).
It also works while the page's websocket is reconnecting (a phone that slept).

Request: ``POST /api/ballot?lang=de`` with ``{"t": token, "submission": id, "ballot": {"method":
..., ...}}`` (see ``participation.ballot_payload``). Answer: 200 ``{"saved": "HH:MM", "replaced": bool}``, or
an error status with ``{"error": message}`` in the request's language; a refused ballot stores
nothing. The token is the one in the page's URL: it is what identifies a device everywhere.
"""

from __future__ import annotations

import asyncio
import json
import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from workshop import i18n, participation, services
from workshop.errors import N_, DomainError, NotFound, PermissionDenied, StoreLocked, StoreUnwritable, ValidationError
from workshop.model import Phase
from workshop.vocabulary import Voice

log = logging.getLogger("planungswerkstatt")

PATH = "/api/ballot"


def _status(exc: DomainError) -> int:
    if isinstance(exc, StoreLocked | StoreUnwritable):
        return 503
    if isinstance(exc, PermissionDenied):
        return 403
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, ValidationError):
        return 422
    return 409  # a wrong phase and the like: the request was fine, the moment was not


def _refusal(exc: DomainError, lang: str | None, kind: str | None = None) -> tuple[int, dict]:
    return _status(exc), {"error": exc.message(i18n.gettext_for(lang), kind)}


def _kind(db, body: object) -> str | None:
    """The kind of the workshop a posted ballot's token belongs to (its words for a refusal)."""
    try:
        participant = services.resume(db, body.get("t")) if isinstance(body, dict) else None
        return services.get_workshop(db, participant.workshop_id).kind if participant else None
    except DomainError:
        return None


def store_ballot(db, body: object, lang: str | None) -> tuple[int, dict]:
    """Check and store one posted ballot; (HTTP status, answer in ``lang``). Blocking (database)."""
    try:
        if not isinstance(body, dict):
            raise ValidationError(N_("This ballot is malformed; please reload the page."))
        ballot = participation.ballot_from_payload(body.get("ballot"))
        # The token is looked up in the write itself (one query for a whole burst).
        receipt = services.submit_ballot_by_token(db, body.get("t"), ballot, body.get("submission"))
    except DomainError as exc:
        return _refusal(exc, lang, _kind(db, body))
    return 200, {"saved": i18n.format_time(receipt.submitted_at, lang), "replaced": receipt.replaced}


def _store(body: object, lang: str | None) -> tuple[int, dict]:
    """In a worker thread: the pages' connection (one DuckDB connection per process), then the write."""
    from ui import common

    try:
        db = common.open_db()
    except DomainError as exc:  # held, read-only or damaged: the server's start normally stops first
        log.error("%s", exc)  # the path is in the server's log, not in the phone's answer
        return 503, {"error": i18n.gettext_for(lang)(StoreLocked.PUBLIC)}
    return store_ballot(db, body, lang)


async def _read_capped(request: Request, limit: int) -> bytes | None:
    """The request's body, or None once it is longer than ``limit`` (the rest is not read)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > limit:
            return None
    return bytes(raw)


async def post_ballot(request: Request) -> JSONResponse:
    lang = request.query_params.get("lang")
    # JSON only: a form on another site can post text/plain or form data without asking the
    # browser first, but not application/json (that needs a CORS preflight this server refuses).
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        _ = i18n.gettext_for(lang)
        return JSONResponse({"error": _("This ballot is malformed; please reload the page.")}, 415)
    raw = await _read_capped(request, participation.MAX_PAYLOAD_BYTES)
    if raw is None:
        _ = i18n.gettext_for(lang)
        too_large = _("This ballot is larger than {max} kB, which no ballot is. Please reload the page and vote again.")
        return JSONResponse({"error": too_large.format(max=participation.MAX_PAYLOAD_BYTES // 1000)}, 413)
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        body = None
    # One hop to a worker thread for everything that waits for the database (the event loop
    # serves every phone's websocket meanwhile).
    status, answer = await run_in_threadpool(_store, body, lang)
    return JSONResponse(answer, status, headers={"Cache-Control": "no-store"})


def ballot_view(token: object, lang: str | None) -> tuple[int, dict]:
    """(status, answer) for ``GET /api/ballot?t=…&lang=…``: the ballot the vote page would draw
    for this device (``ui.ballot.ballot_data``, same words, order and stored ballot), or
    ``{"rerun": true}`` where the page must run instead: not the vote phase, a kiosk tablet (its
    "thank you" and "next person" are page runs), a voting card still to redeem. Blocking."""
    from ui import ballot, common

    try:
        db = common.open_db()
        participant = services.resume(db, token)
        if participant is None:
            raise PermissionDenied(services.LINK_INVALID)
        workshop = common.cached_workshop(participant.workshop_id)
        version = participation.screen_version(workshop, common.cached_version(workshop.id))
        if (
            workshop.phase != Phase.VOTE
            or participant.kiosk
            or (workshop.rules.cards_required and not services.has_card(db, participant))
        ):
            return 200, {"v": version, "rerun": True}
        goal_of = common.cached_voting_measures(workshop.id)
        translations = common.cached_translations(workshop.id)
        data = ballot.ballot_data(
            voice=Voice(lang, workshop.kind),
            device_id=participant.device_id,
            token=token,
            rules=workshop.rules,
            goals=common.cached_goals(workshop.id),
            measures={m.id: m for m in common.cached_measures(workshop.id) if m.id in goal_of},
            goal_of=goal_of,
            saved=services.get_ballot(db, participant, workshop.rules.method),
            notify=False,
            translations=translations,
            machine=workshop.show_machine,
            texts=participation.texts_read(
                i18n.normalize(lang), common.texts_versions(workshop.id, workshop.show_machine, translations)
            ),
        )
    except DomainError as exc:
        return _refusal(exc, lang)
    return 200, {"v": version, "ballot": data}


async def get_ballot(request: Request) -> JSONResponse:
    query = request.query_params
    status, answer = await run_in_threadpool(ballot_view, query.get("t"), query.get("lang"))
    # Per device (its token is in the address, its stored ballot in the answer): never kept by a proxy.
    return JSONResponse(answer, status, headers={"Cache-Control": "no-store"})


# --- the phase watch: what a waiting or voting phone asks every few seconds ----------------------

WATCH_PATH = "/api/watch"
# A question that brings the version its screen was drawn from (``since``) is held until the
# version changes or WATCH_HOLD seconds pass: a hall of waiting phones learns of the vote within a
# WATCH_TICK of the facilitator's click, instead of within a poll interval. While any question of a
# workshop is held, one look at the cached answer per tick serves all of them. The hold is short
# because a server that is stopped (SIGTERM) finishes the requests under way before it exits: 300
# phones asking again every 5 s cost less than their former polls every 2 s.
WATCH_HOLD = 5.0
WATCH_TICK = 0.2


def watch_answer(code: object) -> tuple[int, dict]:
    """(status, answer) for ``GET /api/watch?code=…``: the fingerprint of what the workshop's
    participant screens show (``participation.screen_version``), the phase and the method (a
    waiting ballot takes the vote over by itself: ui/ballot.py) and how often to ask again.

    From the pages' own short-lived caches (one database read per workshop and second, whatever
    the size of the hall), so that the version a phone compares with is the one its page drew."""
    from ui import common

    try:
        workshop_id = common.cached_workshop_id(code)
        workshop = common.cached_workshop(workshop_id)
        devices = common.cached_counts(workshop_id)["devices"]
    except StoreLocked:  # the database cannot be reached just now: the phone asks again later
        return 503, {"v": None}
    except DomainError:
        return 404, {"v": None}
    every = participation.watch_seconds(workshop.phase, workshop.results_revealed, devices)
    return 200, {
        "v": participation.screen_version(workshop, common.cached_version(workshop_id)),
        "tv": common.texts_versions(workshop_id, workshop.show_machine),
        "every": every,
        "phase": str(workshop.phase),
        "method": str(workshop.rules.method),
    }


def _texts_since(value: str | None) -> dict[str, str]:
    """The watch's ``tv`` question: "de:1a2b3c4d,ls:" -> {"de": "1a2b3c4d", "ls": ""} (the
    translations' fingerprints per language that the screen was drawn with; junk is ignored)."""
    out: dict[str, str] = {}
    for part in (value or "").split(",")[:4]:
        lang, sep, version = part.partition(":")
        if sep and len(lang) <= 8 and len(version) <= 16:
            out[lang] = version
    return out


def _same(answer: dict, since: str, texts: dict[str, str]) -> bool:
    """Whether ``answer`` shows what the screen shows: its version, and its languages' texts."""
    found = answer.get("tv") or {}
    return answer["v"] == since and all(found.get(lang, "") == version for lang, version in texts.items())


class _Held:
    """The held questions of one workshop: how many wait, the latest answer, and the event that
    wakes them when its version changes."""

    def __init__(self, answer: tuple[int, dict]) -> None:
        self.waiting = 0
        self.answer = answer
        self.changed = asyncio.Event()
        self.task: asyncio.Task | None = None


_held: dict[str, _Held] = {}


async def _look(code: str, held: _Held) -> None:
    """While questions of ``code`` are held: one look per tick; a new version wakes them all."""
    try:
        while held.waiting > 0:
            await asyncio.sleep(WATCH_TICK)
            answer = await run_in_threadpool(watch_answer, code)
            if (answer[1].get("v"), answer[1].get("tv")) != (held.answer[1].get("v"), held.answer[1].get("tv")):
                held.answer = answer
                held.changed.set()
                held.changed = asyncio.Event()
    finally:
        if _held.get(code) is held:
            del _held[code]


async def watch(code: object, since: str | None, texts: str | None = None) -> tuple[int, dict]:
    """The watch's answer; with ``since`` (the version the screen shows) held until it differs,
    or, with ``texts`` (``_texts_since``), until the translations to one of its languages do."""
    if not isinstance(code, str) or not code:
        return 404, {"v": None}
    held = _held.get(code)
    answer = held.answer if held else await run_in_threadpool(watch_answer, code)
    asked = _texts_since(texts)
    if since is None or answer[0] != 200 or not _same(answer[1], since, asked):
        return answer
    if held is None:
        held = _held.setdefault(code, _Held(answer))
    held.waiting += 1
    try:
        if held.task is None or held.task.done():
            held.task = asyncio.get_running_loop().create_task(_look(code, held))
        deadline = asyncio.get_running_loop().time() + WATCH_HOLD
        while True:  # woken by any change of the workshop's answer; answered on one of this screen's
            left = deadline - asyncio.get_running_loop().time()
            try:
                await asyncio.wait_for(held.changed.wait(), max(0.0, left))
            except TimeoutError:
                return held.answer[0], {**held.answer[1], "held": True}
            if held.answer[0] != 200 or not _same(held.answer[1], since, asked):
                return held.answer
    finally:
        held.waiting -= 1


async def get_watch(request: Request) -> JSONResponse:
    query = request.query_params
    status, answer = await watch(query.get("code"), query.get("since"), query.get("tv"))
    # The same answer for every phone of a workshop (and version): a proxy may keep it for a second.
    return JSONResponse(answer, status, headers={"Cache-Control": "public, max-age=1"})


async def ballot_endpoint(request: Request) -> JSONResponse:
    """``/api/ballot``: POST stores a ballot, GET answers the ballot a waiting screen draws."""
    return await (get_ballot(request) if request.method == "GET" else post_ballot(request))


def path_under(base_path: str, path: str = PATH) -> str:
    """An endpoint's path under Streamlit's ``server.baseUrlPath`` ("" or "/" for none)."""
    base = base_path.strip("/")
    return f"/{base}{path}" if base else path


def routes(base_path: str = "") -> list[Route]:
    """The routes, under the base path too (st.App does not prefix the routes it is given)."""
    ballot = [Route(p, ballot_endpoint, methods=["GET", "POST"]) for p in dict.fromkeys([PATH, path_under(base_path)])]
    watch = [
        Route(p, get_watch, methods=["GET"]) for p in dict.fromkeys([WATCH_PATH, path_under(base_path, WATCH_PATH)])
    ]
    return ballot + watch
