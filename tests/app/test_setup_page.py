"""Set up: data protection settings and deleting a workshop, through the page."""

from __future__ import annotations

from workshop import services


def test_privacy_settings_and_deleting_a_workshop(app, app_db, facilitator, workshop):
    doomed = services.create_workshop(app_db, facilitator, title="Probelauf zum Löschen")
    services.set_current_workshop(app_db, facilitator, doomed.id)
    try:
        at = app({"lang": "en"}, facilitator=facilitator).run()
        at.switch_page("pages/setup.py").run()
        assert not at.exception
        at.text_area(key="privacy_contact").input("Bezirksamt Harburg, Datenschutz")
        at.number_input(key="privacy_months").set_value(3)
        next(b for b in at.button if b.label == "Save").click().run()
        assert not at.exception
        saved = services.get_workshop(app_db, doomed.id)
        assert (saved.privacy_contact, saved.retention_months) == ("Bezirksamt Harburg, Datenschutz", 3)

        delete = at.button(key="delete_go")
        assert delete.disabled, "deleting needs the workshop code typed first"
        at.text_input(key="delete_code").input("WRONG1").run()
        assert at.button(key="delete_go").disabled
        at.text_input(key="delete_code").input(doomed.join_code.lower()).run()
        at.button(key="delete_go").click().run()
        assert not at.exception
        assert doomed.id not in {w.id for w in services.list_workshops(app_db)}
        assert services.get_workshop(app_db, workshop.id).title == workshop.title  # the demo is untouched
    finally:
        services.set_current_workshop(app_db, facilitator, workshop.id)


def test_saving_the_rules_keeps_the_voting_cards_switch(app, app_db, facilitator, workshop):
    fresh = services.create_workshop(app_db, facilitator, title="Regeln mit Stimmkarten")
    services.set_current_workshop(app_db, facilitator, fresh.id)
    try:
        at = app({"lang": "en"}, facilitator=facilitator).run()
        at.switch_page("pages/setup.py").run()
        at.checkbox(key="rules_cards").check()
        next(b for b in at.button if b.label == "Save rules").click().run()
        assert not at.exception
        assert services.get_workshop(app_db, fresh.id).rules.cards_required is True
        at.checkbox(key="rules_cards").uncheck()
        next(b for b in at.button if b.label == "Save rules").click().run()
        assert services.get_workshop(app_db, fresh.id).rules.cards_required is False
    finally:
        services.set_current_workshop(app_db, facilitator, workshop.id)
        services.delete_workshop(app_db, facilitator, fresh.id)
