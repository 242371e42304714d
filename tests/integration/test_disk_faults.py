"""A real full disk and a real read-only file system (issue 18.5): not a simulated exception.

The database lives on a small tmpfs of its own: filling that file system is a full disk, mounting it
read-only is a read-only file system. Mounting needs root, which CI has (it runs as root); on a
developer's machine without root these tests are skipped, in CI they fail instead.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from bench.server import Server
from workshop import auth, demo, i18n, participation, services
from workshop.errors import StoreUnwritable
from workshop.model import DotBallot, Phase
from workshop.store import Database

TIMEOUT = 90


@pytest.fixture
def small_disk(tmp_path: Path):
    """A 24 MB file system of its own at tmp_path/disk (unmounted afterwards)."""
    if os.geteuid() != 0:
        if os.environ.get("CI"):
            pytest.fail("the disk-fault tests need root to mount a tmpfs; CI runs as root")
        pytest.skip("needs root to mount a tmpfs")
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(disk)], check=True)
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(disk: Path) -> Path:
    """Write a file until the file system has no byte left; returns it (delete it to free the disk)."""
    filler = disk / "filler"
    with filler.open("wb") as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        except OSError:
            pass
    assert os.statvfs(disk).f_bavail == 0
    return filler


def a_vote(db: Database) -> tuple:
    ws = demo.build(db)
    fac = auth.system_session(db)
    services.set_phase(db, fac, ws.id, Phase.VOTE)
    measure = next(iter(services.voting_measures(db, services.get_workshop(db, ws.id))))
    return ws, measure


def test_a_full_disk_refuses_the_write_and_the_next_write_after_freeing_it_succeeds(small_disk: Path) -> None:
    db = Database(small_disk / "hall.duckdb")
    ws, measure = a_vote(db)
    devices = [services.join(db, ws.join_code)[0] for _ in range(300)]
    filler = fill(small_disk)
    # Small writes still fit into the write-ahead log's last page for a while; then the COMMIT itself
    # fails (a TransactionException), which was taken for a write conflict, retried, and its failed
    # ROLLBACK escaped as a raw error.
    acknowledged, refused = [], None
    for participant in devices:
        try:
            services.submit_ballot(db, participant, DotBallot({measure: 1}), uuid.uuid4().hex)
        except StoreUnwritable as exc:
            refused = (participant, exc)
            break
        acknowledged.append(participant)
    assert refused is not None, "300 ballots fit on a full disk?"
    participant, exc = refused
    assert exc.params["reason"] == "the disk is full"
    assert db.write_trouble is not None and db.write_trouble[1] == "the disk is full"
    filler.unlink()
    assert services.get_ballot(db, participant) is None, "a refused ballot was stored"
    services.submit_ballot(db, participant, DotBallot({measure: 1}), uuid.uuid4().hex)
    assert db.write_trouble is None
    for device in [*acknowledged, participant]:
        assert services.get_ballot(db, device) == DotBallot({measure: 1})
    db.close()


def post(port: int, token: str, measure: str, lang: str = "de") -> tuple[int, dict, str]:
    body = {"t": token, "submission": uuid.uuid4().hex, "ballot": participation.ballot_payload(DotBallot({measure: 1}))}
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/ballot?lang={lang}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as r:
            return r.status, json.loads(r.read()), r.headers.get("content-type", "")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}"), exc.headers.get("content-type", "")


def test_the_ballot_endpoint_on_a_full_disk_answers_503_in_json_and_stores_the_resend(
    small_disk: Path, tmp_path: Path
) -> None:
    path = small_disk / "hall.duckdb"
    db = Database(path)
    ws, measure = a_vote(db)
    tokens = [services.join(db, ws.join_code)[1] for _ in range(300)]
    before = db.scalar("SELECT count(*) FROM ballots")
    db.close()
    server = Server("app.py", env={"PW_DB_PATH": str(path), "PW_PASSPHRASE": "disk-faults-1"}, log=tmp_path / "s.log")
    server.start(timeout=TIMEOUT)
    try:
        assert post(server.port, tokens[0], measure)[0] == 200
        filler = fill(small_disk)
        answers = [post(server.port, token, measure) for token in tokens[1:]]
        acknowledged = sum(status == 200 for status, _answer, _kind in answers)
        status, answer, kind = answers[-1]
        german = i18n.gettext_for("de")("the disk is full")
        assert (status, kind) == (503, "application/json"), (status, answer)
        assert german in answer["error"] and str(path) not in answer["error"], answer
        filler.unlink()
        assert post(server.port, tokens[-1], measure)[0] == 200, "the phone's resend is stored once there is room"
    finally:
        server.stop()
    log = (tmp_path / "s.log").read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]
    db = Database(path)
    stored = db.scalar("SELECT count(*) FROM ballots") - before
    db.close()
    assert stored == 1 + acknowledged + 1, "only the acknowledged ballots and the resend are stored"


def test_a_read_only_file_system_at_start_stops_the_server_with_the_message(small_disk: Path, tmp_path: Path) -> None:
    path = small_disk / "hall.duckdb"
    Database(path).close()
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    server = Server("app.py", env={"PW_DB_PATH": str(path), "PW_PASSPHRASE": "disk-faults-2"}, log=tmp_path / "s.log")
    with contextlib.suppress(RuntimeError):  # it exits before it is healthy
        server.start(timeout=TIMEOUT)
    assert server.proc.wait(timeout=TIMEOUT) != 0
    log = (tmp_path / "s.log").read_text(errors="replace")
    assert "Planungswerkstatt cannot start" in log and "read-only" in log and str(path) in log, log[-3000:]
    assert "Traceback" not in log, log[-3000:]
