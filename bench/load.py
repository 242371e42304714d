"""Load benchmark: N participant devices and one projector against a real ``streamlit run``.

    .venv/bin/python -m bench.load --n 300 --mode burst --rounds 3
    .venv/bin/python -m bench.load --n 300 --mode steady
    .venv/bin/python -m bench.load --scenario storm --n 300 --window 10
    .venv/bin/python -m bench.load --help

What one vote run does (see BENCHMARKS.md for the numbers):

1. builds a fresh DuckDB file with the demo workshop (``python -m workshop demo``), switches it to
   the chosen voting method through the services (as the facilitator would), reads the join code
   and closes the file; then starts ``streamlit run app.py`` on 127.0.0.1 with that file;
2. logs a projector in (passphrase form) and opens the projector page, which then refreshes the
   way a browser does: one fragment rerun per ``auto_rerun`` interval the server announced;
3. N devices open ``/?code=CODE&lang=de`` (spread over a join window), pick a working group, press
   Start, get their ballot page (and ask its phase watch every few seconds, as ui/watch.js does),
   tap their votes (in the ballot's browser component, as a phone does: a tap sends nothing)
   and submit. ``steady``: every
   device on its own clock with think times; ``burst``: every
   device has its ballot ready and all submits fall within 2 s, for several rounds (in rounds 2+
   every device changes its ballot, so each round is a full write burst);
4. measures submit-to-confirmation latency (submit rerun sent → the success alert arrives),
   projector staleness (a ballot confirmed → the projector shows a count that includes it),
   page-ready time of the joins, server CPU and peak RSS (from /proc);
5. stops the server, opens the file and checks every device's last confirmed ballot is stored
   exactly as confirmed (the token in the URL identifies the device: tokens are stored hashed);
6. runs the same number of clients against ``bench/minimal_app.py`` (one form) with the same
   timing and prints our p95 over its p95, a ratio that compares across machines.

Only 127.0.0.1 is contacted. Every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import hashlib
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from bench.client import (
    Client,
    Shown,
    component_data,
    element_id,
    post_json,
    string,
    string_array,
    trigger,
    user_key,
)
from bench.server import ROOT, Nginx, Sampler, Server, fetch_all, page_assets, snapshot

PASSPHRASE = "bench-passphrase-not-secret"
SUCCESS = 4  # Alert.Format.SUCCESS
ERROR = 1


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    v = sorted(values)
    k = min(len(v) - 1, max(0, round(q / 100 * (len(v) - 1))))
    return v[k]


def ms(x: float | None) -> str:
    return "—" if x is None else f"{x * 1000:.0f}"


# --- the database before and after -------------------------------------------------------------


@dataclass
class Prepared:
    db_path: str
    code: str
    workshop_id: str
    method: str
    rules: object
    goal_of: dict[str, str]
    baseline_ballots: int


def prepare_db(tmp: Path, method: str, root: Path = ROOT, *, waiting: bool = False) -> Prepared:
    """Fresh file with the demo (through the CLI), the method switched as a facilitator would;
    ``waiting``: the vote not yet open (review phase), for the vote-opening scenario."""
    db_path = str(tmp / "bench.duckdb")
    env = {**os.environ, "PW_DB_PATH": db_path}
    subprocess.run([sys.executable, "-m", "workshop", "demo"], cwd=root, env=env, check=True, capture_output=True)
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    from workshop import auth, services
    from workshop.model import Method, Phase
    from workshop.store import Database

    db = Database(db_path)
    try:
        ws = services.current_workshop(db)
        if str(ws.rules.method) != method:
            fac = auth.system_session(db)
            services.set_phase(db, fac, ws.id, Phase.REVIEW)
            services.set_rules(
                db,
                fac,
                ws.id,
                replace(ws.rules, method=Method(method)),
                confirm_affected=services.count_ballots(db, ws.id, ws.rules.method),
            )
            services.set_phase(db, fac, ws.id, Phase.VOTE)
            auth.logout(db, fac)
            ws = services.get_workshop(db, ws.id)
        goal_of = services.voting_measures(db, ws)
        base = services.count_ballots(db, ws.id, method)
        if waiting:
            fac = auth.system_session(db)
            services.set_phase(db, fac, ws.id, Phase.REVIEW)
            auth.logout(db, fac)
        db.checkpoint()
        return Prepared(db_path, ws.join_code, ws.id, method, ws.rules, goal_of, base)
    finally:
        db.close()


def stored_ballots(prep: Prepared, tokens: list[str]) -> tuple[int, dict[str, object]]:
    """(ballots of the method in the workshop, {token: stored ballot}) read after the server stopped."""
    from workshop import methods
    from workshop.store import Database

    db = Database(prep.db_path, read_only=True)
    try:
        total = db.scalar(
            "SELECT count(*) FROM ballots WHERE workshop_id = $1 AND method = $2", [prep.workshop_id, prep.method]
        )
        out = {}
        for tok in tokens:
            h = hashlib.sha256(tok.encode()).hexdigest()
            row = db.fetchone(
                "SELECT b.id FROM ballots b JOIN devices d ON d.id = b.device_id "
                "WHERE d.token_hash = $1 AND b.method = $2",
                [h, prep.method],
            )
            if row:
                rows = db.fetchall("SELECT measure_id, criterion, value FROM votes WHERE ballot_id = $1", [row[0]])
                out[tok] = methods.of(prep.method).ballot.from_rows(rows)
        return total, out
    finally:
        db.close()


# --- one device ------------------------------------------------------------------------------


@dataclass
class Submit:
    round: int
    sent_at: float
    confirm: float | None  # seconds to the success alert
    finish: float | None  # seconds to the end of the run (after the app's st.rerun)
    error: str = ""


@dataclass
class Device:
    idx: int
    rng: random.Random
    client: Client | None = None
    token: str = ""
    page_ready: float | None = None
    join_seconds: float | None = None
    taps: list[float] = field(default_factory=list)
    submits: list[Submit] = field(default_factory=list)
    confirmed: object = None  # the last ballot the app confirmed
    ack_times: list[float] = field(default_factory=list)
    error: str = ""


def _choose_dots(rng: random.Random, ids: list[str], rules, goal_of: dict[str, str]) -> dict[str, int]:
    total, per, budget = rules.dots_per_person, rules.max_per_measure, getattr(rules, "goal_budget", None)
    out: dict[str, int] = {}
    per_goal: dict[str, int] = {}
    for mid in rng.sample(ids, len(ids)):
        left = total - sum(out.values())
        if left <= 0:
            break
        cap = min(per, left)
        if budget is not None:
            cap = min(cap, budget - per_goal.get(goal_of.get(mid, ""), 0))
        if cap <= 0:
            continue
        n = rng.randint(1, cap)
        out[mid] = n
        per_goal[goal_of.get(mid, "")] = per_goal.get(goal_of.get(mid, ""), 0) + n
    return out


class Participant:
    """The participant page's protocol: join, taps, submit (method-specific taps)."""

    def __init__(self, port: int, prep: Prepared, timeout: float):
        self.port, self.prep, self.timeout = port, prep, timeout

    async def open(self, dev: Device) -> None:
        c = Client(self.port, f"code={self.prep.code}&lang=de")
        dev.client = c
        t0 = time.perf_counter()
        await c.connect(self.timeout)
        r = await c.rerun(timeout=self.timeout)
        if r.status not in ("ok", "fragment_ok"):
            raise RuntimeError(f"first run: {r.status}")
        dev.page_ready = time.perf_counter() - t0

    async def join(self, dev: Device) -> None:
        c = dev.client
        radio, start = c.find("group_choice", kind="radio"), c.find("join_start", kind="button")
        if start is None:
            raise RuntimeError("no Start button on the join screen")
        over = trigger(element_id(start.element))
        if radio is not None:
            opts = radio.element.radio.options
            wid = radio.element.radio.id
            over[wid] = string(wid, opts[dev.idx % len(opts)])
        r = await c.rerun(over, timeout=self.timeout)
        m = re.search(r"(?:^|&)t=([^&]+)", c.query_string)
        if r.status not in ("ok", "fragment_ok") or not m:
            raise RuntimeError(f"join: {r.status}, query {c.query_string!r}")
        dev.token = m.group(1)
        dev.join_seconds = r.seconds

    async def enter(self, dev: Device) -> bool:
        """Open the join link and join; a failure is recorded on the device (False)."""
        try:
            await self.open(dev)
            await self.join(dev)
        except Exception as exc:
            dev.error = f"join: {exc!r}"
            return False
        return True

    @staticmethod
    def browser_ballot(c: Client) -> dict | None:
        """The data of the ballot drawn in the browser (ui/ballot.py), or None (no ballot on the page)."""
        shown = c.find("ballot", kind="bidi_component")
        return component_data(shown.element) if shown is not None else None

    async def fill(self, dev: Device, think: tuple[float, float], dots: dict[str, int] | None = None):
        """Tap a new, valid ballot in, as a phone does in its browser component (ui/ballot.py):
        nothing reaches the server until the submit.

        ``dots`` (dot voting only): this ballot instead of a random one."""
        c, rng, method = dev.client, dev.rng, self.prep.method
        from workshop.model import ApprovalBallot, DotBallot, RankingBallot, RatingBallot

        data = self.browser_ballot(c)
        if data is None:
            kinds = collections.Counter(s.kind for s in c.shown.values())
            raise RuntimeError(f"no {method} ballot on the page: {dict(kinds)}")
        ids = [m["id"] for g in data["goals"] for m in g["measures"]]
        if method == "approval":
            limit = self.prep.rules.approval_limit or len(ids)
            return ApprovalBallot(frozenset(rng.sample(ids, min(limit, rng.randint(3, 7), len(ids)))))
        if method == "rating":  # six measures, each criterion rated or left at "no opinion"
            low, high = data["rules"]["min"], data["rules"]["max"]
            keys = [c["key"] for c in data["rules"]["criteria"]]
            ratings = {
                mid: {k: rng.randint(low, high) for k in keys if rng.random() < 0.9}
                for mid in rng.sample(ids, min(6, len(ids)))
            }
            return RatingBallot({mid: per for mid, per in ratings.items() if per} or {ids[0]: {keys[0]: high}})
        if method == "ranking":  # a few presses of "up" on the order the page starts from
            order = list(data["order"])
            for _i in range(3):
                i = rng.randrange(1, len(order)) if len(order) > 1 else 0
                if i:
                    order[i - 1], order[i] = order[i], order[i - 1]
            return RankingBallot(tuple(order))
        if dots is None:
            dots = _choose_dots(rng, ids, self.prep.rules, self.prep.goal_of)
        return DotBallot(dict(dots))

    async def submit(self, dev: Device, rnd: int, ballot) -> None:
        """Press the submit button as the browser does (ui/ballot/core.js): POST the ballot on
        screen to the ballot endpoint; the answer is the confirmation."""
        from workshop import participation

        in_browser = self.browser_ballot(dev.client)
        if in_browser is None:
            dev.submits.append(Submit(rnd, time.perf_counter(), None, None, "no ballot on the page"))
            return
        data = {**in_browser, "ballot": participation.ballot_payload(ballot)}
        if data["ballot"] != participation.ballot_payload(ballot):
            dev.submits.append(Submit(rnd, time.perf_counter(), None, None, f"button carries {data['ballot']}"))
            return
        if ballot == dev.confirmed or (dev.confirmed is None and data["saved"] == data["ballot"]):
            # Same ballot as stored: nothing to submit (the button is disabled).
            dev.submits.append(Submit(rnd, time.perf_counter(), None, None, "unchanged"))
            return
        body = {"t": data["t"], "submission": os.urandom(16).hex(), "ballot": data["ballot"]}
        sent = time.perf_counter()
        try:
            status, answer = await post_json(self.port, data["url"], body, timeout=self.timeout)
        except (TimeoutError, OSError) as exc:
            dev.submits.append(Submit(rnd, sent, None, None, f"no confirmation ({exc!r})"))
            return
        done = time.perf_counter()
        if status != 200:
            dev.submits.append(Submit(rnd, sent, None, done - sent, f"{status}: {answer.get('error')}"))
            return
        dev.submits.append(Submit(rnd, sent, done - sent, done - sent))
        dev.confirmed = ballot
        dev.ack_times.append(done)


