"""Group commit: ballots submitted at the same moment share one transaction, and nothing is lost.

``Database.write_batched`` lets whoever holds the write turn store everything that is waiting;
``services.submit_ballot`` uses it. These tests run real threads against a DuckDB file.
"""

from __future__ import annotations

import threading
import uuid

import pytest

from workshop import auth, services
from workshop.errors import PermissionDenied, ValidationError
from workshop.model import DotBallot, MeasureInput, Phase, VotingRules
from workshop.store import Database

PASSPHRASE = "group-commit-pass"


@pytest.fixture(scope="module")
def db(make_store):
    return make_store("group")


@pytest.fixture(scope="module")
def fac(db):
    assert auth.ensure_passphrase(db, PASSPHRASE) is None
    return auth.login(db, PASSPHRASE, client="group-commit-tests")


@pytest.fixture
def hall(db, fac):
    """A workshop in the vote phase with six measures and 120 joined devices."""
    ws = services.create_workshop(db, fac, title="Saal", rules=VotingRules(dots_per_person=5, max_per_measure=3))
    goal = services.add_goal(db, fac, ws.id, "Zusammenleben").id
    services.set_phase(db, fac, ws.id, Phase.COLLECT)
    ids = [services.propose_measure(db, fac, goal, MeasureInput(title=f"Maßnahme {i}")).id for i in range(6)]
    services.set_phase(db, fac, ws.id, Phase.VOTE)
    devices = [services.join(db, ws.join_code)[0] for _ in range(120)]
    return services.get_workshop(db, ws.id), ids, devices


def stored(db: Database, device_id: str) -> tuple[str, dict[str, float]] | None:
    row = db.fetchone("SELECT id, submission_id FROM ballots WHERE device_id = $1", [device_id])
    if row is None:
        return None
    votes = dict(db.fetchall("SELECT measure_id, value FROM votes WHERE ballot_id = $1", [row[0]]))
    return row[1], votes


def at_once(fns):
    """Run every function in its own thread, all released at the same moment; (results, errors)."""
    barrier = threading.Barrier(len(fns))
    results, errors = [None] * len(fns), [None] * len(fns)

    def run(i, fn):
        barrier.wait()
        try:
            results[i] = fn()
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            errors[i] = exc

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results, errors


@pytest.fixture
def batch_sizes(monkeypatch):
    sizes: list[int] = []
    original = services.ballots._write_ballots

    def counting(cur, ballots):
        sizes.append(len(ballots))
        return original(cur, ballots)

    monkeypatch.setattr(services.ballots, "_write_ballots", counting)
    return sizes


def test_a_burst_shares_transactions_and_every_ballot_is_stored_as_confirmed(db, hall, batch_sizes):
    ws, ids, devices = hall
    ballots = [DotBallot({ids[i % 6]: 1 + i % 3, ids[(i + 1) % 6]: 2}) for i in range(len(devices))]
    subs = [uuid.uuid4().hex for _ in devices]
    results, errors = at_once(
        [
            (lambda p=p, b=b, s=s: services.submit_ballot(db, p, b, s))
            for p, b, s in zip(devices, ballots, subs, strict=True)
        ]
    )
    assert errors == [None] * len(devices)
    assert all(r.submission_id == s for r, s in zip(results, subs, strict=True))
    for p, b, s in zip(devices, ballots, subs, strict=True):
        assert stored(db, p.device_id) == (s, {m: float(v) for m, v in b.dots.items()})
    assert sum(batch_sizes) == len(devices)
    assert max(batch_sizes) > 1, "nothing was grouped: every ballot had a transaction of its own"


