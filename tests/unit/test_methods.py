"""The voting-method registry (workshop/methods/): every method has every part, and each part works.

A new method that is registered without one of them, or whose parts disagree (a payload that does
not come back as the same ballot, rows that do not either, an example ballot its own rules
refuse), fails here before any page or export meets it.
"""

from __future__ import annotations

import dataclasses
import json
import random

import pandas as pd
import pytest

from workshop import methods, participation, scoring
from workshop.errors import ValidationError
from workshop.model import Method, VotingRules, WorkshopKind
from workshop.scoring import ScoringMethod
from workshop.vocabulary import Voice

REGISTERED = methods.all_methods()
MEASURES = {f"m{i}": f"g{i % 3}" for i in range(12)}
RULES = VotingRules(dots_per_person=10, max_per_measure=3, goal_budget=5, approval_limit=6, shortlist_size=5)


def test_every_method_is_registered_once_in_the_order_of_the_enum():
    assert [m.method for m in REGISTERED] == list(Method)
    assert len({m.ballot for m in REGISTERED}) == len(REGISTERED)


@pytest.mark.parametrize("voting", REGISTERED, ids=lambda m: str(m.method))
def test_every_part_is_there(voting: methods.VotingMethod):
    for part in ("validate", "rows", "from_rows", "size"):
        assert callable(getattr(voting.ballot, part, None)), f"{voting.method}: the ballot has no {part}()"
    assert voting.ballot.method == voting.method
    for part in ("payload", "from_payload", "example"):
        assert callable(getattr(voting, part)), f"{voting.method}: no {part}"
    assert voting.merge_sql.split("(")[0] in {"sum", "max", "min", "avg"}, voting.merge_sql
    assert voting.scoring and all(isinstance(s, ScoringMethod) for s in voting.scoring)
    assert all(s.ballot_method == voting.method for s in voting.scoring)
    for msgid in (voting.label, *voting.merge_rule, voting.value_label, *voting.instructions):
        assert isinstance(msgid, str) and msgid.strip(), f"{voting.method}: an empty label"
    assert voting.say(WorkshopKind.CONFERENCE) == voting.instructions[1]
    assert voting.merging(WorkshopKind.CONFERENCE) == voting.merge_rule[1] != voting.merge_rule[0]
    assert voting.points is not None or voting.per_criterion, "no points and no criteria: nothing to score"
    assert (voting.spread is None) == (voting.spread_labels == ("", "")), "a spread needs its column labels"


def test_scoring_keys_are_unique_and_each_ballot_method_has_a_default():
    keys = [s.key for m in REGISTERED for s in m.scoring]
    assert len(keys) == len(set(keys))
    assert set(scoring.METHODS) == set(keys)
    assert {Method(m) for m in scoring.METHOD_FOR_BALLOTS} == set(Method)


@pytest.mark.parametrize("voting", REGISTERED, ids=lambda m: str(m.method))
@pytest.mark.parametrize("seed", range(20))
def test_an_example_ballot_is_valid_and_survives_the_wire_and_the_store(voting: methods.VotingMethod, seed: int):
    rng = random.Random(seed)
    appeal = {m: rng.uniform(0.3, 3.0) for m in MEASURES}
    rules = dataclasses.replace(RULES, method=voting.method)
    ballot = voting.example(rng, MEASURES, rules, appeal)
    assert isinstance(ballot, voting.ballot) and methods.for_ballot(ballot) is voting
    clean = ballot.validate(rules, MEASURES)
    assert clean.size() == len(clean.rows()) or voting.per_criterion
    # The wire: JSON and back (what the phone posts), the same payload for the same ballot.
    sent = json.loads(json.dumps(participation.ballot_payload(clean)))
    assert sent["method"] == str(voting.method)
    assert participation.ballot_from_payload(sent) == clean
    # The store: vote rows and back.
    assert voting.ballot.from_rows(clean.rows()) == clean
    if voting.whole_numbers:
        assert all(float(v).is_integer() for _m, _c, v in clean.rows())
    if voting.value_cap is not None:
        assert all(v <= voting.value_cap(rules) for _m, _c, v in clean.rows())


@pytest.mark.parametrize("voting", REGISTERED, ids=lambda m: str(m.method))
def test_a_payload_of_the_wrong_shape_is_refused(voting: methods.VotingMethod):
    for field in ("dots", "approved", "ratings", "order"):
        with pytest.raises(ValidationError):
            participation.ballot_from_payload({"method": str(voting.method), field: 7})
    with pytest.raises(ValidationError):
        participation.ballot_from_payload({"method": "plurality"})


@pytest.mark.parametrize("voting", [m for m in REGISTERED if m.points is not None], ids=lambda m: str(m.method))
def test_the_points_add_up_to_the_registered_score(voting: methods.VotingMethod):
    """The bootstrap scores with ``points``; the ranking with the scoring method: they agree."""
    rng = random.Random(7)
    rules = dataclasses.replace(RULES, method=voting.method)
    rows = []
    for b in range(30):
        ballot = voting.example(rng, MEASURES, rules, {m: rng.uniform(0.3, 3) for m in MEASURES})
        rows += [(f"b{b}", m, c, v) for m, c, v in ballot.validate(rules, MEASURES).rows()]
    votes = pd.DataFrame(rows, columns=["ballot_id", "measure_id", "criterion", "value"])
    measures = pd.DataFrame(
        {"id": list(MEASURES), "goal_id": list(MEASURES.values()), "title": list(MEASURES), "seq": range(12)}
    )
    ranked = scoring.rank(voting.default_scoring.key, votes, measures).set_index("measure_id")["score"]
    points = votes.assign(p=voting.points(votes["value"], len(measures))).groupby("measure_id")["p"].sum()
    for m in MEASURES:
        assert ranked[m] == pytest.approx(points.get(m, 0.0)), m


@pytest.mark.parametrize("voting", REGISTERED, ids=lambda m: str(m.method))
def test_every_method_is_drawn_in_the_browser_by_its_renderer_with_its_rules_and_its_words(
    voting: methods.VotingMethod,
):
    """``component`` names ui/ballot/<component>.js and what ui/ballot.py gives it: the page has
    no other way to draw a ballot."""
    from pathlib import Path

    from ui import ballot

    assert voting.component, f"{voting.method} has no browser component"
    assert (Path(ballot.__file__).parent / "ballot" / f"{voting.component}.js").is_file()
    assert voting.component in ballot._COMPONENTS
    voice = Voice("tr")
    rules = ballot._RULES[voting.component](voice, RULES)
    assert json.loads(json.dumps(rules)) == rules, "the rules go to the browser as JSON"
    texts = ballot._TEXTS[voting.component](voice, RULES, len(MEASURES))
    assert texts and json.loads(json.dumps(texts)) == texts, "the words go to the browser as JSON"
