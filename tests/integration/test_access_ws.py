"""Trust (issue 8): every facilitator action, forged over the real websocket protocol, is refused.

A modified browser can send any page path, any query string and any widget value or trigger. So
the facilitator logs in once to learn the real widget ids of every action on every facilitator
page (console, set up, moderation, projector, results: phase, timer, reveal, rules, vision, goals,
groups, imports, moderation, voting cards, projector link, public address, workshop choice,
downloads, and whatever a page shows in the future), and then clients replay those ids on those
page paths with forged values and triggers, in three ways:

1. without logging in (also as the very first session after the start, when Streamlit runs page
   files directly);
2. after a login with a wrong passphrase (which must show the translated error);
3. from a participant link (``?t=<valid token>``, ``?code=…``) with edited query parameters: a
   ``view=`` added (empty, random, even the real projector key), another participant's token, a
   made-up token.

Everything must be refused: after the server stopped, every row of every table equals the
snapshot taken before it started, apart from the changes the test made legitimately (listed in
``check_database``). The attacking clients never receive facilitator content, and neither the
server log nor any file the facilitator downloads holds a ballot token or a voting-card code.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import html
import io
import json
import re
import secrets
import time
import urllib.request
import uuid
import zipfile
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Common_pb2 import FileUploaderState, UploadedFileInfo
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.web.server.starlette.starlette_app_utils import generate_xsrf_token_string

from bench.client import Client, Shown, element_id, string, string_array, text_of, trigger, user_key
from bench.server import Server
from bench.server import snapshot as copy_app
from tests.integration import asyncrun
from workshop import auth, demo, i18n, services
from workshop.model import PHASE_ORDER, Method, Phase
from workshop.store import Database

PASSPHRASE = "access-test-Passphrase-9f2c"
WRONG = "access-test-Passphrase-9f2d"
FORGED_TEXT = "https://forged.example/Gefälscht"
VISION_CSV = "goal,description\nGefälschtes Ziel,von außen\n".encode()
# Elements with an id but no value to forge (forge() must know every other kind it meets).
DISPLAY_KINDS = {"plotly_chart", "dataframe", "table", "vega_lite_chart", "deck_gl_json_chart", "echarts_chart"}
# Facilitator-only kinds of element (the audit log and the result tables are dataframes): nobody
# else may ever receive one.
FACILITATOR_KINDS = {"download_button", "file_uploader", "dataframe", "table"}
# Labels only the facilitator pages show (translated like the attackers' screens).
FACILITATOR_LABELS = (
    "Audit log",
    "Generate cards",
    "Revoke card",
    "Save rules",
    "Save working groups",
    "Save address",
    "Open the projector view",
    "Backup (JSON)",
)
tr = i18n.gettext_for(i18n.DEFAULT_LANGUAGE)


# --- a browser tab that also records what it received ---------------------------------------------


class Tab(Client):
    """bench's protocol client plus: the session id, replies to uploads and deferred downloads,
    and (for attackers) a record of every message, element kind, widget id and page it received."""

    def __init__(
        self,
        port: int,
        query_string: str = "",
        *,
        name: str = "",
        record: bool = False,
        headers: dict | None = None,
        source: str | None = None,
    ):
        super().__init__(port, query_string)
        self.headers = headers or {}
        self.source = source  # the local address the connection leaves from (another machine of the hall)
        self.name = name or query_string or "tab"
        self.session_id = ""
        self.replies: dict[str, object] = {}
        self._replied = asyncio.Event()
        self.record = record
        self.received: list[bytes] = []
        self.kinds: set[str] = set()
        self.ids: set[str] = set()
        self.paths: set[str] = set()
        self.elements: list[Shown] = []

    async def connect(self, timeout: float = 60) -> None:
        self.ws = await websockets.connect(
            self.url,
            subprotocols=["streamlit"],
            max_size=2**26,
            open_timeout=timeout,
            ping_interval=None,
            close_timeout=2,
            additional_headers=self.headers,
            **({"local_addr": (self.source, 0)} if self.source else {}),
        )
        self._reader = asyncio.create_task(self._read())

    def _handle(self, msg: ForwardMsg) -> None:
        super()._handle(msg)
        kind = msg.WhichOneof("type")
        if kind == "new_session" and msg.new_session.initialize.session_id:
            self.session_id = msg.new_session.initialize.session_id
        elif kind == "file_urls_response":
            self.replies[msg.file_urls_response.response_id] = msg.file_urls_response
            self._replied.set()
        elif kind == "backend_operation_response":
            self.replies[msg.backend_operation_response.request_id] = msg.backend_operation_response
            self._replied.set()
        if not self.record:
            return
        self.received.append(msg.SerializeToString())
        if kind == "navigation":
            self.paths.update(p.url_pathname for p in msg.navigation.app_pages)
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            el = msg.delta.new_element
            self.kinds.add(el.WhichOneof("type") or "")
            self.ids.add(element_id(el))
            self.elements.append(Shown(el.WhichOneof("type") or "", el, "", "", 0.0))

    async def reply(self, request_id: str, timeout: float = 60):
        deadline = time.monotonic() + timeout
        while request_id not in self.replies:
            self._replied.clear()
            left = deadline - time.monotonic()
            assert left > 0 and not self.closed, f"{self.name}: no reply to {request_id}"
            try:
                await asyncio.wait_for(self._replied.wait(), left)
            except TimeoutError:
                pass
        return self.replies.pop(request_id)

    async def send_on(self, page: str, page_hash: str, overrides: dict[str, WidgetState]) -> None:
        """One rerun request for ``page`` as a modified browser sends it (path, hash, widget states)."""
        self.page_name, self.page_script_hash = page, page_hash
        result = await self.rerun(overrides, timeout=60)
        assert result.status == "ok", f"{self.name} on /{page}: run ended {result.status}"

    async def upload(self, port: int, name: str, data: bytes) -> UploadedFileInfo:
        """Upload a file into this session as the browser's file uploader does (XSRF double submit)."""
        msg = BackMsg()
        rid = uuid.uuid4().hex
        msg.file_urls_request.request_id = rid
        msg.file_urls_request.session_id = self.session_id
        msg.file_urls_request.file_names.append(name)
        await self.ws.send(msg.SerializeToString())
        urls = (await self.reply(rid)).file_urls[0]
        boundary = uuid.uuid4().hex
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                f"Content-Type: text/csv\r\n\r\n"
            ).encode()
            + data
            + f"\r\n--{boundary}--\r\n".encode()
        )
        xsrf = generate_xsrf_token_string()
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}{urls.upload_url}",
            data=body,
            method="PUT",
            headers={
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "X-Xsrftoken": xsrf,
                "Cookie": f"_streamlit_xsrf={xsrf}",
            },
        )
        status = await asyncio.to_thread(lambda: urllib.request.urlopen(req, timeout=30).status)
        assert status == 204, status
        return UploadedFileInfo(name=name, size=len(data), file_id=urls.file_id, file_urls=urls)

    async def download(self, port: int, shown: Shown) -> bytes:
        """What a click on a download button fetches (a media URL, or a deferred file made now)."""
        button = shown.element.download_button
        url = button.url
        if not url:
            msg = BackMsg()
            rid = uuid.uuid4().hex
            op = msg.backend_operation_request
            op.request_id, op.session_id = rid, self.session_id
            op.deferred_file.file_id = button.deferred_file_id
            await self.ws.send(msg.SerializeToString())
            response = await self.reply(rid, timeout=120)
            assert not response.error_msg, response.error_msg
            url = response.deferred_file.url
        return await asyncio.to_thread(
            lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}{url}", timeout=60).read()
        )