# --- the projector ---------------------------------------------------------------------------

_BIG = re.compile(r'class="pj-big">(\d+)<')


class Projector:
    """A logged-in facilitator browser on the projector (or console) page, refreshing as the
    browser does: a fragment rerun every announced ``auto_rerun`` interval."""

    def __init__(self, port: int, page: str, metric: str, poll: float, timeout: float):
        self.port, self.page, self.metric, self.poll, self.timeout = port, page, metric, poll, timeout
        self.seen: list[tuple[float, int]] = []  # (time, ballots shown)
        self.refresh: list[float] = []
        self.client: Client | None = None
        self._stop = asyncio.Event()
        self.error = ""

    def _listen(self, s: Shown) -> None:
        n = None
        if s.kind == "html":
            m = _BIG.search(s.element.html.body)
            n = int(m.group(1)) if m else None
        elif s.kind == "metric" and s.element.metric.label == self.metric:
            try:
                n = int(s.element.metric.body)
            except ValueError:
                n = None
        if n is not None:
            self.seen.append((s.received, n))

    async def start(self) -> None:
        c = self.client = Client(self.port, "lang=en")
        await c.connect(self.timeout)
        await c.rerun(timeout=self.timeout)  # the start page: learn the navigation, then go to the login
        if "login" not in c.pages:
            raise RuntimeError(f"no login page in the navigation: {sorted(c.pages)}")
        c.goto("login")
        await c.rerun(timeout=self.timeout)
        pw = c.find("passphrase", kind="text_input")
        sub = next((s for s in c.shown.values() if s.kind == "button" and s.element.button.is_form_submitter), None)
        if pw is None or sub is None:
            raise RuntimeError("no login form")
        wid = pw.element.text_input.id
        await c.rerun({wid: string(wid, PASSPHRASE), **trigger(sub.element.button.id)}, timeout=self.timeout)
        c.values.pop(wid, None)
        if self.page not in c.pages:
            raise RuntimeError(f"page {self.page!r} not in the navigation after login: {sorted(c.pages)}")
        c.goto(self.page)
        c.listeners.append(self._listen)
        r = await c.rerun(timeout=self.timeout)
        if r.status != "ok":
            raise RuntimeError(f"projector page: {r.status}")

    async def run(self, limit: float) -> None:
        c = self.client
        end = time.perf_counter() + limit
        nxt: dict[str, float] = {}
        try:
            while not self._stop.is_set() and time.perf_counter() < end and not c.closed:
                timers = dict(c.auto_reruns) or {"": self.poll}  # no fragment timer: full reruns
                now = time.perf_counter()
                due = min((nxt.setdefault(f, now + i), f) for f, i in timers.items())
                if due[0] > now:
                    try:
                        await asyncio.wait_for(self._stop.wait(), due[0] - now)
                    except TimeoutError:
                        pass
                    continue
                frag = due[1]
                r = await c.rerun(fragment_id=frag, is_auto_rerun=bool(frag), timeout=self.timeout)
                self.refresh.append(r.seconds or self.timeout)
                nxt[frag] = max(due[0] + timers[frag], time.perf_counter())
        except Exception as exc:  # the projector must not take the run down; report it
            self.error = repr(exc)

    def stop(self) -> None:
        self._stop.set()

    def staleness(self, acks: list[float], baseline: int) -> tuple[list[float], int]:
        """For the k-th confirmed new ballot: first time the projector showed >= baseline + k."""
        out, missing = [], 0
        for k, t in enumerate(sorted(acks), start=1):
            shown = next((ts for ts, n in self.seen if n >= baseline + k and ts >= t), None)
            if shown is None:
                # Maybe it was already on screen before the confirmation reached the device.
                if any(n >= baseline + k for ts, n in self.seen if ts < t):
                    out.append(0.0)
                else:
                    missing += 1
                continue
            before = [ts for ts, n in self.seen if n >= baseline + k and ts < t]
            out.append(0.0 if before else shown - t)
        return out, missing


