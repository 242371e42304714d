"""What one safety copy costs, and what copies cost the ballot path (workshop/safety.py).

    .venv/bin/python -m bench.safety [--ballots 300] [--repeat 10] [--probe 200]

Builds the demo workshop in a temporary DuckDB file and adds ``--ballots`` dot ballots from as
many devices (through ``ui.api.store_ballot``, what the endpoint runs). Then, median and max of
``--repeat`` runs, milliseconds:

* ``copy (changed)``: one more ballot, then ``Keeper.copy``: the export in one snapshot, its
  fingerprint, the file written, flushed to disk and renamed, the rotation;
* ``copy (unchanged)``: ``Keeper.copy`` when nothing changed (export and fingerprint, no file);

and the ballot path: ``--probe`` ballots one after the other (each its own transaction), p50/p95,
once alone and once while another thread writes copies back to back (the worst case: the app
writes one every few minutes).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.endpoint import _pct, dot_ballot  # noqa: E402
from ui import api  # noqa: E402
from workshop import demo, safety, services  # noqa: E402
from workshop.store import Database  # noqa: E402


def _vote(db: Database, token: str, measures: list[str], rules, rng: random.Random) -> float:
    body = {"t": token, "submission": rng.randbytes(8).hex(), "ballot": dot_ballot(measures, rules, rng)}
    t0 = time.perf_counter()
    status, answer = api.store_ballot(db, body, "de")
    assert status == 200, answer
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--ballots", type=int, default=300, help="dot ballots added to the demo workshop")
    p.add_argument("--repeat", type=int, default=10)
    p.add_argument("--probe", type=int, default=200, help="ballots timed on the ballot path")
    args = p.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        db = Database(str(Path(tmp) / "safety.duckdb"))
        ws = demo.build(db)
        measures = list(services.voting_measures(db, ws))
        rng = random.Random(7)
        tokens = [services.join(db, ws.join_code)[1] for _ in range(args.ballots)]
        for token in tokens:
            _vote(db, token, measures, ws.rules, rng)
        ballots = db.scalar("SELECT count(*) FROM ballots WHERE workshop_id = $1", [ws.id])
        votes = db.scalar(
            "SELECT count(*) FROM votes JOIN ballots b ON b.id = ballot_id WHERE workshop_id = $1", [ws.id]
        )
        keeper = safety.Keeper(db, Path(tmp) / "safety", minutes=5, keep=3)

        changed, unchanged, size = [], [], 0
        for _ in range(args.repeat):
            _vote(db, rng.choice(tokens), measures, ws.rules, rng)
            t0 = time.perf_counter()
            path = keeper.copy(ws.id)
            changed.append(time.perf_counter() - t0)
            size = path.stat().st_size
            t0 = time.perf_counter()
            assert keeper.copy(ws.id) is None
            unchanged.append(time.perf_counter() - t0)
        print(f"workshop: {ballots} ballots, {votes} votes; one copy is {size / 1e6:.2f} MB")
        for name, took in (("copy (changed)", changed), ("copy (unchanged)", unchanged)):
            print(f"{name}: median {statistics.median(took) * 1000:.0f} ms, max {max(took) * 1000:.0f} ms")

        alone = [_vote(db, rng.choice(tokens), measures, ws.rules, rng) for _ in range(args.probe)]
        stop, copies = threading.Event(), [0]

        def copy_again() -> None:
            while not stop.is_set():
                _vote(db, rng.choice(tokens), measures, ws.rules, random.Random())
                keeper.copy(ws.id)
                copies[0] += 1

        copier = threading.Thread(target=copy_again)
        copier.start()
        try:
            during = [_vote(db, rng.choice(tokens), measures, ws.rules, rng) for _ in range(args.probe)]
        finally:
            stop.set()
            copier.join()
        for name, took in (("ballot alone", alone), (f"ballot during {copies[0]} copies", during)):
            print(f"{name}: p50 {_pct(took, 50) * 1000:.1f} ms, p95 {_pct(took, 95) * 1000:.1f} ms")
        db.close()


if __name__ == "__main__":
    main()