def visible(s: Shown) -> str:
    """An element's text as the reader sees it (Markdown escapes and entities resolved)."""
    return html.unescape(text_of(s.element)).replace("\\", "").replace("\u2060", "")


def widgets(tab: Client) -> dict[str, Shown]:
    """The elements on screen that carry a widget id."""
    out = {}
    for s in tab.shown.values():
        wid = element_id(s.element)
        if s.kind != "block" and wid.startswith("$$ID-"):
            out[wid] = s
    return out


def picked_file(wid: str) -> WidgetState:
    """The vision file picker's state (ui/files.py) as the browser sends it once a file is chosen."""
    chosen = {"file": {"name": "leitbild.csv", "data": base64.b64encode(VISION_CSV).decode()}}
    return WidgetState(id=wid, json_value=json.dumps(chosen))


def forge(s: Shown, upload: UploadedFileInfo, texts: dict[str, str]) -> WidgetState | None:
    """A value for the widget that differs from what it shows (None: a display element); text
    fields get a value that passes validation (``texts``: the one that unlocks an action)."""
    el = getattr(s.element, s.kind)
    wid = el.id
    if s.kind in ("button", "download_button"):
        return WidgetState(id=wid, trigger_value=True)
    if s.kind == "checkbox":
        return WidgetState(id=wid, bool_value=not (el.value if el.set_value else el.default))
    if s.kind in ("text_input", "text_area"):
        return string(wid, texts.get(user_key(wid), FORGED_TEXT))
    if s.kind == "number_input":
        low = el.min if el.has_min else 0
        current = el.value if el.set_value else el.default
        value = low if current != low else low + 1
        return WidgetState(id=wid, double_value=min(value, el.max) if el.has_max else value)
    if s.kind in ("selectbox", "radio"):
        current = el.raw_value if el.set_value else (el.options[el.default] if el.options else "")
        others = [o for o in el.options if o != current]
        return string(wid, others[-1] if others else FORGED_TEXT)
    if s.kind == "button_group":
        contents = [o.content for o in el.options]
        current = {contents[i] for i in el.default}
        others = [c for c in contents if c not in current]
        return string_array(wid, others[-1:] or contents[:1])
    if s.kind == "multiselect":
        return string_array(wid, list(el.options[:2]))
    if s.kind == "date_input":
        return string_array(wid, ["2031-01-02"])
    if s.kind == "file_uploader":
        return WidgetState(id=wid, file_uploader_state_value=FileUploaderState(uploaded_file_info=[upload]))
    if s.kind == "bidi_component":  # our components: the file picker's state is the chosen file
        return picked_file(wid)
    assert s.kind in DISPLAY_KINDS, f"no forged value for a {s.kind} ({wid}): teach forge() this widget"
    return None


