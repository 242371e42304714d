"""The ranking a page shows (aggregated in DuckDB) equals the ranking from the raw votes (pandas).

views.ranking lets the database reduce the votes to a few rows per measure; scoring.rank works on
the votes frame (the bootstrap and the golden files use it). Both must agree exactly, for every
method, with random ballots, a shortlist and hidden measures.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from bench.scoring import build
from workshop import auth, scoring, services, views
from workshop.model import Method


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
