"""The console tells the facilitator of writes lost before the start (issue 18.7)."""

from __future__ import annotations

from workshop import config, safety


def _shown(at) -> list[str]:
    """The error texts as read (Markdown escapes and invisible word joiners removed)."""
    return [e.value.replace("\\", "").replace("\u2060", "") for e in at.error]


def test_the_console_shows_writes_lost_before_the_start(app, app_db, facilitator):
    keeper = safety.start(app_db, config.load())  # the app's own keeper, started by its first page
    assert keeper is not None and safety.start(app_db, config.load()) is keeper  # one per database
    lost = safety.LostWrites(
        "The newest safety copy of “{title}” ({time}) holds writes the database does not have (ballots: "
        "{ballots}, proposals: {measures}): the last writes before the app stopped were probably lost (a "
        "damaged or cut-off write-ahead log). Before anyone votes again, stop the app, restore the copy "
        "into a new database file and start the app with PW_DB_PATH set to that file:\n\n{restore}\n\n"
        "The current file stays as it is; the copy is kept until you delete it: {copy}",
        title="Demo",
        time="2026-11-21 15:30:00",
        ballots=7,
        measures=0,
        restore="python -m workshop --db fresh.duckdb restore copy.json",
        copy="copy.json",
    )
    keeper.lost.append(lost)
    try:
        at = app({"lang": "en"}, facilitator=facilitator).run()
        at.switch_page("app_pages/console.py").run()
        assert not at.exception
        assert any("ballots: 7" in text and "restore copy.json" in text for text in _shown(at))
    finally:
        keeper.lost.remove(lost)
    at.switch_page("app_pages/console.py").run()
    assert not any("ballots: 7" in text for text in _shown(at))
