"""Paper ballots (issue 23): sheets entered by staff once, with single or double entry, invalid
sheets counted as such, corrections audit-logged, one vote per card across paper and phones; a
refused entry stores nothing. On both engines (PostgreSQL keeps tallies: they are checked too)."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from tests.conftest import tallies_check
from workshop import auth, demo, services, views
from workshop.errors import DomainError, NotFound, PermissionDenied, ValidationError
from workshop.model import DotBallot, Phase


@pytest.fixture
def setup(make_store):
    db = make_store("paper")
    ws = demo.build(db)
    fac = auth.system_session(db, minutes=30)
    services.set_phase(db, fac, ws.id, Phase.REVIEW)
    services.set_rules(
        db,
        fac,
        ws.id,
        replace(ws.rules, cards_required=True, dots_per_person=5, max_per_measure=3),
        confirm_affected=services.count_ballots(db, ws.id, "dots"),
    )
    services.set_phase(db, fac, ws.id, Phase.VOTE)
    ws = services.get_workshop(db, ws.id)
    ids = list(services.voting_measures(db, ws))
    return db, ws, fac, ids


def _state(db, ws):
    """What a refused entry must leave alone."""
    return (
        services.paper_stats(db, ws.id),
        services.channel_counts(db, ws.id),
        services.count_ballots(db, ws.id),
        views.ranking(db, services.get_workshop(db, ws.id)).to_dict("records"),
    )


def test_single_entry_counts_at_once_and_once(setup):
    db, ws, fac, ids = setup
    (n, _code), (n2, code2) = services.print_sheets(db, fac, ws.id, 2)
    before = services.channel_counts(db, ws.id)
    done = services.enter_sheet(db, fac, ws.id, str(n), DotBallot({ids[0]: 3, ids[1]: 2}))
    assert (done.number, done.state) == (n, "counted")
    # Typed with a hash, or scanned: the QR code's link carries the code.
    assert services.enter_sheet(db, fac, ws.id, f"http://x/?code={ws.join_code}&card={code2}", DotBallot({ids[2]: 1}))
    after = services.channel_counts(db, ws.id)
    assert (after.paper, after.digital, after.invalid) == (before.paper + 2, before.digital, 0)
    stats = services.paper_stats(db, ws.id)
    assert (stats.printed, stats.counted, stats.entered) == (2, 2, 2)
    ranked = views.ranking(db, services.get_workshop(db, ws.id)).set_index("measure_id")
    assert ranked.loc[ids[0], "score"] >= 3
    kept, from_votes = tallies_check(db)
    assert kept == from_votes or not kept
    # Entered once: a second entry of the same number is refused and changes nothing.
    state = _state(db, ws)
    with pytest.raises(ValidationError) as refused:
        services.enter_sheet(db, fac, ws.id, f"#{n}", DotBallot({ids[3]: 1}))
    assert "correction" in str(refused.value.msgid)
    assert _state(db, ws) == state


def test_a_sheet_that_breaks_the_rules_is_entered_as_invalid_with_a_reason(setup):
    db, ws, fac, ids = setup
    ((n, _code),) = services.print_sheets(db, fac, ws.id, 1)
    too_many = DotBallot({ids[0]: 3, ids[1]: 3})  # 6 dots of 5
    state = _state(db, ws)
    with pytest.raises(ValidationError):
        services.enter_sheet(db, fac, ws.id, str(n), too_many)  # not silently: the person decides
    assert _state(db, ws) == state
    with pytest.raises(ValidationError):  # "breaks the rules" is checked: these marks keep them
        services.enter_sheet(db, fac, ws.id, str(n), DotBallot({ids[0]: 1}), invalid="rules")
    done = services.enter_sheet(db, fac, ws.id, str(n), too_many, invalid="rules")
    assert (done.state, done.reason) == ("invalid", "rules")
    counts = services.channel_counts(db, ws.id)
    assert (counts.invalid, counts.paper) == (1, 0)
    (sheet,) = services.list_sheets(db, fac, ws.id)
    assert sheet.entries[0]["marks"]["dots"] == {ids[0]: 3, ids[1]: 3}
    # Other reasons need no marks.
    ((m, _c),) = services.print_sheets(db, fac, ws.id, 1)
    assert services.enter_sheet(db, fac, ws.id, str(m), None, invalid="unclear").reason == "unclear"
    assert services.channel_counts(db, ws.id).invalid == 2


def test_double_entry_match_counts_and_mismatch_waits_for_a_decision(setup):
    db, ws, fac, ids = setup
    services.set_paper_options(db, fac, ws.id, double=True)
    _k1, key1 = services.create_entry_key(db, fac, ws.id, "Laptop 1")
    _k2, key2 = services.create_entry_key(db, fac, ws.id, "Laptop 2")
    anna, ben = services.clerk(db, key1), services.clerk(db, key2)
    (n, _a), (m, _b) = services.print_sheets(db, fac, ws.id, 2)
    vote = DotBallot({ids[0]: 2, ids[4]: 1})
    base = services.channel_counts(db, ws.id).paper

    assert services.enter_sheet(db, anna, ws.id, str(n), vote).state == "waiting"
    assert services.channel_counts(db, ws.id).paper == base  # nothing counts yet
    with pytest.raises(ValidationError):  # the same person cannot be the second entry
        services.enter_sheet(db, anna, ws.id, str(n), vote)
    assert services.enter_sheet(db, ben, ws.id, str(n), vote).state == "counted"
    assert services.channel_counts(db, ws.id).paper == base + 1

    services.enter_sheet(db, anna, ws.id, str(m), DotBallot({ids[1]: 1}))
    assert services.enter_sheet(db, fac, ws.id, str(m), DotBallot({ids[1]: 2})).state == "mismatch"
    assert services.channel_counts(db, ws.id).paper == base + 1
    state = _state(db, ws)
    with pytest.raises(ValidationError):  # a third entry waits for the decision
        services.enter_sheet(db, ben, ws.id, str(m), DotBallot({ids[1]: 1}))
    assert _state(db, ws) == state
    sheet = next(s for s in services.list_sheets(db, fac, ws.id) if s.number == m)
    assert [e["marks"]["dots"] for e in sheet.entries] == [{ids[1]: 1}, {ids[1]: 2}]
    assert services.decide_sheet(db, fac, ws.id, m, 2).state == "counted"
    stored = services.get_workshop(db, ws.id)
    assert views.ranking(db, stored).set_index("measure_id").loc[ids[1], "score"] >= 2
    assert services.channel_counts(db, ws.id).paper == base + 2
    assert db.fetchall("SELECT subject FROM audit_log WHERE action = 'paper_decided'") == [(str(m),)]
    kept, from_votes = tallies_check(db)
    assert kept == from_votes or not kept


def test_discarding_two_entries_lets_the_sheet_be_entered_again(setup):
    db, ws, fac, ids = setup
    services.set_paper_options(db, fac, ws.id, double=True)
    _k, key = services.create_entry_key(db, fac, ws.id, "Laptop")
    clerk = services.clerk(db, key)
    ((n, _c),) = services.print_sheets(db, fac, ws.id, 1)
    services.enter_sheet(db, clerk, ws.id, str(n), DotBallot({ids[0]: 1}))
    services.enter_sheet(db, fac, ws.id, str(n), None, invalid="unclear")
    assert services.decide_sheet(db, fac, ws.id, n, 0).state == ""
    assert services.enter_sheet(db, fac, ws.id, str(n), DotBallot({ids[0]: 1})).state == "waiting"


def test_a_correction_replaces_the_sheet_and_is_audit_logged(setup):
    db, ws, fac, ids = setup
    ((n, _c),) = services.print_sheets(db, fac, ws.id, 1)
    services.enter_sheet(db, fac, ws.id, str(n), DotBallot({ids[0]: 3}))
    before = views.ranking(db, services.get_workshop(db, ws.id)).set_index("measure_id")
    services.enter_sheet(db, fac, ws.id, str(n), DotBallot({ids[1]: 3}), correct=True)
    after = views.ranking(db, services.get_workshop(db, ws.id)).set_index("measure_id")
    assert after.loc[ids[0], "score"] == before.loc[ids[0], "score"] - 3
    assert after.loc[ids[1], "score"] == before.loc[ids[1], "score"] + 3
    assert services.channel_counts(db, ws.id).paper == 1  # replaced, not added
    rows = db.fetchall(
        "SELECT action, subject, value_before, value_after FROM audit_log WHERE action = 'paper_corrected'"
    )
    assert len(rows) == 1 and rows[0][1] == str(n) and ids[0] in rows[0][2] and ids[1] in rows[0][3]
    # A correction to invalid takes the ballot away.
    services.enter_sheet(db, fac, ws.id, str(n), None, invalid="identified", correct=True)
    counts = services.channel_counts(db, ws.id)
    assert (counts.paper, counts.invalid) == (0, 1)
    kept, from_votes = tallies_check(db)
    assert kept == from_votes or not kept


def test_one_vote_per_card_across_paper_and_phones(setup):
    db, ws, fac, ids = setup
    (n, code), (m, code_m) = services.print_sheets(db, fac, ws.id, 2)
    phone, _t = services.join(db, ws.join_code)
    services.redeem_card(db, phone, code)  # the sheet's QR code, scanned with a phone
    services.submit_ballot(db, phone, DotBallot({ids[0]: 1}), uuid.uuid4().hex)
    state = _state(db, ws)
    with pytest.raises(ValidationError) as refused:
        services.enter_sheet(db, fac, ws.id, str(n), DotBallot({ids[1]: 1}))
    assert "phone" in refused.value.msgid
    assert _state(db, ws) == state
    # The other way round: once entered on paper, the sheet's code does not open a vote on a phone.
    services.enter_sheet(db, fac, ws.id, str(m), DotBallot({ids[1]: 1}))
    # Said before the phone joins (the join screen looks), and again if it tries anyway.
    with pytest.raises(ValidationError) as refused:
        services.check_card_before_joining(db, ws.id, f"{code_m[:3]}-{code_m[3:].lower()}")
    assert "already been counted" in refused.value.msgid
    other, _t = services.join(db, ws.join_code)
    with pytest.raises(ValidationError) as again:
        services.redeem_card(db, other, code_m)
    assert again.value.msgid == refused.value.msgid
    with pytest.raises(ValidationError) as used:
        services.check_card_before_joining(db, ws.id, code)  # the sheet a phone voted with
    assert "already been used" in used.value.msgid
    # Codes that are no card pass the look (redeeming them is what counts against guessing).
    for code_like in ("", None, 17, "ZZZZZZZZ", code_m + "X"):
        services.check_card_before_joining(db, ws.id, code_like)
    counts = services.channel_counts(db, ws.id)
    assert (counts.digital, counts.paper) == (state[1].digital, 1)
    # An entered sheet is in the ballot box: it is corrected, not revoked (a mistyped number on
    # "revoke" must not take a counted vote away).
    state = _state(db, ws)
    assert services.card_use(db, fac, ws.id, m) == "entered"
    with pytest.raises(ValidationError) as refused:
        services.revoke_card(db, fac, ws.id, m)
    assert "Correct it" in refused.value.msgid
    assert _state(db, ws) == state
    # A sheet lost before it was entered is revoked, and then cannot be entered.
    ((lost, _l),) = services.print_sheets(db, fac, ws.id, 1)
    services.revoke_card(db, fac, ws.id, lost)
    assert services.paper_stats(db, ws.id).printed == 1  # the one entered: n voted on a phone, lost is revoked
    with pytest.raises(ValidationError):
        services.enter_sheet(db, fac, ws.id, str(lost), DotBallot({ids[1]: 1}))


def test_bad_input_is_refused_with_a_message_and_stores_nothing(setup):
    db, ws, fac, ids = setup
    ((n, _c),) = services.print_sheets(db, fac, ws.id, 1)
    ((card, _cc),) = services.generate_cards(db, fac, ws.id, 1)
    other = demo.build(db)  # a second workshop on the same store
    state = _state(db, ws)
    vote = DotBallot({ids[0]: 1})
    bad = [
        ("99999", NotFound),  # a number that does not exist
        ("ZZZZZZZZ", NotFound),  # a code that does not exist
        ("", ValidationError),
        (str(card), ValidationError),  # a voting card, not a sheet
        ("http://x/?code=AB", ValidationError),  # a QR code that is not a sheet's
    ]
    for typed, error in bad:
        with pytest.raises(error):
            services.enter_sheet(db, fac, ws.id, typed, vote)
    with pytest.raises(ValidationError):
        services.enter_sheet(db, fac, ws.id, str(n), vote, invalid="because")
    with pytest.raises(ValidationError):
        services.enter_sheet(db, fac, ws.id, str(n), None)
    services.set_phase(db, fac, other.id, Phase.REVIEW)
    ((_on, other_code),) = services.print_sheets(db, fac, other.id, 1)
    with pytest.raises(ValidationError) as refused:  # a sheet of another workshop
        services.enter_sheet(db, fac, ws.id, other_code, vote)
    assert "another workshop" in refused.value.msgid
    with pytest.raises(PermissionDenied):
        services.enter_sheet(db, auth.Facilitator("nope"), ws.id, str(n), vote)
    assert _state(db, ws) == state


def test_entry_is_open_during_the_vote_and_after_it_until_ended(setup):
    db, ws, fac, ids = setup
    (n, _a), (m, _b), (k, _c) = services.print_sheets(db, fac, ws.id, 3)
    vote = DotBallot({ids[0]: 1})
    services.enter_sheet(db, fac, ws.id, str(n), vote)
    services.set_phase(db, fac, ws.id, Phase.RESULTS)
    assert services.entry_open(services.get_workshop(db, ws.id))
    services.enter_sheet(db, fac, ws.id, str(m), vote)  # sheets still coming in after the vote
    services.set_paper_options(db, fac, ws.id, closed=True)
    state = _state(db, ws)
    with pytest.raises(ValidationError) as refused:
        services.enter_sheet(db, fac, ws.id, str(k), vote)
    assert "ended" in refused.value.msgid
    assert _state(db, ws) == state
    services.set_paper_options(db, fac, ws.id, closed=False)  # reopened: audit-logged
    services.enter_sheet(db, fac, ws.id, str(k), vote)
    assert services.channel_counts(db, ws.id).paper == 3
    services.set_phase(db, fac, ws.id, Phase.REVIEW)
    with pytest.raises(ValidationError):
        services.enter_sheet(db, fac, ws.id, str(k), vote, correct=True)


def test_entry_links_are_revocable_and_see_one_workshop(setup):
    db, ws, fac, ids = setup
    link, key = services.create_entry_key(db, fac, ws.id, "Tisch 3")
    holder = services.clerk(db, key)
    assert holder is not None and holder.label == "Tisch 3"
    ((n, _c),) = services.print_sheets(db, fac, ws.id, 1)
    services.revoke_entry_key(db, fac, link.id)
    assert services.clerk(db, key) is None
    with pytest.raises(PermissionDenied):  # a page still holding the clerk is refused at its next request
        services.enter_sheet(db, holder, ws.id, str(n), DotBallot({ids[0]: 1}))
    assert services.paper_stats(db, ws.id).entered == 0
    assert [k.revoked for k in services.list_entry_keys(db, fac, ws.id)] == [True]
    with pytest.raises(DomainError):
        services.print_sheets(db, holder, ws.id, 1)  # a clerk cannot print


def test_printing_waits_for_the_review(make_store):
    db = make_store("paper_print")
    ws = demo.build(db)
    fac = auth.system_session(db, minutes=30)
    services.set_phase(db, fac, ws.id, Phase.COLLECT)
    with pytest.raises(ValidationError):
        services.print_sheets(db, fac, ws.id, 3)
    services.set_phase(db, fac, ws.id, Phase.REVIEW)
    sheets = services.print_sheets(db, fac, ws.id, 3)
    assert len(sheets) == 3 and services.paper_stats(db, ws.id).printed == 3


def test_two_logins_of_the_facilitation_team_are_two_people(setup):
    db, ws, fac, ids = setup
    services.set_paper_options(db, fac, ws.id, double=True)
    colleague = auth.system_session(db, minutes=30)  # a second laptop of the team
    ((n, _c),) = services.print_sheets(db, fac, ws.id, 1)
    vote = DotBallot({ids[2]: 2})
    assert services.enter_sheet(db, fac, ws.id, str(n), vote).state == "waiting"
    assert services.enter_sheet(db, colleague, ws.id, str(n), vote).state == "counted"


def test_under_double_entry_a_correction_waits_for_a_second_person(setup):
    db, ws, fac, ids = setup
    services.set_paper_options(db, fac, ws.id, double=True)
    _k, key = services.create_entry_key(db, fac, ws.id, "Laptop 2")
    clerk = services.clerk(db, key)
    ((n, _c),) = services.print_sheets(db, fac, ws.id, 1)
    services.enter_sheet(db, clerk, ws.id, str(n), DotBallot({ids[0]: 3}))
    services.enter_sheet(db, fac, ws.id, str(n), DotBallot({ids[0]: 3}))
    assert services.channel_counts(db, ws.id).paper == 1
    # One person corrects: the sheet no longer counts as it did, and waits for the second entry.
    assert services.enter_sheet(db, clerk, ws.id, str(n), DotBallot({ids[1]: 1}), correct=True).state == "waiting"
    assert services.channel_counts(db, ws.id).paper == 0
    kept, from_votes = tallies_check(db)
    assert kept == from_votes or not kept
    assert services.enter_sheet(db, fac, ws.id, str(n), DotBallot({ids[1]: 1})).state == "counted"
    ranked = views.ranking(db, services.get_workshop(db, ws.id)).set_index("measure_id")
    assert services.channel_counts(db, ws.id).paper == 1 and ranked.loc[ids[1], "supporters"] >= 1
    log = db.fetchall("SELECT value_before, value_after FROM audit_log WHERE action = 'paper_corrected'")
    assert len(log) == 1 and "Laptop 2" in log[0][1] and "facilitation team" in log[0][0]
    kept, from_votes = tallies_check(db)
    assert kept == from_votes or not kept


def test_a_sheet_printed_for_a_ballot_that_changed_since_is_not_entered(setup):
    """Printed in the review, then a measure is hidden: the sheet's lines ("2.3") and boxes no
    longer mean what the entry screen reads; it is refused, counted as stale, and new sheets work."""
    db, ws, fac, ids = setup
    services.set_phase(db, fac, ws.id, Phase.REVIEW)
    (old, _o), (old2, _p) = services.print_sheets(db, fac, ws.id, 2)
    services.set_hidden(db, fac, ids[0], True)
    services.set_phase(db, fac, ws.id, Phase.VOTE)
    state = _state(db, ws)
    with pytest.raises(ValidationError) as refused:
        services.enter_sheet(db, fac, ws.id, str(old), DotBallot({ids[1]: 1}))
    assert "print new sheets" in refused.value.msgid
    assert _state(db, ws) == state
    stats = services.paper_stats(db, ws.id)
    assert (stats.printed, stats.stale) == (0, 2)
    ((new, _n),) = services.print_sheets(db, fac, ws.id, 1)
    assert services.enter_sheet(db, fac, ws.id, str(new), DotBallot({ids[1]: 1})).state == "counted"
    # Other rules are another ballot too (a sheet printed for 5 dots is not read against 3).
    rules = services.get_workshop(db, ws.id).rules
    services.set_phase(db, fac, ws.id, Phase.REVIEW)
    services.set_rules(
        db, fac, ws.id, replace(rules, dots_per_person=3), confirm_affected=services.count_ballots(db, ws.id, "dots")
    )
    services.set_phase(db, fac, ws.id, Phase.VOTE)
    with pytest.raises(ValidationError):
        services.enter_sheet(db, fac, ws.id, str(new), DotBallot({ids[1]: 1}), correct=True)
