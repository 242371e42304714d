"""The DuckDB store on real files: migrations, durability, transactions, the file lock, concurrent ballots."""

from __future__ import annotations

import subprocess
import sys
import threading
import uuid
from pathlib import Path

import duckdb
import pytest

from workshop import auth, services
from workshop.errors import DomainError, StoreLocked, ValidationError
from workshop.model import DotBallot, MeasureInput, Phase, VotingRules
from workshop.store import MIGRATIONS, SCHEMA_VERSION, Database

ROOT = Path(__file__).resolve().parents[2]


def tables(db: Database) -> set[str]:
    return {r[0] for r in db.fetchall("SELECT table_name FROM information_schema.tables")}


def test_schema_version_matches_the_migrations():
    assert SCHEMA_VERSION == len(MIGRATIONS) >= 2


def test_empty_file_is_migrated_and_survives_a_reopen(tmp_path):
    path = tmp_path / "sub" / "fresh.duckdb"  # the parent folder is created too
    db = Database(path)
    assert db.version() == SCHEMA_VERSION
    assert db.get_meta("schema_version") == str(SCHEMA_VERSION)
    assert {"workshops", "goals", "groups", "devices", "measures", "ballots", "votes", "audit_log"} <= tables(db)
    db.write(
        lambda cur: cur.execute(
            "INSERT INTO workshops (id, title, join_code, rules) VALUES ('w1', 'Werkstatt', 'ABCDEF', '{}')"
        )
    )
    db.set_meta("greeting", "moin")
    db.close()
    assert path.stat().st_size > 0

    again = Database(path)
    try:
        assert again.version() == SCHEMA_VERSION
        assert again.fetchall("SELECT id, title, join_code FROM workshops") == [("w1", "Werkstatt", "ABCDEF")]
        assert again.get_meta("greeting") == "moin"
        assert again.migrate() == SCHEMA_VERSION  # nothing left to do, nothing applied twice
    finally:
        again.close()


def _make_version_1_file(path: Path) -> None:
    con = duckdb.connect(str(path))
    try:
        for statement in filter(str.strip, MIGRATIONS[0].split(";")):
            con.execute(statement)
        con.execute("INSERT INTO meta VALUES ('schema_version', '1')")
        con.execute(
            "INSERT INTO workshops (id, title, join_code, rules, phase) "
            "VALUES ('old', 'Werkstatt 2024', 'QRSTUV', '{\"method\": \"approval\"}', 'results')"
        )
        con.execute("INSERT INTO goals VALUES ('g1', 'old', 1, 'Deutsch als Sprache', '')")
        con.execute("INSERT INTO measures (id, workshop_id, goal_id, title) VALUES ('m1', 'old', 'g1', 'Sprachcafé')")
    finally:
        con.close()


def test_a_version_1_file_is_migrated_with_its_data(tmp_path):
    path = tmp_path / "v1.duckdb"
    _make_version_1_file(path)
    db = Database(path)
    try:
        assert db.version() == SCHEMA_VERSION
        assert {"audit_log", "facilitator_sessions"} <= tables(db)
        ws = services.get_workshop(db, "old")
        assert (ws.title, ws.join_code, ws.phase, ws.rules.method) == (
            "Werkstatt 2024",
            "QRSTUV",
            Phase.RESULTS,
            "approval",
        )
        assert ws.phase_ends_at is None  # the column added by migration 2
        assert [m.title for m in services.list_measures(db, "old")] == ["Sprachcafé"]
        assert services.list_measures(db, "old")[0].lang == "", "its language: not known (migration 7)"
        assert services.list_translations(db, "old") == {}
        # the new sequence-backed tables work on the migrated file
        db.write(lambda cur: cur.execute("INSERT INTO audit_log (workshop_id, action) VALUES ('old', 'probe')"))
        assert db.scalar("SELECT count(*) FROM audit_log") == 1
    finally:
        db.close()
    reopened = Database(path)
    try:
        assert reopened.version() == SCHEMA_VERSION
        assert reopened.scalar("SELECT title FROM measures WHERE id = 'm1'") == "Sprachcafé"
    finally:
        reopened.close()


