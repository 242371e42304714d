"""Set up, through the page: creating a workshop, forms that never show or save another workshop's
values, the theme and the guiding questions, the import, data protection and deleting."""

from __future__ import annotations

import base64
import datetime as dt
from contextlib import contextmanager
from re import match as re_match

from workshop import services
from workshop.model import Phase, VotingRules, WorkshopKind


def field(widgets, form: str, name: str):
    """The widget ``name`` of an edit form (keys carry the workshop and a fingerprint)."""
    found = [w for w in widgets if (w.key or "").startswith(f"{form}_") and w.key.endswith(f".{name}")]
    assert len(found) == 1, [w.key for w in widgets]
    return found[0]


def new(widgets, name: str, form: str = "new"):
    """A field of a form that is cleared after each send (its keys carry a round number)."""
    return next(w for w in widgets if re_match(rf"{form}\d+_{name}$", w.key or ""))


def picker_key(at) -> str:
    """The key of the vision file picker (ui/files.py; its key carries a round number)."""
    (key,) = [el.proto.id.rsplit("-", 1)[1] for el in at.get("bidi_component") if "-vision_file_" in el.proto.id]
    return key


def pick_file(at, name: str, data: bytes):
    """Choose a file in the picker as the browser does: its bytes become the component's state."""
    at.session_state[picker_key(at)] = {"file": {"name": name, "data": base64.b64encode(data).decode()}}
    return at.run()


def button(at, label: str):
    return next(b for b in at.button if b.label == label)


def keys(at) -> list[str]:
    return [w.key for w in at.text_input if w.key]