class Forgery:
    """Everything a modified browser can send to the facilitator pages, per page."""

    def __init__(self, learned: dict[str, dict[str, Shown]], hashes: dict[str, str], texts: dict[str, str]):
        self.learned, self.hashes, self.texts = learned, hashes, texts

    def states(self, page: str, upload: UploadedFileInfo) -> tuple[dict[str, WidgetState], list[str]]:
        values: dict[str, WidgetState] = {}
        triggers = []
        for wid, s in self.learned[page].items():
            state = forge(s, upload, self.texts)
            if state is None:
                continue
            if state.WhichOneof("value") == "trigger_value":
                triggers.append(wid)
            else:
                values[wid] = state
        return values, triggers

    async def attack(self, tab: Tab, page: str, upload: UploadedFileInfo, *, sweep: bool) -> int:
        """All forged values at once, then each action's trigger alone (``sweep``), or all together."""
        values, triggers = self.states(page, upload)
        await tab.send_on(page, self.hashes[page], values)
        sent = 1
        if not sweep:
            await tab.send_on(page, self.hashes[page], {**values, **{t: trigger(t)[t] for t in triggers}})
            return sent + 1
        # The same action on the 30 measures of the moderation page is one action: 3 of each kind
        # alone, the rest all at once.
        per_action: dict[str, list[str]] = collections.defaultdict(list)
        for t in triggers:
            per_action[re.sub(r"[0-9a-f]{32}", "<id>", user_key(t))].append(t)
        rest = {}
        for same in per_action.values():
            for t in same[:3]:
                await tab.send_on(page, self.hashes[page], {**values, **trigger(t)})
                sent += 1
            rest.update({t: trigger(t)[t] for t in same[3:]})
        if rest:
            await tab.send_on(page, self.hashes[page], {**values, **rest})
            sent += 1
        return sent


# --- the database before and after ------------------------------------------------------------------


def prepare(path: Path) -> dict:
    """The demo workshop in review (moderation, rules, vision and groups all open to a facilitator),
    ranking as its method (so the shortlist tools show), a past workshop with a vision (so "reuse"
    shows), three voting cards (their codes must never leak)."""
    db = Database(path)
    try:
        auth.ensure_passphrase(db, PASSPHRASE)
        ws = demo.build(db)
        fac = auth.system_session(db)
        services.set_phase(db, fac, ws.id, Phase.REVIEW)
        ws = services.get_workshop(db, ws.id)
        services.set_rules(
            db,
            fac,
            ws.id,
            replace(ws.rules, method=Method.RANKING),
            confirm_affected=services.count_ballots(db, ws.id, ws.rules.method),
        )
        past = services.create_workshop(db, fac, title="Vorrunde 2024", vision_title="Altes Leitbild")
        services.add_goal(db, fac, past.id, "Altes Ziel", "")
        db.set_meta("current_workshop", ws.id)
        cards = [code for _n, code in services.generate_cards(db, fac, ws.id, 3)]
        auth.logout(db, fac)
        db.checkpoint()
        return {"workshop": ws.id, "code": ws.join_code, "cards": cards}
    finally:
        db.close()


