"""Issue 21.4: PostgreSQL unreachable at start, or going away mid-vote.

The app reaches the server through a TCP relay the test can cut (as a pulled cable or a
restarting server does). Unreachable at start: every screen says so in its language and the
ballot endpoint answers 503. Gone mid-vote: the phone hears 503 in its language and keeps its
ballot; once the server is back, its resend is stored once and nothing acknowledged is lost.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time

import pytest

from bench.client import Client, post_json
from bench.server import Server, free_port
from tests.conftest import drop_postgres_database, fresh_postgres_database
from tests.integration import asyncrun
from ui import api
from workshop import demo, i18n, services
from workshop.errors import StoreLocked
from workshop.pgstore import PostgresDatabase


class Relay:
    """127.0.0.1:<port> -> the PostgreSQL server, in a thread; ``cut()`` drops every connection
    and refuses new ones until ``mend()``."""

    def __init__(self, target_port: int) -> None:
        self.port, self.target = free_port(), target_port
        self.loop = asyncio.new_event_loop()
        self.server: asyncio.base_events.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.mend()

    async def _pipe(self, reader, writer) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def _serve(self, reader, writer) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target)
        except OSError:
            writer.close()
            return
        self.writers |= {writer, up_writer}
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    def _call(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    def mend(self) -> None:
        async def start():
            self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

        self._call(start())

    def cut(self) -> None:
        async def stop():
            self.server.close()
            for w in list(self.writers):
                w.transport.abort()
            self.writers.clear()

        self._call(stop())


def _relayed(url: str, port: int) -> str:
    """The database URL through the relay's port."""
    head, _, rest = url.partition("@")
    host_port, _, name = rest.partition("/")
    return f"{head}@127.0.0.1:{port}/{name}"


@pytest.fixture
def database():
    url = fresh_postgres_database()
    db = PostgresDatabase(url)
    yield url, db, demo.build(db)
    db.close()
    drop_postgres_database(url)


def _shown_error(port: int, lang: str) -> list[str]:
    async def look() -> list[str]:
        tab = Client(port, f"lang={lang}")
        await tab.connect(60)
        try:
            await tab.rerun(timeout=60)
            return [s.element.alert.body for s in tab.shown.values() if s.kind == "alert"]
        finally:
            await tab.close()

    return asyncrun.run(look())


def test_unreachable_at_start_every_screen_says_so_and_the_endpoint_answers_503(database, tmp_path):
    url, db, ws = database
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    relay = Relay(port)
    relay.cut()  # the server cannot be reached from the start
    env = {"PW_DATABASE_URL": _relayed(url, relay.port), "PW_DEMO": "0", "PW_PASSPHRASE": "outage-test-passphrase"}
    app = Server("app.py", env=env, log=tmp_path / "app.log", new_session=True).start()
    try:
        for lang in ("de", "ar"):
            alerts = _shown_error(app.port, lang)
            assert i18n.gettext_for(lang)(StoreLocked.PUBLIC) in alerts, alerts
        _p, token = services.join(db, ws.join_code)
        body = {"t": token, "submission": os.urandom(16).hex(), "ballot": {"method": "dots", "dots": {}}}
        status, answer = asyncrun.run(post_json(app.port, f"{api.PATH}?lang=tr", body, timeout=30))
        assert status == 503 and answer["error"] == i18n.gettext_for("tr")(StoreLocked.PUBLIC), answer
        relay.mend()  # the server is back: the next screen works, without a restart of the app
        time.sleep(1)
        assert not _shown_error(app.port, "de")
    finally:
        app.kill()


def test_gone_mid_vote_the_phone_hears_503_and_its_resend_is_stored_once(database, tmp_path):
    url, db, ws = database
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    relay = Relay(port)
    env = {"PW_DATABASE_URL": _relayed(url, relay.port), "PW_DEMO": "0", "PW_PASSPHRASE": "outage-test-passphrase"}
    app = Server("app.py", env=env, log=tmp_path / "app.log", new_session=True).start()
    measure = next(iter(services.voting_measures(db, ws)))
    phones = [services.join(db, ws.join_code) for _ in range(2)]
    ballots = [
        {"t": token, "submission": os.urandom(16).hex(), "ballot": {"method": "dots", "dots": {measure: 1}}}
        for _p, token in phones
    ]
    try:
        status, _answer = asyncrun.run(post_json(app.port, f"{api.PATH}?lang=de", ballots[0], timeout=30))
        assert status == 200
        relay.cut()
        status, answer = asyncrun.run(post_json(app.port, f"{api.PATH}?lang=de", ballots[1], timeout=30))
        assert status == 503 and answer["error"], answer
        assert "Datenbank" in answer["error"] or answer["error"] == i18n.gettext_for("de")(StoreLocked.PUBLIC)
        # A screen opened now says so in its language (no traceback), as at start.
        assert i18n.gettext_for("fa")(StoreLocked.PUBLIC) in _shown_error(app.port, "fa")
        relay.mend()
        for _attempt in range(20):  # the phone sends again after a while, as core.js does
            status, answer = asyncrun.run(post_json(app.port, f"{api.PATH}?lang=de", ballots[1], timeout=30))
            if status == 200:
                break
            time.sleep(0.5)
        assert status == 200, answer
        stored = db.fetchall(
            "SELECT submission_id FROM ballots WHERE device_id IN (SELECT unnest(CAST($1 AS VARCHAR[])))",
            [[p.device_id for p, _t in phones]],
        )
        assert sorted(s for (s,) in stored) == sorted(b["submission"] for b in ballots), "each stored once"
    finally:
        app.kill()
        relay.cut()
