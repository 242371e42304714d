"""The service layer end to end on a DuckDB file, with a real facilitator login."""

from __future__ import annotations

import uuid

import pytest

from workshop import auth, scoring, services, views
from workshop.errors import NotFound, PermissionDenied, ValidationError
from workshop.model import (
    ApprovalBallot,
    DotBallot,
    MeasureInput,
    MeasureStatus,
    Method,
    Phase,
    RankingBallot,
    VotingRules,
)
from workshop.store import Database

PASSPHRASE = "secret-pass"


@pytest.fixture(scope="module")
def db(make_store):
    return make_store("services")


@pytest.fixture(scope="module")
def fac(db):
    """One login for the module: argon2 is deliberately slow."""
    assert auth.ensure_passphrase(db, PASSPHRASE) is None  # configured: nothing generated
    return auth.login(db, PASSPHRASE, client="services-tests")


def sub() -> str:
    return uuid.uuid4().hex


def snapshot(db: Database) -> dict[str, list]:
    """Every row of every table, to show that a refused call changed nothing."""
    names = [
        r[0]
        for r in db.fetchall(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1"
        )
    ]
    return {n: sorted(map(repr, db.fetchall(f'SELECT * FROM "{n}"'))) for n in names}


def count(db: Database, table: str, workshop_id: str) -> int:
    return db.scalar(f"SELECT count(*) FROM {table} WHERE workshop_id = $1", [workshop_id])


def new_workshop(db, fac, *, phase=Phase.COLLECT, rules=None, goals=("Zusammenleben", "Deutsch als Sprache")):
    ws = services.create_workshop(db, fac, title="Planungswerkstatt Test", place="Harburg", rules=rules)
    goal_ids = [services.add_goal(db, fac, ws.id, g).id for g in goals]
    groups = services.set_groups(db, fac, ws.id, ["AG 1", "AG 2"])
    services.set_phase(db, fac, ws.id, phase)
    return services.get_workshop(db, ws.id), goal_ids, [g.id for g in groups]


