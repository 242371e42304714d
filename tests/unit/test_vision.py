"""Vision files: the shipped demo parses; every problem in a broken file is reported with its line."""

from __future__ import annotations

from datetime import date
from textwrap import dedent

import pytest

from workshop import vision as vision_module
from workshop.config import DEMO_FILE
from workshop.errors import ImportErrors
from workshop.model import Method
from workshop.vision import MAX_FILE_BYTES, parse


def src(text: str) -> str:
    return dedent(text).lstrip("\n")


def problems(text: str | bytes) -> list[tuple[int | None, str, dict]]:
    with pytest.raises(ImportErrors) as info:
        parse(text)
    assert info.value.params == {"count": len(info.value.problems)}
    return info.value.problems


# A field's shortest length, as the problems list carries it (a plural pair: errors.NP_).
AT_LEAST = ("“{field}” needs at least {min} character.", "“{field}” needs at least {min} characters.")


def line_of(text: str, needle: str) -> int:
    """The 1-based number of the only line that contains ``needle``."""
    (number,) = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    return number


def lines_of(text: str | bytes) -> list[int | None]:
    return [line for line, _msgid, _params in problems(text)]


MINIMAL = src(
    """
    vision:
      title: Zusammenleben
      goals:
        - title: Ziel eins
        - title: Ziel zwei
    """
)


# --- the shipped demo -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo():
    return parse(DEMO_FILE.read_bytes())


def test_demo_vision_and_goals(demo):
    assert demo.title == "Zusammenleben in Vielfalt"
    titles = [t for t, _d in demo.goals]
    assert len(titles) >= 4
    assert {"Zusammenleben in Harburg", "Deutsch als Sprache", "Arbeit und Bildung"} <= set(titles)
    assert all(desc for _t, desc in demo.goals)


def test_demo_groups_measures_and_rules(demo):
    assert len(demo.groups) == 3
    assert 18 <= len(demo.measures) <= 25
    assert {m.group for m in demo.measures} <= set(demo.groups)
    assert all(0 <= m.goal < len(demo.goals) for m in demo.measures)
    # every goal has proposals, so every chart has something to show
    assert {m.goal for m in demo.measures} == set(range(len(demo.goals)))
    german = next(i for i, (t, _d) in enumerate(demo.goals) if t == "Deutsch als Sprache")
    assert any(m.data.title == "Sprachcafés mit Kinderbetreuung" and m.goal == german for m in demo.measures)
    assert demo.rules is not None and demo.rules.method == Method.DOTS
    assert demo.workshop["date"] == date(2026, 11, 21)
    assert demo.demo["phase"] in {"collect", "review", "vote", "results"}


def test_demo_texts_are_already_clean(demo):
    for m in demo.measures:
        assert m.data == m.data.validated()


def test_minimal_file_and_bom():
    spec = parse(("\ufeff" + MINIMAL).encode("utf-8"))
    assert spec.title == "Zusammenleben"
    assert spec.goals == [("Ziel eins", ""), ("Ziel zwei", "")]
    assert spec.groups == [] and spec.measures == [] and spec.rules is None


def test_numbers_in_measure_text_fields_are_text():
    spec = parse(MINIMAL + "measures:\n  - goal: Ziel eins\n    title: Fest\n    timeframe: 2027\n    cost: 1.5\n")
    assert (spec.measures[0].data.timeframe, spec.measures[0].data.cost) == ("2027", "1.5")


# --- malformed YAML ---------------------------------------------------------------------------


def test_bad_indentation_names_its_line():
    text = src(
        """
        vision:
          title: Leitbild
          goals:
            - title: Ziel eins
           - title: Ziel zwei
        """
    )
    assert lines_of(text) == [5]


def test_tab_indentation_names_its_line():
    text = "vision:\n  title: Leitbild\n  goals:\n\t- title: Ziel\n"
    ((line, msgid, params),) = problems(text)
    assert line == 4
    assert msgid.startswith("This is not valid YAML")
    assert "\\t" in params["detail"] or "tab" in params["detail"]


def test_unbalanced_bracket_names_the_line_where_it_breaks():
    text = src(
        """
        vision:
          title: Leitbild
          goals: [{title: Ziel eins}, {title: Ziel zwei}
        groups:
          - AG 1
        """
    )
    assert lines_of(text) == [4]


def test_unclosed_quote_names_the_line_where_it_opens():
    text = src(
        """
        vision:
          title: "Leitbild
          goals:
            - title: Ziel eins
            - title: Ziel zwei
        """
    )
    assert lines_of(text) == [2]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("- just\n- a list\n", 1),
        ("workshop:\n  title: Ohne Leitbild\n", 1),
        ("just a sentence\n", 1),
    ],
)
def test_a_file_without_vision_is_refused(text, line):
    assert lines_of(text) == [line]


# --- problems in the content ------------------------------------------------------------------