# --- the runs --------------------------------------------------------------------------------


@dataclass
class Result:
    label: str
    n: int
    mode: str
    method: str
    rounds: int
    page_ready: list[float] = field(default_factory=list)
    joins: list[float] = field(default_factory=list)
    taps: list[float] = field(default_factory=list)
    confirm: list[float] = field(default_factory=list)
    per_round: dict[int, list[float]] = field(default_factory=dict)
    acked: int = 0
    found: int | None = None
    lost: int | None = None
    mismatched: int | None = None
    errors: list[str] = field(default_factory=list)
    staleness: list[float] = field(default_factory=list)
    stale_missing: int = 0
    projector_refresh: list[float] = field(default_factory=list)
    polls: list[float] = field(default_factory=list)
    cpu: dict = field(default_factory=dict)
    wall: float = 0.0
    static: dict = field(default_factory=dict)

    def summary(self) -> dict:
        return {
            "label": self.label,
            "n": self.n,
            "mode": self.mode,
            "method": self.method,
            "rounds": self.rounds,
            "acked": self.acked,
            "found": self.found,
            "lost": self.lost,
            "mismatched": self.mismatched,
            "errors": len(self.errors),
            "error_samples": sorted(set(self.errors))[:5],
            "confirm_p50": pct(self.confirm, 50),
            "confirm_p95": pct(self.confirm, 95),
            "confirm_max": max(self.confirm) if self.confirm else None,
            "per_round_p95": {r: pct(v, 95) for r, v in sorted(self.per_round.items())},
            "tap_p50": pct(self.taps, 50),
            "tap_p95": pct(self.taps, 95),
            "page_ready_p50": pct(self.page_ready, 50),
            "page_ready_p95": pct(self.page_ready, 95),
            "page_ready_max": max(self.page_ready) if self.page_ready else None,
            "join_p95": pct(self.joins, 95),
            "stale_p50": pct(self.staleness, 50),
            "stale_p95": pct(self.staleness, 95),
            "stale_max": max(self.staleness) if self.staleness else None,
            "stale_missing": self.stale_missing,
            "projector_refresh_p95": pct(self.projector_refresh, 95),
            "projector_refreshes": len(self.projector_refresh),
            "polls": len(self.polls),
            "poll_p95": pct(self.polls, 95),
            **self.cpu,
            **self.static,
            "wall_s": round(self.wall, 1),
            "loadavg_1m_at_end": round(os.getloadavg()[0], 1),
        }


