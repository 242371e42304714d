"""Issue 21.3: two ``streamlit run`` processes on one PostgreSQL database, behind the nginx that
``scripts/nginx_site.py`` writes for several replicas, behave as one app.

- Phones send their ballots to replica A; the projector on replica B shows them within 2 s.
- The phase changes (the vote closes); phones watching on A learn it within 2 s.
- kill -9 of replica A during a burst of 100 ballots sent through nginx: every acknowledged ballot
  is stored once, and a phone whose ballot got no answer sends it again, lands on B and is stored
  once (no duplicate where the first attempt had reached the database after all).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time

import pytest

from bench.client import get_json, post_json
from bench.endpoint import dot_ballot
from bench.load import PASSPHRASE, Projector
from bench.server import Nginx, Server
from tests.conftest import drop_postgres_database, fresh_postgres_database
from tests.integration import asyncrun
from ui import api
from workshop import auth, demo, services
from workshop.model import Phase
from workshop.pgstore import PostgresDatabase

BALLOT = api.PATH


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    url = fresh_postgres_database()
    db = PostgresDatabase(url)
    ws = demo.build(db)  # in the vote phase, with ballots of every method
    env = {
        "PW_DATABASE_URL": url,
        "PW_DEMO": "0",
        "PW_PASSPHRASE": PASSPHRASE,
        "PW_SAFETY_MINUTES": "0",
        "PW_JOINS_PER_ADDRESS_MINUTE": "0",
    }
    logs = tmp_path_factory.mktemp("replicas")
    a = Server("app.py", env=env, log=logs / "a.log", new_session=True).start()
    b = Server("app.py", env=env, log=logs / "b.log", new_session=True).start()
    proxy = Nginx(logs / "nginx", [a.port, b.port]).start()
    try:
        yield db, ws, a, b, proxy
    finally:
        proxy.stop()
        for server in (a, b):
            server.kill()
        db.close()
        drop_postgres_database(url)


def test_phones_on_a_projector_on_b_and_the_phase_followed_across(hall):
    db, ws, a, b, _proxy = hall
    measures = list(services.voting_measures(db, ws))
    rng = random.Random(21)
    tokens = [services.join(db, ws.join_code)[1] for _ in range(20)]
    baseline = services.count_ballots(db, ws.id, ws.rules.method)  # what the projector counts

    async def run() -> tuple[list[float], Projector]:
        projector = Projector(b.port, "projector", "Ballots", poll=1.0, timeout=60)
        await projector.start()
        watching = asyncio.create_task(projector.run(60))
        await asyncio.sleep(1.5)
        acks = []
        for i, token in enumerate(tokens):
            body = {
                "t": token,
                "submission": os.urandom(16).hex(),
                "ballot": dot_ballot(measures, ws.rules, rng, at_least_one=True),
            }
            status, answer = await post_json(a.port, BALLOT, body)
            assert status == 200, answer
            acks.append(time.perf_counter())
            await asyncio.sleep(0.05)
        await asyncio.sleep(3)
        projector.stop()
        await watching
        await projector.client.close()
        return acks, projector

    acks, projector = asyncrun.run(run())
    assert not projector.error, projector.error
    delays, missing = projector.staleness(acks, baseline)
    assert missing == 0, f"the projector on B never showed {missing} of the ballots sent to A"
    assert max(delays) <= 2.0, f"B showed A's ballots after up to {max(delays):.2f} s"
    print(f"\nballot on A -> projector on B: max {max(delays):.2f} s")

    # The vote closes (the facilitator's change, made on B's database connection as on any
    # replica's); a phone on A holds the watch question with the version its screen shows.
    async def watch() -> float:
        path = f"{api.WATCH_PATH}?code={ws.join_code}"
        _s, first = await get_json(a.port, path)
        held = asyncio.create_task(get_json(a.port, f"{path}&since={first['v']}", timeout=30))
        await asyncio.sleep(0.5)
        assert not held.done(), "the question is held while nothing changes"
        fac = auth.system_session(db)
        changed = time.perf_counter()
        services.set_phase(db, fac, ws.id, Phase.REVIEW)
        _s, answer = await held
        assert answer["v"] != first["v"]
        return time.perf_counter() - changed

    followed = asyncrun.run(watch())
    print(f"phase changed -> phone watching on A: {followed:.2f} s")
    assert followed <= 2.0
    fac = auth.system_session(db)
    services.set_phase(db, fac, ws.id, Phase.VOTE)


def test_kill_9_of_one_replica_mid_burst_loses_and_doubles_nothing(hall):
    db, ws, a, b, proxy = hall
    measures = list(services.voting_measures(db, ws))
    rng = random.Random(9)
    phones = [(services.join(db, ws.join_code), os.urandom(16).hex()) for _ in range(100)]
    ballots = {sub: dot_ballot(measures, ws.rules, rng, at_least_one=True) for _p, sub in phones}

    async def burst() -> tuple[dict, list]:
        acked: dict[str, str] = {}  # submission -> when it was saved
        unanswered = []
        killed: list[float] = []
        times: list[float] = []

        async def send(token: str, sub: str, delay: float) -> None:
            await asyncio.sleep(delay)
            try:
                status, answer = await post_json(
                    proxy.port, BALLOT, {"t": token, "submission": sub, "ballot": ballots[sub]}, timeout=20
                )
            except (OSError, TimeoutError, asyncio.IncompleteReadError):
                status, answer = 0, {}
            if status == 200:
                acked[sub] = answer.get("saved", "")
                times.append(time.perf_counter())
            else:
                unanswered.append((token, sub))

        async def killer() -> None:
            # A stalls first (as a replica does under a swap storm), so that ballots are surely in
            # flight to it, half-read or half-written, when it dies.
            await asyncio.sleep(0.05)
            os.killpg(a.proc.pid, signal.SIGSTOP)
            await asyncio.sleep(0.6)
            a.kill()
            killed.append(time.perf_counter())

        await asyncio.gather(killer(), *(send(tok, sub, i * 0.012) for i, ((_p, tok), sub) in enumerate(phones)))
        # The phones whose ballot got no answer send it again (their screens keep it): nginx sends
        # them to B now.
        for token, sub in unanswered:
            for _attempt in range(5):
                status, answer = await post_json(
                    proxy.port, BALLOT, {"t": token, "submission": sub, "ballot": ballots[sub]}, timeout=20
                )
                if status == 200:
                    acked[sub] = "resent"
                    break
                await asyncio.sleep(1)
        assert any(t > killed[0] for t in times), "ballots were still arriving when A died"
        return acked, unanswered

    acked, unanswered = asyncrun.run(burst())
    print(f"\nkill -9 of A mid-burst: {len(acked)} acknowledged, {len(unanswered)} resent after no answer")
    assert a.proc.poll() is not None, "replica A is dead"
    assert len(acked) == 100, "every phone got its ballot acknowledged, at last by B"
    stored = db.fetchall(
        "SELECT submission_id, count(*) FROM ballots WHERE device_id IN (SELECT unnest(CAST($1 AS VARCHAR[]))) "
        "GROUP BY submission_id",
        [[p.device_id for (p, _t), _s in phones]],
    )
    assert {sub for sub, _n in stored} == set(ballots), "every acknowledged ballot is stored"
    assert all(n == 1 for _sub, n in stored), "and stored once"
    # nginx passes a ballot whose connection to A was refused on to B itself; one A had taken when it
    # died gets no answer (502 or a dropped connection) and is sent again by the phone.
    assert unanswered, "ballots were in flight to A when it died"
    # A phone whose ballot had no answer reconnects (nginx: to B) and its screen shows that ballot.
    token, sub = unanswered[0]
    status, view = asyncrun.run(get_json(proxy.port, f"{BALLOT}?t={token}&lang=de"))
    assert status == 200 and view["ballot"]["saved"] == ballots[sub], view