@pytest.fixture
def voting(db, fac):
    """A workshop in the vote phase with four measures (two per goal) and two joined devices."""
    ws, goals, groups = new_workshop(db, fac, rules=VotingRules(dots_per_person=5, max_per_measure=3))
    alice, _ = services.join(db, ws.join_code, group_id=groups[0])
    ids = [
        services.propose_measure(db, alice, goals[i // 2], MeasureInput(title=f"Vorschlag {i}")).id for i in range(4)
    ]
    services.set_phase(db, fac, ws.id, Phase.VOTE)
    bob, _ = services.join(db, ws.join_code)
    return services.get_workshop(db, ws.id), ids, alice, bob


# --- facilitator access -----------------------------------------------------------------------


def test_login_gives_a_session_that_passes_the_check(db, fac):
    assert isinstance(fac, auth.Facilitator)
    auth.check(db, fac)
    assert PASSPHRASE not in repr(snapshot(db))  # only the argon2 hash is stored


@pytest.mark.parametrize("wrong", ["secret-pas", "SECRET-PASS", "", None, 123])
def test_wrong_passphrase_is_refused(db, fac, wrong):
    with pytest.raises(PermissionDenied):
        auth.login(db, wrong, client=f"wrong-{uuid.uuid4()}")  # its own client: no slow-down for the others


def test_logout_ends_the_session(db, fac):
    other = auth.login(db, PASSPHRASE, client="services-logout")
    auth.check(db, other)
    auth.logout(db, other)
    with pytest.raises(PermissionDenied):
        services.create_workshop(db, other, title="Nach dem Abmelden")
    auth.check(db, fac)  # the other session is untouched


FORGED = [auth.Facilitator("x"), auth.Facilitator(""), "facilitator", None]


@pytest.mark.parametrize("forged", FORGED, ids=["forged-key", "empty-key", "string", "none"])
def test_a_forged_facilitator_is_refused_everywhere_and_nothing_changes(db, fac, forged):
    ws, goals, _groups = new_workshop(db, fac, phase=Phase.RESULTS)
    other, _, _ = new_workshop(db, fac, phase=Phase.SETUP)
    calls = {
        "create_workshop": lambda: services.create_workshop(db, forged, title="Fremde Werkstatt"),
        "create_next_round": lambda: services.create_workshop(db, forged, title="Runde 2", previous_id=ws.id),
        "set_phase": lambda: services.set_phase(db, forged, ws.id, Phase.VOTE),
        "set_rules": lambda: services.set_rules(db, forged, ws.id, VotingRules(method=Method.APPROVAL)),
        "add_goal": lambda: services.add_goal(db, forged, other.id, "Neues Ziel"),
        "set_groups": lambda: services.set_groups(db, forged, other.id, ["AG X"]),
        "reveal_results": lambda: services.reveal_results(db, forged, ws.id),
        "audit_log": lambda: services.audit_log(db, forged, ws.id),
        "set_timer": lambda: services.set_timer(db, forged, ws.id, 10),
        "set_current_workshop": lambda: services.set_current_workshop(db, forged, ws.id),
        "replace_vision": lambda: services.replace_vision(
            db, forged, other.id, title="Leitbild", description="", goals=[("Ziel neu", "")]
        ),
        "propose_measure": lambda: services.propose_measure(db, forged, goals[0], MeasureInput(title="Von außen")),
    }
    before = snapshot(db)
    for name, call in calls.items():
        with pytest.raises(PermissionDenied):
            call()
            pytest.fail(f"{name} accepted a forged facilitator")
    assert snapshot(db) == before


def test_the_real_facilitator_can_do_what_the_forged_one_cannot(db, fac):
    ws, _goals, _groups = new_workshop(db, fac, phase=Phase.RESULTS)
    assert services.reveal_results(db, fac, ws.id).results_revealed is True
    assert not services.audit_log(db, fac, ws.id).empty


# --- joining ----------------------------------------------------------------------------------


def test_join_codes_avoid_confusable_characters(db, fac):
    assert not set("0O1IL") & set(services.CODE_ALPHABET)
    codes = [services.create_workshop(db, fac, title=f"Code {i}").join_code for i in range(25)]
    assert len(set(codes)) == len(codes)
    for code in codes:
        assert len(code) == services.CODE_LENGTH
        assert set(code) <= set(services.CODE_ALPHABET)


@pytest.mark.parametrize("typed", ["{code}", "{lower}", " {code} ", "{a}-{b}", "{a} {b}", "{lower_a} - {b}\n"])
def test_join_by_code_is_forgiving_about_case_spaces_and_dashes(db, fac, typed):
    ws, _, _ = new_workshop(db, fac)
    code = ws.join_code
    text = typed.format(code=code, lower=code.lower(), a=code[:3], b=code[3:], lower_a=code[:3].lower())
    participant, token = services.join(db, text)
    assert participant.workshop_id == ws.id
    assert services.resume(db, token) == participant


@pytest.mark.parametrize(("code", "error"), [("ZZZZZZ", NotFound), ("ABC", ValidationError), (None, ValidationError)])
def test_join_with_a_wrong_code(db, fac, code, error):
    new_workshop(db, fac)
    if code == "ZZZZZZ" and db.scalar("SELECT count(*) FROM workshops WHERE join_code = 'ZZZZZZ'"):
        pytest.skip("the random code happened to be ZZZZZZ")
    with pytest.raises(error):
        services.join(db, code)


def test_resume_with_the_token(db, fac):
    ws, _, groups = new_workshop(db, fac)
    first, token = services.join(db, ws.join_code, group_id=groups[1])
    again, same_token = services.join(db, ws.join_code.lower(), token=token)
    assert (again, same_token) == (first, token)
    assert services.resume(db, token) == first
    assert count(db, "devices", ws.id) == 1
    # only a hash of the token is stored
    assert token not in repr(snapshot(db))
    assert db.scalar("SELECT count(*) FROM devices WHERE token_hash = $1", [services.token_hash(token)]) == 1


@pytest.mark.parametrize("token", ["not-a-token-we-ever-handed-out", "short", "", "x" * 500])
def test_an_unknown_token_gets_a_fresh_device(db, fac, token):
    ws, _, _ = new_workshop(db, fac)
    known, _ = services.join(db, ws.join_code)
    fresh, new_token = services.join(db, ws.join_code, token=token)
    assert fresh.device_id != known.device_id
    assert new_token != token
    assert services.resume(db, token) is None
    assert count(db, "devices", ws.id) == 2


def test_a_token_of_another_workshop_gets_a_fresh_device_here(db, fac):
    ws1, _, _ = new_workshop(db, fac)
    ws2, _, _ = new_workshop(db, fac)
    p1, token = services.join(db, ws1.join_code)
    p2, token2 = services.join(db, ws2.join_code, token=token)
    assert p2.workshop_id == ws2.id and p2.device_id != p1.device_id and token2 != token
    assert services.resume(db, token) == p1


def test_join_with_an_unknown_group_is_refused(db, fac):
    ws, _, _ = new_workshop(db, fac)
    with pytest.raises(ValidationError):
        services.join(db, ws.join_code, group_id="no-such-group")
    assert count(db, "devices", ws.id) == 0


# --- proposals --------------------------------------------------------------------------------


def test_propose_in_collect(db, fac):
    ws, goals, groups = new_workshop(db, fac)
    p, _ = services.join(db, ws.join_code, group_id=groups[0])
    m = services.propose_measure(db, p, goals[1], MeasureInput(title="  **Sprachcafé** <b>jetzt</b> ", cost="5 €"))
    assert (m.title, m.cost, m.goal_id, m.group_id) == ("**Sprachcafé** <b>jetzt</b>", "5 €", goals[1], groups[0])
    assert m.status == MeasureStatus.NEW and not m.hidden
    assert services.own_measures(db, p) == [m]


@pytest.mark.parametrize("phase", [Phase.SETUP, Phase.REVIEW, Phase.VOTE, Phase.RESULTS])
def test_propose_outside_collect_is_refused_and_nothing_stored(db, fac, phase):
    ws, goals, _ = new_workshop(db, fac, phase=phase)
    p, _ = services.join(db, ws.join_code)
    before = snapshot(db)
    with pytest.raises(PermissionDenied) as info:
        services.propose_measure(db, p, goals[0], MeasureInput(title="Zu spät"))
    assert info.value.params["phase"] == services.phase_label(phase)
    assert snapshot(db) == before


def test_propose_under_a_goal_of_another_workshop_is_refused(db, fac):
    ws, _goals, _ = new_workshop(db, fac)
    _other, other_goals, _ = new_workshop(db, fac)
    p, _ = services.join(db, ws.join_code)
    with pytest.raises(ValidationError):
        services.propose_measure(db, p, other_goals[0], MeasureInput(title="Falsches Ziel"))
    assert count(db, "measures", ws.id) == 0


def test_invalid_proposal_is_refused_and_nothing_stored(db, fac):
    ws, goals, _ = new_workshop(db, fac)
    p, _ = services.join(db, ws.join_code)
    for bad in (MeasureInput(title="ab"), MeasureInput(title="Gut", description="x\x00y"), MeasureInput(title=3)):
        with pytest.raises(ValidationError):
            services.propose_measure(db, p, goals[0], bad)
    assert count(db, "measures", ws.id) == 0


def test_edit_and_withdraw_only_own_proposals(db, fac):
    ws, goals, _ = new_workshop(db, fac)
    author, _ = services.join(db, ws.join_code)
    stranger, _ = services.join(db, ws.join_code)
    m = services.propose_measure(db, author, goals[0], MeasureInput(title="Erster Entwurf"))
    before = snapshot(db)
    with pytest.raises(PermissionDenied):
        services.edit_own_measure(db, stranger, m.id, goals[0], MeasureInput(title="Gekapert"))
    with pytest.raises(PermissionDenied):
        services.withdraw_own_measure(db, stranger, m.id)
    assert snapshot(db) == before

    edited = services.edit_own_measure(db, author, m.id, goals[1], MeasureInput(title="Zweiter Entwurf"))
    assert (edited.title, edited.goal_id, edited.seq) == ("Zweiter Entwurf", goals[1], m.seq)
    services.withdraw_own_measure(db, author, m.id)
    with pytest.raises(NotFound):
        services.get_measure(db, m.id)


def test_edit_and_withdraw_are_refused_after_collect(db, fac):
    ws, goals, _ = new_workshop(db, fac)
    author, _ = services.join(db, ws.join_code)
    m = services.propose_measure(db, author, goals[0], MeasureInput(title="Mein Vorschlag"))
    services.set_phase(db, fac, ws.id, Phase.REVIEW)
    with pytest.raises(PermissionDenied):
        services.edit_own_measure(db, author, m.id, goals[0], MeasureInput(title="Nachträglich"))
    with pytest.raises(PermissionDenied):
        services.withdraw_own_measure(db, author, m.id)
    assert services.get_measure(db, m.id) == m


def test_a_participant_of_another_workshop_cannot_touch_a_proposal(db, fac):
    ws, goals, _ = new_workshop(db, fac)
    other, _, _ = new_workshop(db, fac)
    author, _ = services.join(db, ws.join_code)
    outsider, _ = services.join(db, other.join_code)
    m = services.propose_measure(db, author, goals[0], MeasureInput(title="Hier drin"))
    with pytest.raises(PermissionDenied):
        services.withdraw_own_measure(db, outsider, m.id)
    assert services.get_measure(db, m.id) == m


# --- ballots ----------------------------------------------------------------------------------


def ballot_rows(db, participant):
    return db.fetchall(
        "SELECT b.id, b.submission_id, v.measure_id, v.value FROM ballots b JOIN votes v ON v.ballot_id = b.id "
        "WHERE b.device_id = $1 ORDER BY v.measure_id",
        [participant.device_id],
    )


def test_submit_is_idempotent_for_the_same_submission(db, voting):
    ws, ids, _alice, bob = voting
    s = sub()
    first = services.submit_ballot(db, bob, DotBallot({ids[0]: 3, ids[2]: 2}), s)
    again = services.submit_ballot(db, bob, DotBallot({ids[0]: 3, ids[2]: 2}), s)
    assert again == first
    assert first.replaced is False
    assert count(db, "ballots", ws.id) == 1
    assert [(m, v) for _b, _s, m, v in ballot_rows(db, bob)] == sorted([(ids[0], 3.0), (ids[2], 2.0)])
    assert services.get_ballot(db, bob) == DotBallot({ids[0]: 3, ids[2]: 2})


def test_a_new_submission_replaces_the_old_one(db, voting):
    ws, ids, alice, bob = voting
    services.submit_ballot(db, alice, DotBallot({ids[3]: 1}), sub())
    old = services.submit_ballot(db, bob, DotBallot({ids[0]: 3, ids[1]: 2}), sub())
    s2 = sub()
    new = services.submit_ballot(db, bob, DotBallot({ids[2]: 1}), s2)
    assert new.replaced is True
    assert new.ballot_id == old.ballot_id and new.submission_id == s2
    assert ballot_rows(db, bob) == [(old.ballot_id, s2, ids[2], 1.0)]  # the votes of the first one are gone
    assert count(db, "ballots", ws.id) == 2
    assert services.get_ballot(db, alice) == DotBallot({ids[3]: 1})  # someone else's ballot is untouched
    ranked = views.ranking(db, ws).set_index("measure_id")
    assert ranked["score"].to_dict() == {ids[0]: 0.0, ids[1]: 0.0, ids[2]: 1.0, ids[3]: 1.0}


def test_resending_a_replacing_submission_returns_its_receipt(db, voting):
    _ws, ids, _alice, bob = voting
    services.submit_ballot(db, bob, DotBallot({ids[0]: 1}), sub())
    s2 = sub()
    second = services.submit_ballot(db, bob, DotBallot({ids[1]: 1}), s2)
    again = services.submit_ballot(db, bob, DotBallot({ids[1]: 1}), s2)
    assert (again.ballot_id, again.submission_id, again.submitted_at) == (
        second.ballot_id,
        second.submission_id,
        second.submitted_at,
    )


def test_resending_a_replacing_submission_returns_the_same_receipt(db, voting):
    _ws, ids, _alice, bob = voting
    services.submit_ballot(db, bob, DotBallot({ids[0]: 1}), sub())
    s2 = sub()
    second = services.submit_ballot(db, bob, DotBallot({ids[1]: 1}), s2)
    assert services.submit_ballot(db, bob, DotBallot({ids[1]: 1}), s2) == second


@pytest.mark.parametrize("phase", [Phase.COLLECT, Phase.REVIEW, Phase.RESULTS])
def test_submit_outside_vote_is_refused_and_nothing_stored(db, fac, voting, phase):
    ws, ids, _alice, bob = voting
    services.set_phase(db, fac, ws.id, phase)
    before = snapshot(db)
    with pytest.raises(PermissionDenied):
        services.submit_ballot(db, bob, DotBallot({ids[0]: 1}), sub())
    assert snapshot(db) == before
    assert services.get_ballot(db, bob) is None


def _hide(db, measure_id):
    db.write(lambda cur: cur.execute("UPDATE measures SET hidden = TRUE WHERE id = $1", [measure_id]))


@pytest.mark.parametrize(
    "make_ballot",
    [
        pytest.param(lambda ids: DotBallot({ids[0]: 3, ids[1]: 3}), id="overspend"),
        pytest.param(lambda ids: DotBallot({ids[0]: 4}), id="over-cap"),
        pytest.param(lambda ids: DotBallot({"no-such-measure": 1}), id="unknown"),
        pytest.param(lambda ids: DotBallot({ids[3]: 1}), id="hidden"),
        pytest.param(lambda ids: DotBallot({}), id="empty"),
        pytest.param(lambda ids: ApprovalBallot(frozenset({ids[0]})), id="wrong-method"),
    ],
)
def test_invalid_ballots_are_refused_and_nothing_stored(db, voting, make_ballot):
    ws, ids, _alice, bob = voting
    _hide(db, ids[3])
    before = snapshot(db)
    with pytest.raises(ValidationError):
        services.submit_ballot(db, bob, make_ballot(ids), sub())
    assert snapshot(db) == before
    assert count(db, "ballots", ws.id) == 0


def test_a_measure_of_another_workshop_is_unknown(db, fac, voting):
    ws, _ids, _alice, bob = voting
    _other, other_ids, _a, _b = voting_in(db, fac)
    with pytest.raises(ValidationError):
        services.submit_ballot(db, bob, DotBallot({other_ids[0]: 1}), sub())
    assert count(db, "ballots", ws.id) == 0


def voting_in(db, fac):
    ws, goals, _ = new_workshop(db, fac)
    p, _ = services.join(db, ws.join_code)
    ids = [services.propose_measure(db, p, goals[0], MeasureInput(title="Drüben")).id]
    services.set_phase(db, fac, ws.id, Phase.VOTE)
    return ws, ids, p, None


@pytest.mark.parametrize("submission_id", ["", "short", "x" * 65, None, 12345678])
def test_a_malformed_submission_id_is_refused(db, voting, submission_id):
    ws, ids, _alice, bob = voting
    with pytest.raises(ValidationError):
        services.submit_ballot(db, bob, DotBallot({ids[0]: 1}), submission_id)
    assert count(db, "ballots", ws.id) == 0


def test_ranking_ballots_only_for_the_shortlist(db, fac):
    ws, goals, _ = new_workshop(db, fac)
    p, _ = services.join(db, ws.join_code)
    ids = [services.propose_measure(db, p, goals[0], MeasureInput(title=f"Kandidat {i}")).id for i in range(3)]
    services.set_rules(db, fac, ws.id, VotingRules(method=Method.RANKING, shortlist=(ids[2], ids[0])))
    services.set_phase(db, fac, ws.id, Phase.VOTE)
    with pytest.raises(ValidationError):
        services.submit_ballot(db, p, RankingBallot((ids[1],)), sub())
    services.submit_ballot(db, p, RankingBallot((ids[0], ids[2])), sub())
    assert services.get_ballot(db, p) == RankingBallot((ids[0], ids[2]))


# --- rules ------------------------------------------------------------------------------------


def test_set_rules_during_vote_is_refused(db, fac, voting):
    ws, _ids, _alice, _bob = voting
    before = snapshot(db)
    with pytest.raises(PermissionDenied):
        services.set_rules(db, fac, ws.id, VotingRules(method=Method.APPROVAL))
    assert snapshot(db) == before


def test_set_rules_after_ballots_needs_the_affected_count(db, fac, voting):
    ws, ids, alice, bob = voting
    services.submit_ballot(db, alice, DotBallot({ids[0]: 1}), sub())
    services.submit_ballot(db, bob, DotBallot({ids[1]: 2}), sub())
    services.set_phase(db, fac, ws.id, Phase.REVIEW)
    new_rules = VotingRules(method=Method.APPROVAL, approval_limit=2)
    before = snapshot(db)
    for confirm in (None, 1, 3):
        with pytest.raises(ValidationError) as info:
            services.set_rules(db, fac, ws.id, new_rules, confirm_affected=confirm)
        assert info.value.params == {"count": 2}
    assert snapshot(db) == before
    # unchanged rules need no confirmation
    services.set_rules(db, fac, ws.id, ws.rules)
    changed = services.set_rules(db, fac, ws.id, new_rules, confirm_affected=2)
    assert changed.rules == new_rules.validated()
    # the ballots of the old method are kept (they can be compared), the new method starts empty
    assert services.count_ballots(db, ws.id, Method.DOTS) == 2
    assert services.count_ballots(db, ws.id, Method.APPROVAL) == 0


def test_invalid_rules_are_refused(db, fac):
    ws, _, _ = new_workshop(db, fac, phase=Phase.SETUP)
    with pytest.raises(ValidationError):
        services.set_rules(db, fac, ws.id, VotingRules(dots_per_person=0))
    assert services.get_workshop(db, ws.id).rules == VotingRules()


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda db, fac, ws: services.add_goal(db, fac, ws.id, "Neues Ziel"), id="add_goal"),
        pytest.param(lambda db, fac, ws: services.set_groups(db, fac, ws.id, ["AG 9"]), id="set_groups"),
        pytest.param(lambda db, fac, ws: services.reveal_results(db, fac, ws.id), id="reveal_results"),
    ],
)
def test_vision_groups_and_reveal_are_locked_while_voting(db, fac, voting, call):
    ws, _ids, _alice, _bob = voting
    before = snapshot(db)
    with pytest.raises(PermissionDenied):
        call(db, fac, ws)
    assert snapshot(db) == before


