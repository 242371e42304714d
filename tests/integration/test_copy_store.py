"""Issue 21.2: ``python -m workshop copy-store FROM TO`` moves the whole archive between the
engines (a DuckDB file into PostgreSQL and back) with every row and every ranking unchanged."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT, drop_postgres_database, fresh_postgres_database, tallies_check
from workshop import auth, demo, scoring, services, transfer
from workshop.errors import ValidationError
from workshop.model import Phase
from workshop.pgstore import PostgresDatabase
from workshop.store import Database


def _rows(db) -> dict[str, list]:
    tables = [
        r[0]
        for r in db.fetchall(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        )
    ]
    out = {}
    for table in tables:
        columns = sorted(
            r[0]
            for r in db.fetchall(
                "SELECT column_name FROM information_schema.columns WHERE table_name = $1 "
                "AND table_schema = current_schema()",
                [table],
            )
        )
        rows = db.fetchall(f"SELECT {', '.join(columns)} FROM {table}")
        out[table] = sorted((tuple(float(v) if isinstance(v, float) else v for v in r) for r in rows), key=repr)
    return out


@pytest.fixture
def postgres_url():
    url = fresh_postgres_database()
    yield url
    drop_postgres_database(url)


def test_duckdb_to_postgresql_and_back_keeps_every_row_and_ranking(tmp_path, postgres_url):
    source = Database(tmp_path / "hall.duckdb")
    ws = demo.build(source)
    fac = auth.system_session(source)
    measures = services.list_measures(source, ws.id)
    services.set_phase(source, fac, ws.id, Phase.REVIEW)
    services.merge_measures(source, fac, measures[0].id, [measures[1].id])  # a merge and its undo record
    said: list[str] = []
    target = PostgresDatabase(postgres_url)
    copied = transfer.copy_store(source, target, say=said.append)
    assert copied.rankings_checked == len(scoring.METHODS) * len(services.list_workshops(source))
    assert copied.rows["votes"] > 1000 and said[-1].endswith("rankings unchanged")
    assert _rows(target).keys() == _rows(source).keys()
    kept, from_votes = tallies_check(target)  # PostgreSQL keeps tallies: counted from the copied votes
    assert kept == from_votes and len(kept) > 50
    back = Database(tmp_path / "back.duckdb")
    transfer.copy_store(target, back, say=said.append)
    assert _rows(back) == _rows(source), "every row comes back as it was"
    # New rows continue after the copied ones (the sequences moved on): a measure proposed now is last.
    fac2 = auth.system_session(target)
    services.set_phase(target, fac2, ws.id, Phase.COLLECT)
    seqs = [r[0] for r in target.fetchall("SELECT seq FROM measures ORDER BY seq")]
    device, _token = services.join(target, ws.join_code)
    from workshop.model import MeasureInput

    services.propose_measure(target, device, services.list_goals(target, ws.id)[0].id, MeasureInput(title="Neu"))
    assert target.scalar("SELECT max(seq) FROM measures") > seqs[-1]
    with pytest.raises(ValidationError, match="already holds workshops"):
        transfer.copy_store(source, target, say=said.append)
    for db in (source, target, back):
        db.close()


def test_the_command_copies_a_file_into_postgresql(tmp_path, postgres_url):
    path = tmp_path / "cli.duckdb"
    db = Database(path)
    demo.build(db)
    db.close()

    def command(*args: str) -> subprocess.CompletedProcess:
        run = [sys.executable, "-m", "workshop", *args]
        return subprocess.run(run, cwd=ROOT, capture_output=True, text=True, timeout=120)

    done = command("copy-store", str(path), postgres_url)
    assert done.returncode == 0, done.stderr
    assert "rankings unchanged" in done.stdout
    again = command("copy-store", str(path), postgres_url)
    assert again.returncode == 2 and "already holds workshops" in again.stderr
    migrate = command("--db", postgres_url, "migrate")
    assert migrate.returncode == 0 and "Schema version" in migrate.stdout
