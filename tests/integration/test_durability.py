"""Durability against a real ``streamlit run``, at small N (issue 6).

1. ``kill -9`` of the server while 100 devices vote: every ballot whose confirmation reached its
   device is in the file after a restart, exactly as confirmed, and nothing is duplicated.
2. A second process on the file (the command line, a second app) is refused with the clear
   message, and neither it nor the refusal changes the file or disturbs the running app.
3. A device whose connection drops and comes back with its link (token ``t``) gets its stored
   ballot back; a submit needs no websocket. (The unsent draft lives in the browser:
   tests/e2e/test_ballot_dots.py.)

The devices speak the browser's websocket protocol (bench/client.py) and use the participant
protocol of the load benchmark (bench/load.py). Every test works on its own copy of one demo
file and reads the file itself only after its server stopped (one process per file).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from bench.client import Client, Shown
from bench.load import PASSPHRASE, Device, Participant, Prepared, _at, _choose_dots, prepare_db
from bench.server import ROOT, Server
from tests.conftest import tallies_check
from tests.integration import asyncrun
from workshop import auth
from workshop.errors import StoreLocked
from workshop.services import token_hash
from workshop.store import Database

TIMEOUT = 60.0  # per request (s); a busy CI machine is slow, a hang still ends
N_DEVICES = 100
JOIN_WINDOW = 4.0  # devices open the join link within (s)
VOTE_WINDOW = 7.0  # devices start tapping and submitting within (s)
KILL_AT_ACKS = 40  # kill -9 once this many devices saw their confirmation
GROWING = ("devices", "ballots", "votes")  # the only tables participants write to
DERIVED = "tallies"  # kept with the votes: checked against them, not row by row


# --- the file ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Prepared:
    """The demo in dot voting, built once (the CLI's demo takes seconds); tests get copies."""
    prep = prepare_db(tmp_path_factory.mktemp("durability"), "dots")
    db = Database(prep.db_path)
    try:
        # Store the hash of the passphrase the servers get, so a server start writes nothing.
        auth.ensure_passphrase(db, PASSPHRASE)
        db.checkpoint()
    finally:
        db.close()
    return prep


def copy_of(prep: Prepared, dest: Path) -> Prepared:
    path = dest / "workshop.duckdb"
    shutil.copy2(prep.db_path, path)
    if Path(prep.db_path + ".wal").exists():
        shutil.copy2(prep.db_path + ".wal", str(path) + ".wal")
    return replace(prep, db_path=str(path))


def dump(path: str) -> dict[str, Counter]:
    """Every row of every table (as a multiset), read with the server stopped."""
    db = Database(path, read_only=True)
    try:
        tables = [
            r[0]
            for r in db.fetchall(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1"
            )
        ]
        return {t: Counter(db.fetchall(f'SELECT * FROM "{t}"')) for t in tables}
    finally:
        db.close()


@dataclass
class Stored:
    device_of: dict[str, str]  # token -> device id
    votes: dict[str, dict[str, float]]  # device id -> {measure id: dots} of the device's dot ballot
    ballots: int  # ballots in the whole file
    wal_bytes: int


def check_file(before: dict[str, Counter], path: str, tokens: list[str]) -> Stored:
    """The file after the run: what the devices did, and nothing else.

    Only participant tables grew, only by rows of these devices; nothing that was there before
    changed or went missing; one device per join, one ballot per device and method, no repeated
    submission id, one vote row per ballot, measure and criterion, no vote without its ballot.
    """
    wal = Path(path + ".wal")
    wal_bytes = wal.stat().st_size if wal.exists() else 0
    after = dump(path)
    assert set(after) == set(before), "tables appeared or disappeared"
    for table in before:
        if table == DERIVED:
            continue
        if table not in GROWING:
            assert after[table] == before[table], f"table {table} changed: {after[table] - before[table]}"
        lost = before[table] - after[table]
        assert not lost, f"rows of {table} that were there before are gone or changed: {lost}"

    db = Database(path, read_only=True)
    try:
        kept, from_votes = tallies_check(db)
        assert kept == from_votes, f"the tallies are not the votes stored: {kept - from_votes} / {from_votes - kept}"
        devices = db.fetchall("SELECT id, token_hash FROM devices")
        ballots = db.fetchall("SELECT id, device_id, method, submission_id FROM ballots")
        votes = db.fetchall("SELECT ballot_id, measure_id, criterion, value FROM votes")
    finally:
        db.close()

    by_hash = {h: d for d, h in devices}
    device_of = {tok: by_hash[token_hash(tok)] for tok in tokens if token_hash(tok) in by_hash}
    missing = [tok for tok in tokens if tok not in device_of]
    assert not missing, f"{len(missing)} devices that got their link (token) are not in the file"
    ours = set(device_of.values())
    assert len(ours) == len(tokens), "two tokens lead to one device"
    new_devices = sum((after["devices"] - before["devices"]).values())
    assert new_devices == len(tokens), f"{new_devices} new devices for {len(tokens)} joins"

    per_device = Counter((dev, method) for _b, dev, method, _s in ballots)
    twice = [k for k, n in per_device.items() if n > 1]
    assert not twice, f"{len(twice)} devices have more than one ballot of a method: {twice[:3]}"
    per_submission = Counter(sub for _b, _d, _m, sub in ballots)
    twice = [k for k, n in per_submission.items() if n > 1]
    assert not twice, f"submission ids stored more than once: {twice[:3]}"
    new_ballot_ids = {row[0] for row in after["ballots"] - before["ballots"]}
    ballot_device = {b: d for b, d, _m, _s in ballots}
    assert all(ballot_device[b] in ours for b in new_ballot_ids), "a ballot appeared for a device nobody joined"

    per_vote = Counter((b, m, c) for b, m, c, _v in votes)
    twice = [k for k, n in per_vote.items() if n > 1]
    assert not twice, f"a measure counted twice on one ballot: {twice[:3]}"
    orphans = {b for b, _m, _c, _v in votes} - set(ballot_device)
    assert not orphans, f"votes without a ballot: {orphans}"
    new_votes = after["votes"] - before["votes"]
    assert all(ballot_device[row[0]] in ours for row in new_votes), "votes changed on a ballot of another device"

    out: dict[str, dict[str, float]] = {}
    dots_ballot = {b: d for b, d, m, _s in ballots if m == "dots" and d in ours}
    for b, d in dots_ballot.items():
        out[d] = {}
    for b, m, c, v in votes:
        if b in dots_ballot:
            assert c == "", f"a dot vote with a criterion: {c!r}"
            out[dots_ballot[b]][m] = v
    return Stored(device_of, out, len(ballots), wal_bytes)


# --- the page ----------------------------------------------------------------------------------


def start_server(prep: Prepared, tmp: Path, name: str, *, wait: bool = True, **env: str) -> Server:
    server = Server(
        "app.py",
        env={"PW_DB_PATH": prep.db_path, "PW_PASSPHRASE": PASSPHRASE, **env},
        args=["--server.fileWatcherType", "none"],
        log=tmp / f"{name}.log",
        new_session=True,
    )
    if not wait:
        with contextlib.suppress(RuntimeError):  # it exits before it is healthy: the caller checks
            server.start(timeout=90)
        return server
    return server.start(timeout=90)


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=5) as r:
            return r.status == 200
    except OSError:
        return False


