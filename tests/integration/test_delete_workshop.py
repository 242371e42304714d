"""Deleting a workshop leaves nothing of it in the database file: not in tables, not in free blocks."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from workshop import auth, services
from workshop.errors import PermissionDenied
from workshop.model import DotBallot, MeasureInput, Phase, VotingRules
from workshop.store import Database

MARK = "QUAGGA"  # appears in every text of the deleted workshop, nowhere else


@pytest.fixture
def db(tmp_path):
    database = Database(tmp_path / "workshop.duckdb")
    yield database
    database.close()


def build(db, fac, title: str, mark: str):
    """A workshop with everything a real one has: vision, groups, proposals, ballots, cards, keys."""
    ws = services.create_workshop(
        db, fac, title=f"{title} {mark}", place=f"Harburg {mark}", rules=VotingRules(cards_required=True)
    )
    services.set_privacy(db, fac, ws.id, f"Kontakt {mark}", 6)
    goals = [services.add_goal(db, fac, ws.id, f"Ziel {mark} {i}", f"Beschreibung {mark}") for i in range(3)]
    groups = services.set_groups(db, fac, ws.id, [f"AG {mark} 1", f"AG {mark} 2"])
    services.set_phase(db, fac, ws.id, Phase.COLLECT)
    secrets_seen = []
    devices = []
    for i in range(12):
        device, token = services.join(db, ws.join_code, group_id=groups[i % 2].id)
        secrets_seen.append(token)
        devices.append(device)
        services.propose_measure(
            db, device, goals[i % 3].id, MeasureInput(title=f"Vorschlag {mark} {i}", description=f"Text {mark} " * 40)
        )
    cards = services.generate_cards(db, fac, ws.id, 12)
    secrets_seen += [code for _n, code in cards]
    secrets_seen.append(services.projector_key(db, fac, ws.id))
    services.set_phase(db, fac, ws.id, Phase.VOTE)
    measures = list(services.voting_measures(db, services.get_workshop(db, ws.id)))
    for device, (_n, code) in zip(devices, cards, strict=True):
        services.redeem_card(db, device, code)
        services.submit_ballot(
            db, device, DotBallot({measures[0]: 2, measures[1]: 1}), f"submission-{mark}-{device.device_id}"
        )
    return ws, secrets_seen


def traces(path, needles: list[str]) -> list[str]:
    data = path.read_bytes()
    wal = path.with_name(path.name + ".wal")
    if wal.exists():
        data += wal.read_bytes()
    return [n for n in needles if n.encode() in data]


def test_nothing_of_a_deleted_workshop_remains_in_the_file(tmp_path, db):
    auth.ensure_passphrase(db, "delete-test-passphrase")
    fac = auth.login(db, "delete-test-passphrase", client="delete-test")
    kept, _ = build(db, fac, "Bleibt", "OKAPI")
    gone, secrets_seen = build(db, fac, "Weg", MARK)
    services.set_current_workshop(db, fac, gone.id)
    db.checkpoint()
    path = tmp_path / "workshop.duckdb"
    hashes = [services.token_hash(s) for s in secrets_seen] + [
        hashlib.sha256(s.encode()).hexdigest() for s in secrets_seen
    ]
    assert traces(path, [MARK, gone.id]), "the test must see the workshop in the file before deleting it"

    services.delete_workshop(db, fac, gone.id)

    for table in [r[0] for r in db.fetchall("SELECT table_name FROM information_schema.tables")]:
        rows = db.fetchall(f'SELECT * FROM "{table}"')
        assert not [r for r in rows if gone.id in map(str, r) or MARK in repr(r)], table
    db.checkpoint()
    assert traces(path, [MARK, gone.id, gone.join_code, *secrets_seen, *hashes]) == []
    # The other workshop is untouched and the store still works (sequences, indexes, writes).
    assert services.get_workshop(db, kept.id).title == "Bleibt OKAPI"
    assert services.count_ballots(db, kept.id) == 12
    services.set_phase(db, fac, kept.id, Phase.RESULTS)
    assert services.get_workshop(db, kept.id).phase == Phase.RESULTS
    db.close()
    reopened = Database(path)
    assert services.count_ballots(reopened, kept.id) == 12
    assert traces(path, [MARK, gone.id]) == []
    reopened.close()


def test_a_refused_delete_keeps_the_file_as_it_was(db):
    auth.ensure_passphrase(db, "delete-test-passphrase")
    fac = auth.login(db, "delete-test-passphrase", client="delete-test")
    ws, _ = build(db, fac, "Bleibt", "OKAPI")
    forged = auth.Facilitator(session_key="forged")
    with pytest.raises(PermissionDenied):
        services.delete_workshop(db, forged, ws.id)
    assert services.count_ballots(db, ws.id) == 12


def test_nothing_of_a_deleted_workshop_remains_in_the_postgresql_tables():
    """The same on PostgreSQL: no row names the workshop, and after the purge (``VACUUM FULL``
    of every table) no file of the database's tables, indexes or TOAST holds its texts, ids or
    secrets. (PostgreSQL's write-ahead log keeps them until the server recycles its segments:
    the README's deployment section says so; the server's own backups are the operator's.)"""
    import psycopg

    from tests.conftest import drop_postgres_database, fresh_postgres_database
    from workshop.pgstore import PostgresDatabase

    url = fresh_postgres_database()
    db = PostgresDatabase(url)
    try:
        auth.ensure_passphrase(db, "delete-test-passphrase")
        fac = auth.login(db, "delete-test-passphrase", client="delete-test")
        kept, _ = build(db, fac, "Bleibt", "OKAPI")
        gone, secrets_seen = build(db, fac, "Weg", MARK)
        needles = [MARK, gone.id, gone.join_code, *secrets_seen, *(services.token_hash(s) for s in secrets_seen)]

        def files() -> bytes:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("CHECKPOINT")
                root = conn.execute("SHOW data_directory").fetchone()[0]
                paths = conn.execute(
                    "SELECT pg_relation_filepath(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND c.relkind IN ('r', 'i', 't')"
                ).fetchall()
            data = b""
            for (relative,) in paths:
                for part in sorted(Path(root).glob(relative + "*")):  # the table and its 1 GB segments
                    data += part.read_bytes()
            return data

        assert MARK.encode() in files(), "the test must see the workshop in the files before deleting it"
        services.delete_workshop(db, fac, gone.id)
        for table in [r[0] for r in db.fetchall(_TABLES)]:
            rows = db.fetchall(f'SELECT * FROM "{table}"')
            assert not [r for r in rows if gone.id in map(str, r) or MARK in repr(r)], table
        left = files()
        assert [n for n in needles if n.encode() in left] == []
        assert services.get_workshop(db, kept.id).title == "Bleibt OKAPI"
        assert services.count_ballots(db, kept.id) == 12
    finally:
        db.close()
        drop_postgres_database(url)


_TABLES = (
    "SELECT table_name FROM information_schema.tables "
    "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
)