async def _bounded(coros, limit: int):
    sem = asyncio.Semaphore(limit)

    async def one(c):
        async with sem:
            return await c

    return await asyncio.gather(*(one(c) for c in coros), return_exceptions=True)


async def _at(t: float, coro):
    await asyncio.sleep(max(0.0, t - time.perf_counter()))
    return await coro


async def vote_run(args, port: int, prep: Prepared, server: Server) -> Result:
    res = Result("app", args.n, args.mode, prep.method, args.rounds)
    rng = random.Random(args.seed)
    devices = [Device(i, random.Random(rng.random())) for i in range(args.n)]
    part = Participant(port, prep, args.timeout)
    sampler = Sampler(server.pid).start()
    t_start = time.perf_counter()

    projector = None
    proj_task = None
    if args.projector != "none":
        projector = Projector(port, args.projector, args.projector_metric, args.projector_poll, args.timeout)
        await projector.start()
        proj_task = asyncio.create_task(projector.run(args.max_seconds))

    stop_polls = asyncio.Event()
    polls: list[float] = []
    poll_tasks: list[asyncio.Task] = []

    async def open_join_follow(dev: Device) -> None:
        if await part.enter(dev) and args.poll:
            poll_tasks.append(asyncio.create_task(dev.client.follow_watch(port, stop_polls, args.max_seconds, polls)))

    join_window = args.join_window if args.join_window is not None else max(2.0, args.n / 20)
    t0 = time.perf_counter()
    await asyncio.gather(*(_at(t0 + rng.uniform(0, join_window), open_join_follow(d)) for d in devices))
    live = [d for d in devices if not d.error]

    async def fill_and_submit(dev: Device, rnd: int, think: tuple[float, float], at: float | None) -> None:
        try:
            ballot = await part.fill(dev, think)
            if at is not None:
                await asyncio.sleep(max(0.0, at - time.perf_counter()))
            elif think[1] > 0:
                await asyncio.sleep(dev.rng.uniform(*think))
            await part.submit(dev, rnd, ballot)
        except Exception as exc:
            dev.error = f"round {rnd}: {exc!r}"

    deadline = t_start + args.max_seconds
    for rnd in range(1, args.rounds + 1):
        if time.perf_counter() > deadline:
            res.errors.append(f"time budget exhausted before round {rnd}")
            break
        if args.mode == "burst":
            # Everyone taps their ballot in (spread, not measured as the burst), then all
            # submits fall within the burst window.
            prep_window = args.prepare_window if args.prepare_window is not None else max(3.0, args.n / 25)
            t1 = time.perf_counter()
            taps = [
                _at(t1 + dev.rng.uniform(0, prep_window), part.fill(dev, (0.0, 0.0))) for dev in live if not dev.error
            ]
            ballots = await asyncio.gather(*taps, return_exceptions=True)
            t2 = time.perf_counter() + 0.5
            jobs = []
            for dev, ballot in zip([d for d in live if not d.error], ballots, strict=True):
                if isinstance(ballot, BaseException):
                    dev.error = f"round {rnd} taps: {ballot!r}"
                    continue
                jobs.append(_at(t2 + dev.rng.uniform(0, args.burst_window), part.submit(dev, rnd, ballot)))
            await asyncio.gather(*jobs, return_exceptions=True)
            if rnd < args.rounds:
                await asyncio.sleep(args.pause)
        else:
            spread = args.spread
            t1 = time.perf_counter()
            await asyncio.gather(
                *(
                    _at(t1 + dev.rng.uniform(0, spread), fill_and_submit(dev, rnd, tuple(args.think), None))
                    for dev in live
                    if not dev.error
                )
            )

    # Let the projector catch up (bounded), then stop everything.
    if projector is not None:
        new_acks = sum(1 for d in devices if d.ack_times)
        for _ in range(int(args.settle * 10)):
            if projector.seen and projector.seen[-1][1] >= prep.baseline_ballots + new_acks:
                break
            await asyncio.sleep(0.1)
        projector.stop()
        await proj_task
    stop_polls.set()
    await asyncio.gather(*poll_tasks, return_exceptions=True)
    res.polls = polls
    res.wall = time.perf_counter() - t_start
    usage = sampler.stop()
    await _bounded([d.client.close() for d in devices if d.client], 200)
    if projector is not None and projector.client:
        await projector.client.close()

    # Collect.
    for d in devices:
        if d.page_ready is not None:
            res.page_ready.append(d.page_ready)
        if d.join_seconds is not None:
            res.joins.append(d.join_seconds)
        res.taps.extend(d.taps)
        for s in d.submits:
            if s.error and s.error != "unchanged":
                res.errors.append(s.error)
            if s.confirm is not None:
                res.confirm.append(s.confirm)
                res.per_round.setdefault(s.round, []).append(s.confirm)
        if d.error:
            res.errors.append(d.error)
    res.acked = sum(1 for d in devices if d.confirmed is not None)
    if projector is not None:
        first_acks = [d.ack_times[0] for d in devices if d.ack_times]
        res.staleness, res.stale_missing = projector.staleness(first_acks, prep.baseline_ballots)
        res.projector_refresh = projector.refresh
        if projector.error:
            res.errors.append("projector: " + projector.error)
    res.cpu = {
        "server_cpu_s": round(usage.cpu_seconds, 1),
        "server_cpu_mean_pct": round(usage.mean_cpu_percent),
        "server_cpu_peak_pct": round(usage.peak_cpu_percent),
        "server_peak_rss_mb": round(usage.peak_rss_mb),
        "server_peak_threads": usage.peak_threads,
        "loadgen_cpu_s": round(sum(resource.getrusage(resource.RUSAGE_SELF)[:2]), 1),
    }
    res._devices = devices  # for the database check
    return res