def unmigrated(path) -> Database:
    """An empty DuckDB file opened without migrating it (schema version 0)."""
    duckdb.connect(str(path)).close()
    return Database(path, migrate=False)


def test_migrate_to_an_intermediate_target(tmp_path):
    db = unmigrated(tmp_path / "steps.duckdb")
    try:
        assert db.version() == 0
        assert db.migrate(target=1) == 1
        assert db.version() == 1
        assert "audit_log" not in tables(db)
        assert db.migrate() == SCHEMA_VERSION
        assert "audit_log" in tables(db)
    finally:
        db.close()


def test_a_file_from_a_newer_app_is_refused(tmp_path):
    path = tmp_path / "future.duckdb"
    Database(path).close()
    con = duckdb.connect(str(path))
    con.execute("UPDATE meta SET value = $1 WHERE key = 'schema_version'", [str(SCHEMA_VERSION + 1)])
    con.close()
    with pytest.raises(RuntimeError, match="newer"):
        Database(path)


# --- transactions ------------------------------------------------------------------------------


@pytest.fixture
def db(tmp_path):
    database = Database(tmp_path / "store.duckdb")
    yield database
    database.close()


def test_write_commits_and_returns_the_result(db):
    def tx(cur):
        cur.execute("INSERT INTO meta VALUES ('k', 'v')")
        return 42

    assert db.write(tx) == 42
    assert db.get_meta("k") == "v"


# Exception classes, not instances: a shared instance would keep the traceback (and its cursor) alive.
@pytest.mark.parametrize("error", [RuntimeError, ValidationError, KeyboardInterrupt])
def test_a_failed_write_leaves_nothing_behind(db, error):
    def tx(cur):
        cur.execute("INSERT INTO workshops (id, title, join_code, rules) VALUES ('w-fail', 'Halb', 'HALBES', '{}')")
        cur.execute("INSERT INTO meta VALUES ('half', 'done')")
        assert cur.execute("SELECT count(*) FROM workshops").fetchone()[0] == 1  # visible inside the transaction
        raise error("refused")

    with pytest.raises(error):
        db.write(tx)
    assert db.scalar("SELECT count(*) FROM workshops") == 0
    assert db.get_meta("half") is None
    # the write lock was released and the next write works
    db.set_meta("after", "ok")
    assert db.get_meta("after") == "ok"


def test_a_failed_sql_statement_rolls_back_the_earlier_ones(db):
    def tx(cur):
        cur.execute("INSERT INTO meta VALUES ('first', '1')")
        cur.execute("INSERT INTO meta VALUES ('first', '2')")  # primary key violation

    with pytest.raises(duckdb.ConstraintException):
        db.write(tx)
    assert db.get_meta("first") is None


# --- the file lock -----------------------------------------------------------------------------

_SECOND_PROCESS = """
import sys
sys.path.insert(0, sys.argv[1])
from workshop.errors import StoreLocked
from workshop.store import Database
try:
    Database(sys.argv[2])
except StoreLocked as exc:
    print("LOCKED")
    print(exc.message())
    sys.exit(3)
print("OPENED")
"""


