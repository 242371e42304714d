"""Browser tests: a real ``streamlit run`` on 127.0.0.1 and Debian's headless Chromium."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PASSPHRASE = "e2e-passphrase"
PHONE = {"width": 390, "height": 844}
TABLET = {"width": 768, "height": 1024}


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, db_path: Path, log_path: Path):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db_path = db_path
        env = {**os.environ, "PW_DB_PATH": str(db_path), "PW_PASSPHRASE": PASSPHRASE}
        self.log = open(log_path, "w")  # noqa: SIM115 - closed in stop()
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.address",
                "127.0.0.1",
                "--server.port",
                str(self.port),
                "--server.headless",
                "true",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.ready_after = self._wait_healthy()

    def _wait_healthy(self, timeout: float = 60) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=1) as r:
                    if r.status == 200:
                        return time.monotonic() - self.started
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"streamlit did not become healthy; log: {Path(self.log.name).read_text()[-2000:]}")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    srv = Server(tmp / "e2e.duckdb", tmp / "server.log")
    yield srv
    srv.stop()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=TABLET)
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    yield pg
    context.close()


# --- steps the browser tests share -------------------------------------------------------------


def set_phase(page, label: str, *, from_menu: bool = False) -> None:
    """The facilitator moves the workshop to the phase ``label`` on the console and confirms;
    ``from_menu``: open the console from the menu first."""
    if from_menu:
        page.get_by_role("link", name="Console").click()
    page.locator("[data-testid=stButtonGroup]").first.get_by_text(label, exact=True).click()
    page.get_by_role("button", name="Yes, change the phase").click()
    page.get_by_role("button", name="Yes, change the phase").wait_for(state="detached")


def settled(page, pause_ms: int = 0) -> None:
    """The page's script run is over (nothing stale, no running indicator), then ``pause_ms``."""
    page.wait_for_function(
        '() => !document.querySelector(\'[data-stale="true"], [data-testid="stStatusWidgetRunningIcon"]\')'
    )
    if pause_ms:
        page.wait_for_timeout(pause_ms)


def choose(page, box, text: str, while_open=None) -> None:
    """Open a select box and pick the option containing ``text`` (user text in options is wrapped
    in invisible direction isolates), calling ``while_open()`` first if given. A rerun that lands
    while the list is open closes it: try again."""
    option = page.get_by_role("option", name=re.compile(re.escape(text)))
    for _attempt in range(4):
        settled(page)
        box.scroll_into_view_if_needed()
        box.click()
        try:
            option.first.wait_for(timeout=3000)
        except Exception:  # noqa: BLE001 - the list closed under us; open it again
            page.keyboard.press("Escape")
            continue
        if while_open:
            while_open()
        option.first.click()
        return
    raise AssertionError(f"no option {text!r}")


# --- a phone with a ballot drawn in the browser (ui/ballot.py): what the ballot tests share ---

SHOTS = Path("/tmp/shots")


def voting_server(tmp_path_factory, name: str, rules: dict, goals: list[str], measures, shortlist=()):
    """A server of its own with one workshop voting by ``rules`` (the shared server's demo votes by
    dots): its vision, groups and ``measures`` (goal index, title, description) from a vision file,
    ``shortlist`` by title; ``.code`` is the workshop's join code. Stop it when done."""
    import yaml

    from workshop import auth, services, vision
    from workshop.model import Phase
    from workshop.store import Database

    text = yaml.safe_dump(
        {
            "vision": {"title": "Zusammenleben in Vielfalt", "goals": [{"title": g} for g in goals]},
            "groups": ["AG 1 Nachbarschaft", "AG 2 Arbeit"],
            "rules": rules,
            "measures": [{"goal": goals[g], "title": t, "description": d} for g, t, d in measures],
        },
        allow_unicode=True,
    )
    tmp = tmp_path_factory.mktemp(name)
    db = Database(tmp / f"{name}.duckdb")
    auth.ensure_passphrase(db, PASSPHRASE)
    fac = auth.login(db, PASSPHRASE, client="prepare")
    ws = services.create_workshop(db, fac, title="Planungswerkstatt Harburg", place="Harburg")
    services.replace_vision(db, fac, ws.id, **vision.vision_args(vision.parse(text)))
    if shortlist:
        by_title = {m.title: m.id for m in services.list_measures(db, ws.id)}
        services.set_shortlist(db, fac, ws.id, [by_title[t] for t in shortlist])
    services.set_phase(db, fac, ws.id, Phase.VOTE)
    code = services.get_workshop(db, ws.id).join_code
    db.close()
    server = Server(tmp / f"{name}.duckdb", tmp / "server.log")
    server.code = code
    return server