def test_leaving_results_hides_the_results_again(db, fac):
    ws, _, _ = new_workshop(db, fac, phase=Phase.RESULTS)
    assert services.reveal_results(db, fac, ws.id).results_revealed
    assert services.set_phase(db, fac, ws.id, Phase.VOTE).results_revealed is False
    assert services.set_phase(db, fac, ws.id, Phase.RESULTS).results_revealed is False


def test_a_group_in_use_cannot_be_removed(db, fac):
    ws, _, groups = new_workshop(db, fac)
    services.join(db, ws.join_code, group_id=groups[0])
    with pytest.raises(ValidationError):
        services.set_groups(db, fac, ws.id, ["AG 2"])
    renamed = services.set_groups(db, fac, ws.id, ["AG 2", "AG 1", "AG 3"])
    assert [g.name for g in renamed] == ["AG 2", "AG 1", "AG 3"]
    assert {g.id for g in renamed} >= set(groups)  # existing names keep their ids


# --- audit log --------------------------------------------------------------------------------


def test_audit_log_records_phase_changes_and_no_participant_identity(db, fac):
    ws, goals, groups = new_workshop(db, fac, phase=Phase.SETUP)
    for phase in (Phase.COLLECT, Phase.REVIEW, Phase.COLLECT):
        services.set_phase(db, fac, ws.id, phase)
    devices, tokens = [], []
    for g in groups:
        p, t = services.join(db, ws.join_code, group_id=g)
        devices.append(p)
        tokens.append(t)
    mids = [
        services.propose_measure(db, p, goals[0], MeasureInput(title=f"Idee von {i}")).id for i, p in enumerate(devices)
    ]
    services.propose_measure(db, fac, goals[1], MeasureInput(title="Idee der Moderation"))
    services.set_phase(db, fac, ws.id, Phase.VOTE)
    services.set_phase(db, fac, ws.id, Phase.VOTE)  # no change, no entry
    for p in devices:
        services.submit_ballot(db, p, DotBallot({mids[0]: 1}), sub())
    services.set_phase(db, fac, ws.id, Phase.RESULTS)
    services.set_rules(db, fac, ws.id, VotingRules(dots_per_person=5), confirm_affected=2)
    services.reveal_results(db, fac, ws.id)

    log = services.audit_log(db, fac, ws.id)
    phases = log[log["action"] == "phase"][["value_before", "value_after"]].values.tolist()
    assert phases == [
        ["setup", "collect"],
        ["collect", "review"],
        ["review", "collect"],
        ["collect", "vote"],
        ["vote", "results"],
    ]
    assert log["logged_at"].is_monotonic_increasing
    assert {"create_workshop", "add_goal", "groups", "add_measure", "rules", "reveal_results"} <= set(log["action"])
    text = log.to_csv()
    for p, t in zip(devices, tokens, strict=True):
        assert p.device_id not in text
        assert t not in text
        assert services.token_hash(t) not in text