def snapshot(path: Path) -> dict[str, tuple[list[str], collections.Counter]]:
    """Every row of every table (read with the server stopped: it holds the file while it runs)."""
    db = Database(path, read_only=True)
    try:
        out = {}
        tables = db.fetchall(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' ORDER BY 1"
        )
        for (table,) in tables:
            cols = [
                r[0]
                for r in db.fetchall(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = $1 "
                    "ORDER BY ordinal_position",
                    [table],
                )
            ]
            out[table] = (cols, collections.Counter(db.fetchall(f'SELECT * FROM "{table}"')))
        return out
    finally:
        db.close()


def check_database(before, after, *, workshop_id: str, tokens: list[str], projector_key: str) -> None:
    """Nothing changed but what the test did legitimately. No table is excluded; the legitimate
    changes are named exactly instead:

    * facilitator_sessions: one row, the real facilitator's login;
    * meta: one projector key, the one the console showed the real facilitator;
    * devices: the devices of the participants who joined through the join screen (a join is a
      participant's right in every phase);
    * workshops and audit_log: the real facilitator's phase change (review → results) and the
      timer of the control request.
    """
    assert set(before) == set(after), "tables appeared or disappeared"
    changes = {}
    for table, (cols, rows) in after.items():
        old = before[table][1]
        added, removed = rows - old, old - rows
        if added or removed:
            changes[table] = (cols, list(added.elements()), list(removed.elements()))

    cols, added, removed = changes.pop("facilitator_sessions", (None, [], []))
    assert len(added) == 1 and not removed, ("facilitator_sessions", added, removed)

    cols, added, removed = changes.pop("meta", (None, [], []))
    assert added == [(f"projector:{services.token_hash(projector_key)}", workshop_id)] and not removed, (
        "meta",
        added,
        removed,
    )

    cols, added, removed = changes.pop("devices", (None, [], []))
    assert not removed, removed
    assert sorted(r[cols.index("token_hash")] for r in added) == sorted(services.token_hash(t) for t in tokens)

    cols, added, removed = changes.pop("workshops", (None, [], []))
    assert len(added) == len(removed) == 1, ("workshops", added, removed)
    diff = {c: (b, a) for c, b, a in zip(cols, removed[0], added[0], strict=True) if a != b}
    ends = diff.pop("phase_ends_at", (None, None))
    assert diff == {"phase": ("review", "results")}, diff
    assert ends[0] is None and timedelta(0) < ends[1] - datetime.now() <= timedelta(minutes=1), ends
    assert added[0][cols.index("id")] == workshop_id

    cols, added, removed = changes.pop("audit_log", (None, [], []))
    assert not removed, removed
    entries = sorted(
        (e["workshop_id"], e["action"], e["value_before"]) for e in (dict(zip(cols, r, strict=True)) for r in added)
    )
    assert entries == [(workshop_id, "phase", "review"), (workshop_id, "timer", "")], entries

    # The two audited changes drew the workshop new versions (what app processes cache is keyed by it).
    cols, added, removed = changes.pop("changes", (None, [], []))
    assert [r[cols.index("workshop_id")] for r in added] == [workshop_id] and len(removed) <= 1, (added, removed)

    # Wrong passphrases are counted (the login slow-down, in the database since issue 21), as a hash
    # of the address, and nothing is held busy afterwards.
    cols, added, removed = changes.pop("login_attempts", (None, [], []))
    assert not removed and all(r[cols.index("failures")] >= 1 and r[cols.index("busy_until")] is None for r in added), (
        "login_attempts",
        added,
        removed,
    )

    assert not changes, f"forged requests changed the database: {changes}"


# --- what nobody but the facilitator may see ----------------------------------------------------------