@contextmanager
def ballot_phone(browser, server, join_code, *, lang="en", viewport=PHONE, kiosk=False, shot="ballot-failure"):
    """A phone (or a kiosk tablet) that has joined the workshop ``join_code`` (its first working
    group) and shows its ballot; on a failure a screenshot ``shot`` goes to SHOTS."""
    context = browser.new_context(viewport=viewport, has_touch=True, is_mobile=viewport == PHONE)
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        page.goto(f"{server.url}/?code={join_code}&lang={lang}" + ("&kiosk=1" if kiosk else ""))
        page.locator('[data-testid="stRadio"] [role="radiogroup"] label').first.click()
        page.locator('[data-testid="stFormSubmitButton"] button').click()
        page.locator(".pw-submit-button").wait_for()
        yield page
    except BaseException:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{shot}.png"))
        raise
    finally:
        context.close()


def counter(page) -> str:
    return page.locator(".pw-counter").inner_text()


def posts_of(page) -> list[dict]:
    """The bodies the page posts to the ballot endpoint, as they go out."""
    posts: list[dict] = []
    page.on("request", lambda r: posts.append(json.loads(r.post_data)) if "/api/ballot" in r.url else None)
    return posts


def frames_sent(page) -> list[str]:
    """Every websocket frame the page sends to Streamlit (a script run starts with one)."""
    sent: list[str] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(str(payload)[:40])))
    return sent


def focused(page) -> dict:
    """The focused element (inside the ballot's shadow root): its name, state, focus ring, whether
    the sticky counter covers it and whether it is in view."""
    return page.evaluate(
        """() => {
        let el = document.activeElement;
        while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
        const g = el.closest('[role=radiogroup]');
        const bar = el.getRootNode().querySelector('.pw-bar');
        const r = el.getBoundingClientRect(), b = bar ? bar.getBoundingClientRect() : null;
        const style = getComputedStyle(el);
        return {
            label: el.getAttribute('aria-label'), group: g ? g.getAttribute('aria-label') : null,
            role: el.getAttribute('role'), checked: el.getAttribute('aria-checked'), cls: el.className,
            disabled: el.getAttribute('aria-disabled'),
            outline: style.outlineStyle + ' ' + style.outlineWidth + ' ' + style.outlineColor,
            covered: Boolean(b && bar.classList.contains('pw-sticky') && r.top < b.bottom && r.bottom > b.top),
            visible: r.top - 5 >= 0 && r.bottom + 5 <= innerHeight,  // with its focus ring
        };
    }"""
    )


def press_and_lose_the_answer(page) -> dict:
    """Press the ballot's button while its answer is lost on the way back (the server stores the
    ballot, the phone hears nothing and says "no connection"); returns the lost answer."""
    answers: list[dict] = []

    def lose_answer(route):
        answers.append(route.fetch().json())
        route.abort()

    page.route("**/api/ballot*", lose_answer)
    page.locator(".pw-submit-button").click()
    page.locator(".pw-submit-status.pw-error").filter(has_text="no connection").wait_for()
    page.unroute("**/api/ballot*")
    assert answers, "the press reached the server"
    return answers[0]


def stored_ballots(server) -> list[tuple[str, dict]]:
    """Every ballot in ``server``'s database now: (its submission id, the ballot as a phone posts
    it). Read from a copy of the file and its write-ahead log: the running server holds the file.
    (The offline tests of every method use it.)"""
    import tempfile

    from workshop import methods, participation
    from workshop.store import Database

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "copy.duckdb"
        shutil.copy(server.db_path, copy)
        wal = Path(f"{server.db_path}.wal")
        if wal.exists():
            shutil.copy(wal, f"{copy}.wal")
        db = Database(copy, migrate=False)
        try:
            ballots = db.fetchall("SELECT id, submission_id, method FROM ballots")
            votes = db.fetchall("SELECT ballot_id, measure_id, criterion, value FROM votes")
        finally:
            db.close()
    return [
        (
            submission,
            participation.ballot_payload(
                methods.of(method).ballot.from_rows([(m, c, v) for b, m, c, v in votes if b == ballot_id])
            ),
        )
        for ballot_id, submission, method in ballots
    ]
