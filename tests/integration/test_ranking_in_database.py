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
from tests.conftest import drop_postgres_database, fresh_postgres_database
from workshop import auth, backup, scoring, services, views
from workshop.model import MeasureInput, Method, Phase, RatingBallot, VotingRules
from workshop.store import Database


@pytest.fixture(scope="module", params=[1, 2, 3])
def scale(request, engine, tmp_path_factory):
    """Random ballots of every method, on each engine (the aggregation runs in its SQL)."""
    target = str(tmp_path_factory.mktemp("rank") / "r.duckdb") if engine == "duckdb" else fresh_postgres_database()
    db, wid = build(target, 300, 12, 30, seed=request.param)
    yield db, wid
    db.close()
    if engine != "duckdb":
        drop_postgres_database(target)


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


def test_borda_after_hiding_or_a_shorter_shortlist_counts_the_measures_left(tmp_path):
    """Issue 17.1, through the services: the stored places X=1, A=2, B=3 are closed up over the
    measures in the count when it is made (the app gave B 1, A 0)."""
    from workshop import demo
    from workshop.model import RankingBallot

    db = Database(tmp_path / "borda.duckdb")
    demo.build(db)
    fac = auth.system_session(db)
    ws = services.create_workshop(db, fac, title="Borda", rules=VotingRules(method=Method.RANKING))
    services.replace_vision(db, fac, ws.id, title="V", description="", goals=[("Ziel", "")])
    goal = services.list_goals(db, ws.id)[0]
    services.set_phase(db, fac, ws.id, Phase.COLLECT)
    a, b, x = (services.propose_measure(db, fac, goal.id, MeasureInput(title=t)).id for t in ("Aaa", "Bbb", "Xxx"))
    services.set_phase(db, fac, ws.id, Phase.VOTE)
    for order in ((x, a, b), (b, a, x)):
        participant, _token = services.join(db, ws.join_code)
        services.submit_ballot(db, participant, RankingBallot(order), uuid.uuid4().hex)
    services.set_phase(db, fac, ws.id, Phase.REVIEW)
    services.set_hidden(db, fac, x, True)
    ranked = views.ranking(db, services.get_workshop(db, ws.id), "borda")
    assert list(zip(ranked["measure_id"], ranked["score"], ranked["place_overall"], strict=True)) == [
        (a, 1.0, 1),
        (b, 1.0, 1),
    ]
    services.set_hidden(db, fac, x, False)
    shortlist = replace(services.get_workshop(db, ws.id).rules, shortlist=(a, b))
    services.set_rules(db, fac, ws.id, shortlist, confirm_affected=2)
    ranked = views.ranking(db, services.get_workshop(db, ws.id), "borda")
    assert list(ranked["score"]) == [1.0, 1.0] and list(ranked["measure_id"]) == [a, b]
    db.close()


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


def test_the_exports_carry_each_measures_details_and_what_was_merged_into_it(tmp_path):
    """Issue 17.6 and 17.7: responsible body, target group, time frame and cost were in no export,
    and a proposal merged into another disappeared from all of them."""
    import io

    from pypdf import PdfReader

    from workshop import demo, exports, i18n, report

    db = Database(tmp_path / "details.duckdb")
    demo.build(db)
    fac = auth.system_session(db)
    ws = services.create_workshop(db, fac, title="Details")
    services.replace_vision(db, fac, ws.id, title="V", description="", goals=[("Ziel", "")])
    goal = services.list_goals(db, ws.id)[0]
    services.set_phase(db, fac, ws.id, Phase.COLLECT)
    kept = services.propose_measure(
        db,
        fac,
        goal.id,
        MeasureInput(
            title="Beirat der Vereine",
            responsible="Bezirksamt, Fachamt Sozialraum",
            target_group="Migrantenvereine",
            timeframe="ab Herbst 2027",
            cost="ca. 5 000 € im Jahr",
        ),
    )
    dupe = services.propose_measure(db, fac, goal.id, MeasureInput(title="Harburg için yabancılar meclisi"), lang="tr")
    services.set_phase(db, fac, ws.id, Phase.REVIEW)
    services.merge_measures(db, fac, kept.id, [dupe.id])
    ws = services.get_workshop(db, ws.id)
    ranked = views.ranking(db, ws, "dots")
    row = ranked.set_index("measure_id").loc[kept.id]
    assert (row["responsible"], row["cost"], row["merged"]) == (
        "Bezirksamt, Fachamt Sozialraum",
        "ca. 5 000 € im Jahr",
        "Harburg için yabancılar meclisi (Türkçe)",  # and in which language it was written (issue 17.7)
    )
    csv = exports.ranking_csv(ranked, method_key="dots").decode("utf-8-sig")
    header, first = csv.splitlines()[:2]
    for column in ("Responsible", "Target group", "Timeframe", "Rough cost", "Merged into it"):
        assert column in header
    assert "Migrantenvereine" in first and "Harburg için yabancılar meclisi" in first
    pdf = report.report_pdf(ws, ranked, None, None, [goal], i18n.gettext_for("en"), method_key="dots", lang="en")
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Responsible: Bezirksamt, Fachamt Sozialraum" in text
    assert "Merged into it: Harburg için yabancılar meclisi (Türkçe)" in text
    db.close()