def log_tail(tmp: Path) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in sorted(tmp.glob("*.log")))


def plain(markdown: str) -> str:
    """Alert text without the Markdown escapes and word joiners of ``md_escape``."""
    return re.sub(r"\\(.)", r"\1", markdown.replace("\u2060", ""))


def alerts(c: Client, fmt: int) -> list[str]:
    return [
        plain(s.element.alert.body) for s in c.shown.values() if s.kind == "alert" and s.element.alert.format == fmt
    ]


def exceptions(c: Client) -> list[Shown]:
    return [s for s in c.shown.values() if s.kind == "exception"]


def dots_on_screen(c: Client) -> dict[str, int]:
    """The stored dots the server gives the ballot page (measure id -> dots): the browser shows
    them where it has no newer draft of its own (ui/ballot/core.js; drafts: tests/e2e)."""
    data = Participant.browser_ballot(c)
    assert data is not None, f"no ballot on the page: {Counter(s.kind for s in c.shown.values())}"
    dots = dict((data["saved"] or {}).get("dots", {}))
    shown = {m["id"] for g in data["goals"] for m in g["measures"]}
    assert set(dots) <= shown, "a stored dot on a measure the ballot does not show"
    return dots


def shown_as_saved(c: Client) -> bool:
    """Whether the ballot page has a stored ballot to show as saved ("Your vote is saved", the
    button disabled until a change)."""
    data = Participant.browser_ballot(c)
    assert data is not None, "no ballot on the ballot page"
    return data["saved"] is not None