def test_a_second_burst_replaces_every_ballot(db, hall):
    ws, ids, devices = hall
    first = [services.submit_ballot(db, p, DotBallot({ids[0]: 1}), uuid.uuid4().hex) for p in devices[:40]]
    assert not any(r.replaced for r in first)
    subs = [uuid.uuid4().hex for _ in devices[:40]]
    results, errors = at_once(
        [
            (lambda p=p, s=s: services.submit_ballot(db, p, DotBallot({ids[1]: 3, ids[2]: 2}), s))
            for p, s in zip(devices[:40], subs, strict=True)
        ]
    )
    assert errors == [None] * 40
    assert all(r.replaced for r in results)
    assert [r.ballot_id for r in results] == [r.ballot_id for r in first]  # same ballot row, new content
    for p, s in zip(devices[:40], subs, strict=True):
        assert stored(db, p.device_id) == (s, {ids[1]: 3.0, ids[2]: 2.0})
    assert db.scalar("SELECT count(*) FROM ballots WHERE workshop_id = $1", [ws.id]) == 40


def test_one_device_twice_in_a_burst_keeps_one_ballot_that_was_confirmed(db, hall):
    ws, ids, devices = hall
    p = devices[0]
    tries = [(DotBallot({ids[i]: 1}), uuid.uuid4().hex) for i in range(6)]
    resend = tries[0]  # the same submission twice (a double tap): one ballot, equal receipts
    results, errors = at_once([(lambda b=b, s=s: services.submit_ballot(db, p, b, s)) for b, s in [*tries, resend]])
    assert errors == [None] * 7
    assert results[0].ballot_id == results[6].ballot_id
    assert db.scalar("SELECT count(*) FROM ballots WHERE device_id = $1", [p.device_id]) == 1
    sub, votes = stored(db, p.device_id)
    (ballot, _s) = next(t for t in tries if t[1] == sub)  # the stored one is one of those confirmed
    assert votes == {m: float(v) for m, v in ballot.dots.items()}


def test_a_refused_ballot_in_a_batch_does_not_stop_the_others(db, fac, hall):
    ws, ids, devices = hall
    ok = services.ballots._PendingBallot(ws.id, devices[1].device_id, uuid.uuid4().hex, DotBallot({ids[0]: 2}))
    stranger = services.ballots._PendingBallot(ws.id, "no-such-device", uuid.uuid4().hex, DotBallot({ids[0]: 1}))
    unknown = services.ballots._PendingBallot(ws.id, devices[2].device_id, uuid.uuid4().hex, DotBallot({"no-such": 1}))
    too_many = services.ballots._PendingBallot(ws.id, devices[3].device_id, uuid.uuid4().hex, DotBallot({ids[0]: 4}))
    outcomes = db.write(lambda cur: services.ballots._write_ballots(cur, [ok, stranger, unknown, too_many]))
    assert isinstance(outcomes[1], PermissionDenied)
    assert isinstance(outcomes[2], ValidationError)
    assert isinstance(outcomes[3], ValidationError)  # more than 3 dots on one measure
    assert outcomes[0].ballot_id
    assert stored(db, devices[1].device_id) == (ok.submission_id, {ids[0]: 2.0})
    assert stored(db, devices[2].device_id) is None
    assert stored(db, devices[3].device_id) is None
    assert db.scalar("SELECT count(*) FROM ballots WHERE device_id = 'no-such-device'") == 0


def test_a_batch_submitted_after_closing_is_refused_whole(db, fac, hall):
    ws, ids, devices = hall
    services.set_phase(db, fac, ws.id, Phase.RESULTS)
    results, errors = at_once(
        [(lambda p=p: services.submit_ballot(db, p, DotBallot({ids[0]: 1}), uuid.uuid4().hex)) for p in devices[:20]]
    )
    assert all(isinstance(e, PermissionDenied) for e in errors)
    assert db.scalar("SELECT count(*) FROM ballots WHERE workshop_id = $1", [ws.id]) == 0


