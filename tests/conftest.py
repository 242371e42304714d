"""Shared test setup: make the repository root importable (``import workshop``) for every suite."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# The app freezes the heap of the process that runs it (ui/runtime.py): right for the server, wrong
# for pytest, whose AppTests run app.py in this process and whose objects must still be freed.
# tests/unit/test_runtime.py checks the tuning itself in a fresh interpreter.
from ui import runtime  # noqa: E402

runtime._tuned = True


# --- the two store engines -------------------------------------------------------------------
# The service and integration suites run on both: the embedded DuckDB file and a PostgreSQL server
# (scripts/test.sh starts a throwaway one and sets PW_TEST_DATABASE_URL). Without the server the
# PostgreSQL half fails; it never skips.
import collections  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import uuid  # noqa: E402

import pytest  # noqa: E402

ENGINES = ("duckdb", "postgresql")


def postgres_url() -> str:
    url = os.environ.get("PW_TEST_DATABASE_URL")
    if not url:
        pytest.fail(
            "The PostgreSQL half of the tests needs a server: run them through scripts/test.sh, which starts "
            "a throwaway one, or set PW_TEST_DATABASE_URL=postgresql://user@127.0.0.1:PORT/postgres"
        )
    return url


def fresh_postgres_database() -> str:
    """A new, empty database on the test server; returns its URL."""
    import psycopg

    admin = postgres_url()
    name = "pw_" + uuid.uuid4().hex[:12]
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin.rsplit("/", 1)[0] + "/" + name


def drop_postgres_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(postgres_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class StoreMaker:
    """New stores of one engine for a test or a module; closed (and dropped) at the end."""

    def __init__(self, engine: str, tmp_path_factory) -> None:
        self.engine = engine
        self._tmp = tmp_path_factory
        self._made: list = []

    def __call__(self, name: str = "workshop", **kwargs):
        from workshop.pgstore import PostgresDatabase
        from workshop.store import Database

        if self.engine == "duckdb":
            db = Database(self._tmp.mktemp("store") / f"{name}.duckdb", **kwargs)
            url = None
        else:
            url = fresh_postgres_database()
            db = PostgresDatabase(url, **kwargs)
        self._made.append((db, url))
        return db

    def close(self) -> None:
        for db, url in self._made:
            try:
                db.close()
            finally:
                if url:
                    drop_postgres_database(url)


@pytest.fixture(scope="module", params=ENGINES)
def engine(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def make_store(engine, tmp_path_factory):
    maker = StoreMaker(engine, tmp_path_factory)
    yield maker
    maker.close()


# Debian's headless Chromium, one for the whole session: the browser tests (tests/e2e) and the
# replica test (a facilitator's console on one app process) share it; Playwright's sync API allows
# one per process.
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: scripts/test.sh installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def tallies_check(db) -> tuple[collections.Counter, collections.Counter]:
    """(the tallies kept, summed over the shards; what the votes stored give): equal when every
    writer of votes kept them (workshop.queries.tallies). Rows without votes are left out."""
    from workshop.queries import tallies
    from workshop.store import ADD_TALLIES

    select = ADD_TALLIES[ADD_TALLIES.index("SELECT") : ADD_TALLIES.index("ON CONFLICT")]
    from_votes = select.format(votes="TRUE").replace("$1, ", "").replace("CAST($2 AS BIGINT) * ", "")
    kept = db.fetchall(
        "SELECT workshop_id, method, measure_id, criterion, sum(n), sum(total), sum(positive), sum(leads), "
        "sum(place_sum) FROM tallies GROUP BY workshop_id, method, measure_id, criterion HAVING sum(n) <> 0"
    )

    def plain(rows):  # numbers as floats: the engines' sums come back as int, float or Decimal
        return collections.Counter(tuple(x if isinstance(x, str) else float(x) for x in row) for row in rows)

    # DuckDB keeps none (it ranks from the votes): its table must stay empty.
    return plain(kept), plain(db.fetchall(from_votes)) if tallies.kept(db) else collections.Counter()