# --- next round -------------------------------------------------------------------------------


def test_carry_over_to_the_next_round(db, fac):
    old, goals, groups = new_workshop(db, fac, goals=("Zusammenleben", "Deutsch als Sprache", "Arbeit und Bildung"))
    p, _ = services.join(db, old.join_code, group_id=groups[0])
    kept = services.propose_measure(
        db, p, goals[1], MeasureInput(title="Sprachcafé", description="mit Kita", cost="5 €")
    )
    hidden = services.propose_measure(db, p, goals[0], MeasureInput(title="Doppelt"))
    merged = services.propose_measure(db, p, goals[0], MeasureInput(title="Zusammengelegt"))
    done = services.propose_measure(db, p, goals[2], MeasureInput(title="Schon erledigt"))
    _hide(db, hidden.id)
    db.write(lambda cur: cur.execute("UPDATE measures SET merged_into = $1 WHERE id = $2", [kept.id, merged.id]))
    db.write(lambda cur: cur.execute("UPDATE measures SET status = 'done' WHERE id = $1", [done.id]))
    services.set_phase(db, fac, old.id, Phase.VOTE)
    services.submit_ballot(db, p, DotBallot({kept.id: 2}), sub())
    services.set_phase(db, fac, old.id, Phase.RESULTS)
    old_snapshot = (services.list_goals(db, old.id), services.list_measures(db, old.id, include_hidden=True))

    new = services.create_workshop(db, fac, title="Planungswerkstatt 2028", previous_id=old.id)
    assert new.previous_id == old.id and new.phase == Phase.SETUP and new.join_code != old.join_code
    new_goals = services.list_goals(db, new.id)
    assert [(g.position, g.title) for g in new_goals] == [
        (1, "Zusammenleben"),
        (2, "Deutsch als Sprache"),
        (3, "Arbeit und Bildung"),
    ]
    assert not {g.id for g in new_goals} & set(goals)
    assert [g.name for g in services.list_groups(db, new.id)] == ["AG 1", "AG 2"]
    carried = services.list_measures(db, new.id, include_hidden=True)
    by_title = {m.title: m for m in carried}
    assert set(by_title) == {"Sprachcafé", "Schon erledigt"}
    assert by_title["Sprachcafé"].status == MeasureStatus.OPEN  # new -> open
    assert by_title["Schon erledigt"].status == MeasureStatus.DONE
    assert (by_title["Sprachcafé"].description, by_title["Sprachcafé"].cost) == ("mit Kita", "5 €")
    goal_titles = {g.id: g.title for g in new_goals}
    assert goal_titles[by_title["Sprachcafé"].goal_id] == "Deutsch als Sprache"
    assert goal_titles[by_title["Schon erledigt"].goal_id] == "Arbeit und Bildung"
    assert not {m.id for m in carried} & {kept.id, done.id}
    # the new round starts without devices, ballots or authors; the old round is unchanged
    assert count(db, "devices", new.id) == 0 and count(db, "ballots", new.id) == 0
    assert (
        db.scalar("SELECT count(*) FROM measures WHERE workshop_id = $1 AND author_device_id IS NOT NULL", [new.id])
        == 0
    )
    assert (services.list_goals(db, old.id), services.list_measures(db, old.id, include_hidden=True)) == old_snapshot


