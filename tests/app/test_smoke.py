"""Every page renders without an exception, for the roles that may see it."""

from __future__ import annotations

import pytest

from workshop import i18n, services

PUBLIC_PAGES = ["app_pages/home.py", "app_pages/login.py", "app_pages/privacy.py"]
FACILITATOR_PAGES = [
    "app_pages/console.py",
    "app_pages/setup.py",
    "app_pages/moderation.py",
    "app_pages/paper.py",
    "app_pages/projector.py",
    "app_pages/results.py",
]


def _no_exception(at):
    assert not at.exception, [e.value for e in at.exception]


@pytest.mark.parametrize("page", PUBLIC_PAGES)
@pytest.mark.parametrize("lang", list(i18n.LANGUAGES))
def test_public_pages_render(app, page, lang):
    at = app({"lang": lang}).run()
    at.switch_page(page).run()
    _no_exception(at)


def _html(at) -> str:
    return " ".join(str(el.proto) for el in at.get("html"))


@pytest.mark.parametrize("lang", list(i18n.LANGUAGES))
def test_privacy_notice_shows_the_workshops_contact_and_period_in_every_language(
    app, app_db, facilitator, workshop, lang
):
    services.set_privacy(app_db, facilitator, workshop.id, "Bezirksamt Harburg <datenschutz@example.org>", 9)
    at = app({"lang": lang, "code": workshop.join_code}).run()
    at.switch_page("app_pages/privacy.py").run()
    _no_exception(at)
    page = _html(at) + " ".join(h.value for h in at.header)
    assert "Bezirksamt Harburg &lt;datenschutz@example.org&gt;" in page, "the contact, shown literally"
    assert "9" in page
    _ = i18n.gettext_for(lang)
    assert _("What is stored") in page and _("Who to ask") in page
    if lang != "en":
        assert _("What is stored") != "What is stored", "translated"
    # "Back" points the way the page reads (issue 22.4).
    back = next(e.proto for e in at.main.children.values() if type(e).__name__ == "PageLink")
    assert back.icon == (":material/arrow_forward:" if lang in ("ar", "fa") else ":material/arrow_back:")


@pytest.mark.parametrize("page", FACILITATOR_PAGES)
def test_facilitator_pages_render_when_logged_in(app, facilitator, page):
    at = app(facilitator=facilitator).run()
    at.switch_page(page).run()
    _no_exception(at)
    sent_away = [w.value for w in at.warning if "Please log in" in w.value]
    assert not sent_away, "a logged-in facilitator must not be sent to the login"


@pytest.mark.parametrize("page", FACILITATOR_PAGES)
def test_facilitator_pages_are_not_registered_without_login(app, page):
    at = app().run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(page)


@pytest.mark.parametrize("page", FACILITATOR_PAGES)
def test_facilitator_pages_are_not_registered_for_participants(app, page):
    at = app({"t": "x" * 32}).run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(page)


def test_home_shows_demo_workshop(app, workshop):
    at = app({"lang": "de"}).run()
    _no_exception(at)
    html = " ".join(getattr(el, "proto", None) and str(el.proto) or "" for el in at.get("html"))
    assert workshop.title in html
    assert at.get("plotly_chart"), "the start page shows a chart"


def test_home_lists_the_measures_in_the_readers_language(app, app_db, facilitator, workshop):
    """A walk found the start page listing every measure in its original only."""
    from ui import common
    from workshop.model import MeasureInput

    m = services.list_measures(app_db, workshop.id)[0]
    services.translate_measure(app_db, facilitator, m.id, "en", MeasureInput("A café in the <b>library</b>"))
    common.refresh()
    try:
        html = " ".join(el.proto.body for el in app({"lang": "en"}).run().get("html"))
        assert 'lang="en">A café in the &lt;b&gt;library&lt;/b&gt;' in html, "the translation, marked English"
        assert "Translated from: German" in html and m.title in html, "the original one tap away"
        german = " ".join(el.proto.body for el in app({"lang": "de"}).run().get("html"))
        assert f'lang="de">{m.title}</p>' in german and "A café in the" not in german, "German reads the original"
    finally:
        services.remove_translation(app_db, facilitator, m.id, "en")
        common.refresh()


def test_forged_facilitator_session_is_refused(app, app_db):
    from workshop.auth import Facilitator

    at = app(facilitator=Facilitator("forged-key")).run()
    assert "facilitator" not in at.session_state, "a forged session is dropped on the first run"
    with pytest.raises(ValueError):
        at.switch_page("app_pages/console.py")


def test_login_with_wrong_then_right_passphrase(app):
    from tests.app.conftest import PASSPHRASE

    at = app().run()
    at.switch_page("app_pages/login.py").run()
    at.text_input(key="passphrase").input("wrong")
    at.button[0].click().run()
    assert at.error
    at.text_input(key="passphrase").input(PASSPHRASE)
    at.button[0].click().run()
    assert "facilitator" in at.session_state


def test_conference_workshop_speaks_of_recommendations(app, app_db, facilitator):
    """An Integrationskonferenz: a theme with guiding questions; participants propose recommendations."""
    from workshop import services
    from workshop.model import Phase, WorkshopKind

    previous = services.current_workshop(app_db)
    ws = services.create_workshop(
        app_db,
        facilitator,
        title="Integrationskonferenz Frühjahr",
        kind=WorkshopKind.CONFERENCE,
        vision_title="Teilhabe im Stadtteil",
    )
    services.replace_vision(
        app_db,
        facilitator,
        ws.id,
        title="Teilhabe im Stadtteil",
        description="",
        goals=[("Wie erreichen wir Neuzugezogene?", "")],
    )
    services.set_phase(app_db, facilitator, ws.id, Phase.COLLECT)
    try:
        at = app({"code": ws.join_code, "lang": "en"}).run()
        at.button(key="join_start").click().run()
        assert "Propose a recommendation" in [s.value for s in at.subheader]
        assert at.radio(key="new_goal").label == "Guiding question"
    finally:
        services.set_current_workshop(app_db, facilitator, previous.id)
        services.delete_workshop(app_db, facilitator, ws.id)


def test_the_console_raises_the_alarm_while_the_database_cannot_be_written(app, app_db, facilitator):
    """Issue 18.5: the facilitator learns that nothing is being saved, until a write succeeds."""
    from datetime import datetime

    app_db.write_trouble = (datetime(2026, 11, 21, 15, 30), "the disk is full")
    try:
        at = app({"lang": "en"}, facilitator=facilitator).run()
        at.switch_page("app_pages/console.py").run()
        assert any("cannot be written since" in e.value and "the disk is full" in e.value for e in at.error)
    finally:
        app_db.write_trouble = None
    at.switch_page("app_pages/console.py").run()
    assert not any("cannot be written" in e.value for e in at.error)
