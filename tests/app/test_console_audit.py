"""The console's audit log reads in the facilitator's language: headers, actions in words, what an
entry concerns by name (an entry link's), yes and no in words, newest first."""

from __future__ import annotations

from workshop import i18n, services


def test_the_audit_log_speaks_german_and_names_what_it_concerns(app, app_db, facilitator):
    ws = services.list_workshops(app_db)[0]
    at = app({"lang": "de"}, facilitator=facilitator).run()
    at.switch_page("app_pages/console.py").run()
    assert not at.exception
    de = i18n.translations("de").gettext
    log = next(d.value for d in at.dataframe if de("Concerns") in d.value.columns)
    assert list(log.columns) == [de(h) for h in ("When", "Action", "Concerns", "Before", "After")]
    assert de("Concerns") != "Concerns" and de("Phase changed") != "Phase changed", "translated"
    assert log[de("When")].is_monotonic_decreasing, "newest first"
    link, _key = services.create_entry_key(app_db, facilitator, ws.id, "Laptop Rathaus")
    try:
        at.switch_page("app_pages/console.py").run()
        log = next(d.value for d in at.dataframe if de("Concerns") in d.value.columns)
        newest = log.iloc[0]
        assert (newest[de("Action")], newest[de("Concerns")]) == (
            de("Entry link for paper ballots created"),
            link.label,
        )
        services.set_paper_options(app_db, facilitator, ws.id, double=True)
        at.switch_page("app_pages/console.py").run()
        log = next(d.value for d in at.dataframe if de("Concerns") in d.value.columns)
        newest = log.iloc[0]
        assert newest[de("Action")] == de("Double entry of paper ballots")
        assert (newest[de("Before")], newest[de("After")]) == (de("no"), de("yes"))
    finally:
        services.revoke_entry_key(app_db, facilitator, link.id)
        services.set_paper_options(app_db, facilitator, ws.id, double=False)