async def reopen(port: int, query: str) -> Client:
    """The device opens its link again (a reload, the Wi-Fi back): a new websocket, a new session."""
    c = Client(port, query)
    await c.connect(TIMEOUT)
    r = await c.rerun(timeout=TIMEOUT)
    assert r.status == "ok", f"page load: {r.status}"
    assert not exceptions(c), [s.element.exception.message for s in exceptions(c)]
    return c


def ballot_for(rng: random.Random, prep: Prepared) -> dict[str, int]:
    """A valid dot ballot on 1-3 measures (1-3 taps), different per device."""
    ids = sorted(prep.goal_of)
    return _choose_dots(rng, rng.sample(ids, rng.randint(1, 3)), prep.rules, prep.goal_of)


def same_dots(stored: dict[str, float] | None, dots: dict[str, int]) -> bool:
    return stored is not None and stored == {m: float(n) for m, n in dots.items()}


# --- 1. kill -9 mid-vote -------------------------------------------------------------------------


@dataclass
class KillRun:
    joined_s: float = 0.0
    kill_after_s: float = 0.0
    acked_at_kill: int = 0
    in_flight_at_kill: int = 0
    exit_code: int | None = None


async def vote_and_kill(server: Server, prep: Prepared, devices: list[Device], wants: dict, attempted: dict) -> KillRun:
    run = KillRun()
    part = Participant(server.port, prep, TIMEOUT)

    async def join(d: Device) -> None:
        try:
            await part.open(d)
            await part.join(d)
        except Exception as exc:
            d.error = f"join: {exc!r}"

    t0 = time.perf_counter()
    await asyncio.gather(*(_at(t0 + d.rng.uniform(0, JOIN_WINDOW), join(d)) for d in devices))
    run.joined_s = time.perf_counter() - t0
    failed = [d.error for d in devices if d.error]
    assert not failed, f"{len(failed)} devices could not join: {failed[:3]}"

    started: set[int] = set()
    in_flight: set[int] = set()
    acked = 0
    kill_now = asyncio.Event()

    async def vote(d: Device, at: float) -> None:
        nonlocal acked
        await asyncio.sleep(max(0.0, at - time.perf_counter()))
        started.add(d.idx)
        try:
            ballot = await part.fill(d, (0.0, 0.0), dots=wants[d.idx])
            attempted[d.idx] = ballot
            in_flight.add(d.idx)
            await part.submit(d, 1, ballot)  # confirmed only if the endpoint answered 200
        except Exception as exc:
            d.error = f"vote: {exc!r}"
        finally:
            in_flight.discard(d.idx)
        if d.confirmed is not None:
            acked += 1
            if acked >= KILL_AT_ACKS:
                kill_now.set()

    t1 = time.perf_counter()
    tasks = {d.idx: asyncio.create_task(vote(d, t1 + d.rng.uniform(0, VOTE_WINDOW))) for d in devices}
    try:
        await asyncio.wait_for(kill_now.wait(), VOTE_WINDOW + 2 * TIMEOUT)
    except TimeoutError:
        pass
    # Kill while at least one submit is on its way (sent, its confirmation not yet back).
    wait_until = time.perf_counter() + 5
    while not in_flight and time.perf_counter() < wait_until and not all(t.done() for t in tasks.values()):
        await asyncio.sleep(0.001)
    run.acked_at_kill, run.in_flight_at_kill = acked, len(in_flight)
    run.exit_code = server.kill()
    run.kill_after_s = time.perf_counter() - t1
    for idx, task in tasks.items():
        if idx not in started:
            task.cancel()  # not begun: its device never got to vote before the kill
    await asyncio.gather(*tasks.values(), return_exceptions=True)
    for d in devices:
        if d.client is not None:
            await d.client.close()
    return run


