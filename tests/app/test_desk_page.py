"""The translation desk through its page (issue 20.3): a mediator link opens the queue of its
language and nothing else; a save stores a mediator's translation; a revoked or forged link is
refused in the reader's words. The console hands out and revokes the links."""

from __future__ import annotations

import pytest
from streamlit.testing.v1.util import patch_config_options

from ui import common
from workshop import i18n, services
from workshop.model import MeasureInput, Phase


def _no_exception(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


@pytest.fixture(autouse=True)
def _error_details():
    with patch_config_options({"client.showErrorDetails": "full"}):
        yield


@pytest.fixture
def desk(app_db, facilitator, workshop):
    """The demo in review with one Turkish proposal, and an Arabic mediator link."""
    services.set_phase(app_db, facilitator, workshop.id, Phase.REVIEW)
    common.refresh()
    goal = services.list_goals(app_db, workshop.id)[0].id
    m = services.propose_measure(app_db, facilitator, goal, MeasureInput("Harburg için yabancılar meclisi"), lang="tr")
    link, key = services.create_mediator_key(app_db, facilitator, workshop.id, "ar")
    yield m, link, key
    services.revoke_mediator_key(app_db, facilitator, link.id)
    services.set_phase(app_db, facilitator, workshop.id, Phase.VOTE)
    common.refresh()


@pytest.mark.parametrize("lang", list(i18n.LANGUAGES))
def test_the_desk_renders_in_every_language_and_only_the_desk(app, desk, lang):
    _m, _link, key = desk
    at = app({"desk": key, "lang": lang}).run()
    _no_exception(at)
    assert not at.error
    assert not at.sidebar.get("selectbox") and len(at.get("page_link")) == 0, "no menu, no other page"


def test_a_mediator_translates_at_the_desk(app, app_db, desk):
    m, _link, key = desk
    at = app({"desk": key, "lang": "en"}).run()
    title = next(t for t in at.text_input if t.key.startswith(f"desk_ar_{m.id}") and t.key.endswith(".title"))
    title.input("مجلس الأجانب في هاربورغ")
    next(b for b in at.button if b.form_id == title.form_id).click().run()
    _no_exception(at)
    stored = services.translations_of(app_db, m.id)["ar"]
    assert (stored.title, stored.made) == ("مجلس الأجانب في هاربورغ", "mediator")
    assert [s.value.replace("\u2060", "").replace("\\", "") for s in at.success] == ["Saved."]


def test_an_arabic_desk_shows_a_turkish_proposals_german_version_too(app, app_db, facilitator, desk):
    """A walk found an Arabic–German mediator unable to translate a Turkish proposal whose author
    had also written it in German: the desk showed the Turkish original only."""
    m, _link, key = desk
    services.translate_measure(app_db, facilitator, m.id, "de", MeasureInput("Ein Ausländerbeirat für Harburg"))
    common.refresh()
    shown = " ".join(h.proto.body for h in app({"desk": key, "lang": "en"}).run().get("html"))
    assert 'lang="de">Ein Ausländerbeirat für Harburg</p>' in shown and "Harburg için yabancılar meclisi" in shown


def test_a_forged_or_revoked_link_is_refused(app, app_db, facilitator, desk):
    _m, link, key = desk
    at = app({"desk": "x" * 32, "lang": "tr"}).run()
    _no_exception(at)
    assert at.error and at.error[0].value == i18n.gettext_for("tr")(
        "This link is not valid (any more). Please ask the facilitation team for a new one."
    )
    services.revoke_mediator_key(app_db, facilitator, link.id)
    at = app({"desk": key, "lang": "en"}).run()
    assert at.error and not at.text_input


def test_the_console_hands_out_and_revokes_a_link(app, app_db, facilitator, workshop):
    at = app({"lang": "en"}, facilitator=facilitator).run()
    at.switch_page("app_pages/console.py").run()
    at.selectbox(key="desk_lang").set_value("tr")
    at.button(key="desk_create").click().run()
    _no_exception(at)
    (link,) = [k for k in services.list_mediator_keys(app_db, facilitator, workshop.id) if not k.revoked]
    shown = [c.value for c in at.code if "desk=" in c.value]
    assert len(shown) == 1 and "lang=tr" in shown[0]
    key = shown[0].split("desk=")[1].split("&")[0]
    assert any('alt="QR code with the translation desk link for' in h.proto.body for h in at.get("html")), "a QR"
    assert services.mediator(app_db, key).lang == "tr"
    at.button(key=f"desk_revoke_{link.id}").click().run()
    _no_exception(at)
    assert services.mediator(app_db, key) is None
    # No engine installed here: the console says so; the switch for machine translations works.
    assert any("No offline translation engine on this machine" in c.value for c in at.caption)
    at.toggle(key="show_machine").set_value(True).run()
    _no_exception(at)
    assert services.get_workshop(app_db, workshop.id).show_machine
    services.set_machine_translations(app_db, facilitator, workshop.id, False)


class Shouting:
    """An engine double: 'translates' Turkish to Arabic by upper-casing (no model is downloaded here)."""

    def pairs(self):
        return {("tr", "ar")}

    def translate(self, text, source, target):
        if (source, target) not in self.pairs():
            raise LookupError((source, target))
        return text.upper()


def test_the_desk_prefills_the_engines_suggestion_or_says_there_is_none(app, desk, monkeypatch):
    from workshop import engine

    m, _link, key = desk
    at = app({"desk": key, "lang": "en"}).run()
    assert any("No machine translation from Türkçe to العربية" in c.value for c in at.caption), "says so, works on"
    monkeypatch.setattr(engine, "engine", lambda folder=None: Shouting())
    at = app({"desk": key, "lang": "en"}).run()
    _no_exception(at)
    title = next(t for t in at.text_input if t.key.startswith(f"desk_ar_{m.id}") and t.key.endswith(".title"))
    assert title.value == m.title.upper()
    assert any(c.value.startswith("Machine suggestion") for c in at.caption)


def test_the_desk_is_locked_before_proposals_are_collected(app, app_db, facilitator, workshop, desk):
    _m, _link, key = desk
    services.set_phase(app_db, facilitator, workshop.id, Phase.SETUP)
    common.refresh()  # what the console does after a phase change (the pages' one-second cache)
    at = app({"desk": key, "lang": "en"}).run()
    _no_exception(at)
    assert at.info and all(t.disabled for t in at.text_input) and all(b.disabled for b in at.button)
