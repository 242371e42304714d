"""Tallies (schema 12) are kept with the votes on PostgreSQL: after every writer of votes (a ballot, its
replacement and resend, a merge and its undoing, a restore, a delete) they equal a count made
from the votes anew, and the ranking read from them equals the one from the raw votes (pandas),
and on DuckDB (which ranks from the votes and keeps no tallies) the same ranking; also with a
measure hidden or a shortlist shortened after the vote, when the
ballots that ranked a measure no longer counted are read vote by vote."""

from __future__ import annotations

import random
import uuid
from dataclasses import replace

import pandas as pd
import pytest

from tests.conftest import tallies_check
from workshop import auth, backup, scoring, services, views
from workshop.model import (
    ApprovalBallot,
    DotBallot,
    MeasureInput,
    Method,
    Phase,
    RankingBallot,
    RatingBallot,
    VotingRules,
)
from workshop.queries import tallies


def assert_tallies_are_the_votes(db) -> None:
    """The tallies kept equal a count from the votes (PostgreSQL); none are kept (DuckDB)."""
    kept, from_votes = tallies_check(db)
    assert kept == from_votes, f"tallies off the votes: {kept - from_votes} / {from_votes - kept}"


def assert_ranking_is_the_votes(db, ws, key: str) -> pd.DataFrame:
    method = scoring.METHODS[key].ballot_method
    ws = replace(ws, rules=replace(ws.rules, method=Method(method)))
    from_tallies = views.ranking(db, ws, key)
    measures = views.measures_frame(db, ws.id)
    if methods_use_shortlist(method) and ws.rules.shortlist:
        measures = measures[measures["id"].isin(ws.rules.shortlist)]
    from_votes = scoring.rank(key, views.votes_frame(db, ws.id, method), measures, ws.rules.criteria)
    cols = list(from_votes.columns)
    pd.testing.assert_frame_equal(from_tallies[cols].reset_index(drop=True), from_votes.reset_index(drop=True))
    return from_tallies


def methods_use_shortlist(method) -> bool:
    from workshop import methods

    return methods.of(method).uses_shortlist


@pytest.fixture
def hall(make_store):
    """A workshop with eight measures, twelve devices joined."""
    db = make_store("tallies")
    fac = auth.system_session(db)
    ws = services.create_workshop(db, fac, title="Tallies", rules=VotingRules(method=Method.DOTS))
    goal = services.add_goal(db, fac, ws.id, "Ziel").id
    services.set_phase(db, fac, ws.id, Phase.COLLECT)
    ids = [services.propose_measure(db, fac, goal, MeasureInput(title=f"Vorschlag {i}")).id for i in range(8)]
    devices = [services.join(db, ws.join_code)[0] for _ in range(12)]
    return db, fac, ws, ids, devices


def _switch(db, fac, workshop_id: str, method: Method) -> None:
    """The review phase, voting by ``method`` (the ballots of the method before stay stored)."""
    services.set_phase(db, fac, workshop_id, Phase.REVIEW)
    current = services.get_workshop(db, workshop_id).rules
    affected = services.count_ballots(db, workshop_id, current.method)
    services.set_rules(db, fac, workshop_id, replace(current, method=method, shortlist=()), confirm_affected=affected)


def _vote(db, fac, ws, method: Method, devices, ids, rng: random.Random) -> None:
    _switch(db, fac, ws.id, method)
    services.set_phase(db, fac, ws.id, Phase.VOTE)
    for device in devices:
        picks = rng.sample(ids, rng.randint(1, 5))
        ballot = {
            Method.DOTS: lambda: DotBallot({picks[0]: 2, **{m: 1 for m in picks[1:3]}}),
            Method.APPROVAL: lambda: ApprovalBallot(tuple(picks)),
            Method.RANKING: lambda: RankingBallot(tuple(picks)),
            Method.RATING: lambda: RatingBallot({m: {"impact": rng.randint(1, 5)} for m in picks}),
        }[method]()
        services.submit_ballot(db, device, ballot, uuid.uuid4().hex)


def test_tallies_follow_every_writer_of_votes(hall, engine, make_store):
    db, fac, ws, ids, devices = hall
    rng = random.Random(12)
    for method in (Method.DOTS, Method.APPROVAL, Method.RANKING, Method.RATING):
        _vote(db, fac, ws, method, devices, ids, rng)
    assert_tallies_are_the_votes(db)
    shards = {row[0] for row in db.fetchall("SELECT DISTINCT shard FROM tallies")}
    assert shards == (set() if engine == "duckdb" else {tallies.PROCESS_SHARD}), shards

    # A device votes again (its ballot replaced) and resends the same submission (stored once).
    _switch(db, fac, ws.id, Method.RANKING)
    services.set_phase(db, fac, ws.id, Phase.VOTE)
    again = uuid.uuid4().hex
    for _ in range(2):
        services.submit_ballot(db, devices[0], RankingBallot((ids[7], ids[6], ids[5])), again)
    assert_tallies_are_the_votes(db)

    services.set_phase(db, fac, ws.id, Phase.REVIEW)
    ws = services.get_workshop(db, ws.id)
    for key in scoring.METHODS:
        assert_ranking_is_the_votes(db, ws, key)

    # A merge moves votes; its undoing moves them back.
    services.merge_measures(db, fac, ids[0], [ids[1], ids[2]])
    assert_tallies_are_the_votes(db)
    for key in scoring.METHODS:
        assert_ranking_is_the_votes(db, services.get_workshop(db, ws.id), key)
    (merge,) = services.open_merges(db, ws.id)
    services.unmerge_measures(db, fac, merge.id)
    assert_tallies_are_the_votes(db)

    # Hidden after the vote, and a shortlist shorter than what was ranked: ballots read one by one.
    services.set_hidden(db, fac, ids[3], True)
    assert_ranking_is_the_votes(db, services.get_workshop(db, ws.id), "borda")
    services.set_hidden(db, fac, ids[3], False)
    ws = services.get_workshop(db, ws.id)
    shortlisted = replace(ws, rules=replace(ws.rules, method=Method.RANKING, shortlist=tuple(ids[2:6])))
    ranked = assert_ranking_is_the_votes(db, shortlisted, "borda")
    assert set(ranked["measure_id"]) == set(ids[2:6])

    # A restore counts the restored votes; a delete leaves no tally behind.
    data = backup.export_workshop(db, ws.id)
    other = make_store("restored")
    backup.restore(other, data)
    assert_tallies_are_the_votes(other)
    for key in scoring.METHODS:
        pd.testing.assert_frame_equal(
            views.ranking(other, replace(ws, rules=replace(ws.rules, method=scoring.METHODS[key].ballot_method)), key)[
                ["measure_id", "score"]
            ],
            views.ranking(db, replace(ws, rules=replace(ws.rules, method=scoring.METHODS[key].ballot_method)), key)[
                ["measure_id", "score"]
            ],
        )
    services.delete_workshop(other, auth.system_session(other), ws.id)
    assert other.scalar("SELECT count(*) FROM tallies") == 0


