"""The paper ballot entry screen (issue 23) through its entry link: a sheet typed in counts once, a
sheet that breaks the rules is refused with the hint to enter it as invalid, double entry waits
for the second person and a mismatch for a decision; a revoked link opens nothing."""

from __future__ import annotations

from dataclasses import replace

import pytest

from workshop import demo, services
from workshop.model import DotBallot, Method, Phase


@pytest.fixture
def voting(app_db, facilitator):
    """A workshop of its own (the demo's copy: other tests look at the demo), in the vote by dots,
    5 per person, at most 3 per measure; its entry link. Deleted afterwards."""
    ws = demo.build(app_db)
    services.set_phase(app_db, facilitator, ws.id, Phase.REVIEW)
    services.set_rules(
        app_db,
        facilitator,
        ws.id,
        replace(ws.rules, method=Method.DOTS, dots_per_person=5, max_per_measure=3),
        confirm_affected=services.count_ballots(app_db, ws.id, ws.rules.method),
    )
    services.set_phase(app_db, facilitator, ws.id, Phase.VOTE)
    _link, key = services.create_entry_key(app_db, facilitator, ws.id, "Laptop 1")
    try:
        yield services.get_workshop(app_db, ws.id), key
    finally:
        services.delete_workshop(app_db, facilitator, ws.id)


def _sheet(at):
    """The form's controls: the number field, the dot controls per line (in sheet order), save."""
    number = next(t for t in at.text_input if t.key.endswith("number"))
    dots = [s for s in at.segmented_control if "_m_" in s.key]
    invalid = next(s for s in at.segmented_control if s.key.endswith("invalid"))
    save = next(b for b in at.button if b.label in ("Save the sheet", "Bogen speichern"))
    return number, dots, invalid, save


def _texts(at) -> str:
    """The page's messages as read (without Markdown's escapes and the invisible link breakers)."""
    shown = " ".join(str(e.value) for e in [*at.success, *at.error, *at.info, *at.warning])
    return shown.replace("\\", "").replace("\u2060", "")


def test_a_sheet_entered_through_the_link_counts_once(app, app_db, facilitator, voting):
    ws, key = voting
    ((n, _code),) = services.print_sheets(app_db, facilitator, ws.id, 1)
    before = services.channel_counts(app_db, ws.id).paper
    at = app({"entry": key, "lang": "en"}).run()
    assert not at.exception
    number, dots, _invalid, save = _sheet(at)
    assert len(dots) == len(services.voting_measures(app_db, ws))
    number.input(str(n))
    dots[0].set_value(2)
    dots[3].set_value(1)
    save.click().run()
    assert not at.exception
    assert f"Paper ballot {n} saved: it counts." in _texts(at)
    assert services.channel_counts(app_db, ws.id).paper == before + 1
    # The form is empty again; the same number again is refused and nothing changes.
    number, dots, _invalid, save = _sheet(at)
    assert number.value == "" and all(d.value is None for d in dots)
    number.input(str(n))
    dots[1].set_value(1)
    save.click().run()
    assert "already been entered" in _texts(at)
    assert services.channel_counts(app_db, ws.id).paper == before + 1


def test_a_sheet_that_breaks_the_rules_is_refused_then_entered_as_invalid(app, app_db, facilitator, voting):
    ws, key = voting
    ((n, _code),) = services.print_sheets(app_db, facilitator, ws.id, 1)
    entered, invalid_before = (
        services.paper_stats(app_db, ws.id).entered,
        services.channel_counts(app_db, ws.id).invalid,
    )
    at = app({"entry": key, "lang": "en"}).run()
    number, dots, invalid, save = _sheet(at)
    number.input(str(n))
    for d in dots[:2]:
        d.set_value(3)  # 6 dots of 5
    save.click().run()
    text = _texts(at)
    assert "only 5" in text and "Breaks the voting rules" in text
    assert services.paper_stats(app_db, ws.id).entered == entered
    # The marks stay on the form: choose the reason and save again.
    number, dots, invalid, save = _sheet(at)
    assert [d.value for d in dots[:2]] == [3, 3]
    invalid.set_value("rules")
    save.click().run()
    assert f"Paper ballot {n} saved as invalid: Breaks the voting rules." in _texts(at)
    assert services.channel_counts(app_db, ws.id).invalid == invalid_before + 1