def test_a_failing_transaction_stores_nothing_of_its_batch_and_tells_everyone(make_store):
    database = make_store("fail")
    try:
        database.write(lambda cur: cur.execute("CREATE TABLE t (v INTEGER)"))

        def batch(cur, items):
            cur.executemany("INSERT INTO t VALUES ($1)", [[i] for i in items])
            if 13 in items:
                raise RuntimeError("disk full")
            return [f"ok {i}" for i in items]

        assert database.write_batched(1, batch) == "ok 1"
        with pytest.raises(RuntimeError, match="disk full"):
            database.write_batched(13, batch)
        assert database.fetchall("SELECT v FROM t") == [(1,)]  # the failed batch left no row
    finally:
        database.close()


def test_items_with_the_same_key_never_share_a_batch(make_store):
    database = make_store("keys")
    seen: list[list[str]] = []
    try:

        def batch(cur, items):
            seen.append(list(items))
            return items

        results, errors = at_once(
            [(lambda i=i: database.write_batched(f"k{i % 3}", batch, key=lambda x: x)) for i in range(30)]
        )
        assert errors == [None] * 30
        assert sorted(results) == sorted(f"k{i % 3}" for i in range(30))
        assert all(len(b) == len(set(b)) for b in seen)
    finally:
        database.close()


def test_a_batch_function_that_miscounts_stores_nothing(make_store):
    database = make_store("count")
    try:
        database.write(lambda cur: cur.execute("CREATE TABLE t (v INTEGER)"))

        def batch(cur, items):
            cur.executemany("INSERT INTO t VALUES ($1)", [[i] for i in items])
            return []  # one outcome short

        with pytest.raises(RuntimeError, match="outcomes"):
            database.write_batched(7, batch)
        assert database.fetchall("SELECT v FROM t") == []
    finally:
        database.close()


def test_a_burst_posted_with_tokens_finds_every_device_in_the_write(db, hall, batch_sizes):
    """The ballot endpoint sends the token, not the device: the devices are looked up in the
    transaction (one query per batch), and each ballot lands on its own device."""
    ws, ids, _devices = hall
    joined = [services.join(db, ws.join_code) for _ in range(60)]
    ballots = [DotBallot({ids[i % 6]: 1 + i % 3}) for i in range(60)]
    subs = [uuid.uuid4().hex for _ in joined]
    results, errors = at_once(
        [
            (lambda t=t, b=b, s=s: services.submit_ballot_by_token(db, t, b, s))
            for (_p, t), b, s in zip(joined, ballots, subs, strict=True)
        ]
    )
    assert errors == [None] * 60
    assert [r.submission_id for r in results] == subs
    for (p, _t), b, s in zip(joined, ballots, subs, strict=True):
        assert stored(db, p.device_id) == (s, {m: float(v) for m, v in b.dots.items()})
    assert max(batch_sizes) > 1


def test_tokens_unknown_retired_or_malformed_store_nothing(db, hall):
    ws, ids, _devices = hall
    kiosk, token = services.join(db, ws.join_code, kiosk=True)
    services.retire_token(db, kiosk)  # "Next person" on a kiosk tablet: the old link must not vote
    for bad in (token, "x" * 40, None, "short", 12345, "\ud800" * 20):
        with pytest.raises(PermissionDenied):
            services.submit_ballot_by_token(db, bad, DotBallot({ids[0]: 1}), uuid.uuid4().hex)
    assert stored(db, kiosk.device_id) is None


def test_one_device_by_token_and_by_device_in_one_batch_stores_the_first(db, hall):
    ws, ids, _devices = hall
    p, token = services.join(db, ws.join_code)
    by_token = services.ballots._PendingBallot(
        None, None, uuid.uuid4().hex, DotBallot({ids[0]: 1}), token_hash=services.token_hash(token)
    )
    by_device = services.ballots._PendingBallot(ws.id, p.device_id, uuid.uuid4().hex, DotBallot({ids[1]: 2}))
    outcomes = db.write(lambda cur: services.ballots._write_ballots(cur, [by_token, by_device]))
    assert outcomes[0].submission_id == by_token.submission_id
    assert isinstance(outcomes[1], ValidationError)
    assert stored(db, p.device_id) == (by_token.submission_id, {ids[0]: 1.0})
