"""A console left open does not undo what another console changed: its toggles show the stored
setting after someone else changed it, and write only when this person flips them."""

from __future__ import annotations

from workshop import services


def _toggle(at, key: str):
    return next(t for t in at.toggle if t.key == key)


def test_a_stale_console_keeps_the_other_consoles_change_and_follows_it(app, app_db, facilitator):
    ws = services.list_workshops(app_db)[0]
    assert not ws.paper_double and not ws.show_machine
    at = app({"lang": "en"}, facilitator=facilitator).run()
    at.switch_page("app_pages/console.py").run()
    assert _toggle(at, "paper_double").value is False
    try:
        # Another console (a colleague's laptop) switches both on; this one runs again (any click).
        services.set_paper_options(app_db, facilitator, ws.id, double=True)
        services.set_machine_translations(app_db, facilitator, ws.id, True)
        at.switch_page("app_pages/console.py").run()
        assert not at.exception
        stored = services.get_workshop(app_db, ws.id)
        assert stored.paper_double and stored.show_machine, "the old toggle values were not written back"
        assert _toggle(at, "paper_double").value is True and _toggle(at, "show_machine").value is True
        # This person's own flip is still saved.
        _toggle(at, "paper_double").set_value(False).run()
        assert not services.get_workshop(app_db, ws.id).paper_double
        assert _toggle(at, "paper_double").value is False
    finally:
        services.set_paper_options(app_db, facilitator, ws.id, double=False)
        services.set_machine_translations(app_db, facilitator, ws.id, False)


def test_revoking_a_card_asks_first_and_says_a_ballot_goes(app, app_db, facilitator):
    """The number field starts at 1: one tap on "Revoke card" used to revoke card 1 at once, and
    with it the ballot cast with it. Now the console asks, naming what revoking does."""
    import uuid

    from workshop.model import DotBallot

    ws = services.list_workshops(app_db)[0]
    ((number, code),) = services.generate_cards(app_db, facilitator, ws.id, 1)
    phone, _token = services.join(app_db, ws.join_code)
    services.redeem_card(app_db, phone, code)
    first = next(iter(services.voting_measures(app_db, ws)))
    services.submit_ballot(app_db, phone, DotBallot({first: 1}), uuid.uuid4().hex)
    ballots = services.count_ballots(app_db, ws.id)
    at = app({"lang": "en"}, facilitator=facilitator).run()
    at.switch_page("app_pages/console.py").run()
    at.number_input(key="cards_lost").set_value(number)
    at.button(key="cards_revoke").click().run()
    assert not at.exception
    assert any(f"Revoke card {number}?" in w.value and "ballot is removed" in w.value for w in at.warning)
    assert services.count_ballots(app_db, ws.id) == ballots, "nothing revoked yet"
    at.button(key="cards_revoke_no").click().run()
    assert not any("Revoke card" in w.value for w in at.warning)
    at.button(key="cards_revoke").click().run()
    at.button(key="cards_revoke_yes").click().run()
    assert not at.exception
    assert services.count_ballots(app_db, ws.id) == ballots - 1
    said = [s.value.replace("\\", "").replace("\u2060", "") for s in at.success]
    assert f"Card {number} is revoked." in said, "what revoking did is said"
    assert services.card_use(app_db, facilitator, ws.id, number) == "revoked"
    at.button(key="cards_revoke").click().run()
    assert any(f"Card {number} is revoked already." in i.value for i in at.info)


def test_going_to_another_page_and_back_changes_no_setting(app, app_db, facilitator):
    """The walk-through's loss: back from another page, the console's toggles and the moderation
    page's choices were drawn without their values and wrote defaults over the stored settings
    (every measure moved to the first goal). Only a person's change of a widget writes."""
    ws = services.list_workshops(app_db)[0]
    services.set_paper_options(app_db, facilitator, ws.id, double=True)
    try:
        at = app({"lang": "en"}, facilitator=facilitator).run()
        at.switch_page("app_pages/console.py").run()
        assert _toggle(at, "paper_double").value is True
        before = services.audit_log(app_db, facilitator, ws.id).shape[0]
        for page in ("app_pages/results.py", "app_pages/console.py", "app_pages/paper.py", "app_pages/console.py"):
            at.switch_page(page).run()
            assert not at.exception
        assert services.get_workshop(app_db, ws.id).paper_double, "double entry still on"
        assert _toggle(at, "paper_double").value is True
        assert services.audit_log(app_db, facilitator, ws.id).shape[0] == before, "nothing written"
    finally:
        services.set_paper_options(app_db, facilitator, ws.id, double=False)
