"""The ballot endpoint's own cost, without a server: N ballots stored at the same moment.

    .venv/bin/python -m bench.endpoint [--n 700] [--rounds 3]

Builds the demo workshop in a temporary DuckDB file, joins N devices, then calls
``ui.api.store_ballot`` (what ``POST /api/ballot`` runs in its worker thread) from N threads
released together, ``--rounds`` times (every round changes every ballot). Prints per round: wall
time of the burst, CPU seconds of the process, p50/p95/max per ballot, and how many ballots the
file holds as confirmed afterwards. First, for scale: ``--sequential`` ballots one after the
other (each its own transaction). The load benchmark (``bench.load``) measures the same path
through a real server; this one isolates the database and the checks from Streamlit.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ui import api  # noqa: E402
from workshop import demo, services  # noqa: E402
from workshop.store import Database  # noqa: E402


def dot_ballot(measures: list[str], rules, rng: random.Random, *, at_least_one: bool = False) -> dict:
    """A random dot ballot within the workshop's rules (no goal budget: the demo has none); with
    ``at_least_one`` never empty (a ballot that a count can be seen to change)."""
    dots, left = {}, rules.dots_per_person
    for m in rng.sample(measures, len(measures)):
        n = min(left, rng.randint(0, rules.max_per_measure))
        if n:
            dots[m] = n
            left -= n
    return {"method": "dots", "dots": dots or ({measures[0]: 1} if at_least_one else {})}


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q / 100 * (len(values) - 1)))]


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=700, help="devices submitting at the same moment")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--sequential", type=int, default=100)
    args = p.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        db = Database(str(Path(tmp) / "endpoint.duckdb"))
        ws = demo.build(db)
        measures = list(services.voting_measures(db, ws))
        rng = random.Random(6)
        tokens = [services.join(db, ws.join_code)[1] for _ in range(args.n + args.sequential)]

        start = time.perf_counter()
        for i, t in enumerate(tokens[: args.sequential]):
            status, answer = api.store_ballot(
                db, {"t": t, "submission": f"seq{i:08d}", "ballot": dot_ballot(measures, ws.rules, rng)}, "de"
            )
            assert status == 200, answer
        seq_ms = (time.perf_counter() - start) / max(1, args.sequential) * 1000
        print(f"sequential: {args.sequential} ballots, {seq_ms:.1f} ms each")

        hall = tokens[args.sequential :]
        for rnd in range(1, args.rounds + 1):
            bodies = [
                {"t": t, "submission": f"r{rnd}-{i:08d}", "ballot": dot_ballot(measures, ws.rules, rng)}
                for i, t in enumerate(hall)
            ]
            took: list[float] = [0.0] * len(bodies)
            failed: list[object] = []
            barrier = threading.Barrier(len(bodies) + 1)

            def post(i: int, body: dict, took=took, failed=failed, barrier=barrier) -> None:
                barrier.wait()
                t0 = time.perf_counter()
                status, answer = api.store_ballot(db, body, "de")
                took[i] = time.perf_counter() - t0
                if status != 200:
                    failed.append(answer)

            threads = [threading.Thread(target=post, args=(i, b)) for i, b in enumerate(bodies)]
            for t in threads:
                t.start()
            cpu0, wall0 = time.process_time(), time.perf_counter()
            barrier.wait()
            for t in threads:
                t.join()
            wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
            stored = db.scalar(
                "SELECT count(*) FROM ballots WHERE submission_id IN (SELECT unnest(CAST($1 AS VARCHAR[])))",
                [[b["submission"] for b in bodies]],
            )
            print(
                f"round {rnd}: N={len(bodies)} wall {wall:.2f} s, cpu {cpu:.2f} s, "
                f"p50 {_pct(took, 50) * 1000:.0f} ms, p95 {_pct(took, 95) * 1000:.0f} ms, "
                f"max {max(took) * 1000:.0f} ms, stored {stored}/{len(bodies)}, refused {len(failed)}"
            )
        db.close()


if __name__ == "__main__":
    main()