def test_a_second_process_gets_store_locked(tmp_path):
    path = tmp_path / "held.duckdb"
    holder = Database(path)
    try:
        proc = subprocess.run(
            [sys.executable, "-c", _SECOND_PROCESS, str(ROOT), str(path)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        holder.close()
    assert proc.returncode == 3, proc.stdout + proc.stderr
    first, message = proc.stdout.splitlines()[:2]
    assert first == "LOCKED"
    assert "PW_DB_PATH" in message
    assert str(path) in message
    # once the first process lets go, the file opens again
    proc = subprocess.run(
        [sys.executable, "-c", _SECOND_PROCESS, str(ROOT), str(path)], capture_output=True, text=True, timeout=60
    )
    assert proc.stdout.strip() == "OPENED", proc.stderr


def test_store_locked_is_a_domain_error_the_page_can_show():
    assert issubclass(StoreLocked, DomainError)


# --- concurrent ballots --------------------------------------------------------------------------

THREADS, DEVICES_PER_THREAD = 8, 25


def test_concurrent_ballots_are_never_lost(tmp_path):
    path = tmp_path / "hall.duckdb"
    db = Database(path)
    auth.ensure_passphrase(db, "secret-pass")
    fac = auth.login(db, "secret-pass", client=f"store-{uuid.uuid4()}")
    rules = VotingRules(dots_per_person=5, max_per_measure=3)
    ws = services.create_workshop(db, fac, title="Volle Halle", rules=rules)
    goal = services.add_goal(db, fac, ws.id, "Zusammenleben")
    services.set_phase(db, fac, ws.id, Phase.COLLECT)
    ids = [services.propose_measure(db, fac, goal.id, MeasureInput(title=f"Maßnahme {i}")).id for i in range(6)]
    services.set_phase(db, fac, ws.id, Phase.VOTE)

    receipts: dict[str, list] = {}
    expected: dict[str, dict[str, int]] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def hall(t: int) -> None:
        try:
            start.wait()
            for d in range(DEVICES_PER_THREAD):
                participant, _token = services.join(db, ws.join_code.lower())
                first = {ids[(t + d) % 6]: 2, ids[(t + d + 1) % 6]: 3}
                second = {ids[(t * d) % 6]: 1}
                sub1, sub2 = uuid.uuid4().hex, uuid.uuid4().hex
                r1 = services.submit_ballot(db, participant, DotBallot(first), sub1)
                r1_again = services.submit_ballot(db, participant, DotBallot(first), sub1)  # a resend
                assert r1_again.ballot_id == r1.ballot_id
                final, receipt = first, r1
                if d % 2:  # every other device changes its mind: the last submission counts
                    receipt = services.submit_ballot(db, participant, DotBallot(second), sub2)
                    final = second
                receipts[participant.device_id] = [receipt]
                expected[participant.device_id] = final
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    workers = [threading.Thread(target=hall, args=(t,)) for t in range(THREADS)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert not errors, errors
    assert len(receipts) == THREADS * DEVICES_PER_THREAD
    db.close()

    db = Database(path)  # what is on disk after a reopen
    try:
        rows = db.fetchall("SELECT device_id, id, submission_id FROM ballots WHERE workshop_id = $1", [ws.id])
        per_device: dict[str, list] = {}
        for device_id, ballot_id, submission_id in rows:
            per_device.setdefault(device_id, []).append((ballot_id, submission_id))
        assert len(rows) == THREADS * DEVICES_PER_THREAD
        assert all(len(v) == 1 for v in per_device.values()), "a device has two ballots"
        for device_id, (receipt,) in receipts.items():
            assert per_device[device_id] == [(receipt.ballot_id, receipt.submission_id)]
            votes = db.fetchall("SELECT measure_id, value FROM votes WHERE ballot_id = $1", [receipt.ballot_id])
            assert {m: int(v) for m, v in votes} == expected[device_id]
        total = db.scalar(
            "SELECT sum(value) FROM votes v JOIN ballots b ON b.id = v.ballot_id WHERE b.workshop_id = $1", [ws.id]
        )
        assert total == sum(sum(e.values()) for e in expected.values())
    finally:
        db.close()


def test_migration_5_marks_one_leading_vote_per_ballot_and_measure(tmp_path):
    db = unmigrated(tmp_path / "v4.duckdb")
    try:
        db.migrate(target=4)

        def old_votes(cur):
            cur.execute(
                "INSERT INTO votes (ballot_id, measure_id, criterion, value) VALUES "
                "('b1', 'm1', 'impact', 4), ('b1', 'm1', 'feasibility', 2), ('b1', 'm2', 'feasibility', 5), "
                "('b2', 'm1', '', 3)"
            )

        db.write(old_votes)
        assert db.migrate() == SCHEMA_VERSION
        rows = db.fetchall("SELECT ballot_id, measure_id, criterion, leads FROM votes ORDER BY ALL")
        assert rows == [
            ("b1", "m1", "feasibility", True),
            ("b1", "m1", "impact", False),
            ("b1", "m2", "feasibility", True),
            ("b2", "m1", "", True),
        ]
    finally:
        db.close()
