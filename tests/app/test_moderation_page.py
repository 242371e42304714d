"""Moderation through the page: merging asks first and shows what goes into what, a merge can be
undone with its votes, and the edit form never saves over a change made in the meantime."""

from __future__ import annotations

import uuid

import pytest

from tests.app.test_setup_page import current
from workshop import services
from workshop.model import DotBallot, MeasureInput, Phase, VotingRules


def _no_exception(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


@pytest.fixture
def reviewed(app_db, facilitator):
    """A workshop in review with four measures and two ballots on them."""
    ws = services.create_workshop(
        app_db, facilitator, title="Moderation im Test", rules=VotingRules(dots_per_person=5, max_per_measure=3)
    )
    goal = services.add_goal(app_db, facilitator, ws.id, "Zusammenleben").id
    services.set_phase(app_db, facilitator, ws.id, Phase.COLLECT)
    ids = [
        services.propose_measure(app_db, facilitator, goal, MeasureInput(title)).id
        for title in ("Sprachcafé", "Sprach-Café für alle", "Straßenfest", "Bücherhalle offen")
    ]
    services.set_phase(app_db, facilitator, ws.id, Phase.VOTE)
    for ballot in ({ids[0]: 2, ids[1]: 1}, {ids[1]: 3, ids[2]: 1}):
        voter, _token = services.join(app_db, ws.join_code)
        services.submit_ballot(app_db, voter, DotBallot({k: v for k, v in ballot.items()}), uuid.uuid4().hex)
    services.set_phase(app_db, facilitator, ws.id, Phase.REVIEW)
    with current(app_db, facilitator, services.get_workshop(app_db, ws.id)) as shown:
        yield shown, ids


def moderation(app, facilitator):
    at = app({"lang": "en"}, facilitator=facilitator).run()
    at.switch_page("app_pages/moderation.py").run()
    _no_exception(at)
    return at


def _votes(db, ws_id) -> list[tuple]:
    return sorted(
        db.fetchall("SELECT v.* FROM votes v JOIN ballots b ON b.id = v.ballot_id WHERE b.workshop_id = $1", [ws_id])
    )


def test_merge_asks_first_then_merges_and_can_be_undone(app, app_db, facilitator, reviewed):
    ws, ids = reviewed
    votes_before = _votes(app_db, ws.id)
    at = moderation(app, facilitator)
    box = at.multiselect(key=f"mg_{ids[0]}")
    assert box.proto.placeholder == "Choose the duplicates"
    assert box.proto.select_all == 0, "no 'Select all' that merges everything with one tap"
    box.set_value([ids[1]]).run()
    at.button(key=f"mgo_{ids[0]}").click().run()
    _no_exception(at)

    # Nothing merged yet: the page shows what would go where and asks.
    assert services.get_measure(app_db, ids[1]).merged_into is None
    assert any("Merge this measure into the one above?" in m.value for m in at.markdown)
    shown = "\n".join(h.value for h in at.get("html"))
    assert "Sprach-Café für alle" in shown
    at.button(key=f"mgno_{ids[0]}").click().run()
    assert services.get_measure(app_db, ids[1]).merged_into is None, "cancel merges nothing"
    assert not [b for b in at.button if b.key == f"mgyes_{ids[0]}"]

    at.multiselect(key=f"mg_{ids[0]}").set_value([ids[1]]).run()
    at.button(key=f"mgo_{ids[0]}").click().run()
    at.button(key=f"mgyes_{ids[0]}").click().run()
    _no_exception(at)
    assert services.get_measure(app_db, ids[1]).merged_into == ids[0]
    assert any("Merged 1 into “Sprachcafé”." in s.value.replace("\u2060", "").replace("\\", "") for s in at.success)
    assert _votes(app_db, ws.id) != votes_before

    # Undo: the measures and every vote are back as they were, and the log says so.
    at.button(key="undo_last_merge").click().run()
    _no_exception(at)
    assert services.get_measure(app_db, ids[1]).merged_into is None
    assert _votes(app_db, ws.id) == votes_before
    assert list(services.audit_log(app_db, facilitator, ws.id)["action"])[-2:] == ["merge", "unmerge"]
    assert any("The merge is undone" in s.value for s in at.success)
    assert not [b for b in at.button if b.key == "undo_last_merge"]


def test_the_edit_form_does_not_save_over_a_change_made_meanwhile(app, app_db, facilitator, reviewed):
    ws, ids = reviewed
    at = moderation(app, facilitator)
    title = next(t for t in at.text_input if t.key.startswith("moderate_") and t.value == "Straßenfest")
    # The author's correction arrives between drawing the form and saving it.
    services.moderate_edit(app_db, facilitator, ids[2], MeasureInput("Straßenfest im Phoenix-Viertel"))
    title.input("Straßenfest!")
    form = title.form_id
    next(b for b in at.button if b.form_id == form).click().run()
    _no_exception(at)
    assert services.get_measure(app_db, ids[2]).title == "Straßenfest im Phoenix-Viertel", "nothing overwritten"
    assert at.error and "Someone changed this in the meantime" in at.error[0].value


def test_the_facilitator_translates_a_measure_and_corrects_its_language(app, app_db, facilitator, reviewed):
    """Translations are moderated like any other field: per language, reviewed by the team, a stale
    form is refused; the original's language can be corrected."""
    ws, ids = reviewed
    at = moderation(app, facilitator)
    at.selectbox(key=f"tl_{ids[2]}").set_value("tr").run()
    title = next(t for t in at.text_input if t.key.startswith(f"translate_tr_{ids[2]}") and t.key.endswith(".title"))
    title.input("Sokak şenliği")
    next(b for b in at.button if b.form_id == title.form_id).click().run()
    _no_exception(at)
    stored = services.translations_of(app_db, ids[2])["tr"]
    assert (stored.title, stored.made, stored.reviewed) == ("Sokak şenliği", "facilitator", True)
    shown = "".join(h.proto.body for h in at.get("html"))
    assert "Türkçe (by the facilitation team)" in shown and "Sokak şenliği" in shown, "beside the original"

    # A translation changed meanwhile (a mediator's save) is not overwritten by a stale form.
    at.selectbox(key=f"tl_{ids[2]}").set_value("tr").run()
    title = next(t for t in at.text_input if t.key.startswith(f"translate_tr_{ids[2]}") and t.key.endswith(".title"))
    services.translate_measure(app_db, facilitator, ids[2], "tr", MeasureInput("Mahalle şenliği"))
    title.input("Sokak festivali")
    next(b for b in at.button if b.form_id == title.form_id).click().run()
    assert services.translations_of(app_db, ids[2])["tr"].title == "Mahalle şenliği"
    assert at.error and "Someone changed this in the meantime" in at.error[0].value

    at.selectbox(key=f"ol_{ids[2]}").set_value("en").run()
    _no_exception(at)
    assert services.get_measure(app_db, ids[2]).lang == "en"
    # Refused (there is a Turkish translation): the select goes back to what is stored, said once.
    at.selectbox(key=f"ol_{ids[2]}").set_value("tr").run()
    assert services.get_measure(app_db, ids[2]).lang == "en"
    assert at.selectbox(key=f"ol_{ids[2]}").value == "en", "the refused language does not stay selected"
    assert len(at.error) == 1 and "There is a translation to this language already" in at.error[0].value
    at.run()
    assert not at.error, "refused once, not again at every run"


def test_a_colleagues_move_and_status_are_not_undone_by_a_page_left_open(app, app_db, facilitator, reviewed):
    """Two of the team moderate on two laptops: what one changes, the other's page shows on its next
    run instead of writing its old choice back; its own change is still saved."""
    ws, ids = reviewed
    other_goal = services.add_goal(app_db, facilitator, ws.id, "Arbeit").id
    at = moderation(app, facilitator)
    assert at.selectbox(key=f"st_{ids[2]}").value == "new"
    services.move_measure(app_db, facilitator, ids[2], other_goal)
    services.set_status(app_db, facilitator, ids[3], "in_progress")
    at.switch_page("app_pages/moderation.py").run()
    _no_exception(at)
    moved, marked = services.get_measure(app_db, ids[2]), services.get_measure(app_db, ids[3])
    assert (moved.goal_id, marked.status) == (other_goal, "in_progress"), "nothing written back"
    assert at.selectbox(key=f"mv_{ids[2]}").value == other_goal
    assert at.selectbox(key=f"st_{ids[3]}").value == "in_progress"
    at.selectbox(key=f"st_{ids[2]}").set_value("open").run()
    _no_exception(at)
    assert services.get_measure(app_db, ids[2]).status == "open"


def test_coming_back_from_another_page_moves_nothing(app, app_db, facilitator, reviewed):
    """The walk-through's loss: back on the page, every measure's goal and status were written
    with the select boxes' first options (all measures in goal 1, every status "new")."""
    ws, ids = reviewed
    other_goal = services.add_goal(app_db, facilitator, ws.id, "Arbeit").id
    services.move_measure(app_db, facilitator, ids[1], other_goal)
    services.set_status(app_db, facilitator, ids[2], "rejected")
    at = moderation(app, facilitator)
    before = services.audit_log(app_db, facilitator, ws.id).shape[0]
    for page in ("app_pages/results.py", "app_pages/moderation.py", "app_pages/console.py", "app_pages/moderation.py"):
        at.switch_page(page).run()
        _no_exception(at)
    assert services.get_measure(app_db, ids[1]).goal_id == other_goal
    assert services.get_measure(app_db, ids[2]).status == "rejected"
    assert services.audit_log(app_db, facilitator, ws.id).shape[0] == before, "nothing written"
    assert at.selectbox(key=f"mv_{ids[1]}").value == other_goal
