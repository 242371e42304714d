"""A protocol-level Streamlit client: one websocket per simulated device.

It speaks what the browser speaks on ``/_stcore/stream`` (protobuf ``BackMsg`` up, ``ForwardMsg``
down) and keeps the little state a browser keeps between runs:

* the query string (the server changes it with ``page_info_changed``, e.g. when the app sets the
  ballot token ``t``) and the page script hash (``new_session``);
* the elements currently on screen, by delta path, with the fragment they belong to, pruned at
  the end of each run the way the frontend drops elements a run did not send again;
* every widget's current value, initialised from its element (default or ``set_value``) and sent
  with every rerun, as the frontend's WidgetStateManager does;
* the ``auto_rerun`` timers of fragments with ``run_every`` (the browser, not the server, drives
  live refresh: it sends a fragment rerun every interval).

Widget ids contain a hash of the code, so they are never hard-coded: widgets are found by their
user ``key`` (the last part of the element id) or by label.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

FINISHED = {
    ForwardMsg.FINISHED_SUCCESSFULLY: "ok",
    ForwardMsg.FINISHED_WITH_COMPILE_ERROR: "compile_error",
    ForwardMsg.FINISHED_EARLY_FOR_RERUN: "early_for_rerun",
    ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY: "fragment_ok",
}
# Element kinds that are widgets, and the WidgetState field their value travels in.
WIDGET_KINDS = {
    "button_group": "string_array_value",
    "radio": "string_value",
    "selectbox": "string_value",
    "checkbox": "bool_value",
    "text_input": "string_value",
    "text_area": "string_value",
    "button": "trigger_value",
}


@dataclass
class Shown:
    """One element on screen."""

    kind: str
    element: Element
    run_id: str
    fragment_id: str
    received: float


@dataclass
class RunResult:
    """What one request (a rerun BackMsg) produced until its run finished."""

    sent: float
    finished: float | None = None
    status: str | None = None
    elements: list[Shown] = field(default_factory=list)
    matched: float | None = None  # first time the caller's predicate matched an element
    exception: str | None = None

    @property
    def seconds(self) -> float | None:
        return None if self.finished is None else self.finished - self.sent


def element_id(el: Element) -> str:
    kind = el.WhichOneof("type")
    return getattr(getattr(el, kind), "id", "") if kind else ""


def user_key(widget_id: str) -> str:
    """The user key of a widget id (``$$ID-<hash>-<key>``; keyless widgets end in ``-None``)."""
    parts = widget_id.split("-", 2)
    return parts[2] if len(parts) == 3 else ""


def component_data(el: Element) -> dict:
    """The data a browser component (``st.components.v2``) was drawn with."""
    proto = el.bidi_component
    return json.loads(proto.mixed.json or proto.json)


def text_of(el: Element) -> str:
    kind = el.WhichOneof("type")
    inner = getattr(el, kind) if kind else None
    for attr in ("body", "label"):
        value = getattr(inner, attr, None)
        if isinstance(value, str) and value:
            return value
    return ""


class Client:
    """One simulated browser tab on one Streamlit app URL."""

    def __init__(self, port: int, query_string: str = "", page_name: str = "", *, host: str = "127.0.0.1"):
        self.url = f"ws://{host}:{port}/_stcore/stream"
        self.query_string = query_string
        self.page_name = page_name
        self.page_script_hash = ""
        self.ws: Any = None
        self.shown: dict[tuple[int, ...], Shown] = {}
        self.values: dict[str, WidgetState] = {}
        self.widget_kind: dict[str, str] = {}
        self.auto_reruns: dict[str, float] = {}  # fragment id -> interval (s)
        self.pages: dict[str, str] = {}  # url path -> page script hash (from ``navigation``)
        self.run_id = ""
        self.running: RunResult | None = None
        self._done = asyncio.Event()
        self._reader: asyncio.Task | None = None
        self._predicate: Callable[[Shown], bool] | None = None
        self.closed = False
        self.bytes_in = 0
        self.messages_in = 0
        self.listeners: list[Callable[[Shown], None]] = []
        self.runs = 0  # script runs the server finished for this tab (full and fragment)
        self.watch_log: list[float] = []  # seconds each answer of the phase watch took
        self.ballot: dict | None = None  # a ballot taken over from the waiting screen (GET /api/ballot)
        self.ballot_listeners: list[Callable[[float], None]] = []
        self._lock = asyncio.Lock()  # one request at a time per tab (timers wait for a tap to finish)

    # -- connection ---------------------------------------------------------------------------
    async def connect(self, timeout: float = 60) -> None:
        self.ws = await asyncio.wait_for(
            websockets.connect(
                self.url,
                subprotocols=["streamlit"],
                max_size=2**26,
                open_timeout=timeout,
                ping_interval=None,
                close_timeout=2,
            ),
            timeout,
        )
        sock = self.ws.transport.get_extra_info("socket")
        if sock is not None:  # as browsers do: no Nagle delay on small frames
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        self.closed = True
        if self.ws is not None:
            try:
                await asyncio.wait_for(self.ws.close(), 3)
            except Exception:
                pass
        if self._reader is not None:
            self._reader.cancel()
            try:
                await self._reader
            except BaseException:
                pass

    # -- sending ------------------------------------------------------------------------------
    def _widget_states(self, overrides: dict[str, WidgetState]) -> list[WidgetState]:
        """All widget values plus this request's changes; a changed value stays (a trigger does not)."""
        states = dict(self.values)
        states.update(overrides)
        for wid, ws in overrides.items():
            if ws.WhichOneof("value") != "trigger_value":
                self.values[wid] = ws
        return list(states.values())

    def goto(self, url_path: str) -> None:
        """Switch page as a click in the navigation would (the next rerun runs that page)."""
        self.page_name = url_path
        self.page_script_hash = self.pages.get(url_path, "")
        # The browser drops the old page's fragment timers: a rerun of a fragment the new page does
        # not have is never answered (the projector client, logged in on the console, waited on the
        # console's 3-s fragment and never refreshed the projector again).
        self.auto_reruns.clear()

    async def rerun(
        self,
        overrides: dict[str, WidgetState] | None = None,
        *,
        fragment_id: str = "",
        is_auto_rerun: bool = False,
        predicate: Callable[[Shown], bool] | None = None,
        timeout: float = 120,
        wait_final: bool = True,
    ) -> RunResult:
        """Send one rerun request and wait for its run to finish.

        With ``wait_final`` an ``early_for_rerun`` finish (the script called ``st.rerun``) is not
        the end: the follow-up run is awaited too, as a user waits for the screen to settle.
        """
        async with self._lock:
            return await self._rerun(overrides, fragment_id, is_auto_rerun, predicate, timeout, wait_final)

    async def _rerun(self, overrides, fragment_id, is_auto_rerun, predicate, timeout, wait_final) -> RunResult:
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.query_string
        cs.page_script_hash = self.page_script_hash
        cs.page_name = self.page_name
        cs.fragment_id = fragment_id
        cs.is_auto_rerun = is_auto_rerun
        cs.widget_states.widgets.extend(self._widget_states(overrides or {}))
        cs.context_info.timezone = "Europe/Berlin"
        cs.context_info.locale = "de-DE"
        result = RunResult(sent=time.perf_counter())
        self.running = result
        self._predicate = predicate
        self._done.clear()
        await self.ws.send(msg.SerializeToString())
        deadline = time.perf_counter() + timeout
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                result.status = "timeout"
                break
            try:
                await asyncio.wait_for(self._done.wait(), left)
            except TimeoutError:
                result.status = "timeout"
                break
            self._done.clear()
            if self.closed and result.status is None:
                result.status = "closed"
                break
            if result.status == "early_for_rerun" and wait_final:
                result.status = None
                continue
            break
        self.running = None
        self._predicate = None
        return result

    # -- the phase watch (ui/watch.py): a held HTTP question, a rerun only when the answer changed --
    def watch(self) -> dict | None:
        """The data the page's phase watch was drawn with (url, version, every), or None."""
        for s in self.shown.values():
            if s.kind == "bidi_component" and s.element.bidi_component.component_name.endswith("watch"):
                return component_data(s.element)
        return None

    def waiting_ballot(self) -> dict | None:
        """The ballot component's data while it waits for the vote (ui/ballot.py ``waiting``)."""
        for s in self.shown.values():
            if s.kind == "bidi_component" and user_key(element_id(s.element)) == "ballot":
                data = component_data(s.element)
                if "waiting" in data:
                    return data
        return None

    async def ask_watch(self, port: int, since: str | None = None) -> dict:
        """GET the watch's URL as the browser's fetch does (with ``since``: the server holds the
        question until the version differs); the JSON answer ({} when there is none)."""
        data = self.watch()
        if data is None:
            return {}
        started = time.perf_counter()
        url = data["url"] + (f"&since={since}" if since else "")
        status, answer = await get_json(port, url, timeout=120)
        self.watch_log.append(time.perf_counter() - started)
        return answer if status == 200 else {}

    async def follow_watch(self, port: int, stop: asyncio.Event, limit: float, log: list[float] | None = None):
        """Follow the facilitator as the watch component does: ask with the version on screen (the
        server holds the question until it changes); offer a change to a waiting ballot, which takes
        the vote over by ``GET /api/ballot`` (``self.ballot``, ``ballot_listeners``); rerun the page
        otherwise. ``log`` gets the seconds of each answer that was not held."""
        end = time.perf_counter() + limit
        drawn = version = None
        while not stop.is_set() and not self.closed and time.perf_counter() < end:
            data = self.watch()
            if data is None:
                await _pause(stop, 1.0)
                continue
            if data["version"] != drawn:  # a run drew a new screen
                drawn = version = data["version"]
            asking = asyncio.create_task(self.ask_watch(port, since=version))
            stopping = asyncio.create_task(stop.wait())
            await asyncio.wait({asking, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if not asking.done():
                asking.cancel()
                return
            try:
                answer = asking.result()
            except (OSError, TimeoutError, asyncio.IncompleteReadError):
                await _pause(stop, float(data["every"]))
                continue
            if answer.get("held"):
                continue
            if log is not None:
                log.append(self.watch_log[-1])
            if not answer.get("v") or answer["v"] == version:
                await _pause(stop, float(data["every"]))
                continue
            waiting = self.waiting_ballot()
            if waiting and answer.get("phase") == "vote" and answer.get("method") == waiting["method"]:
                status, view = await get_json(port, waiting["view"], timeout=120)
                if status == 200 and "ballot" in view:
                    self.ballot = view["ballot"]
                    version = answer["v"]
                    for listen in self.ballot_listeners:
                        listen(time.perf_counter())
                    continue
            before = drawn
            await self.rerun(timeout=60)
            if (self.watch() or {}).get("version") == before:  # a cache a moment behind
                await _pause(stop, float(data["every"]))

    async def follow_timers(self, stop: asyncio.Event, limit: float, log: list[float] | None = None) -> None:
        """Answer ``auto_rerun`` timers as the browser does: one fragment rerun per interval."""
        end = time.perf_counter() + limit
        due: dict[str, float] = {}
        while not stop.is_set() and not self.closed and time.perf_counter() < end:
            timers = dict(self.auto_reruns)
            now = time.perf_counter()
            if not timers:
                wait = 1.0
            else:
                for f, interval in timers.items():
                    due.setdefault(f, now + interval)
                at, frag = min((due[f], f) for f in timers)
                wait = at - now
                if wait <= 0:
                    r = await self.rerun(fragment_id=frag, is_auto_rerun=True, timeout=60)
                    if log is not None:
                        log.append(r.seconds if r.seconds is not None else 60.0)
                    due[frag] = max(at + timers[frag], time.perf_counter())
                    continue
            try:
                await asyncio.wait_for(stop.wait(), min(wait, 1.0))
            except TimeoutError:
                pass

    # -- receiving ----------------------------------------------------------------------------
    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                self.bytes_in += len(raw)
                self.messages_in += 1
                msg = ForwardMsg()
                msg.ParseFromString(raw)
                self._handle(msg)
        except (websockets.ConnectionClosed, OSError):
            pass
        finally:
            self.closed = True
            self._done.set()

    def _handle(self, msg: ForwardMsg) -> None:
        kind = msg.WhichOneof("type")
        now = time.perf_counter()
        if kind == "new_session":
            self.page_script_hash = msg.new_session.page_script_hash
            self.run_id = msg.metadata.run.script_run_id or self.run_id
        elif kind == "navigation":
            self.pages = {page.url_pathname: page.page_script_hash for page in msg.navigation.app_pages}
            if msg.navigation.page_script_hash:
                self.page_script_hash = msg.navigation.page_script_hash
        elif kind == "page_info_changed":
            self.query_string = msg.page_info_changed.query_string
        elif kind == "delta":
            delta = msg.delta
            if delta.WhichOneof("type") == "new_element":
                el = delta.new_element
                ek = el.WhichOneof("type") or ""
                shown = Shown(ek, el, msg.metadata.run.script_run_id or self.run_id, delta.fragment_id, now)
                self.shown[tuple(msg.metadata.delta_path)] = shown
                if ek in WIDGET_KINDS:
                    self._learn_widget(ek, getattr(el, ek))
                if self.running is not None:
                    self.running.elements.append(shown)
                    if self._predicate and self.running.matched is None and self._predicate(shown):
                        self.running.matched = now
                for listener in self.listeners:
                    listener(shown)
            elif delta.WhichOneof("type") == "add_block":
                self.shown[tuple(msg.metadata.delta_path)] = Shown(
                    "block", Element(), msg.metadata.run.script_run_id or self.run_id, delta.fragment_id, now
                )
        elif kind == "auto_rerun":
            self.auto_reruns[msg.auto_rerun.fragment_id] = msg.auto_rerun.interval
        elif kind == "stop_auto_rerun":
            self.auto_reruns.clear()
        elif kind == "script_finished":
            self.runs += 1
            status = FINISHED.get(msg.script_finished, str(msg.script_finished))
            run = msg.metadata.run
            if status in ("ok", "fragment_ok"):
                self._prune(run.script_run_id, list(run.fragment_ids), full=status == "ok")
            if self.running is not None:
                self.running.status = status
                self.running.finished = now
            self._done.set()
        elif kind == "session_event":
            ev = msg.session_event
            if ev.WhichOneof("type") == "script_compilation_exception" and self.running is not None:
                self.running.exception = ev.script_compilation_exception.message

    def _learn_widget(self, kind: str, proto: Any) -> None:
        wid = proto.id
        self.widget_kind[wid] = kind
        if kind == "button":
            return
        ws = WidgetState(id=wid)
        if kind == "button_group":
            if proto.set_value:
                ws.string_array_value.data.extend(proto.raw_values)
            elif wid in self.values:
                return
            else:
                ws.string_array_value.data.extend(proto.options[i].content for i in proto.default)
        elif kind in ("radio", "selectbox"):
            if proto.set_value and proto.HasField("raw_value"):
                ws.string_value = proto.raw_value
            elif wid in self.values:
                return
            elif proto.HasField("default") and proto.options:
                ws.string_value = proto.options[proto.default]
            else:
                return  # nothing chosen: the browser sends no value
        elif kind == "checkbox":
            if proto.set_value:
                ws.bool_value = proto.value
            elif wid in self.values:
                return
            else:
                ws.bool_value = proto.default
        else:  # text_input / text_area
            if proto.set_value and proto.HasField("value"):
                ws.string_value = proto.value
            elif wid in self.values:
                return
            else:
                ws.string_value = proto.default if proto.HasField("default") else ""
        self.values[wid] = ws

    def _prune(self, run_id: str, fragment_ids: list[str], *, full: bool) -> None:
        """Drop what this run did not send again (a fragment run only touches its fragments)."""
        for path, s in list(self.shown.items()):
            if s.run_id == run_id:
                continue
            if full or (s.fragment_id and s.fragment_id in fragment_ids):
                del self.shown[path]
        live = {element_id(s.element) for s in self.shown.values()}
        for wid in list(self.values):
            if wid not in live:
                del self.values[wid]

    # -- finding things -----------------------------------------------------------------------
    def find(self, key: str | None = None, *, kind: str | None = None, label: str | None = None) -> Shown | None:
        for s in reversed(list(self.shown.values())):
            if kind and s.kind != kind:
                continue
            if key is not None and user_key(element_id(s.element)) != key:
                continue
            if label is not None and text_of(s.element) != label:
                continue
            if s.kind == "block":
                continue
            return s
        return None

    def find_prefix(self, prefix: str, kind: str | None = None) -> list[Shown]:
        out = []
        for s in self.shown.values():
            if s.kind != "block" and (kind is None or s.kind == kind):
                if user_key(element_id(s.element)).startswith(prefix):
                    out.append(s)
        return out


def trigger(widget_id: str) -> dict[str, WidgetState]:
    return {widget_id: WidgetState(id=widget_id, trigger_value=True)}


def string_array(widget_id: str, values: list[str]) -> WidgetState:
    ws = WidgetState(id=widget_id)
    ws.string_array_value.data.extend(values)
    return ws


def string(widget_id: str, value: str) -> WidgetState:
    return WidgetState(id=widget_id, string_value=value)


def boolean(widget_id: str, value: bool) -> WidgetState:
    return WidgetState(id=widget_id, bool_value=value)


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    """Sleep ``seconds`` or until ``stop`` is set."""
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass


async def _http(
    port: int, method: str, path: str, body: object = None, *, host: str = "127.0.0.1", timeout: float = 60
) -> tuple[int, dict]:
    """One HTTP/1.1 request on a connection of its own, as a page's fetch() does (a JSON body for
    a POST); returns the status and the JSON answer ({} if the answer is not JSON)."""
    payload = json.dumps(body).encode() if method == "POST" else b""
    typed = f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n" if method == "POST" else ""

    async def go() -> tuple[int, dict]:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(
                f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: application/json\r\n{typed}"
                "Connection: close\r\n\r\n".encode()
                + payload
            )
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            headers = {
                k.strip().lower(): v.strip()
                for k, _, v in (ln.partition(":") for ln in head.decode("latin-1").split("\r\n")[1:] if ln)
            }
            raw = (
                await reader.readexactly(int(headers["content-length"]))
                if "content-length" in headers
                else await reader.read()
            )
        finally:
            writer.close()
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, {}

    return await asyncio.wait_for(go(), timeout)


async def post_json(port: int, path: str, body: object, **kwargs) -> tuple[int, dict]:
    """POST a JSON body (the ballot's submit)."""
    return await _http(port, "POST", path, body, **kwargs)


async def get_json(port: int, path: str, **kwargs) -> tuple[int, dict]:
    """GET a JSON answer (the phase watch, a waiting ballot's view)."""
    return await _http(port, "GET", path, **kwargs)
