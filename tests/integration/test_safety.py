"""Safety copies and damaged files (issue 18.7): a crash may cost the last minutes, never silently.

Every test works on its own copy of one demo file (checkpointed, so it has no write-ahead log) and
on real DuckDB files: a write-ahead log is produced by writing with checkpoints switched off and
closing the connection, then damaged or cut off as a crash or a failing disk would.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import stat
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pandas as pd
import pytest

from workshop import auth, backup, config, demo, safety, scoring, services, views
from workshop.errors import StoreDamaged, StoreLocked
from workshop.model import DotBallot, Phase
from workshop.store import Database

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """The demo workshop (in the vote, ballots of every method), built once and checkpointed."""
    path = tmp_path_factory.mktemp("safety") / "template.duckdb"
    db = Database(path)
    demo.build(db)
    db.checkpoint()
    db.close()
    return path


@pytest.fixture
def db_path(template, tmp_path) -> Path:
    path = tmp_path / "workshop.duckdb"
    shutil.copy2(template, path)
    return path


@pytest.fixture
def db(db_path):
    db = Database(db_path)
    yield db
    db.close()


def keeper(db: Database, tmp_path: Path, keep: int = 12) -> safety.Keeper:
    return safety.Keeper(db, tmp_path / "safety", minutes=5, keep=keep)


def settings(db_path: Path, **env: str) -> config.Settings:
    return config.load({"PW_DB_PATH": str(db_path), "PW_SAFETY_MINUTES": "60", **env})


def a_ballot(db: Database, ws) -> None:
    """One more device votes (the workshop changes)."""
    participant, _token = services.join(db, ws.join_code)
    measure = next(iter(services.voting_measures(db, ws)))
    services.submit_ballot(db, participant, DotBallot({measure: 1}), uuid.uuid4().hex)


def no_checkpoints(db: Database) -> None:
    """What follows stays in the write-ahead log, also after close (as after a crash)."""
    with db.cursor() as cur:
        cur.execute("PRAGMA disable_checkpoint_on_shutdown")
        cur.execute("SET checkpoint_threshold = '1GB'")


def wait_for(condition, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.05)
    raise AssertionError("timed out")


# --- copies -------------------------------------------------------------------------------------


def test_an_open_workshop_is_copied_and_one_in_setup_is_not(db, tmp_path):
    ws = services.current_workshop(db)
    assert ws.phase == Phase.VOTE
    fac = auth.system_session(db)
    planned = services.create_workshop(db, fac, title="Still in setup")
    written = keeper(db, tmp_path).copy_all()
    assert [p.parent.name for p in written] == [ws.join_code]
    assert not (tmp_path / "safety" / planned.join_code).exists()
    data = json.loads(written[0].read_text(encoding="utf-8"))
    assert data["format_version"] == backup.FORMAT_VERSION and data["checksum"] == backup.checksum(data)
    assert len(data["ballots"]) == services.count_ballots(db, ws.id, ws.rules.method) + sum(
        services.count_ballots(db, ws.id, m) for m in ("rating", "approval", "ranking")
    )
    assert stat.S_IMODE(written[0].stat().st_mode) == 0o600  # the copies hold ballots
    assert not list(written[0].parent.glob(".*"))  # no temporary file left behind


def test_nothing_new_when_nothing_changed_also_after_a_restart(db, tmp_path):
    ws = services.current_workshop(db)
    assert len(keeper(db, tmp_path).copy_all()) == 1
    k = keeper(db, tmp_path)  # a new process: it knows the newest copy from its file
    assert k.copy_all() == []
    a_ballot(db, ws)
    assert len(k.copy_all()) == 1
    assert k.copy_all() == []
    assert len(safety.copies(tmp_path / "safety" / ws.join_code)) == 2


def test_rotation_keeps_the_newest_copies(db, tmp_path):
    ws = services.current_workshop(db)
    k = keeper(db, tmp_path, keep=3)
    written = []
    for _ in range(5):
        a_ballot(db, ws)
        written += k.copy_all()
    assert len(written) == 5
    assert safety.copies(tmp_path / "safety" / ws.join_code) == written[-3:]


def test_a_phase_change_writes_a_copy_without_waiting_for_it(db, db_path, tmp_path):
    ws = services.current_workshop(db)
    k = safety.start(db, settings(db_path))
    try:
        assert k is not None and k.interval == 3600  # no round is due: the copy comes from the phase change
        services.set_phase(db, auth.system_session(db), ws.id, Phase.RESULTS)
        where = Path(config.safety_dir(str(db_path))) / ws.join_code
        newest = wait_for(lambda: safety.copies(where))
        assert json.loads(newest[-1].read_text(encoding="utf-8"))["workshop"]["phase"] == "results"
    finally:
        k.stop()


def test_a_failing_copy_never_breaks_the_phase_change_and_the_console_hears_of_it(db, db_path, tmp_path):
    ws = services.current_workshop(db)
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the folder should be")
    k = safety.start(db, settings(db_path, PW_SAFETY_DIR=str(blocked)))
    try:
        changed = services.set_phase(db, auth.system_session(db), ws.id, Phase.REVIEW)
        assert changed.phase == Phase.REVIEW
        problem = wait_for(lambda: safety.problems(db))[0]
        assert isinstance(problem, safety.SafetyCopyFailed)
        assert str(blocked) in problem.message()
    finally:
        k.stop()


def test_a_copy_restores_with_the_restore_command_and_ranks_the_same(db, tmp_path):
    ws = services.current_workshop(db)
    (copy,) = keeper(db, tmp_path).copy_all()
    fresh = tmp_path / "fresh.duckdb"
    run = subprocess.run(
        [sys.executable, "-m", "workshop", "--db", str(fresh), "restore", str(copy)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    restored = Database(fresh)
    try:
        for key in scoring.METHODS:
            before, after = views.ranking(db, ws, key), views.ranking(restored, ws, key)
            assert before["score"].sum() > 0
            pd.testing.assert_frame_equal(before, after)
    finally:
        restored.close()


def test_deleting_a_workshop_deletes_its_copies(db, tmp_path, monkeypatch):
    ws = services.current_workshop(db)
    monkeypatch.setenv("PW_SAFETY_DIR", str(tmp_path / "safety"))
    (copy,) = keeper(db, tmp_path).copy_all()
    services.delete_workshop(db, auth.system_session(db), ws.id)
    assert not copy.parent.exists()


# --- damaged files -----------------------------------------------------------------------------


def damage(path: Path, at: int, seed: int = 18) -> bytes:
    """200 random bytes at ``at``; returns the damaged content."""
    data = bytearray(path.read_bytes())
    data[at : at + 200] = random.Random(seed).randbytes(200)
    path.write_bytes(bytes(data))
    return bytes(data)


def test_a_damaged_write_ahead_log_says_what_happened_and_what_to_do(template, tmp_path):
    source = Database(template, read_only=True)
    text = backup.dumps(backup.export_workshop(source, services.current_workshop(source).id))
    source.close()
    path = tmp_path / "workshop.duckdb"
    db = Database(path)
    db.checkpoint()
    no_checkpoints(db)
    backup.restore(db, text)  # one large transaction: the middle of the log lies inside it
    db.close()
    wal = Path(f"{path}.wal")
    damaged, file = damage(wal, wal.stat().st_size // 2), path.read_bytes()

    with pytest.raises(StoreDamaged) as caught:
        Database(path)
    message = caught.value.message()
    assert f"write-ahead log {wal} is damaged" in message
    command = f"mv {wal} {wal}.damaged"
    assert command in message
    assert (wal.read_bytes(), path.read_bytes()) == (damaged, file)  # nothing was changed
    assert not isinstance(caught.value, StoreLocked)

    subprocess.run(command, shell=True, check=True)  # what the message says to do
    Database(path).close()


def test_the_ballot_endpoint_answers_a_damaged_file_with_json_503_and_no_path(db_path, tmp_path, monkeypatch):
    import streamlit as st

    from ui import api

    damage(db_path, 100)
    monkeypatch.setenv("PW_DB_PATH", str(db_path))
    st.cache_resource.clear()
    try:
        status, answer = api._store({"t": "x", "submission": "s", "ballot": {"method": "dots", "dots": {}}}, "en")
    finally:
        st.cache_resource.clear()
    assert status == 503
    assert set(answer) == {"error"} and str(tmp_path) not in answer["error"]


def test_a_damaged_database_file_names_the_restore_of_the_newest_copy(db, db_path, tmp_path, monkeypatch):
    monkeypatch.setenv("PW_SAFETY_DIR", str(tmp_path / "safety"))
    ws = services.current_workshop(db)
    k = keeper(db, tmp_path)
    k.copy_all()
    a_ballot(db, ws)
    (newest,) = k.copy_all()
    before = views.ranking(db, services.get_workshop(db, ws.id))
    db.close()
    damage(db_path, 100)

    with pytest.raises(StoreDamaged) as caught:
        Database(db_path)
    message = caught.value.message()
    assert f"The database file {db_path} is damaged" in message
    commands = message.split("\n\n")[1]
    assert commands.splitlines() == [
        f"mv {db_path} {db_path}.damaged",
        f"{sys.executable} -m workshop --db {db_path} restore {newest}",
    ]
    for line in commands.splitlines():  # what the message says to do
        subprocess.run(line, shell=True, check=True, cwd=ROOT, capture_output=True)
    again = Database(db_path)
    try:
        pd.testing.assert_frame_equal(views.ranking(again, services.get_workshop(again, ws.id)), before)
    finally:
        again.close()


# --- lost writes ---------------------------------------------------------------------------------


def test_writes_lost_with_a_cut_off_log_are_reported_with_the_copy_that_holds_them(db, db_path, tmp_path):
    ws = services.current_workshop(db)
    no_checkpoints(db)
    for _ in range(30):
        a_ballot(db, ws)
    (copy,) = keeper(db, tmp_path).copy_all()
    in_copy = {b["id"] for b in json.loads(copy.read_text(encoding="utf-8"))["ballots"]}
    db.close()
    wal = Path(f"{db_path}.wal")
    with wal.open("r+b") as fh:  # the crash cut the log off
        fh.truncate(wal.stat().st_size // 3)

    reopened = Database(db_path)  # DuckDB opens it without a word
    try:
        stored = {b for (b,) in reopened.fetchall("SELECT id FROM ballots WHERE workshop_id = $1", [ws.id])}
        lost = in_copy - stored
        assert lost, "the cut must lose ballots for this test to mean anything"
        k = safety.start(reopened, settings(db_path, PW_SAFETY_DIR=str(tmp_path / "safety")))
        k.stop()
        (problem,) = safety.problems(reopened)
        assert isinstance(problem, safety.LostWrites)
        assert problem.params["ballots"] == len(lost)
        kept = Path(problem.params["copy"])
        assert kept.exists() and kept.name == copy.stem + "-kept.json"
        assert f"restore {kept}" in problem.message()
        # rotation leaves the copy with the lost writes alone, and the next start reports it again
        a_ballot(reopened, services.get_workshop(reopened, ws.id))
        k.keep = 1
        assert k.copy_all() and kept.exists()
        (again,) = keeper(reopened, tmp_path).check()
        assert again.params["copy"] == str(kept) and again.params["ballots"] == len(lost)
    finally:
        reopened.close()


def test_a_workshop_missing_from_the_database_is_reported(db, tmp_path):
    ws = services.current_workshop(db)
    (copy,) = keeper(db, tmp_path).copy_all()
    ballots = len(json.loads(copy.read_text(encoding="utf-8"))["ballots"])
    other = tmp_path / "other.duckdb"
    empty = Database(other)  # the database as it was before the workshop existed
    try:
        (problem,) = keeper(empty, tmp_path).check()
        assert problem.params["ballots"] == ballots > 0
        assert problem.params["copy"] == str(copy.with_name(copy.stem + "-kept.json"))
        assert f"--db {other} restore" in problem.message()  # into this file: no workshop to collide with
        assert ws.title in problem.message()
    finally:
        empty.close()


def test_no_alarm_when_the_database_has_everything(db, tmp_path):
    keeper(db, tmp_path).copy_all()
    a_ballot(db, services.current_workshop(db))  # the database is ahead of its copy: nothing lost
    assert keeper(db, tmp_path).check() == []
    assert os.listdir(tmp_path / "safety")
