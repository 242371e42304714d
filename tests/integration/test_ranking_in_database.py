"""The ranking a page shows (aggregated in DuckDB) equals the ranking from the raw votes (pandas).

views.ranking lets the database reduce the votes to a few rows per measure; scoring.rank works on
the votes frame (the bootstrap and the golden files use it). Both must agree exactly, for every
method, with random ballots, a shortlist and hidden measures.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import replace

import pandas as pd
import pytest

from bench.scoring import build
from workshop import auth, backup, scoring, services, views
from workshop.model import MeasureInput, Method, Phase, RatingBallot, VotingRules
from workshop.store import Database


@pytest.fixture(scope="module", params=[1, 2, 3])
def scale(request, tmp_path_factory):
    db, wid = build(str(tmp_path_factory.mktemp("rank") / "r.duckdb"), 300, 12, 30, seed=request.param)
    yield db, wid
    db.close()


@pytest.mark.parametrize("key", list(scoring.METHODS))
def test_database_aggregation_equals_pandas_scoring(scale, key):
    db, wid = scale
    ws = services.get_workshop(db, wid)
    method = scoring.METHODS[key].ballot_method
    ws = replace(ws, rules=replace(ws.rules, method=Method(method)))
    from_db = views.ranking(db, ws, key)
    measures = views.measures_frame(db, wid)
    from_votes = scoring.rank(key, views.votes_frame(db, wid, method), measures, ws.rules.criteria)
    assert len(from_db) == len(measures) > 0
    assert from_db["supporters"].sum() > 0, "the random ballots must reach the ranking"
    cols = list(from_votes.columns)
    pd.testing.assert_frame_equal(from_db[cols].reset_index(drop=True), from_votes.reset_index(drop=True))


def test_shortlist_and_hidden_measures(scale):
    db, wid = scale
    fac = auth.system_session(db)
    measures = views.measures_frame(db, wid)
    shortlist = tuple(measures["id"][:7])
    ws = services.get_workshop(db, wid)
    ws = replace(ws, rules=replace(ws.rules, method=Method.RANKING, shortlist=shortlist))
    from_db = views.ranking(db, ws, "borda")
    assert set(from_db["measure_id"]) == set(shortlist)
    short = measures[measures["id"].isin(shortlist)]
    expected = scoring.rank("borda", views.votes_frame(db, wid, Method.RANKING), short, ws.rules.criteria)
    assert list(from_db["measure_id"]) == list(expected["measure_id"])
    assert list(from_db["score"]) == list(expected["score"])
    hidden = measures["id"][0]
    services.set_hidden(db, fac, hidden, True)
    try:
        assert hidden not in set(views.ranking(db, services.get_workshop(db, wid), "dots")["measure_id"])
    finally:
        services.set_hidden(db, fac, hidden, False)


# --- rated measures: one leading row per ballot and measure -------------------------------------


def _leads_off(db) -> int:
    """(ballot, measure) pairs that do not have exactly one leading row."""
    return db.scalar(
        "SELECT count(*) FROM (SELECT ballot_id, measure_id, count(*) FILTER (WHERE leads) AS n "
        "FROM votes GROUP BY ALL) WHERE n <> 1"
    )


def _same_as_pandas(db, ws):
    from_db = views.ranking(db, ws, "rating")
    measures = views.measures_frame(db, ws.id)
    expected = scoring.rank("rating", views.votes_frame(db, ws.id, Method.RATING), measures, ws.rules.criteria)
    cols = list(expected.columns)
    pd.testing.assert_frame_equal(from_db[cols].reset_index(drop=True), expected.reset_index(drop=True))
    return from_db


def test_rated_ballots_keep_one_leading_row_through_submit_merge_and_restore(tmp_path):
    """Partial ratings ("no opinion" on a criterion), a merge that folds two rated measures into
    one and a restore from a backup each keep the voters of a rated measure exact."""
    db = Database(tmp_path / "rated.duckdb")
    fac = auth.system_session(db)
    ws = services.create_workshop(db, fac, title="Rated", rules=VotingRules(method=Method.RATING))
    goal = services.add_goal(db, fac, ws.id, "Ziel").id
    services.set_phase(db, fac, ws.id, Phase.COLLECT)
    author, _ = services.join(db, ws.join_code)
    ids = [services.propose_measure(db, author, goal, MeasureInput(title=f"Vorschlag {i}")).id for i in range(5)]
    services.set_phase(db, fac, ws.id, Phase.VOTE)
    rng = random.Random(4)
    for _ in range(25):
        device, _ = services.join(db, ws.join_code)
        ratings = {
            m: {c: rng.choice([None, 1, 2, 3, 4, 5]) for c in ("impact", "feasibility") if rng.random() < 0.8}
            for m in rng.sample(ids, rng.randint(1, 5))
        }
        if not any(v for per in ratings.values() for v in per.values()):
            ratings = {ids[0]: {"feasibility": 4}}  # feasibility alone: the row leads although "impact" < it
        services.submit_ballot(db, device, RatingBallot(ratings), uuid.uuid4().hex)
    ws = services.get_workshop(db, ws.id)
    assert db.scalar("SELECT count(*) FROM votes WHERE NOT leads") > 0, "some measures must be rated on both"
    assert _leads_off(db) == 0
    _same_as_pandas(db, ws)

    services.set_phase(db, fac, ws.id, Phase.REVIEW)
    services.merge_measures(db, fac, ids[0], [ids[1], ids[2]])
    assert _leads_off(db) == 0
    before = _same_as_pandas(db, services.get_workshop(db, ws.id))

    data = backup.export_workshop(db, ws.id)
    assert "leads" not in data["votes"][0], "derived, not part of a backup"
    other = Database(tmp_path / "restored.duckdb")
    try:
        backup.restore(other, data)
        assert _leads_off(other) == 0
        after = _same_as_pandas(other, services.get_workshop(other, ws.id))
        pd.testing.assert_frame_equal(before, after)
    finally:
        other.close()
        db.close()