async def after_restart(
    port: int, prep: Prepared, devices: list[Device], wants: dict, attempted: dict
) -> tuple[int, int]:
    """Devices reopen their links on the restarted server: a confirmed one sees its stored ballot
    (the drafts died with the process, so the screen comes from the file), and some change their
    vote; one without a confirmation sees nothing or exactly what it sent, and votes again.
    Returns (changed, voted again)."""
    part = Participant(port, prep, TIMEOUT)
    confirmed = [d for d in devices if d.confirmed is not None][:10]
    # Those whose submit was sent first (their ballot may or may not be stored), then others.
    pending = sorted((d for d in devices if d.confirmed is None), key=lambda d: d.idx not in attempted)[:15]
    changed = resubmitted = 0

    async def check_confirmed(d: Device, change: bool) -> None:
        nonlocal changed
        c = d.client = await reopen(port, d.client.query_string)
        try:
            assert dots_on_screen(c) == d.confirmed.dots, "a confirmed ballot is not on the screen after the restart"
            assert shown_as_saved(c), "no 'your vote is saved' for a stored ballot"
            if change:  # a second submit of the device replaces its ballot, it adds none
                new = ballot_for(d.rng, prep)
                while new == d.confirmed.dots:
                    new = ballot_for(d.rng, prep)
                ballot = await part.fill(d, (0.0, 0.0), dots=new)
                await part.submit(d, 2, ballot)
                assert d.confirmed == ballot, f"no confirmation of the changed vote: {d.submits[-1]}"
                changed += 1
        finally:
            await c.close()

    async def vote_again(d: Device) -> None:
        nonlocal resubmitted
        c = d.client = await reopen(port, d.client.query_string)
        try:
            shown = dots_on_screen(c)
            sent = attempted.get(d.idx)
            if shown:
                # Stored before the kill, the confirmation lost with it: the device now sees it.
                assert sent is not None and shown == sent.dots, f"device {d.idx} sees a ballot it never sent: {shown}"
                assert shown_as_saved(c)
                d.confirmed = sent
                return
            ballot = await part.fill(d, (0.0, 0.0), dots=wants[d.idx])
            await part.submit(d, 2, ballot)
            assert d.confirmed == ballot, f"no confirmation after the restart: {d.submits[-1]}"
            resubmitted += 1
        finally:
            await c.close()

    await asyncio.gather(
        *(check_confirmed(d, i < 5) for i, d in enumerate(confirmed)), *(vote_again(d) for d in pending)
    )
    return changed, resubmitted


def test_kill9_mid_vote_keeps_every_confirmed_ballot_once(template: Prepared, tmp_path: Path) -> None:
    t_start = time.perf_counter()
    prep = copy_of(template, tmp_path)
    before = dump(prep.db_path)
    rng = random.Random(6)
    devices = [Device(i, random.Random(rng.random())) for i in range(N_DEVICES)]
    wants = {d.idx: ballot_for(d.rng, prep) for d in devices}
    attempted: dict[int, object] = {}  # device -> the ballot whose submit it sent

    server = start_server(prep, tmp_path, "app")
    try:
        run = asyncrun.run(vote_and_kill(server, prep, devices, wants, attempted))
    finally:
        server.kill()
    assert run.exit_code == -signal.SIGKILL, f"the server was not killed: exit code {run.exit_code}"
    confirmed_before_kill = {d.idx: d.confirmed for d in devices if d.confirmed is not None}
    # The kill fell into the vote: many confirmed, many not (else this tests nothing).
    assert len(confirmed_before_kill) >= KILL_AT_ACKS, (len(confirmed_before_kill), run, log_tail(tmp_path))
    assert N_DEVICES - len(confirmed_before_kill) >= 20, f"the kill came too late: {run}"
    assert run.in_flight_at_kill >= 1, f"no submit was on its way at the kill: {run}"

    # What the kill left, before anything else touches the file.
    tokens = [d.token for d in devices]
    killed = check_file(before, prep.db_path, tokens)
    lost = [
        i
        for i, b in confirmed_before_kill.items()
        if not same_dots(killed.votes.get(killed.device_of[devices[i].token]), b.dots)
    ]
    assert not lost, f"{len(lost)} confirmed ballots lost or changed by kill -9: devices {lost[:10]}"

    # A server on the same file, and devices coming back to it.
    server = start_server(prep, tmp_path, "restart")
    try:
        changed, resubmitted = asyncrun.run(after_restart(server.port, prep, devices, wants, attempted))
    finally:
        code = server.stop()
    assert code in (0, -signal.SIGTERM), f"restarted server exit code {code}\n{log_tail(tmp_path)}"

    stored = check_file(before, prep.db_path, tokens)
    mismatched, invented = [], []
    for d in devices:
        got = stored.votes.get(stored.device_of[d.token])
        if d.confirmed is not None:
            if not same_dots(got, d.confirmed.dots):
                mismatched.append((d.idx, got, d.confirmed.dots))
        elif got is not None and not (d.idx in attempted and same_dots(got, attempted[d.idx].dots)):
            invented.append((d.idx, got))  # stored, never confirmed, and not what the device sent
    assert not mismatched, f"{len(mismatched)} confirmed ballots not stored as confirmed: {mismatched[:3]}"
    assert not invented, f"ballots nobody sent: {invented[:3]}"
    acked = sum(1 for d in devices if d.confirmed is not None)
    ours = sum(1 for d in devices if stored.votes.get(stored.device_of[d.token]) is not None)
    print(
        f"\nkill -9: {N_DEVICES} devices joined in {run.joined_s:.1f} s; killed {run.kill_after_s:.1f} s into the vote "
        f"with {run.acked_at_kill} confirmed, {run.in_flight_at_kill} submits in flight "
        f"(WAL left: {killed.wal_bytes} bytes); confirmations received {len(confirmed_before_kill)}, all in the file; "
        f"after the restart {changed} changed their vote, {resubmitted} voted again; "
        f"confirmed {acked}, ballots of these devices in the file {ours}; "
        f"{time.perf_counter() - t_start:.1f} s"
    )