def test_carry_over_from_an_unknown_workshop_is_refused(db, fac):
    before = snapshot(db)
    with pytest.raises(NotFound):
        services.create_workshop(db, fac, title="Runde 2", previous_id="nope")
    assert snapshot(db) == before


# --- the demo ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_db(make_store):
    from workshop import demo

    database = make_store("demo")
    return database, demo.build(database)


def test_the_demo_is_a_workshop_in_the_vote_phase_with_ballots(demo_db):
    db, ws = demo_db
    assert ws.phase == Phase.VOTE and ws.rules.method == Method.DOTS
    assert "Deutsch als Sprache" in [g.title for g in services.list_goals(db, ws.id)]
    assert len(services.list_measures(db, ws.id)) >= 18
    for method in Method:
        assert services.count_ballots(db, ws.id, method) > 0
    assert db.scalar("SELECT count(*) FROM facilitator_sessions") == 0  # the builder logged out again


def test_demo_ranking_matches_the_stored_votes(demo_db):
    db, ws = demo_db
    ranked = views.ranking(db, ws).set_index("measure_id")
    totals = dict(
        db.fetchall(
            "SELECT v.measure_id, sum(v.value) FROM votes v JOIN ballots b ON b.id = v.ballot_id "
            "WHERE b.workshop_id = $1 AND b.method = 'dots' GROUP BY 1",
            [ws.id],
        )
    )
    for mid, row in ranked.iterrows():
        assert row["score"] == totals.get(mid, 0)
    assert sorted(ranked["rank_overall"]) == list(range(1, len(ranked) + 1))
    for key in scoring.METHODS:
        assert len(views.ranking(db, ws, key)) > 0


