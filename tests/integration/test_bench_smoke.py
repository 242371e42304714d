"""A tiny run of the load benchmark in CI: 5 devices, one burst, against a real ``streamlit run``.

It checks the benchmark still speaks the app's protocol (join, ballot page, taps, submit) and the
one property that must hold at any size: every confirmed ballot is in the database, as confirmed.
The performance targets live in bench/ and BENCHMARKS.md, not here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_bench(out: Path, args: list[str], timeout: float) -> dict:
    """Run ``python -m bench.load`` with ``args``; the first JSON row it wrote."""
    proc = subprocess.run(
        [sys.executable, "-m", "bench.load", *args, "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(out.read_text().splitlines()[0])


def test_bench_n5_burst_loses_nothing(tmp_path: Path) -> None:
    row = run_bench(
        tmp_path / "rows.jsonl",
        ["--n", "5", "--mode", "burst", "--rounds", "1", "--no-minimal", "--projector", "none"]
        + ["--join-window", "1", "--prepare-window", "1", "--timeout", "30", "--max-seconds", "50"],
        timeout=55,
    )
    assert row["acked"] == 5, row
    assert row["found"] == row["acked"], row  # acknowledged == found in the database
    assert row["lost"] == 0 and row["mismatched"] == 0, row
    assert row["errors"] == 0, row["error_samples"]


def test_bench_vote_opening_reaches_every_waiting_phone(tmp_path: Path) -> None:
    """The vote-opening scenario: phones wait in the review phase, the facilitator opens the vote
    on the console, every phone's held watch question answers and its ballot comes over HTTP."""
    row = run_bench(
        tmp_path / "open.jsonl",
        ["--scenario", "open", "--n", "4", "--join-window", "1", "--timeout", "30", "--settle", "10"],
        timeout=90,
    )
    assert row["joined"] == row["ballot_shown"] == 4 and row["missing"] == 0, row
    assert row["errors"] == [], row
    # Held questions answer within a tick of the click (generous bound: CI machines are busy).
    assert 0 < row["ready_max_ms"] < 2 * row["waiting_poll_s"] * 1000 + 5000, row


def test_bench_endpoint_stores_every_ballot_of_a_small_burst() -> None:
    """``bench.endpoint`` (the ballot endpoint without a server) still runs and counts what it stored."""
    proc = subprocess.run(
        [sys.executable, "-m", "bench.endpoint", "--n", "20", "--rounds", "2", "--sequential", "3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rounds = [line for line in proc.stdout.splitlines() if line.startswith("round ")]
    assert len(rounds) == 2, proc.stdout
    assert all("stored 20/20, refused 0" in line for line in rounds), proc.stdout


def test_bench_replicas_runs_every_set_up_and_loses_nothing() -> None:
    """``python -m bench.replicas`` at N=10, one round: DuckDB, PostgreSQL with one and two processes."""
    from tests.conftest import postgres_url

    proc = subprocess.run(
        [sys.executable, "-m", "bench.replicas", "--db", postgres_url(), "--n", "10", "--rounds", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = [ln for ln in proc.stdout.splitlines() if "round 1" in ln]
    assert len(lines) == 3, proc.stdout
    assert all("not acknowledged 0, lost 0" in ln for ln in lines), proc.stdout