def test_double_entry_mismatch_is_decided_on_the_screen(app, app_db, facilitator, voting):
    ws, key = voting
    services.set_paper_options(app_db, facilitator, ws.id, double=True)
    ((n, _code),) = services.print_sheets(app_db, facilitator, ws.id, 1)
    first = list(services.voting_measures(app_db, ws))[0]
    services.enter_sheet(app_db, facilitator, ws.id, str(n), DotBallot({first: 1}))
    before = services.channel_counts(app_db, ws.id).paper
    at = app({"entry": key, "lang": "en"}).run()
    number, dots, _invalid, save = _sheet(at)
    number.input(str(n))
    dots[0].set_value(2)  # the second person reads a 2
    save.click().run()
    assert "the two entries differ" in _texts(at)
    assert services.channel_counts(app_db, ws.id).paper == before
    table = at.dataframe[0].value
    assert list(table.iloc[0])[-2:] == ["1", "2"]
    next(b for b in at.button if b.label == "Entry 2 is right").click().run()
    assert not at.exception
    assert services.channel_counts(app_db, ws.id).paper == before + 1
    assert f"Paper ballot {n}: decided." in _texts(at)


def test_a_revoked_link_opens_nothing(app, app_db, facilitator, voting):
    ws, _key = voting
    link, key = services.create_entry_key(app_db, facilitator, ws.id, "Laptop 9")
    services.revoke_entry_key(app_db, facilitator, link.id)
    at = app({"entry": key, "lang": "de"}).run()
    assert not at.exception
    assert at.error and not at.text_input


def test_a_sheet_that_takes_no_entry_clears_the_form_and_other_refusals_keep_the_marks(
    app, app_db, facilitator, voting
):
    """The walk-through's lost vote: marks of a refused sheet went into the next one. A sheet that
    can take no entry (its code voted on a phone) empties the form; a mistyped number keeps the
    marks, says so, and "Clear the form" empties it."""
    ws, key = voting
    (used, code), (good, _c) = services.print_sheets(app_db, facilitator, ws.id, 2)
    phone, _token = services.join(app_db, ws.join_code)
    services.redeem_card(app_db, phone, code)
    at = app({"entry": key, "lang": "en"}).run()
    number, dots, _invalid, save = _sheet(at)
    number.input(str(used))
    dots[1].set_value(1)
    save.click().run()
    assert "used on a phone or tablet" in _texts(at)
    number, dots, _invalid, save = _sheet(at)
    assert number.value == "" and all(d.value is None for d in dots), "the refused sheet's marks are gone"

    number.input("99999")  # a typo: the marks stay for the corrected number
    dots[2].set_value(2)
    save.click().run()
    assert "no paper ballot with the number" in _texts(at) and "still on the form" in _texts(at)
    number, dots, _invalid, save = _sheet(at)
    assert dots[2].value == 2
    next(b for b in at.button if b.label == "Clear the form").click().run()
    number, dots, _invalid, save = _sheet(at)
    assert number.value == "" and all(d.value is None for d in dots)
    assert services.paper_stats(app_db, ws.id).entered == 0


def test_a_phone_opening_an_entered_sheets_qr_code_hears_it_before_joining(app, app_db, facilitator, voting):
    """The sheet was counted on paper: the join screen says so at once (not after choosing a group
    and pressing Start), and the phone that joins anyway does not try the card again."""
    ws, _key = voting
    ((n, code),) = services.print_sheets(app_db, facilitator, ws.id, 1)
    first = next(iter(services.voting_measures(app_db, ws)))
    services.enter_sheet(app_db, facilitator, ws.id, str(n), DotBallot({first: 1}))
    at = app({"code": ws.join_code, "card": code, "lang": "en"}).run()
    assert not at.exception
    assert "already been counted" in _texts(at) and "card" not in at.query_params
    at.radio(key="group_choice").set_value(services.list_groups(app_db, ws.id)[0].id)
    at.button(key="join_start").click().run()
    assert not at.exception and "t" in at.query_params and not at.error


def test_a_phones_results_say_how_many_ballots_came_from_paper(app, app_db, facilitator, voting):
    ws, _key = voting
    ((n, _code),) = services.print_sheets(app_db, facilitator, ws.id, 1)
    first = next(iter(services.voting_measures(app_db, ws)))
    services.enter_sheet(app_db, facilitator, ws.id, str(n), DotBallot({first: 1}))
    services.set_phase(app_db, facilitator, ws.id, Phase.RESULTS)
    services.reveal_results(app_db, facilitator, ws.id)
    _phone, token = services.join(app_db, ws.join_code)
    at = app({"t": token, "lang": "en"}).run()
    assert not at.exception
    digital = services.channel_counts(app_db, ws.id).digital
    line = next(c.value for c in at.caption if "on paper" in c.value)
    assert line.startswith(f"{digital + 1} ballots: {digital} from phones and tablets, 1 on paper")
