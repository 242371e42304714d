"""Scale scenario for the scoring: 10 000 ballots and 1 000 000 votes.

    .venv/bin/python -m bench.scoring [--ballots 10000] [--votes-per-ballot 100] [--repeat 5]
    .venv/bin/python -m bench.scoring --db postgresql://pw@127.0.0.1:5432/scale   # on PostgreSQL

For each method it times, on the same data (median of ``--repeat`` runs, milliseconds):

* ``rank``: ``workshop.scoring.rank`` over the votes DataFrame already in memory;
* ``views.ranking``: what a page calls: DuckDB → pandas (1 M rows) → ``scoring.rank``;
* ``sql``: one DuckDB query that scores and ranks (the dot total / approval count / Borda points,
  supporters, the tie-break) inside the database, returning one row per measure;
* ``groupby``: a plain ``votes.groupby("measure_id")["value"].sum()`` as the floor.

The file (or, with ``--db``, an empty PostgreSQL database) is built directly with bulk inserts
into the app's schema (the store runs the migrations), 200 measures in 4 goals; every ballot has
``--votes-per-ballot`` rows.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workshop import analysis, auth, scoring, services, views  # noqa: E402
from workshop.model import Method, Phase, VotingRules  # noqa: E402
from workshop.pgstore import open_store  # noqa: E402
from workshop.queries import tallies  # noqa: E402
from workshop.store import MARK_LEADS, Database  # noqa: E402
from workshop.transfer import insert_frame  # noqa: E402

SQL = {
    # score, supporters, then the tie-break of workshop.scoring.TIE_BREAK (score, supporters, seq)
    "dots": "sum(v.value)",
    "approval": "count(DISTINCT v.ballot_id)",
    "borda": "sum(greatest($4 - v.value, 0))",
}


def build(path: str, n_ballots: int, per_ballot: int, n_measures: int, seed: int) -> tuple[Database, str]:
    """A workshop of ``n_ballots`` ballots per method in the store at ``path`` (a DuckDB file or a
    postgresql:// URL of an empty database)."""
    db = open_store(path)
    fac = auth.system_session(db)
    ws = services.create_workshop(db, fac, title="Scale", rules=VotingRules())
    rng = np.random.default_rng(seed)
    goals = pd.DataFrame(
        {"id": [uuid.uuid4().hex for _ in range(4)], "workshop_id": ws.id, "position": range(4), "title": list("ABCD")}
    )
    measures = pd.DataFrame(
        {
            "id": [uuid.uuid4().hex for _ in range(n_measures)],
            "workshop_id": ws.id,
            "goal_id": [goals["id"][i % 4] for i in range(n_measures)],
            "title": [f"Measure {i}" for i in range(n_measures)],
        }
    )
    with db.cursor() as cur:
        insert_frame(cur, db.engine, "goals", list(goals.columns), goals)
        insert_frame(cur, db.engine, "measures", list(measures.columns), measures)
    mids = measures["id"].to_numpy()
    crits = ["impact", "feasibility"]
    for method in ("dots", "approval", "rating", "ranking"):
        ballot_ids = np.array([uuid.uuid4().hex for _ in range(n_ballots)])
        ballots = pd.DataFrame(
            {
                "id": ballot_ids,
                "workshop_id": ws.id,
                "device_id": [uuid.uuid4().hex for _ in range(n_ballots)],
                "method": method,
                "submission_id": ballot_ids,
            }
        )
        # per ballot: `per_ballot` rows over distinct measures; ratings: both criteria on
        # ~per_ballot/1.8 measures, of which `per_ballot` rows are kept ("no opinion" is not stored)
        k = min(n_measures, -(-per_ballot * 5 // 9)) if method == "rating" else per_ballot
        picks = np.argsort(rng.random((n_ballots, n_measures)), axis=1)[:, :k]
        rep_b = np.repeat(ballot_ids, k)
        rep_m = mids[picks.ravel()]
        if method == "rating":
            cells = np.concatenate([picks, picks], axis=1)  # (ballot, 2k): impact then feasibility
            kept = np.argsort(np.argsort(rng.random(cells.shape), axis=1), axis=1) < per_ballot
            votes = pd.DataFrame(
                {
                    "ballot_id": np.repeat(ballot_ids, 2 * k)[kept.ravel()],
                    "measure_id": mids[cells[kept]],
                    "criterion": np.tile(np.repeat(crits, k), n_ballots)[kept.ravel()],
                    "value": rng.integers(1, 6, int(kept.sum())).astype(float),
                }
            )
        else:
            value = {
                "dots": rng.integers(1, 4, len(rep_b)),
                "approval": np.ones(len(rep_b)),
                "ranking": np.tile(np.arange(1, k + 1), n_ballots),
            }[method]
            votes = pd.DataFrame(
                {"ballot_id": rep_b, "measure_id": rep_m, "criterion": "", "value": value.astype(float)}
            )
        with db.cursor() as cur:
            insert_frame(cur, db.engine, "ballots", list(ballots.columns), ballots)
            insert_frame(cur, db.engine, "votes", list(votes.columns), votes)
            # Marked the way a migration or a restore marks them (a submitted ballot marks its own rows).
            where = "ballot_id IN (SELECT id FROM ballots WHERE workshop_id = $1 AND method = $2)"
            cur.execute(MARK_LEADS.format(where=where), [ws.id, method])
    with db.cursor() as cur:
        tallies.recount(cur, ws.id)  # as a restore counts them (a submitted ballot adds its own)
    services.set_phase(db, fac, ws.id, Phase.COLLECT)
    services.set_phase(db, fac, ws.id, Phase.REVIEW)
    db.checkpoint()
    return db, ws.id


def timed(fn, repeat: int) -> tuple[float, object]:
    out, times = None, []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000, out


def sql_rank(db: Database, workshop_id: str, method: str, n_measures: int) -> pd.DataFrame:
    score = SQL[method]
    ballot_method = scoring.METHODS[method].ballot_method
    q = f"""
        WITH s AS (
            SELECT v.measure_id, {score} AS score,
                   count(DISTINCT v.ballot_id) FILTER (WHERE v.value > 0) AS supporters
            FROM votes v JOIN ballots b ON b.id = v.ballot_id
            WHERE b.workshop_id = $1 AND b.method = $2
            GROUP BY v.measure_id)
        SELECT m.id AS measure_id, m.goal_id, m.title, coalesce(s.score, 0) AS score,
               coalesce(s.supporters, 0) AS supporters, m.seq,
               row_number() OVER (ORDER BY coalesce(s.score, 0) DESC, coalesce(s.supporters, 0) DESC, m.seq)
                   AS rank_overall,
               row_number() OVER (PARTITION BY m.goal_id
                   ORDER BY coalesce(s.score, 0) DESC, coalesce(s.supporters, 0) DESC, m.seq) AS rank_goal
        FROM measures m LEFT JOIN s ON s.measure_id = m.id
        WHERE m.workshop_id = $3 AND NOT m.hidden AND m.merged_into IS NULL
        ORDER BY rank_overall"""
    extra = [n_measures] if method == "borda" else []
    return db.df(q, [workshop_id, str(ballot_method), workshop_id, *extra])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.scoring", description=__doc__.split("\n\n")[0])
    p.add_argument("--ballots", type=int, default=10_000)
    p.add_argument("--votes-per-ballot", type=int, default=100)
    p.add_argument("--measures", type=int, default=200)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--db", help="an empty PostgreSQL database (postgresql://…) instead of a DuckDB file")
    args = p.parse_args(argv)
    if args.votes_per_ballot > args.measures:
        p.error("--votes-per-ballot must not exceed --measures")
    with tempfile.TemporaryDirectory(prefix="pw-scale-") as tmp:
        t = time.perf_counter()
        target = args.db or str(Path(tmp) / "scale.duckdb")
        db, wid = build(target, args.ballots, args.votes_per_ballot, args.measures, args.seed)
        print(
            f"built {args.ballots} ballots × 4 methods, {args.ballots * args.votes_per_ballot:,} votes per method, "
            f"{args.measures} measures in {time.perf_counter() - t:.1f} s"
        )
        ws = services.get_workshop(db, wid)
        measures = views.measures_frame(db, wid)
        rows = []
        for key in ("dots", "approval", "rating", "borda"):
            method = scoring.METHODS[key].ballot_method
            w = replace(ws, rules=replace(ws.rules, method=Method(method)))
            votes = views.votes_frame(db, wid, method)
            t_rank, ranked = timed(lambda: scoring.rank(key, votes, measures, ws.rules.criteria), args.repeat)  # noqa: B023 - called at once
            t_view, viewed = timed(lambda: views.ranking(db, w, key), args.repeat)  # noqa: B023 - called at once
            if list(viewed["measure_id"]) != list(ranked["measure_id"]):
                raise SystemExit(f"{key}: views.ranking (from the tallies) differs from scoring.rank (the votes)")
            t_fetch, _ = timed(lambda: views.votes_frame(db, wid, method), args.repeat)  # noqa: B023 - called at once
            t_group, _ = timed(lambda: votes.groupby("measure_id")["value"].sum(), args.repeat)  # noqa: B023 - called at once
            t_sql, sql = (None, None)
            if key in SQL:
                t_sql, sql = timed(lambda: sql_rank(db, wid, key, len(measures)), args.repeat)  # noqa: B023 - called at once
                same = list(sql["measure_id"]) == list(ranked["measure_id"])
            else:
                same = None
            rows.append((key, len(votes), t_rank, t_fetch, t_view, t_sql, t_group, same))
        # The slow path: a measure hidden after the vote, so every Borda ballot that ranked it is
        # read vote by vote (with 100 of 200 measures on each ballot: half of them).
        hidden = measures.iloc[0]["id"]
        w = replace(ws, rules=replace(ws.rules, method=Method.RANKING))
        services.set_hidden(db, auth.system_session(db), hidden, True)
        kept = measures[measures["id"] != hidden]
        votes = views.votes_frame(db, wid, Method.RANKING)
        ranked = scoring.rank("borda", votes, kept, ws.rules.criteria)
        t_hidden, viewed = timed(lambda: views.ranking(db, w, "borda"), args.repeat)
        if list(viewed["measure_id"]) != list(ranked["measure_id"]):
            raise SystemExit("borda with a hidden measure: views.ranking differs from scoring.rank")
        # The results page's close calls: 500 resamples of one hall's ballots (300 of them).
        hall = views.votes_frame(db, wid, Method.RATING)
        hall = hall[hall["ballot_id"].isin(hall["ballot_id"].drop_duplicates().head(300))]
        t_boot, _ = timed(lambda: analysis.bootstrap_scores("rating", hall, measures, ws.rules.criteria, n=500), 1)
        db.close()
    head = ("method", "votes", "rank ms", "fetch ms", "views.ranking ms", "sql ms", "groupby ms", "sql = rank")
    print("  ".join(f"{h:>16}" for h in head))
    for key, n, a, f, b, c, d, same in rows:
        cells = [key, f"{n:,}", f"{a:.0f}", f"{f:.0f}", f"{b:.0f}", "—" if c is None else f"{c:.0f}", f"{d:.0f}"]
        cells.append("—" if same is None else str(same))
        print("  ".join(f"{x:>16}" for x in cells))
    print(f"borda with one measure hidden after the vote (half the ballots read vote by vote): {t_hidden:.0f} ms")
    print(f"bootstrap (rating, 300 ballots, {args.measures} measures, 500 resamples): {t_boot:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
