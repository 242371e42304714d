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