async def open_run(args, port: int, prep: Prepared, server: Server) -> dict:
    """The vote opens: N devices wait on their joined screen (review phase), their phase watch
    (ui/watch.py) holding a question at the server; the facilitator opens the vote on the console
    (segmented control, then the confirmation, as a person clicks). Measured per device: the
    confirmation sent → its ballot's data arrived (the held question answers, the waiting ballot
    asks ``GET /api/ballot``; or, where the page must run, the rerun draws the ballot)."""
    rng = random.Random(args.seed)
    devices = [Device(i, random.Random(rng.random())) for i in range(args.n)]
    part = Participant(port, prep, args.timeout)
    opened = [float("inf")]
    seen: dict[int, float] = {}

    def watcher(dev: Device):
        def listen(s: Shown) -> None:
            if s.received >= opened[0] and s.kind == "bidi_component" and dev.idx not in seen:
                if user_key(element_id(s.element)) == "ballot" and "waiting" not in component_data(s.element):
                    seen[dev.idx] = s.received  # the ballot, drawn by a run of the page

        return listen

    console = Projector(port, "console", args.projector_metric, args.projector_poll, args.timeout)
    await console.start()
    sampler = Sampler(server.pid).start()
    stop = asyncio.Event()
    tasks: list[asyncio.Task] = []

    async def join_and_wait(dev: Device) -> None:
        if await part.enter(dev):
            dev.client.listeners.append(watcher(dev))
            dev.client.ballot_listeners.append(lambda at, i=dev.idx: seen.setdefault(i, at))
            tasks.append(asyncio.create_task(dev.client.follow_watch(port, stop, args.max_seconds)))

    join_window = args.join_window if args.join_window is not None else max(2.0, args.n / 20)
    t0 = time.perf_counter()
    await asyncio.gather(*(_at(t0 + rng.uniform(0, join_window), join_and_wait(d)) for d in devices))
    live = [d for d in devices if not d.error]
    # Let the waiting screens settle into their timers (a hall waits a while before the vote opens).
    intervals = [float(w["every"]) for d in live if (w := d.client.watch())]
    waiting_poll = max(intervals, default=0.0)
    await asyncio.sleep(waiting_poll + 1.0)

    c = console.client
    choice = c.find("phase_choice_review", kind="button_group")
    if choice is None:
        raise RuntimeError("no phase control on the console")
    from workshop import services  # the label the console shows (lang=en: the source text)
    from workshop.model import Phase

    vote = services.phase_label(Phase.VOTE)
    if vote not in [o.content for o in choice.element.button_group.options]:
        raise RuntimeError(f"no {vote!r} option in the console's phase control")
    wid = choice.element.button_group.id
    await c.rerun({wid: string_array(wid, [vote])}, timeout=args.timeout)
    confirm = c.find("confirm_phase", kind="button")
    if confirm is None:
        raise RuntimeError("no confirmation after choosing the vote phase")
    opened[0] = time.perf_counter()
    r = await c.rerun(trigger(element_id(confirm.element)), timeout=args.timeout)
    deadline = time.perf_counter() + args.settle + 2 * waiting_poll
    while len(seen) < len(live) and time.perf_counter() < deadline:
        await asyncio.sleep(0.1)
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    usage = sampler.stop()
    await _bounded([d.client.close() for d in devices if d.client], 200)
    await console.client.close()
    ready = [seen[d.idx] - opened[0] for d in live if d.idx in seen]
    return {
        "label": "app",
        "n": args.n,
        "joined": len(live),
        "waiting_poll_s": round(waiting_poll, 1),
        "confirm_ms": round((r.seconds or 0) * 1000),
        "ballot_shown": len(ready),
        "missing": len(live) - len(ready),
        "ready_p50_ms": round(pct(ready, 50) * 1000) if ready else None,
        "ready_p95_ms": round(pct(ready, 95) * 1000) if ready else None,
        "ready_max_ms": round(max(ready) * 1000) if ready else None,
        "server_cpu_s": round(usage.cpu_seconds, 1),
        "server_peak_rss_mb": round(usage.peak_rss_mb),
        "errors": [d.error for d in devices if d.error][:5],
    }