# --- 2. a second process on the file ------------------------------------------------------------


def cli(prep: Prepared, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "workshop", *args],
        cwd=ROOT,
        env={**os.environ, "PW_DB_PATH": prep.db_path},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def join_and_vote(port: int, prep: Prepared, dev: Device, dots: dict[str, int]) -> None:
    part = Participant(port, prep, TIMEOUT)
    await part.open(dev)
    await part.join(dev)
    ballot = await part.fill(dev, (0.0, 0.0), dots=dots)
    await part.submit(dev, 1, ballot)
    assert dev.confirmed == ballot, f"no confirmation: {dev.submits}"
    await dev.client.close()


def test_second_process_is_refused_with_the_message_and_changes_nothing(template: Prepared, tmp_path: Path) -> None:
    prep = copy_of(template, tmp_path)
    before = dump(prep.db_path)
    rng = random.Random(2)
    first, later = Device(0, random.Random(1)), Device(1, random.Random(2))
    first_dots, later_dots = ballot_for(rng, prep), ballot_for(rng, prep)
    backup_out = tmp_path / "backup.json"

    server = start_server(prep, tmp_path, "app")
    second = None
    try:
        asyncrun.run(join_and_vote(server.port, prep, first, first_dots))  # the app holds the file now

        # This process, read-write and read-only: the store's own refusal, and its message.
        for read_only in (False, True):
            with pytest.raises(StoreLocked) as refused:
                Database(prep.db_path, read_only=read_only)
        locked = refused.value
        assert prep.db_path in locked.message()

        # (a) the command line: a reading and a writing command; (b) a second app on the file.
        commands = [
            cli(prep, "backup", prep.code, str(backup_out)),
            cli(prep, "passphrase", "a-new-passphrase-from-a-second-process"),
        ]
        # Issue 18.6: a second app on the file does not start: the message on its console, a
        # non-zero exit, never a healthy-looking server that refuses every screen and ballot.
        second = start_server(prep, tmp_path, "second", wait=False, PW_PASSPHRASE="the-second-apps-passphrase")
        assert second.proc.wait(timeout=TIMEOUT) not in (0, None)
        second_log = (tmp_path / "second.log").read_text(errors="replace")
        assert f"Planungswerkstatt cannot start: {locked.message()}" in second_log, second_log[-3000:]
        assert "Traceback" not in second_log, second_log[-3000:]
        assert not healthy(second.port)

        for proc in commands:
            out, err = proc.communicate(timeout=TIMEOUT)
            assert proc.returncode not in (0, None), f"{proc.args}: exit {proc.returncode}\n{out}\n{err}"
            assert locked.message() in err, err
            assert "Traceback" not in err, err
            assert "written" not in out and "changed" not in out, out
        assert not backup_out.exists()

        # The first app is undisturbed: the first device gets its stored ballot back, a new one votes.
        async def still_works() -> None:
            c = await reopen(server.port, first.client.query_string)
            try:
                assert dots_on_screen(c) == first_dots and shown_as_saved(c)
            finally:
                await c.close()
            await join_and_vote(server.port, prep, later, later_dots)

        asyncrun.run(still_works())
    finally:
        if second is not None:
            second.stop()
        code = server.stop()
    assert code in (0, -signal.SIGTERM), f"exit code {code}\n{log_tail(tmp_path)}"

    # The file: exactly the two devices' rows more, nothing else (the meta table holds the
    # passphrase hash: neither the command nor the second app's PW_PASSPHRASE replaced it).
    stored = check_file(before, prep.db_path, [first.token, later.token])
    assert same_dots(stored.votes.get(stored.device_of[first.token]), first_dots)
    assert same_dots(stored.votes.get(stored.device_of[later.token]), later_dots)
    assert stored.ballots == sum(before["ballots"].values()) + 2