def assert_nothing_leaked(tab: Tab, facilitator_ids: set[str], secret_texts: list[str]) -> None:
    leaked_ids = sorted(user_key(i) for i in tab.ids & facilitator_ids)
    assert not leaked_ids, f"{tab.name} received facilitator widgets: {leaked_ids}"
    assert not tab.kinds & FACILITATOR_KINDS, f"{tab.name} received {tab.kinds & FACILITATOR_KINDS}"
    assert "exception" not in tab.kinds, f"{tab.name}: a forged request raised an exception on screen"
    pages = tab.paths & {"console", "setup", "moderation", "results"}
    # The page files are not in Streamlit's legacy pages/ folder: not even the first session after a
    # start is offered their names.
    assert not pages, f"{tab.name} was offered facilitator pages: {pages}"
    blob = b"".join(tab.received)
    found = [t for t in secret_texts if t.encode() in blob]
    assert not found, f"{tab.name} received facilitator content: {found}"


def text_in(data: bytes) -> str:
    """The searchable text of a download: xlsx unzipped, PDF text extracted (and its raw bytes)."""
    if data.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    if data.startswith(b"%PDF"):
        from pypdf import PdfReader

        text = "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
        return re.sub(r"\s+", "", text) + data.decode("latin-1")
    return data.decode("utf-8", "replace")


# --- the run ----------------------------------------------------------------------------------------