def test_a_device_can_send_at_most_ten_proposals_a_minute(db, fac):
    ws, (goal, _), _groups = new_workshop(db, fac)
    device, _token = services.join(db, ws.join_code)
    for i in range(services.PROPOSALS_PER_MINUTE):
        services.propose_measure(db, device, goal, MeasureInput(title=f"Proposal {i}"))
    before = snapshot(db)
    with pytest.raises(ValidationError) as err:
        services.propose_measure(db, device, goal, MeasureInput(title="One too many"))
    assert "minute" in str(err.value)
    assert snapshot(db) == before
    other, _ = services.join(db, ws.join_code)  # another device is not affected
    services.propose_measure(db, other, goal, MeasureInput(title="From another table"))
    services.propose_measure(db, fac, goal, MeasureInput(title="The facilitator is not limited"))


def test_an_oversized_ballot_is_refused_before_validation(db, fac):
    ws, (goal, _), _groups = new_workshop(db, fac)
    services.propose_measure(db, fac, goal, MeasureInput(title="Only one"))
    services.set_phase(db, fac, ws.id, Phase.VOTE)
    device, _token = services.join(db, ws.join_code)
    huge = DotBallot({f"m{i}": 1 for i in range(100_000)})
    before = snapshot(db)
    with pytest.raises(ValidationError) as err:
        services.submit_ballot(db, device, huge, sub())
    assert "more entries" in err.value.msgid
    assert snapshot(db) == before


