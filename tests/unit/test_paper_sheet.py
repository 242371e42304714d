"""What a paper ballot shows and what staff type from it (workshop/paper.py), and a QR code read
back from a picture (workshop/hall.read_qr): pure functions, no database."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from workshop import hall, paper
from workshop.errors import ValidationError
from workshop.model import ApprovalBallot, DotBallot, Goal, Measure, Method, RankingBallot, RatingBallot


def _goal(i: int) -> Goal:
    return Goal(f"g{i}", "w", i, f"Ziel {i}")


def _measure(mid: str, goal: str) -> Measure:
    return Measure(mid, "w", goal, f"Titel {mid}")


def test_layout_groups_by_goal_in_vision_order_with_labels():
    goals = [_goal(1), _goal(2), _goal(3)]
    measures = [_measure("a", "g2"), _measure("b", "g1"), _measure("c", "g2"), _measure("d", "g3")]
    voting = {"b": "g1", "a": "g2", "c": "g2"}  # d is not on the ballot (hidden, or off the shortlist)
    sections = paper.layout(goals, measures, voting)
    assert [(s.goal.id, s.number) for s in sections] == [("g1", 1), ("g2", 2)]
    assert [[(line.label, line.measure.id) for line in s.lines] for s in sections] == [
        [("1.1", "b")],
        [("2.1", "a"), ("2.2", "c")],
    ]


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("17", 17),
        (" #17 ", 17),
        ("ABCD EFGH", "ABCD EFGH"),
        ("http://10.0.0.2:8501/?code=K7M2QX&card=ABCDEFGH", "ABCDEFGH"),
        ("?code=K7M2QX&card=abcdefgh", "abcdefgh"),
    ],
)
def test_read_typed_takes_a_number_a_code_or_the_qr_link(typed, read):
    assert paper.read_typed(typed) == read


@pytest.mark.parametrize("typed", ["", "   ", None, 17, "x" * 2001, "http://10.0.0.2/?code=K7M2QX"])
def test_read_typed_refuses_what_is_no_sheet(typed):
    with pytest.raises(ValidationError):
        paper.read_typed(typed)


def test_ballot_from_marks_per_method():
    assert paper.ballot_from_marks(Method.DOTS, {"a": 2, "b": None, "c": 0}) == DotBallot({"a": 2})
    assert paper.ballot_from_marks(Method.APPROVAL, {"a": True, "b": False}) == ApprovalBallot(frozenset({"a"}))
    assert paper.ballot_from_marks(Method.RATING, {"a": {"impact": 4, "feasibility": None}, "b": {"x": None}}) == (
        RatingBallot({"a": {"impact": 4}})
    )
    assert paper.ballot_from_marks(Method.RANKING, {"a": 2, "b": 1, "c": None, "d": 5}) == RankingBallot(
        ("b", "a", "d")
    )


def test_two_lines_with_one_place_break_the_rules():
    with pytest.raises(paper.BreaksRules) as refused:
        paper.ballot_from_marks(Method.RANKING, {"a": 1, "b": 1})
    assert refused.value.params == {"place": 1}


def test_marks_by_line_sets_entries_side_by_side():
    assert paper.marks_by_line(Method.DOTS, {"dots": {"a": 2}}) == {"a": "2"}
    assert paper.marks_by_line(Method.APPROVAL, {"approved": ["a", "b"]}) == {"a": "✓", "b": "✓"}
    assert paper.marks_by_line(Method.RANKING, {"order": ["b", "a"]}) == {"b": "1", "a": "2"}
    assert paper.marks_by_line(Method.RATING, {"ratings": {"a": {"impact": 4, "cost": 2}}}) == {
        "a": "cost: 2 · impact: 4"
    }
    assert paper.marks_by_line(Method.DOTS, None) == {}


def test_a_qr_code_is_read_back_from_a_photo():
    link = "http://10.0.0.2:8501/?code=K7M2QX&card=ABCDEFGH"
    png = hall.qr_png(link, scale=6)
    # As a camera sees it: smaller, on a grey desk, as JPEG.
    code = Image.open(io.BytesIO(png)).convert("RGB")
    desk = Image.new("RGB", (code.width * 2, code.height * 2), (180, 180, 170))
    desk.paste(code, (code.width // 3, code.height // 2))
    photo = io.BytesIO()
    desk.save(photo, format="JPEG", quality=70)
    assert hall.read_qr(photo.getvalue()) == link
    assert paper.read_typed(hall.read_qr(photo.getvalue())) == "ABCDEFGH"
    assert hall.read_qr(b"not a picture") is None
    blank = io.BytesIO()
    Image.new("RGB", (64, 64), "white").save(blank, format="PNG")
    assert hall.read_qr(blank.getvalue()) is None


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://hall.example.org/paper", True),
        ("http://localhost:8501/?entry=k", True),
        ("http://127.0.0.1:8501/paper", True),
        ("http://192.168.1.20:8501/?entry=k", False),  # the hall's address: browsers refuse the camera
        ("", False),
        (None, False),
    ],
)
def test_the_camera_is_offered_only_where_a_browser_opens_it(url, allowed):
    assert hall.camera_allowed(url) is allowed


def test_differences_lists_the_lines_two_entries_disagree_on_in_sheet_order():
    first = {"dots": {"a": 2, "b": 1, "c": 1}}
    second = {"dots": {"a": 2, "b": 3, "d": 1}}
    assert paper.differences(Method.DOTS, first, second, ["d", "c", "b", "a"]) == [
        ("d", "", "1"),
        ("c", "1", ""),
        ("b", "1", "3"),
    ]
    assert paper.differences(Method.DOTS, first, None, ["a"]) == [("a", "2", ""), ("b", "1", ""), ("c", "1", "")]


def test_the_fingerprint_changes_with_what_the_sheet_prints():
    from workshop.model import VotingRules

    rules = VotingRules()
    voting = {"a": "g1", "b": "g2"}
    base = paper.fingerprint(rules, voting)
    assert base == paper.fingerprint(rules, dict(voting))
    assert base != paper.fingerprint(rules, {"b": "g2", "a": "g1"})  # another order: other labels
    assert base != paper.fingerprint(rules, {"a": "g1"})
    from dataclasses import replace

    assert base != paper.fingerprint(replace(rules, max_per_measure=2), voting)
    assert base == paper.fingerprint(replace(rules, cards_required=True), voting)  # not on the sheet