def test_unknown_goal_in_a_measure_names_its_line():
    text = MINIMAL + src(
        """
        measures:
          - goal: Ziel eins
            title: Gute Sache
          - goal: Ziel drei
            title: Andere Sache
        """
    )
    ((line, msgid, params),) = problems(text)
    assert line == 9 == line_of(text, "- goal: Ziel drei")
    assert params == {"goal": "Ziel drei"}
    assert "Ziel drei" in ImportErrors([(line, msgid, params)]).lines()[0]


def test_every_problem_is_listed_with_its_own_line():
    text = src(
        """
        workshop:
          title: Werkstatt
          date: 21.11.2026
        vision:
          title: Lb
          goals:
            - title: Ziel eins
            - title: Z2
        groups:
          - AG 1
        measures:
          - goal: Ziel eins
            title: ok
          - goal: Ziel eins
            group: AG 9
            title: Gruppe fehlt
          - goal: Ziel eins
            title: Gute Sache
            description: "mit \\x00 Steuerzeichen"
        rules:
          method: dots
          dots_per_person: 0
        """
    )
    # A problem is reported at the first line of the mapping that holds it (the measure's "- goal:" line,
    # the goal's line, the first key of the vision or workshop block).
    found = sorted((line, msgid) for line, msgid, _p in problems(text))
    assert found == sorted(
        [
            (line_of(text, "title: Werkstatt"), "The date must look like 2026-11-21."),
            (line_of(text, "title: Lb"), AT_LEAST),
            (line_of(text, "title: Z2"), AT_LEAST),
            (line_of(text, "title: ok") - 1, AT_LEAST),
            (line_of(text, "group: AG 9") - 1, "The working group “{name}” is not in “groups:”."),
            (line_of(text, "title: Gute Sache") - 1, "“{field}” contains control characters."),
            (line_of(text, "method: dots"), "“{field}” must be a whole number from {min} to {max}."),
        ]
    )


def test_duplicate_goal_titles_are_refused():
    text = src(
        """
        vision:
          title: Leitbild
          goals:
            - title: Ziel eins
            - title: Ziel eins
        """
    )
    assert problems(text) == [(line_of(text, "title: Leitbild"), "Two goals have the same title.", {})]


def test_goals_must_be_a_non_empty_list():
    # reported at the first line of the vision block
    assert lines_of("vision:\n  title: Leitbild\n  goals: []\n") == [2]
    assert lines_of("vision:\n  title: Leitbild\n  goals: Ziel eins\n") == [2]
    assert lines_of("vision:\n  title: Leitbild\n") == [2]


def test_lines_render_with_line_numbers():
    with pytest.raises(ImportErrors) as info:
        parse("vision:\n  title: Leitbild\n  goals: []\n")
    assert info.value.lines() == ["Line 2: The vision needs a list “goals:” with at least one goal."]


def test_measures_that_are_not_a_list_are_a_problem_not_a_crash():
    assert lines_of(MINIMAL + "measures: 5\n") == [1]


def test_demo_that_is_not_a_mapping_is_a_problem_not_a_crash():
    problems(MINIMAL + "demo: [1]\n")


# --- the file itself --------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [b"\xff\xfe v\x00i\x00", "vision:\n  title: Stra\xdfe\n".encode("latin-1")])
def test_non_utf8_bytes_are_refused(raw):
    assert problems(raw) == [(None, vision_module.NOT_UTF8, {})]
    assert "CSV UTF-8" in vision_module.NOT_UTF8, "what to do, not only what is wrong"


def test_a_file_over_one_megabyte_is_refused():
    big = (MINIMAL + "#" + "x" * MAX_FILE_BYTES + "\n").encode()
    assert problems(big) == [(None, "The file is larger than {max} kB.", {"max": 1000})]


def test_a_file_of_exactly_the_limit_is_read():
    raw = MINIMAL.encode()
    padded = raw + b"#" + b"x" * (MAX_FILE_BYTES - len(raw) - 2) + b"\n"
    assert len(padded) == MAX_FILE_BYTES
    assert parse(padded).title == "Zusammenleben"


BILLION_LAUGHS = """
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
vision:
  title: *h
  goals: [{title: *h}]
"""


@pytest.mark.parametrize(
    "text",
    [
        BILLION_LAUGHS,
        "vision:\n  title: x\n  goals:\n    - title: &g Wohnen im Viertel\n    - title: *g\n",
        "groups: &gr [AG 1]\nother: *gr\nvision: {title: x, goals: [{title: Ziel eins}]}\n",
    ],
    ids=["billion-laughs", "through-goal", "through-group"],
)
def test_yaml_aliases_are_refused_before_they_expand(text):
    """Issue 18.2: a 443-byte file froze the server for 112 s and took 5.5 GB."""
    import time

    start = time.perf_counter()
    with pytest.raises(ImportErrors) as info:
        parse(text.encode())
    assert time.perf_counter() - start < 5, "refused at the first alias, not after expanding it"
    assert "alias" in info.value.lines()[0]
