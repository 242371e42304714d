"""A burst of N ballots through real servers: DuckDB (one process), PostgreSQL with one app process,
PostgreSQL with two, in the same run on the same machine.

    .venv/bin/python -m bench.replicas --db postgresql://pw@127.0.0.1:5432/postgres [--n 300] [--rounds 3]

``--db`` names a PostgreSQL server where the benchmark may create and drop databases. For each
set-up the demo workshop is built in a fresh store, N devices join, the app processes start
(``streamlit run app.py``), and N ballots are sent at once over HTTP (``POST /api/ballot``, what
a phone's submit sends), spread evenly over the processes, ``--rounds`` times (every round
changes every ballot). Printed per round: p50/p95/max per ballot, lost (acknowledged but not
stored, or not acknowledged), the app processes' CPU seconds and the whole machine's (PostgreSQL's
own processes included).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.client import post_json  # noqa: E402
from bench.endpoint import dot_ballot  # noqa: E402
from bench.server import Server, _proc_cpu_seconds  # noqa: E402
from ui import api  # noqa: E402
from workshop import demo, services  # noqa: E402
from workshop.pgstore import open_store  # noqa: E402


def _machine_cpu() -> float:
    """CPU seconds the whole machine spent (all processes), from /proc/stat."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    busy = sum(int(x) for i, x in enumerate(fields) if i not in (3, 4))  # without idle and iowait
    return busy / os.sysconf("SC_CLK_TCK")


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q / 100 * (len(values) - 1)))]


async def _burst(ports: list[int], bodies: list[dict]) -> tuple[list[float], int]:
    took: list[float] = []
    failed = 0

    async def send(i: int, body: dict) -> None:
        nonlocal failed
        t0 = time.perf_counter()
        try:
            status, _answer = await post_json(ports[i % len(ports)], api.PATH, body, timeout=120)
        except (OSError, TimeoutError):
            status = 0
        if status == 200:
            took.append(time.perf_counter() - t0)
        else:
            failed += 1

    await asyncio.gather(*(send(i, b) for i, b in enumerate(bodies)))
    return took, failed


def run(name: str, target: str, processes: int, n: int, rounds: int, tmp: Path) -> None:
    db = open_store(target)
    ws = demo.build(db)
    measures = list(services.voting_measures(db, ws))
    tokens = [services.join(db, ws.join_code)[1] for _ in range(n)]
    rules = ws.rules
    db.close()  # a DuckDB file is held by one process: the app's
    env = {"PW_DEMO": "0", "PW_PASSPHRASE": "bench-replicas", "PW_SAFETY_MINUTES": "0"}
    env |= {"PW_DATABASE_URL": target} if target.startswith("postgresql") else {"PW_DB_PATH": target}
    servers = [Server("app.py", env=env, log=tmp / f"{name}-{i}.log").start() for i in range(processes)]
    rng = random.Random(21)
    try:
        for rnd in range(1, rounds + 1):
            bodies = [
                {"t": t, "submission": uuid.uuid4().hex, "ballot": dot_ballot(measures, rules, rng, at_least_one=True)}
                for t in tokens
            ]
            app0 = sum(_proc_cpu_seconds(s.pid) or 0 for s in servers)
            all0, wall0 = _machine_cpu(), time.perf_counter()
            took, failed = asyncio.run(_burst([s.port for s in servers], bodies))
            wall = time.perf_counter() - wall0
            app = sum(_proc_cpu_seconds(s.pid) or 0 for s in servers) - app0
            machine = _machine_cpu() - all0
            if target.startswith("postgresql"):
                check = open_store(target, migrate=False)
                stored = check.scalar(
                    "SELECT count(*) FROM ballots WHERE submission_id IN (SELECT unnest(CAST($1 AS VARCHAR[])))",
                    [[b["submission"] for b in bodies]],
                )
                check.close()
                lost = n - stored
            else:
                lost = failed  # the file is the app's: what was not acknowledged is what may be missing
            print(
                f"{name:<22} round {rnd}: N={n} wall {wall:.2f} s, p50 {_pct(took, 50) * 1000:.0f} ms, "
                f"p95 {_pct(took, 95) * 1000:.0f} ms, max {max(took) * 1000:.0f} ms, not acknowledged {failed}, "
                f"lost {lost}, app CPU {app:.2f} s, machine CPU {machine:.2f} s",
                flush=True,
            )
    finally:
        for s in servers:
            s.stop()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", required=True, help="a PostgreSQL server: postgresql://user@host:port/postgres")
    p.add_argument("--n", type=int, default=300)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args(argv)
    import psycopg

    with tempfile.TemporaryDirectory(prefix="pw-replicas-") as tmp:
        tmp_path = Path(tmp)
        run("DuckDB, 1 process", str(tmp_path / "bench.duckdb"), 1, args.n, args.rounds, tmp_path)
        for processes in (1, 2):
            name = "pw_bench_" + uuid.uuid4().hex[:8]
            with psycopg.connect(args.db, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            try:
                url = args.db.rsplit("/", 1)[0] + "/" + name
                label = f"PostgreSQL, {processes} process{'es' if processes > 1 else ''}"
                run(label, url, processes, args.n, args.rounds, tmp_path)
            finally:
                with psycopg.connect(args.db, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