def setup_page(app, facilitator):
    at = app({"lang": "en"}, facilitator=facilitator).run()
    at.switch_page("app_pages/setup.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@contextmanager
def current(app_db, facilitator, ws):
    """Make ``ws`` the current workshop for a test; the demo is current again afterwards."""
    previous = services.current_workshop(app_db)
    services.set_current_workshop(app_db, facilitator, ws.id)
    try:
        yield ws
    finally:
        services.set_current_workshop(app_db, facilitator, previous.id)


def test_privacy_settings_and_deleting_a_workshop(app, app_db, facilitator, workshop):
    doomed = services.create_workshop(app_db, facilitator, title="Probelauf zum Löschen")
    with current(app_db, facilitator, doomed):
        at = setup_page(app, facilitator)
        field(at.text_area, "privacy", "contact").input("Bezirksamt Harburg, Datenschutz")
        field(at.number_input, "privacy", "months").set_value(3)
        next(b for b in at.button if b.label == "Save" and "privacy" in (b.form_id or "")).click().run()
        assert not at.exception
        saved = services.get_workshop(app_db, doomed.id)
        assert (saved.privacy_contact, saved.retention_months) == ("Bezirksamt Harburg, Datenschutz", 3)
        assert any("privacy notice" in s.value for s in at.success), "the save is confirmed"

        delete = at.button(key="delete_go")
        assert delete.disabled, "deleting needs the workshop code typed first"
        at.text_input(key="delete_code").input("WRONG1").run()
        assert at.button(key="delete_go").disabled
        at.text_input(key="delete_code").input(doomed.join_code.lower()).run()
        at.button(key="delete_go").click().run()
        assert not at.exception
        assert doomed.id not in {w.id for w in services.list_workshops(app_db)}
        assert services.get_workshop(app_db, workshop.id).title == workshop.title  # the demo is untouched


def test_saving_the_rules_keeps_the_voting_cards_switch(app, app_db, facilitator):
    fresh = services.create_workshop(app_db, facilitator, title="Regeln mit Stimmkarten")
    with current(app_db, facilitator, fresh):
        at = setup_page(app, facilitator)
        field(at.checkbox, "rules", "cards").check()
        button(at, "Save rules").click().run()
        assert not at.exception
        assert services.get_workshop(app_db, fresh.id).rules.cards_required is True
        field(at.checkbox, "rules", "cards").uncheck()
        button(at, "Save rules").click().run()
        assert services.get_workshop(app_db, fresh.id).rules.cards_required is False
    services.delete_workshop(app_db, facilitator, fresh.id)


def test_creating_a_workshop_makes_it_current_confirms_and_clears_the_form(app, app_db, facilitator, workshop):
    """Issue 16.1: the picker set the old workshop back, the form stayed filled, a second click duplicated."""
    at = setup_page(app, facilitator)
    before = {w.id for w in services.list_workshops(app_db)}
    new(at.text_input, "title").input("16. Integrationskonferenz")
    new(at.text_input, "place").input("Rieckhof, Harburg")
    new(at.radio, "kind").set_value(WorkshopKind.CONFERENCE)
    new(at.text_input, "vision").input("Demokratie – Wohin?")
    # The date is typed (Streamlit's calendar speaks English to screen readers); a wrong one is
    # refused with a message that names the form, and nothing is created.
    assert new(at.text_input, "date").value == dt.date.today().strftime("%-m/%-d/%Y"), "English order: M/d/y"
    new(at.text_input, "date").input("31.31.2027")
    button(at, "Create").click().run()
    assert at.error and "for example" in at.error[0].value
    assert {w.id for w in services.list_workshops(app_db)} == before
    assert new(at.text_input, "title").value == "16. Integrationskonferenz", "a refusal keeps what was typed"
    new(at.text_input, "date").input("5/21/2027")
    button(at, "Create").click().run()
    assert not at.exception and not at.error
    created = [w for w in services.list_workshops(app_db) if w.id not in before]
    try:
        assert len(created) == 1
        made = created[0]
        assert made.date == dt.date(2027, 5, 21)
        assert (made.kind, made.vision_title, made.place) == (
            WorkshopKind.CONFERENCE,
            "Demokratie – Wohin?",
            "Rieckhof, Harburg",
        )
        assert services.current_workshop(app_db).id == made.id, "the new workshop is current"
        assert at.selectbox(key="ws_pick").value == made.id, "and the picker shows it"
        assert any(made.join_code in s.value and "current" in s.value for s in at.success), "a confirmation says so"
        assert new(at.text_input, "title").value == "", "the form is cleared"
        # Another run (any widget) keeps the new workshop current: the picker does not set it back.
        at.run()
        assert services.current_workshop(app_db).id == made.id
        # A second click on the cleared form creates nothing.
        button(at, "Create").click().run()
        assert at.error
        assert len([w for w in services.list_workshops(app_db) if w.id not in before]) == 1
        # The new workshop's own words and values in every form.
        assert field(at.text_input, "vision", "title").value == "Demokratie – Wohin?"
        assert "Theme and guiding questions" in [h.value for h in at.subheader]
    finally:
        services.set_current_workshop(app_db, facilitator, workshop.id)
        for w in created:
            services.delete_workshop(app_db, facilitator, w.id)


def test_switching_workshops_shows_each_ones_own_groups_and_rules(app, app_db, facilitator, workshop):
    """Issue 16.2: after switching, the forms showed the previous workshop's groups and 10/3 rules."""
    other = services.create_workshop(
        app_db, facilitator, title="Konferenz mit drei AGs", rules=VotingRules(dots_per_person=5, max_per_measure=2)
    )
    services.set_groups(app_db, facilitator, other.id, ["AG Wahlen", "AG Vereine", "AG Schule"])
    try:
        at = setup_page(app, facilitator)  # the demo: four groups... three, 10 dots, 3 per measure
        assert field(at.number_input, "rules", "dots").value == workshop.rules.dots_per_person
        assert field(at.text_area, "groups", "names").value.startswith("AG 1 Nachbarschaft")
        at.selectbox(key="ws_pick").set_value(other.id).run()
        assert not at.exception
        assert services.current_workshop(app_db).id == other.id
        assert field(at.number_input, "rules", "dots").value == 5
        assert field(at.number_input, "rules", "cap").value == 2
        assert field(at.text_area, "groups", "names").value == "AG Wahlen\nAG Vereine\nAG Schule"
        assert not [c for c in at.checkbox if (c.key or "").endswith(".confirm")], "no ballots: nothing to confirm"
        # Back to the demo: its own values again, not the ones just shown.
        at.selectbox(key="ws_pick").set_value(workshop.id).run()
        assert field(at.number_input, "rules", "dots").value == workshop.rules.dots_per_person
    finally:
        services.set_current_workshop(app_db, facilitator, workshop.id)
        services.delete_workshop(app_db, facilitator, other.id)


def test_a_stale_form_is_not_saved(app, app_db, facilitator):
    """A colleague's change between drawing the form and saving it: the save is refused and the
    form shows what is stored (no overwrite with the values drawn before)."""
    ws = services.create_workshop(app_db, facilitator, title="Zwei Fenster")
    services.set_groups(app_db, facilitator, ws.id, ["AG A"])
    with current(app_db, facilitator, ws):
        at = setup_page(app, facilitator)
        field(at.text_area, "groups", "names").input("AG A\nAG B")
        field(at.number_input, "rules", "dots").set_value(7)
        # Meanwhile, in another window:
        services.set_groups(app_db, facilitator, ws.id, ["AG A", "AG C"])
        services.set_rules(app_db, facilitator, ws.id, VotingRules(dots_per_person=4))
        button(at, "Save working groups").click().run()
        assert any("changed this in the meantime" in e.value for e in at.error)
        assert [g.name for g in services.list_groups(app_db, ws.id)] == ["AG A", "AG C"]
        assert field(at.text_area, "groups", "names").value == "AG A\nAG C", "the form shows what is stored"
        assert field(at.number_input, "rules", "dots").value == 4
        # Saved again from the redrawn form: stored.
        field(at.text_area, "groups", "names").input("AG A\nAG C\nAG D")
        button(at, "Save working groups").click().run()
        assert [g.name for g in services.list_groups(app_db, ws.id)] == ["AG A", "AG C", "AG D"]
    services.delete_workshop(app_db, facilitator, ws.id)


def test_theme_and_guiding_questions_are_edited_in_the_page(app, app_db, facilitator):
    """Issue 16.3 and 16.5: the theme is entered and edited; questions are added (the tab stays),
    edited, reordered and removed; a question with proposals moves them."""
    ws = services.create_workshop(app_db, facilitator, title="Konferenz im Browser", kind=WorkshopKind.CONFERENCE)
    with current(app_db, facilitator, ws):
        at = setup_page(app, facilitator)
        field(at.text_input, "vision", "title").input("Demokratie – Wohin?")
        field(at.text_area, "vision", "description").input("Gesellschaftliches Miteinander im Bezirk Harburg")
        next(b for b in at.button if b.label == "Save" and "vision" in (b.form_id or "")).click().run()
        saved = services.get_workshop(app_db, ws.id)
        assert (saved.vision_title, saved.vision_description) == (
            "Demokratie – Wohin?",
            "Gesellschaftliches Miteinander im Bezirk Harburg",
        )
        for question in ("Wie erreichen wir Nichtwähler?", "Was brauchen Vereine?", "Wie lernt man Demokratie?"):
            new(at.text_input, "title", "goal_add").input(question)
            button(at, "Add").click().run()
            assert not at.exception and not at.error
            assert new(at.text_input, "title", "goal_add").value == "", "the add form is cleared"
            assert at.tabs[0].label == "Add one"
        goals = services.list_goals(app_db, ws.id)
        assert [g.title for g in goals] == [
            "Wie erreichen wir Nichtwähler?",
            "Was brauchen Vereine?",
            "Wie lernt man Demokratie?",
        ]
        at.button(key=f"goal_down_{goals[0].id}").click().run()
        assert [g.title for g in services.list_goals(app_db, ws.id)][:2] == [
            "Was brauchen Vereine?",
            "Wie erreichen wir Nichtwähler?",
        ]
        field(at.text_input, f"goal_{goals[1].id}", "title").input("Was brauchen Vereine und Initiativen?")
        next(b for b in at.button if b.label == "Save" and goals[1].id in (b.form_id or "")).click().run()
        assert services.list_goals(app_db, ws.id)[0].title == "Was brauchen Vereine und Initiativen?"

        # A question with a proposal: removing it moves the proposal to the chosen question.
        services.set_phase(app_db, facilitator, ws.id, Phase.COLLECT)
        p, _token = services.join(app_db, ws.join_code)
        from workshop.model import MeasureInput

        m = services.propose_measure(app_db, p, goals[2].id, MeasureInput("Demokratie-Café im Stadtteil"))
        at.run()
        at.selectbox(key=f"goal_move_{goals[2].id}").set_value(goals[0].id)
        at.button(key=f"goal_remove_{goals[2].id}").click().run()
        assert not at.error
        assert [g.id for g in services.list_goals(app_db, ws.id)] == [goals[1].id, goals[0].id]
        assert services.get_measure(app_db, m.id).goal_id == goals[0].id
    services.delete_workshop(app_db, facilitator, ws.id)


VISION_FILE = """\
workshop:
  kind: conference
vision:
  title: Demokratie – Wohin?
  goals:
    - title: Wie erreichen wir Nichtwähler?
    - title: Was brauchen Vereine?
groups: [AG Wahlen, AG Vereine]
rules:
  method: approval
  approval_limit: 3
"""


def test_an_import_stores_rules_and_kind_confirms_and_is_not_offered_again(app, app_db, facilitator):
    """Issue 16.4 and 16.5: the file's rules and kind were ignored; the import was offered again."""
    ws = services.create_workshop(app_db, facilitator, title="Import im Browser")
    with current(app_db, facilitator, ws):
        at = setup_page(app, facilitator)
        first_picker = picker_key(at)
        pick_file(at, "konferenz.yaml", VISION_FILE.encode())
        assert not at.exception and not at.error
        captions = " ".join(c.value for c in at.caption)
        assert "Integration conference" in captions and "Approval" in captions, "the preview says what comes along"
        # The preview speaks the words of the kind the file brings (issue 16.9).
        assert (
            at.text_input(key=next(k for k in keys(at) if k.startswith("import_title_"))).label == "Title of the theme"
        )
        button(at, "Save this theme").click().run()
        assert not at.exception and not at.error
        saved = services.get_workshop(app_db, ws.id)
        assert saved.kind == WorkshopKind.CONFERENCE
        assert (saved.rules.method, saved.rules.approval_limit) == ("approval", 3)
        assert [g.name for g in services.list_groups(app_db, ws.id)] == ["AG Wahlen", "AG Vereine"]
        assert [g.title for g in services.list_goals(app_db, ws.id)] == [
            "Wie erreichen wir Nichtwähler?",
            "Was brauchen Vereine?",
        ]
        assert any("Imported “Demokratie – Wohin?” with 2 guiding questions" in s.value for s in at.success)
        assert not [b for b in at.button if b.label == "Save this theme"], "the same import is not offered again"
        assert picker_key(at) != first_picker, "a fresh picker, without the imported file"
        assert not at.file_uploader, "no Streamlit uploader (its texts cannot be translated)"
    services.delete_workshop(app_db, facilitator, ws.id)


def test_retention_counts_from_the_last_activity(app, app_db, facilitator):
    """Issue 16.5: a workshop dated in the past said "please delete" while it was being set up."""
    ws = services.create_workshop(app_db, facilitator, title="Nachgetragen", date_=dt.date(2024, 3, 1))
    services.set_privacy(app_db, facilitator, ws.id, "", 6)
    with current(app_db, facilitator, ws):
        at = setup_page(app, facilitator)
        assert not [w for w in at.warning if "retention period ended" in w.value]
        assert any("last activity" in c.value for c in at.caption)


def test_login_opens_the_console(app):
    from tests.app.conftest import PASSPHRASE

    at = app({"lang": "en"}).run()
    at.switch_page("app_pages/login.py").run()
    at.text_input(key="passphrase").input(PASSPHRASE)
    at.button[0].click().run()
    assert not at.exception
    assert any(s.value == "Phase" for s in at.subheader), "the console, not the start page"