def print_open_table(row: dict) -> None:
    keys = [
        "n",
        "joined",
        "waiting_poll_s",
        "confirm_ms",
        "ballot_shown",
        "missing",
        "ready_p50_ms",
        "ready_p95_ms",
        "ready_max_ms",
        "server_cpu_s",
        "server_peak_rss_mb",
    ]
    _table([(k, lambda r, k=k: r[k]) for k in keys], [row])
    for e in row["errors"]:
        print("error:", e)


def check_database(res: Result, prep: Prepared) -> None:
    devices = [d for d in res._devices if d.token]
    total, stored = stored_ballots(prep, [d.token for d in devices])
    res.found = total - prep.baseline_ballots
    lost = mismatched = 0
    for d in devices:
        if d.confirmed is None:
            continue
        got = stored.get(d.token)
        if got is None:
            lost += 1
        elif got != d.confirmed:
            mismatched += 1
    res.lost, res.mismatched = lost, mismatched


# --- the minimal app ---------------------------------------------------------------------------


async def minimal_run(args) -> Result:
    """The same number of clients and the same timing against a one-form app."""
    res = Result("minimal", args.n, args.mode, "form", args.rounds)
    server = _server(args, "bench/minimal_app.py", {}, args.workdir / "minimal.log").start()
    try:
        port = server.port
        sampler = Sampler(server.pid).start()
        rng = random.Random(args.seed)
        devs = [Device(i, random.Random(rng.random())) for i in range(args.n)]
        t_start = time.perf_counter()

        async def open_(d: Device) -> None:
            try:
                c = d.client = Client(port)
                t = time.perf_counter()
                await c.connect(args.timeout)
                r = await c.rerun(timeout=args.timeout)
                if r.status != "ok":
                    raise RuntimeError(r.status)
                d.page_ready = time.perf_counter() - t
            except Exception as exc:
                d.error = repr(exc)

        async def submit(d: Device, rnd: int) -> None:
            c = d.client
            try:
                who, choice = c.find("device", kind="text_input"), c.find("choice", kind="radio")
                btn = next(s for s in c.shown.values() if s.kind == "button" and s.element.button.is_form_submitter)
                over = {
                    who.element.text_input.id: string(who.element.text_input.id, f"dev{d.idx}"),
                    choice.element.radio.id: string(
                        choice.element.radio.id, d.rng.choice(choice.element.radio.options)
                    ),
                    **trigger(btn.element.button.id),
                }
                r = await c.rerun(
                    over,
                    predicate=lambda s: s.kind == "alert" and s.element.alert.format == SUCCESS,
                    timeout=args.timeout,
                )
                confirm = None if r.matched is None else r.matched - r.sent
                d.submits.append(
                    Submit(rnd, r.sent, confirm, r.seconds, "" if confirm else f"no confirmation {r.status}")
                )
                if confirm is not None:
                    d.confirmed = True
            except Exception as exc:
                d.error = repr(exc)

        join_window = args.join_window if args.join_window is not None else max(2.0, args.n / 20)
        t0 = time.perf_counter()
        await asyncio.gather(*(_at(t0 + rng.uniform(0, join_window), open_(d)) for d in devs))
        live = [d for d in devs if not d.error]
        for rnd in range(1, args.rounds + 1):
            t1 = time.perf_counter() + 0.5
            if args.mode == "burst":
                await asyncio.gather(*(_at(t1 + d.rng.uniform(0, args.burst_window), submit(d, rnd)) for d in live))
                if rnd < args.rounds:
                    await asyncio.sleep(args.pause)
            else:
                await asyncio.gather(*(_at(t1 + d.rng.uniform(0, args.spread), submit(d, rnd)) for d in live))
        res.wall = time.perf_counter() - t_start
        usage = sampler.stop()
        await _bounded([d.client.close() for d in devs if d.client], 200)
        for d in devs:
            if d.page_ready is not None:
                res.page_ready.append(d.page_ready)
            for s in d.submits:
                if s.confirm is not None:
                    res.confirm.append(s.confirm)
                    res.per_round.setdefault(s.round, []).append(s.confirm)
                elif s.error:
                    res.errors.append(s.error)
            if d.error:
                res.errors.append(d.error)
        res.acked = sum(1 for d in devs if d.confirmed)
        res.cpu = {
            "server_cpu_s": round(usage.cpu_seconds, 1),
            "server_cpu_mean_pct": round(usage.mean_cpu_percent),
            "server_peak_rss_mb": round(usage.peak_rss_mb),
        }
        return res
    finally:
        server.stop()


# --- the join storm ----------------------------------------------------------------------------