# --- 3. a dropped connection comes back ---------------------------------------------------------


async def drop_and_resume(port: int, prep: Prepared, dev: Device, other: Device, draft: dict, change: dict) -> dict:
    part = Participant(port, prep, TIMEOUT)
    await part.open(dev)
    await part.join(dev)
    link = dev.client.query_string
    assert f"t={dev.token}" in link
    # The dots are placed in the browser (a draft there, tests/e2e/test_ballot_dots.py): the
    # server has nothing of them, and the Wi-Fi drops.
    await part.fill(dev, (0.0, 0.0), dots=draft)
    assert dots_on_screen(dev.client) == {} and not shown_as_saved(dev.client)
    await dev.client.close()

    # Back with the same link: a new session that only has the URL, the same device and ballot.
    c = dev.client = await reopen(port, link)
    assert f"t={dev.token}" in c.query_string, "the reconnect handed out another token"
    assert dots_on_screen(c) == {} and not shown_as_saved(c), "an unsent ballot shown as a stored vote"

    # Submit from the resumed page, drop, come back: the stored ballot, shown as saved.
    ballot = await part.fill(dev, (0.0, 0.0), dots=draft)
    await part.submit(dev, 1, ballot)
    assert dev.confirmed == ballot, f"no confirmation: {dev.submits}"
    await c.close()
    c = dev.client = await reopen(port, link)
    assert dots_on_screen(c) == draft and shown_as_saved(c)

    # Another device does not see this device's ballot.
    await part.open(other)
    await part.join(other)
    assert other.token != dev.token and dots_on_screen(other.client) == {}
    await other.client.close()

    # A change sent while the page's websocket is gone (the submit is plain HTTP): the next
    # session shows the changed ballot as the stored one.
    await c.close()
    changed = await part.fill(dev, (0.0, 0.0), dots=change)
    await part.submit(dev, 2, changed)
    assert dev.confirmed == changed, f"no confirmation without the websocket: {dev.submits}"
    c = dev.client = await reopen(port, link)
    try:
        assert dots_on_screen(c) == change and shown_as_saved(c)
    finally:
        await c.close()
    return changed.dots


def test_dropped_connection_resumes_the_stored_ballot(template: Prepared, tmp_path: Path) -> None:
    prep = copy_of(template, tmp_path)
    before = dump(prep.db_path)
    rng = random.Random(3)
    dev, other = Device(0, random.Random(1)), Device(1, random.Random(2))
    draft = ballot_for(rng, prep)
    while len(draft) < 2:
        draft = ballot_for(rng, prep)
    # The change: one measure fewer and one dot more elsewhere (still a valid ballot).
    first = sorted(draft)[0]
    change = {m: n for m, n in draft.items() if m != first}
    spare = next(m for m in sorted(prep.goal_of) if m not in draft)
    change[spare] = 1

    server = start_server(prep, tmp_path, "app")
    try:
        submitted = asyncrun.run(drop_and_resume(server.port, prep, dev, other, draft, change))
    finally:
        code = server.stop()
    assert code in (0, -signal.SIGTERM), f"exit code {code}\n{log_tail(tmp_path)}"

    stored = check_file(before, prep.db_path, [dev.token, other.token])
    assert submitted == change
    assert same_dots(stored.votes.get(stored.device_of[dev.token]), change), "the stored ballot is not the last one"
    assert stored.device_of[other.token] not in stored.votes, "a device that never submitted has a ballot"