async def scenario(port: int, prep: dict) -> dict:
    out: dict = {"tokens": [], "sent": 0}

    # (1a) The very first session after the start: Streamlit runs the page file itself once.
    first = Tab(port, name="first visitor", record=True)
    await first.connect()
    await first.send_on("console", "", {})
    public_pages = set(first.pages)

    # The real facilitator: log in, learn every page's widgets (and those that appear only after
    # a choice: the phase confirmation, the merge button, the import preview).
    fac = Tab(port, name="facilitator")
    await fac.connect()
    await fac.rerun()
    fac.goto("login")
    await fac.rerun()
    pw = element_id(fac.find("passphrase").element)
    submit = element_id(fac.find(kind="button").element)
    await fac.rerun({pw: string(pw, PASSPHRASE), **trigger(submit)})
    fac_pages = [p for p in fac.pages if p not in public_pages]
    assert {"console", "setup", "moderation", "projector", "results"} <= set(fac_pages), fac.pages
    learned: dict[str, dict[str, Shown]] = {p: {} for p in fac_pages}

    async def learn(page: str, overrides=None) -> dict[str, Shown]:
        fac.goto(page)
        result = await fac.rerun(overrides, timeout=60)
        assert result.status == "ok", (page, result.status)
        now = widgets(fac)
        learned[page].update(now)
        return now

    for page in fac_pages:
        await learn(page)
    console = await learn("console")
    phase_ctl = next(s for w, s in console.items() if user_key(w).startswith("phase_choice_"))
    results_label = phase_ctl.element.button_group.options[PHASE_ORDER.index(Phase.RESULTS)].content
    phase_pick = string_array(phase_ctl.element.button_group.id, [results_label])
    assert "confirm_phase" in {user_key(w) for w in await learn("console", {phase_pick.id: phase_pick})}
    link = next(s for s in fac.shown.values() if s.kind == "link_button" and "view=" in s.element.link_button.url)
    projector_key = parse_qs(link.element.link_button.url.split("?", 1)[1])["view"][0]
    moderation = await learn("moderation")
    dupes = next(s for w, s in moderation.items() if user_key(w).startswith("mg_"))
    pick = string_array(dupes.element.multiselect.id, [dupes.element.multiselect.options[0]])
    asking = await learn("moderation", {pick.id: pick})
    merge = next(w for w in asking if user_key(w).startswith("mgo_"))
    # The merge asks first: learn its confirmation too (an attacker would press it).
    assert any(user_key(w).startswith("mgyes_") for w in await learn("moderation", {pick.id: pick, **trigger(merge)}))
    cancel = next(w for w in learned["moderation"] if user_key(w).startswith("mgno_"))
    await learn("moderation", {pick.id: string_array(pick.id, []), **trigger(cancel)})
    setup = await learn("setup")
    picker = next(w for w in setup if user_key(w).startswith("vision_file_"))
    state = picked_file(picker)
    own = await fac.upload(port, "leitbild.csv", VISION_CSV)  # for any file_uploader a page may show
    assert any(user_key(w).startswith("import_save_") for w in await learn("setup", {state.id: state}))
    # Text that would unlock an action if the page ran for the attacker: the deletion's confirmation.
    forgery = Forgery(learned, dict(fac.pages), texts={"delete_code": prep["code"]})

    # Participants join through the join screen: their tokens must never leak anywhere.
    for query in (f"code={prep['code']}", f"code={prep['code']}&kiosk=1"):
        p = Tab(port, query, name="participant")
        await p.connect()
        await p.rerun()
        group = p.find("group_choice").element.radio
        start = element_id(p.find("join_start").element)
        await p.rerun({group.id: string(group.id, group.options[0]), **trigger(start)})
        out["tokens"].append(parse_qs(p.query_string)["t"][0])
        await p.close()
    tok1, tok2 = out["tokens"]

    # (1) not logged in, (2) a wrong passphrase, (3) participant links with edited parameters.
    anon = Tab(port, name="not logged in", record=True)
    # The guessers come from the same address as the wrong passphrase (this test's X-Forwarded-For,
    # trusted from a proxy on this machine; tests/integration/test_login_limit.py goes through nginx).
    wrong, *guessers = [
        Tab(port, name="wrong passphrase", record=True, headers={"X-Forwarded-For": "203.0.113.1"}) for _ in range(3)
    ]
    participant = Tab(port, f"t={tok1}", name="participant link", record=True)
    for tab in (anon, wrong, participant, *guessers):
        await tab.connect()
        await tab.rerun()
    for tab in (wrong, *guessers):
        tab.goto("login")
        await tab.rerun()

    async def guess(tab: Tab, expected: str) -> None:
        pw = element_id(tab.find("passphrase").element)
        submit = element_id(tab.find(kind="button").element)
        await tab.send_on("login", tab.page_script_hash, {pw: string(pw, WRONG), **trigger(submit)})
        alerts = [visible(s) for s in tab.shown.values() if s.kind == "alert"]
        shown = tr(expected).split("{seconds}")[0]  # the refusal names the seconds left
        assert tr(expected) != expected and any(a.startswith(shown) for a in alerts), alerts

    await guess(wrong, "Wrong passphrase.")
    # Tries from that address before its waiting time is over are refused at once, unchecked:
    # nothing waits in line (a right passphrase would not wait behind them either).
    t_guess = time.monotonic()
    too_many = auth.TOO_SOON
    await asyncio.gather(*(guess(tab, too_many) for tab in guessers))
    waited = time.monotonic() - t_guess
    assert waited < 5, f"two refusals took {waited:.2f} s: they waited in line"
    for tab in guessers:
        await tab.close()
    variants = [
        f"t={tok1}&view=",
        f"t={tok1}&view={secrets.token_urlsafe(24)}",
        f"t={tok1}&view={projector_key}",
        f"t={tok2}&code={prep['code']}",
        f"code={prep['code']}&view={secrets.token_urlsafe(24)}",
        f"t={secrets.token_urlsafe(24)}&code={prep['code']}",
    ]
    edited = [Tab(port, q, record=True) for q in variants]
    for tab in edited:
        await tab.connect()
        await tab.rerun()
    uploads = {tab.name: await tab.upload(port, "leitbild.csv", VISION_CSV) for tab in (anon, wrong, participant)}
    fake = UploadedFileInfo(name="leitbild.csv", size=len(VISION_CSV), file_id=uuid.uuid4().hex)

    def nothing_leaked(tab: Tab) -> None:
        facilitator_ids = {
            wid
            for page, shown in learned.items()
            if page != "projector"  # the projector link shows the projector's charts to anyone with the key
            for wid in shown
            if user_key(wid) != "lang_picker"  # the menu's language choice, on every page
        }
        secret_texts = [PASSPHRASE, projector_key, *prep["cards"], *(tr(label) for label in FACILITATOR_LABELS)]
        # (the tab with the real projector link sent its key; the server must not send it back)
        assert_nothing_leaked(tab, facilitator_ids, secret_texts)

    async def round_of_attacks(sweep_pages) -> None:
        for tab in (anon, wrong, participant):
            for page in fac_pages:
                out["sent"] += await forgery.attack(tab, page, uploads[tab.name], sweep=page in sweep_pages)
            nothing_leaked(tab)
        for tab in edited:
            for page in fac_pages:
                out["sent"] += await forgery.attack(tab, page, fake, sweep=False)
            nothing_leaked(tab)

    nothing_leaked(first)
    await round_of_attacks(sweep_pages=fac_pages)

    # The real facilitator moves to results (where "reveal" shows); then everything again.
    await learn("console", {phase_pick.id: phase_pick})
    confirm = next((w for w in widgets(fac) if user_key(w) == "confirm_phase"), None)
    assert confirm, "the phase changed under the attacks"
    fac.goto("console")
    await fac.rerun({phase_pick.id: phase_pick, **trigger(confirm)})
    for page in fac_pages:
        await learn(page)
    assert any(user_key(w) == "reveal" for w in learned["console"]), "no reveal toggle in results"
    await round_of_attacks(sweep_pages=("console",))

    # The name under which the app keeps the login, sent as if it were a widget: Streamlit fails
    # that run (its own KeyError, redacted on screen), the session stays logged out.
    await anon.send_on("console", forgery.hashes["console"], {"facilitator": string("facilitator", "forged")})
    crash = [s.element.exception for s in anon.elements if s.kind == "exception"]
    assert crash and all(not e.stack_trace and "facilitator" not in e.message for e in crash), crash
    anon.kinds.discard("exception")
    await anon.send_on("console", forgery.hashes["console"], {})
    assert "console" not in anon.pages

    # The control: the same kind of forged request works in the facilitator's own session (so
    # the refusals above are the app's, not a malformed request's): the timer, for 1 minute.
    values, triggers = forgery.states("console", own)
    minutes = next(w for w in values if user_key(w) == "timer_minutes")
    start = next(w for w in triggers if user_key(w) == "timer_start")
    assert values[minutes].double_value == 1
    await fac.send_on("console", forgery.hashes["console"], {minutes: values[minutes], **trigger(start)})

    # The real facilitator downloads every export.
    results = await learn("results")
    out["downloads"] = {}
    for wid, s in results.items():
        if s.kind == "download_button":
            out["downloads"][user_key(wid)] = await fac.download(port, s)
    assert {"dl_csv", "dl_csv_semicolon", "dl_xlsx", "dl_pdf", "dl_backup"} <= set(out["downloads"])

    nothing_leaked(anon)
    # The projector path with a made-up key ends in the facilitator-only warning.
    warning = tr("This page is for the facilitation team. Please log in with the passphrase.")
    alerts = {visible(s) for s in edited[1].elements if s.kind == "alert"}
    assert warning in alerts, f"a made-up projector key did not end in the login warning: {alerts}"
    out["projector_key"] = projector_key
    for tab in (fac, first, anon, wrong, participant, *edited):
        await tab.close()
    return out


