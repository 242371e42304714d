"""The kind's words (workshop.vocabulary): refusals and explanations say "recommendation" and
"guiding question" at an Integrationskonferenz."""

from __future__ import annotations

import ast
import re

from workshop import errors, scoring
from workshop.config import ROOT
from workshop.errors import N_, ValidationError
from workshop.model import WorkshopKind

VISION_WORDS = re.compile(r"\b(measures?|goals?|vision)\b", re.IGNORECASE)
ERRORS = {"DomainError", "ValidationError", "PermissionDenied", "NotFound"}
# A vision file's problems name the keys of the file's format (``goals:``, ``measures:``).
FILE_FORMAT = {"vision.py"}


def _refusals_without_conference_words() -> list[str]:
    found = []
    for path in sorted((ROOT / "workshop").rglob("*.py")):
        if path.name in FILE_FORMAT:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) in ERRORS and node.args):
                continue
            first = node.args[0]
            msgid = first.args[0].value if isinstance(first, ast.Call) and first.args else None
            keywords = {k.arg for k in node.keywords}
            if isinstance(msgid, str) and VISION_WORDS.search(msgid) and "conference" not in keywords:
                found.append(f"{path.name}:{node.lineno}: {msgid}")
    return found


def test_every_refusal_naming_goals_or_measures_has_a_conference_wording():
    assert not _refusals_without_conference_words()


def test_a_refusal_says_the_words_of_the_kind():
    exc = ValidationError(
        N_("At most {max} dots per goal."), conference=N_("At most {max} dots per guiding question."), max=2
    )
    assert exc.message() == "At most 2 dots per goal."
    assert exc.message(None, WorkshopKind.VISION) == "At most 2 dots per goal."
    assert exc.message(None, WorkshopKind.CONFERENCE) == "At most 2 dots per guiding question."
    assert errors.CONFERENCE == WorkshopKind.CONFERENCE
    plain = ValidationError(N_("Unknown working group."))
    assert plain.message(None, WorkshopKind.CONFERENCE) == "Unknown working group."


def test_every_scoring_explanation_and_the_tie_break_speak_both_kinds():
    for method in scoring.METHODS.values():
        assert not VISION_WORDS.search(method.explain(WorkshopKind.CONFERENCE)), method.key
    for method in scoring.METHODS.values():
        assert "measure" in method.tie_break(WorkshopKind.VISION)
        assert "recommendation" in method.tie_break(WorkshopKind.CONFERENCE)


def test_a_field_named_in_a_refusal_is_the_kinds_word():
    """The walk: adding a too short guiding question said "“Goal” needs at least 3 characters"."""
    from workshop.model import clean_text

    try:
        clean_text("ab", field_label=N_("Goal"), min_len=3)
    except ValidationError as exc:
        assert exc.message(None, WorkshopKind.CONFERENCE) == "“Guiding question” needs at least 3 characters."
        assert exc.message(None, WorkshopKind.VISION) == "“Goal” needs at least 3 characters."
    else:
        raise AssertionError("refused")


def test_a_second_guiding_question_with_the_same_title_is_refused(tmp_path):
    from workshop import auth, services
    from workshop.store import Database

    db = Database(tmp_path / "g.duckdb")
    fac = auth.system_session(db)
    ws = services.create_workshop(db, fac, title="Konferenz", kind=WorkshopKind.CONFERENCE)
    services.add_goal(db, fac, ws.id, "Wer spricht für wen?")
    try:
        services.add_goal(db, fac, ws.id, "wer spricht für wen?")
    except ValidationError as exc:
        assert exc.message(None, WorkshopKind.CONFERENCE) == "Two guiding questions have the same title."
    else:
        raise AssertionError("the walk added the same question twice")
    assert len(services.list_goals(db, ws.id)) == 1
    db.close()