async def storm_run(args, port: int, query: str, server: Server, label: str) -> Result:
    """N devices open the join link within ``window`` seconds: static files as a browser loads
    them (``--static``), then the websocket; page-ready = first request → first run finished."""
    res = Result(label, args.n, "storm", "", 0)
    assets = await page_assets(port) if args.static == "full" else []
    paths = ["/"] + assets if args.static != "none" else []
    sampler = Sampler(server.pid).start()
    rng = random.Random(args.seed)
    stats = {"requests": 0, "failed": 0, "bytes": 0}
    devs = [Device(i, random.Random(rng.random())) for i in range(args.n)]

    async def one(d: Device) -> None:
        t = time.perf_counter()
        try:
            if paths:
                n, failed, size = await fetch_all(port, paths, timeout=args.timeout)
                stats["requests"] += n
                stats["failed"] += failed
                stats["bytes"] += size
            c = d.client = Client(port, query)
            await c.connect(args.timeout)
            r = await c.rerun(timeout=args.timeout)
            if r.status not in ("ok", "fragment_ok"):
                raise RuntimeError(r.status)
            d.page_ready = time.perf_counter() - t
        except Exception as exc:
            d.error = repr(exc)

    t0 = time.perf_counter()
    await asyncio.gather(*(_at(t0 + rng.uniform(0, args.window), one(d)) for d in devs))
    res.wall = time.perf_counter() - t0
    usage = sampler.stop()
    await _bounded([d.client.close() for d in devs if d.client], 200)
    res.page_ready = [d.page_ready for d in devs if d.page_ready is not None]
    res.errors = [d.error for d in devs if d.error]
    res.static = {
        "static": args.static,
        "http_requests_per_device": len(paths),
        "http_failed": stats["failed"],
        "mb_per_device": round(stats["bytes"] / max(1, args.n) / 1e6, 2),
    }
    res.cpu = {
        "server_cpu_s": round(usage.cpu_seconds, 1),
        "server_cpu_mean_pct": round(usage.mean_cpu_percent),
        "server_peak_rss_mb": round(usage.peak_rss_mb),
    }
    return res


# --- reporting ---------------------------------------------------------------------------------


def print_vote_table(rows: list[dict], ratio: float | None) -> None:
    cols = [
        ("who", lambda r: r["label"]),
        ("N", lambda r: r["n"]),
        ("mode", lambda r: f"{r['mode']}×{r['rounds']}"),
        ("method", lambda r: r["method"]),
        ("acked", lambda r: r["acked"]),
        ("in DB", lambda r: "—" if r.get("found") is None else r["found"]),
        ("lost", lambda r: "—" if r.get("lost") is None else r["lost"] + (r.get("mismatched") or 0)),
        ("err", lambda r: r["errors"]),
        ("p50 ms", lambda r: ms(r["confirm_p50"])),
        ("p95 ms", lambda r: ms(r["confirm_p95"])),
        ("max ms", lambda r: ms(r["confirm_max"])),
        ("tap p95", lambda r: ms(r["tap_p95"])),
        ("ready p95", lambda r: ms(r["page_ready_p95"])),
        ("poll p95", lambda r: ms(r.get("poll_p95"))),
        ("stale p95", lambda r: "—" if r["label"] != "app" else ms(r["stale_p95"])),
        ("stale max", lambda r: "—" if r["label"] != "app" else ms(r["stale_max"])),
        ("cpu s", lambda r: r.get("server_cpu_s", "—")),
        ("cpu %", lambda r: r.get("server_cpu_mean_pct", "—")),
        ("RSS MB", lambda r: r.get("server_peak_rss_mb", "—")),
        ("wall s", lambda r: r["wall_s"]),
    ]
    _table(cols, rows)
    for r in rows:
        if r["label"] == "app":
            rounds = ", ".join(f"r{k}: {ms(v)}" for k, v in r["per_round_p95"].items())
            print(f"app p95 per round (ms): {rounds}")
            if r.get("stale_missing"):
                print(f"projector never showed {r['stale_missing']} confirmed ballots")
        for e in r.get("error_samples", []):
            print(f"  {r['label']} error: {e[:200]}")
    if ratio is not None:
        print(f"p95 ratio app / minimal app: {ratio:.2f}")


def print_storm_table(rows: list[dict]) -> None:
    cols = [
        ("who", lambda r: r["label"]),
        ("N", lambda r: r["n"]),
        ("window s", lambda r: r.get("window")),
        ("static", lambda r: r.get("static")),
        ("req/dev", lambda r: r.get("http_requests_per_device")),
        ("MB/dev", lambda r: r.get("mb_per_device")),
        ("failed", lambda r: r["errors"] + (r.get("http_failed") or 0)),
        ("ready p50 ms", lambda r: ms(r["page_ready_p50"])),
        ("ready p95 ms", lambda r: ms(r["page_ready_p95"])),
        ("ready max ms", lambda r: ms(r["page_ready_max"])),
        ("cpu s", lambda r: r.get("server_cpu_s")),
        ("RSS MB", lambda r: r.get("server_peak_rss_mb")),
        ("wall s", lambda r: r["wall_s"]),
    ]
    _table(cols, rows)
    for r in rows:
        for e in r.get("error_samples", []):
            print(f"  {r['label']} error: {e[:200]}")


def _table(cols, rows) -> None:
    cells = [[str(f(r)) for _h, f in cols] for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, (h, _f) in enumerate(cols)]
    print("  ".join(h.rjust(w) for (h, _f), w in zip(cols, widths, strict=True)))
    for c in cells:
        print("  ".join(x.rjust(w) for x, w in zip(c, widths, strict=True)))


# --- main --------------------------------------------------------------------------------------