def test_every_facilitator_action_is_refused_to_everyone_else(tmp_path: Path) -> None:
    t0 = time.monotonic()
    path = tmp_path / "access.duckdb"
    prep = prepare(path)
    before = snapshot(path)
    log = tmp_path / "server.log"
    env = {
        "PW_DB_PATH": str(path),
        "PW_PASSPHRASE": PASSPHRASE,
        "PW_DEMO": "0",
        # The test's browsers connect from 127.0.0.1, where a reverse proxy would sit, and the
        # server would believe their X-Forwarded-For; naming another proxy address makes them what
        # they play: devices in the hall, whose headers nobody trusts.
        "FORWARDED_ALLOW_IPS": "192.0.2.1",
    }
    server = Server("app.py", env=env, log=log)
    # A copy of the app as it is now: edits made in the tree meanwhile do not reach this run.
    server.cwd = copy_app(tmp_path / "app")
    server.start()
    try:
        out = asyncrun.run(asyncio.wait_for(scenario(server.port, prep), 240))
    finally:
        server.stop()
    after = snapshot(path)
    check_database(
        before, after, workshop_id=prep["workshop"], tokens=out["tokens"], projector_key=out["projector_key"]
    )

    secrets_ = [*out["tokens"], *prep["cards"], PASSPHRASE]
    server_log = log.read_text(errors="replace")
    assert not [s for s in secrets_ if s in server_log], "the server log holds a token, card code or passphrase"
    errors = re.findall(r"^(\w+(?:Error|Exception)\b.*)$", server_log, flags=re.M)
    assert all(e == "KeyError" or '"facilitator"' in e for e in errors), errors
    for name, data in out["downloads"].items():
        assert not [s for s in secrets_ if s in text_in(data)], f"the download {name} holds a token or card code"
    print(f"{out['sent']} forged requests, {time.monotonic() - t0:.1f} s")