def test_privacy_settings_are_validated_audited_and_carried_to_the_next_round(db, fac):
    ws, _goals, _groups = new_workshop(db, fac)
    assert (ws.privacy_contact, ws.retention_months) == ("", 6)
    before = snapshot(db)
    for bad in (0, 61, "6", 2.5, True, None):
        with pytest.raises(ValidationError):
            services.set_privacy(db, fac, ws.id, "Bezirksamt Harburg", bad)
    with pytest.raises(ValidationError):
        services.set_privacy(db, fac, ws.id, "x" * 301, 6)
    assert snapshot(db) == before
    ws = services.set_privacy(db, fac, ws.id, "Bezirksamt Harburg, Integrationsbeauftragte\nTel. 040 42871-0", 12)
    assert ws.privacy_contact.startswith("Bezirksamt Harburg")
    assert ws.retention_months == 12
    assert "set_privacy" in set(services.audit_log(db, fac, ws.id)["action"])
    nxt = services.create_workshop(db, fac, title="Runde 2", previous_id=ws.id)
    assert (nxt.privacy_contact, nxt.retention_months) == (ws.privacy_contact, 12)


def test_retention_ends_counts_calendar_months():
    from datetime import date

    from workshop.model import Workshop

    ws = Workshop(id="w", title="t", date=date(2026, 8, 31), place="", join_code="ABCDEF", retention_months=6)
    assert services.retention_ends(ws) == date(2027, 2, 28)
    assert services.retention_ends(Workshop(id="w", title="t", date=None, place="", join_code="ABCDEF")) is None