def _server(args, script: str, env: dict, log: Path, profile=None) -> Server:
    opts = [x for kv in args.server_opt for x in ("--" + kv.split("=", 1)[0], kv.split("=", 1)[1])]
    server = Server(script, env=env, log=log, profile=profile, args=opts)
    if args.app_dir is not None:
        server.cwd = args.app_dir
    return server


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    p.add_argument("--scenario", choices=["vote", "storm", "open"], default="vote")
    p.add_argument("--n", type=int, default=50, help="simulated devices (default 50)")
    p.add_argument("--mode", choices=["burst", "steady"], default="burst")
    p.add_argument("--rounds", type=int, default=None, help="vote rounds (default: 3 burst, 1 steady)")
    p.add_argument("--method", choices=["dots", "approval", "rating", "ranking"], default="dots")
    p.add_argument("--burst-window", type=float, default=2.0, help="all submits of a round within this (s)")
    p.add_argument("--pause", type=float, default=3.0, help="seconds between burst rounds")
    p.add_argument("--join-window", type=float, default=None, help="devices join within this (s; default N/20)")
    p.add_argument("--prepare-window", type=float, default=None, help="burst: taps spread over (s; default N/25)")
    p.add_argument("--spread", type=float, default=30.0, help="steady: devices start within this (s)")
    p.add_argument("--think", type=float, nargs=2, default=(0.3, 1.5), help="steady: think time range (s)")
    p.add_argument(
        "--projector",
        default="projector",
        help="url path of the page the projector client shows ('projector', 'console'; 'none' = no projector)",
    )
    p.add_argument("--projector-metric", default="Ballots", help="console: label of the ballots metric (lang=en)")
    p.add_argument("--projector-poll", type=float, default=2.0, help="full-rerun interval if the page has no timer")
    p.add_argument("--no-poll", dest="poll", action="store_false", help="participants do not ask their phase watch")
    p.add_argument("--no-minimal", action="store_true", help="skip the minimal-app baseline")
    p.add_argument("--window", type=float, default=10.0, help="storm: devices open the link within (s)")
    p.add_argument("--static", choices=["none", "html", "full"], default="full", help="storm: HTTP like a browser")
    p.add_argument(
        "--proxy",
        choices=["none", "nginx"],
        default="none",
        help="storm: through nginx as set up by scripts/nginx_site.py (static files from disk, gzip)",
    )
    p.add_argument("--storm-app", choices=["app", "minimal", "both"], default="both")
    p.add_argument("--timeout", type=float, default=120.0, help="per request (s)")
    p.add_argument("--settle", type=float, default=10.0, help="wait for the projector to catch up (s)")
    p.add_argument("--max-seconds", type=float, default=900.0, help="bound on one run (s)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument(
        "--snapshot",
        action="store_true",
        help="run a copy of the app's files taken at the start (edits made during the run do not disturb it)",
    )
    p.add_argument(
        "--server-opt",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra `streamlit run` option for both servers, e.g. server.fileWatcherType=none",
    )
    p.add_argument("--profile", type=Path, help="sample the app server's stacks, write a profile here")
    p.add_argument("--json", type=Path, help="append the result rows to this JSON-lines file")
    p.add_argument("--keep", action="store_true", help="keep the temp directory (DB file, server logs)")
    args = p.parse_args(argv)
    if args.rounds is None:
        args.rounds = 3 if args.mode == "burst" else 1
    if args.scenario == "open" and args.method != "dots":
        p.error("--scenario open recognises the dot ballot only (--method dots)")
    if not 1 <= args.n <= 5000:
        p.error("--n must be 1..5000")
    return args


async def main_async(args) -> list[dict]:
    rows: list[dict] = []
    if args.scenario == "storm":
        prep = prepare_db(args.workdir, "dots", args.app_dir or ROOT)
        apps = ["app", "minimal"] if args.storm_app == "both" else [args.storm_app]
        for app in apps:
            script = "app.py" if app == "app" else "bench/minimal_app.py"
            env = {"PW_DB_PATH": prep.db_path, "PW_PASSPHRASE": PASSPHRASE}
            server = _server(args, script, env, args.workdir / f"{app}-storm.log").start()
            proxy = None
            try:
                port = server.port
                if args.proxy == "nginx":
                    proxy = Nginx(args.workdir / f"nginx-{app}", server.port).start()
                    port = proxy.port
                # One warm-up page (imports, caches), as after a facilitator opened the app.
                warm = Client(port, f"code={prep.code}&lang=de" if app == "app" else "")
                await warm.connect()
                await warm.rerun(timeout=args.timeout)
                await warm.close()
                query = f"code={prep.code}&lang=de" if app == "app" else ""
                res = await storm_run(args, port, query, server, app + (" via nginx" if proxy else ""))
            finally:
                if proxy is not None:
                    proxy.stop()
                server.stop()
            row = res.summary() | {"window": args.window}
            rows.append(row)
        print_storm_table(rows)
        return rows

    prep = prepare_db(args.workdir, args.method, args.app_dir or ROOT, waiting=args.scenario == "open")
    env = {"PW_DB_PATH": prep.db_path, "PW_PASSPHRASE": PASSPHRASE}
    server = _server(args, "app.py", env, args.workdir / "app.log", profile=args.profile).start()
    if args.scenario == "open":
        try:
            row = await open_run(args, server.port, prep, server)
        finally:
            server.stop()
        print_open_table(row)
        return [row]
    try:
        res = await vote_run(args, server.port, prep, server)
    finally:
        code = server.stop()
    if code not in (0, -15, None):
        res.errors.append(f"server exit code {code}")
    check_database(res, prep)
    rows.append(res.summary())
    ratio = None
    if not args.no_minimal:
        base = await minimal_run(args)
        rows.append(base.summary())
        if res.confirm and base.confirm:
            ratio = pct(res.confirm, 95) / pct(base.confirm, 95)
            rows[0]["p95_ratio_to_minimal"] = round(ratio, 2)
    print_vote_table(rows, ratio)
    return rows


def main(argv=None) -> int:
    args = parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="pw-bench-"))
    args.workdir = tmp
    args.app_dir = snapshot(tmp / "app") if args.snapshot else None
    try:
        rows = asyncio.run(main_async(args))
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        with open(args.json, "a") as fh:
            for r in rows:
                fh.write(json.dumps({"args": _args_dict(args), **r}, default=str) + "\n")
    app = next((r for r in rows if r["label"] == "app"), None)
    if args.scenario == "vote" and app is not None and (app["lost"] or app["mismatched"]):
        return 1
    return 0


def _args_dict(args) -> dict:
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}


if __name__ == "__main__":
    sys.exit(main())