def test_a_workshop_gets_a_new_version_with_every_change_its_screens_show(hall):
    """What an app process caches is keyed by the version (ui/common.py): a change made through
    any process draws a new one; a ballot does not (counts are read after a TTL)."""
    db, fac, ws, ids, devices = hall
    seen = {services.workshop_version(db, ws.id)}

    def changed(what: str) -> None:
        now = services.workshop_version(db, ws.id)
        assert now not in seen, f"{what} kept the version"
        seen.add(now)

    services.propose_measure(db, devices[0], services.list_goals(db, ws.id)[0].id, MeasureInput(title="Neu"))
    changed("a proposal")
    own = services.own_measures(db, devices[0])[0]
    services.edit_own_measure(db, devices[0], own.id, own.goal_id, MeasureInput(title="Neu, besser"))
    changed("an author's edit")
    services.translate_measure(db, devices[0], own.id, "tr", MeasureInput(title="Yeni, daha iyi"))
    changed("an author's translation")
    services.remove_translation(db, fac, own.id, "tr")
    changed("a translation removed")
    services.set_measure_language(db, devices[0], own.id, "en")
    changed("an author's choice of the original's language")
    services.withdraw_own_measure(db, devices[0], own.id)
    changed("a withdrawal")
    services.add_goal(db, fac, ws.id, "Zweites Ziel")
    changed("a new goal")
    services.set_groups(db, fac, ws.id, ["AG 1", "AG 2"])
    changed("the groups")
    services.moderate_edit(db, fac, ids[0], MeasureInput(title="Bearbeitet"))
    changed("a moderation")
    services.translate_measure(db, fac, ids[0], "tr", MeasureInput(title="Düzenlendi"))
    changed("a translation")
    services.set_phase(db, fac, ws.id, Phase.VOTE)
    changed("the phase")
    before = services.workshop_version(db, ws.id)
    services.submit_ballot(db, devices[1], DotBallot({ids[0]: 1}), uuid.uuid4().hex)
    assert services.workshop_version(db, ws.id) == before, "a ballot changes counts, not what is cached"
    # A workshop that is not there has version 0, which no workshop that is there ever has: a
    # process that cached one under its last version does not serve it after a delete.
    services.delete_workshop(db, fac, ws.id)
    assert services.workshop_version(db, ws.id) == 0 and 0 not in seen


def test_recount_counts_the_tallies_anew_from_the_votes(hall, engine, capsys):
    """``python -m workshop recount``: after a rolling upgrade a process of the older version may
    have written ballots without tallies; the command counts them from the votes again."""
    from workshop import __main__ as cli

    db, fac, ws, ids, devices = hall
    _vote(db, fac, ws, Method.RANKING, devices, ids, random.Random(3))
    if engine == "duckdb":
        db.close()  # the command opens the file itself
        assert cli.main(["--db", db.path, "recount"]) == 0
        assert "keeps no tallies" in capsys.readouterr().out
        return
    db.write(lambda cur: cur.execute("DELETE FROM tallies WHERE measure_id = $1", [ids[0]]))
    kept, from_votes = tallies_check(db)
    assert kept != from_votes, "the test must start from tallies that lost rows"
    assert cli.main(["--db", db.url, "recount"]) == 0
    assert "counted anew" in capsys.readouterr().out
    kept, from_votes = tallies_check(db)
    assert kept == from_votes


def test_the_schema_12_migration_counts_the_votes_already_stored(hall, engine):
    """A store of schema 11 with votes: migrating it makes the tallies (PostgreSQL) from them."""
    db, fac, ws, ids, devices = hall
    _vote(db, fac, ws, Method.RATING, devices, ids, random.Random(5))

    def back_to_11(cur):
        cur.execute("DROP INDEX idx_votes_measure")
        cur.execute("DROP TABLE tallies")
        cur.execute("UPDATE meta SET value = '11' WHERE key = 'schema_version'")

    db.write(back_to_11)
    assert db.migrate(12) == 12
    kept, from_votes = tallies_check(db)
    assert kept == from_votes
    assert bool(kept) == (engine == "postgresql"), "PostgreSQL counts them; DuckDB keeps none"
