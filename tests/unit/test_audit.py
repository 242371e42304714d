"""The audit log in words (workshop.audit): every action the services log has a label in the
workshop's words, ids become names, phases and yes/no words, newest first; nothing stored changes."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pandas as pd

from workshop import audit, i18n
from workshop.model import WorkshopKind
from workshop.queries import paper as paper_queries
from workshop.services import paper, translations

SERVICES = Path(audit.__file__).parent / "services"


def logged_actions() -> set[str]:
    """The actions the services write: the literal ones of every ``_audit`` call, the links' (and
    their revocations), the paper options' columns, and the restore of a changed backup."""
    found = set()
    for path in SERVICES.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "_audit" and len(node.args) > 2:
                found |= {c.value for c in ast.walk(node.args[2]) if isinstance(c, ast.Constant) and c.value}
    found.discard("_revoked")  # f"{kind.action}_revoked"
    for kind in (paper.ENTRY_LINKS, translations.MEDIATOR_LINKS):
        found |= {kind.action, f"{kind.action}_revoked"}
    return found | set(paper_queries._OPTIONS) | {"restore_altered"}


def test_every_action_the_services_log_has_words():
    actions = logged_actions()
    assert len(actions) > 40
    assert sorted(actions - set(audit.ACTIONS)) == []
    assert sorted(set(audit.ACTIONS) - actions) == [], "words for an action nobody logs"


def entries(*rows) -> pd.DataFrame:
    return pd.DataFrame(
        [(pd.Timestamp("2026-12-05 10:00") + pd.Timedelta(minutes=i), *r) for i, r in enumerate(rows)],
        columns=["logged_at", "action", "subject", "value_before", "value_after"],
    )


def test_the_log_reads_in_words_newest_first():
    german = {
        "Action": "Aktion",
        "Concerns": "Betrifft",
        "Measure hidden": "Maßnahme ausgeblendet",
        "Phase changed": "Phase geändert",
        "Vote": "Abstimmung",
        "Review": "Prüfung",
        "yes": "ja",
        "no": "nein",
    }
    log = entries(
        ("phase", "", "review", "vote"),
        ("hide", "m1", "true", "false"),
        ("mediator_translate", "k1:m1:tr", "", "reviewed"),
        ("paper_entered", "17", "", '{"entry": 1}'),
        ("from_a_newer_version", "x", "a", "b"),
    )
    table = audit.readable(log, {"m1": "Sprachcafé", "k1": "Türkçe"}, WorkshopKind.VISION, lambda s: german.get(s, s))
    assert list(table.columns) == ["When", "Aktion", "Betrifft", "Before", "After"]
    rows = table.to_dict("records")
    assert [r["Aktion"] for r in rows] == [
        "from_a_newer_version",
        "Paper ballot entered",
        "Translation saved by a language mediator",
        "Maßnahme ausgeblendet",
        "Phase geändert",
    ]
    assert (rows[4]["Before"], rows[4]["After"]) == ("Prüfung", "Abstimmung")
    assert (rows[3]["Betrifft"], rows[3]["Before"], rows[3]["After"]) == ("Sprachcafé", "ja", "nein")
    assert rows[2]["Betrifft"] == f"Türkçe: Sprachcafé: {i18n.LANGUAGES['tr']}"
    assert (rows[1]["Betrifft"], rows[1]["After"]) == ("17", "Entry: 1")
    assert table["When"].is_monotonic_decreasing


def test_a_conference_logs_recommendations_and_guiding_questions():
    log = entries(("hide", "m1", "false", "true"), ("add_goal", "g1", "", "Wie?"))
    words = " ".join(audit.readable(log, {}, WorkshopKind.CONFERENCE, lambda s: s)["Action"])
    assert words == "Guiding question added Recommendation hidden"


def test_changed_voting_rules_show_only_what_changed_by_the_forms_labels():
    from workshop.model import VotingRules

    old = VotingRules(dots_per_person=5, shortlist=("m1",))
    new = VotingRules(dots_per_person=3, method="approval", cards_required=True, shortlist=("m1", "m2"))
    log = entries(("rules", "", json.dumps(old.to_dict()), json.dumps(new.to_dict())))
    german = {"Dots per person": "Punkte pro Person", "Method": "Methode", "yes": "ja", "no": "nein"}
    row = audit.readable(
        log, {"m1": "Sprachcafé", "m2": "Straßenfest"}, WorkshopKind.VISION, lambda s: german.get(s, s)
    ).iloc[0]
    before, after = row["Before"], row["After"]
    assert "Punkte pro Person: 5" in before and "Punkte pro Person: 3" in after
    assert "Methode: Dot voting" in before and "Methode: Approval (support)" in after
    assert "nein" in before and "ja" in after
    assert "Shortlist: Sprachcafé" in before and "Shortlist: Sprachcafé; Straßenfest" in after
    assert "max_per_measure" not in before + after and "Maximum dots" not in before, "unchanged fields left out"
    assert "{" not in before + after


def test_values_read_as_words_ids_by_name_and_structures_without_json():
    entry = {"by": "facilitation team", "marks": {"m1": 2, "m2": 1}, "invalid": None}
    log = entries(
        ("rules", "", "not json", "{}"),
        ("paper_entered", "3", "", json.dumps(entry)),
        ("paper_entered", "4", "", json.dumps({"by": "Laptop 1", "marks": None, "invalid": "rules"})),
        ("move", "m1", "g1", "g2"),
        ("status", "m1", "new", "rejected"),
        ("wall_view", "", "", "g2"),
        ("wall_view", "", "g2", "matrix"),
        ("paper_sheets", "", "", json.dumps({"generated": 3})),
        ("create_workshop", "Harburg 2026", "", json.dumps({"kind": "conference", "previous": None})),
        ("import_vision", "Thema", "", json.dumps({"goals": 4, "measures": 0, "rules": False})),
        ("mediator_link", "k1", "", "tr"),
        ("timer", "", "", "2026-12-05T14:27:32"),
    )
    names = {"m1": "Sprachcafé", "m2": "Straßenfest", "g1": "Zusammenleben", "g2": "Arbeit"}
    german = {"Facilitation team": "Moderationsteam", "rejected": "verworfen", "Ranking overall": "Rangliste gesamt"}
    table = audit.readable(log, names, WorkshopKind.VISION, lambda s: german.get(s, s))[::-1]
    assert list(zip(table["Before"], table["After"], strict=True)) == [
        ("not json", ""),
        ("", "Entered by: Moderationsteam; Marks: Sprachcafé: 2; Straßenfest: 1"),
        ("", "Entered by: Laptop 1; Invalid: rules"),
        ("Zusammenleben", "Arbeit"),
        ("new", "verworfen"),
        ("Rangliste gesamt", "Arbeit"),
        ("Arbeit", "Rating matrix"),
        ("", "3"),
        ("", "Kind of workshop: Integrationskonferenz"),
        ("", "Goals: 4; Measures: 0; Voting rules: no"),
        ("", i18n.LANGUAGES["tr"]),
        ("", "14:27"),
    ]
