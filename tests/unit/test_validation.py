"""Validation of what people type (texts, voting rules, ballots) and the translated refusal messages."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workshop import i18n
from workshop.errors import DomainError, ImportErrors, ValidationError
from workshop.model import (
    ApprovalBallot,
    Criterion,
    DotBallot,
    MeasureInput,
    Method,
    RankingBallot,
    RatingBallot,
    VotingRules,
    clean_text,
)

# --- clean_text and MeasureInput --------------------------------------------------------------


def measure(**kw) -> MeasureInput:
    kw.setdefault("title", "Sprachcafé")
    return MeasureInput(**kw)


@pytest.mark.parametrize(("length", "ok"), [(2, False), (3, True), (60, True), (120, True), (121, False)])
def test_title_length_bounds(length, ok):
    title = "x" * length
    if ok:
        assert measure(title=title).validated().title == title
    else:
        with pytest.raises(ValidationError) as info:
            measure(title=title).validated()
        assert info.value.params["field"] == "Title"


def test_title_length_counts_after_trimming():
    with pytest.raises(ValidationError):
        measure(title="  ab  ").validated()
    assert measure(title="  abc  ").validated().title == "abc"
    assert measure(title=" " + "y" * 120 + "\t ").validated().title == "y" * 120


def test_title_length_counts_characters_not_bytes():
    title = "ä" * 120  # 240 bytes in UTF-8, 120 characters
    assert measure(title=title).validated().title == title
    assert measure(title="نشر").validated().title == "نشر"


@pytest.mark.parametrize(("length", "ok"), [(0, True), (1000, True), (1001, False)])
def test_description_length(length, ok):
    text = "d" * length
    if ok:
        assert measure(description=text).validated().description == text
    else:
        with pytest.raises(ValidationError) as info:
            measure(description=text).validated()
        assert info.value.params == {"field": "Description", "max": 1000, "length": 1001}


@pytest.mark.parametrize("field", ["responsible", "target_group", "timeframe", "cost"])
def test_short_fields_at_most_200(field):
    assert getattr(measure(**{field: "r" * 200}).validated(), field) == "r" * 200
    with pytest.raises(ValidationError):
        measure(**{field: "r" * 201}).validated()


@pytest.mark.parametrize("title", ["", "   ", "\t\n ", "\u3000\u00a0"])
def test_empty_or_whitespace_title_refused(title):
    with pytest.raises(ValidationError):
        measure(title=title).validated()


def test_empty_optional_fields_are_fine():
    clean = measure(description="   ", responsible=None, cost="").validated()
    assert (clean.description, clean.responsible, clean.cost) == ("", "", "")


@pytest.mark.parametrize("ch", ["\x00", "\x07", "\x1b", "\x7f", "\u0085", "\x0b", "\x0c"])
@pytest.mark.parametrize("field", ["title", "description", "responsible"])
def test_control_characters_refused_in_every_field(ch, field):
    assert unicodedata.category(ch) == "Cc"
    with pytest.raises(ValidationError) as info:
        measure(**{field: f"abc{ch}def"}).validated()
    assert info.value.msgid == "“{field}” contains control characters."


def test_newlines_only_in_multiline_fields():
    assert measure(description="Zeile 1\nZeile 2\n\tmehr").validated().description == "Zeile 1\nZeile 2\n\tmehr"
    for text in ("Zeile 1\nZeile 2", "a\tbc"):
        with pytest.raises(ValidationError):
            measure(title=text).validated()
        with pytest.raises(ValidationError):
            measure(timeframe=text).validated()


def test_windows_and_old_mac_line_breaks_are_normalised():
    assert measure(description="a\r\nb\rc").validated().description == "a\nb\nc"
    with pytest.raises(ValidationError):
        measure(title="ab\r\ncd").validated()


@pytest.mark.parametrize("junk", [5, 3.5, True, b"bytes", ["list"], {"a": 1}, object()])
def test_non_text_refused(junk):
    with pytest.raises(ValidationError) as info:
        measure(title=junk).validated()
    assert info.value.msgid == "“{field}” must be text."
    with pytest.raises(ValidationError):
        measure(description=junk).validated()


@pytest.mark.parametrize(
    "text",
    [
        "**fett** und _kursiv_",
        "<img src=x onerror=alert(1)>",
        "<script>alert('x')</script>",
        "[Link](javascript:alert(1))",
        "{field} {0} %s",
        "Straßenfest 🎉 — „Nachbarn“",
        "مقهى اللغة",
    ],
)
def test_text_is_stored_as_typed(text):
    clean = measure(title=text, description=text).validated()
    assert clean.title == text
    assert clean.description == text


def test_validated_returns_a_clean_copy():
    raw = measure(title="  Fest  ", description=" x \r\n y ", cost=" 5 € ")
    clean = raw.validated()
    assert clean == MeasureInput(title="Fest", description="x \n y", cost="5 €")
    assert raw.title == "  Fest  "


# --- voting rules -----------------------------------------------------------------------------


def test_default_rules_are_valid():
    assert VotingRules().validated() == VotingRules()


@pytest.mark.parametrize(
    ("changes", "ok"),
    [
        ({"dots_per_person": 0}, False),
        ({"dots_per_person": 1, "max_per_measure": 1}, True),
        ({"dots_per_person": 100}, True),
        ({"dots_per_person": 101}, False),
        ({"dots_per_person": True}, False),
        ({"dots_per_person": 10.0}, False),
        ({"dots_per_person": "10"}, False),
        ({"max_per_measure": 0}, False),
        ({"max_per_measure": 10}, True),
        ({"max_per_measure": 11}, False),  # more than the dots per person
        ({"goal_budget": None}, True),
        ({"goal_budget": 0}, False),
        ({"goal_budget": 1}, True),
        ({"goal_budget": 100}, True),
        ({"goal_budget": 101}, False),
        ({"approval_limit": 0}, False),
        ({"approval_limit": 1}, True),
        ({"approval_limit": 1000}, True),
        ({"approval_limit": 1001}, False),
        ({"shortlist_size": 1}, False),
        ({"shortlist_size": 2}, True),
        ({"shortlist_size": 50}, True),
        ({"shortlist_size": 51}, False),
        ({"criteria": ()}, False),
        ({"criteria": (Criterion("a", "A"), Criterion("a", "B"))}, False),
        ({"criteria": (Criterion("a", ""),)}, False),
        ({"criteria": (Criterion("a", "x" * 61),)}, False),
        ({"criteria": (Criterion("a", "A\x00"),)}, False),
        ({"criteria": (Criterion("a", "A", 0),)}, False),
        ({"criteria": (Criterion("a", "A", -1),)}, False),
        ({"criteria": (Criterion("a", "A", 0.5),)}, True),
        ({"criteria": (Criterion("a", "A", 100),)}, True),
        ({"criteria": (Criterion("a", "A", 100.5),)}, False),
        ({"criteria": (Criterion("a", "A", float("nan")),)}, False),
        ({"criteria": (Criterion("a", "A", "1"),)}, False),
        ({"method": "approval"}, True),
        ({"method": Method.RANKING}, True),
    ],
)
def test_rules_ranges(changes, ok):
    rules = VotingRules(**changes)
    if ok:
        assert isinstance(rules.validated(), VotingRules)
    else:
        with pytest.raises(ValidationError):
            rules.validated()


def test_validated_rules_have_a_method_enum():
    assert VotingRules(method="rating").validated().method is Method.RATING


def test_unknown_method_is_a_validation_error():
    with pytest.raises(ValidationError):
        VotingRules(method="majority").validated()


def test_rules_round_trip_through_dict():
    rules = VotingRules(
        method=Method.RATING, goal_budget=4, criteria=(Criterion("impact", "Wirkung", 2.0),), shortlist=("a", "b")
    ).validated()
    assert VotingRules.from_dict(rules.to_dict()) == rules


# --- ballots ----------------------------------------------------------------------------------

MEASURES = {"m1": "g1", "m2": "g1", "m3": "g2", "m4": "g2"}
DOTS = VotingRules(dots_per_person=10, max_per_measure=3)


def test_dots_within_the_rules():
    ballot = DotBallot({"m1": 3, "m2": 3, "m3": 3, "m4": 1}).validate(DOTS, MEASURES)
    assert ballot.dots == {"m1": 3, "m2": 3, "m3": 3, "m4": 1}
    assert ballot.rows() == [("m1", "", 3.0), ("m2", "", 3.0), ("m3", "", 3.0), ("m4", "", 1.0)]


def test_dots_cap_per_measure():
    with pytest.raises(ValidationError) as info:
        DotBallot({"m1": 4}).validate(DOTS, MEASURES)
    assert info.value.params == {"max": 3}


def test_dots_total_overspend():
    rules = VotingRules(dots_per_person=8, max_per_measure=3)
    assert sum(DotBallot({"m1": 3, "m2": 3, "m3": 2}).validate(rules, MEASURES).dots.values()) == 8
    with pytest.raises(ValidationError) as info:
        DotBallot({"m1": 3, "m2": 3, "m3": 3}).validate(rules, MEASURES)
    assert info.value.params == {"used": 9, "total": 8}


def test_dots_goal_budget():
    rules = VotingRules(dots_per_person=10, max_per_measure=3, goal_budget=4)
    assert DotBallot({"m1": 2, "m2": 2, "m3": 3, "m4": 1}).validate(rules, MEASURES).dots["m3"] == 3
    with pytest.raises(ValidationError) as info:
        DotBallot({"m1": 3, "m2": 2}).validate(rules, MEASURES)  # 5 dots on goal g1
    assert info.value.params == {"max": 4}


@pytest.mark.parametrize("mid", ["m9", "", 1, None])
def test_dots_unknown_measure(mid):
    with pytest.raises(ValidationError):
        DotBallot({mid: 1}).validate(DOTS, MEASURES)


@pytest.mark.parametrize("value", [-1, True, False, 1.0, 2.5, "2", None])
def test_dots_values_must_be_whole_numbers(value):
    with pytest.raises(ValidationError):
        DotBallot({"m1": value}).validate(DOTS, MEASURES)


def test_zero_dots_are_dropped_but_an_empty_ballot_is_refused():
    assert DotBallot({"m1": 0, "m2": 2}).validate(DOTS, MEASURES).dots == {"m2": 2}
    with pytest.raises(ValidationError):
        DotBallot({"m1": 0}).validate(DOTS, MEASURES)
    with pytest.raises(ValidationError):
        DotBallot({}).validate(DOTS, MEASURES)


def test_dot_rows_round_trip():
    ballot = DotBallot({"m1": 3, "m3": 1})
    assert DotBallot.from_rows(ballot.rows()) == ballot


def test_approval_limit():
    rules = VotingRules(method=Method.APPROVAL, approval_limit=2)
    assert ApprovalBallot(frozenset({"m1", "m3"})).validate(rules, MEASURES).approved == {"m1", "m3"}
    with pytest.raises(ValidationError) as info:
        ApprovalBallot(frozenset({"m1", "m2", "m3"})).validate(rules, MEASURES)
    assert info.value.params == {"max": 2}
    unlimited = VotingRules(method=Method.APPROVAL)
    assert len(ApprovalBallot(frozenset(MEASURES)).validate(unlimited, MEASURES).approved) == 4


def test_approval_refuses_unknown_and_empty():
    rules = VotingRules(method=Method.APPROVAL)
    with pytest.raises(ValidationError):
        ApprovalBallot(frozenset({"m1", "nope"})).validate(rules, MEASURES)
    with pytest.raises(ValidationError):
        ApprovalBallot(frozenset()).validate(rules, MEASURES)


RATING = VotingRules(
    method=Method.RATING, criteria=(Criterion("impact", "Wirkung"), Criterion("feasibility", "Machbarkeit"))
)


@pytest.mark.parametrize(("value", "ok"), [(0, False), (1, True), (3, True), (5, True), (6, False), (-1, False)])
def test_rating_range(value, ok):
    ballot = RatingBallot({"m1": {"impact": value}})
    if ok:
        assert ballot.validate(RATING, MEASURES).ratings == {"m1": {"impact": value}}
    else:
        with pytest.raises(ValidationError) as info:
            ballot.validate(RATING, MEASURES)
        assert info.value.params == {"min": 1, "max": 5}


@pytest.mark.parametrize("value", [True, 3.0, "3"])
def test_rating_must_be_whole_numbers(value):
    with pytest.raises(ValidationError):
        RatingBallot({"m1": {"impact": value}}).validate(RATING, MEASURES)


def test_rating_none_is_no_opinion_and_dropped():
    clean = RatingBallot(
        {"m1": {"impact": 4, "feasibility": None}, "m2": {"impact": None, "feasibility": None}}
    ).validate(RATING, MEASURES)
    assert clean.ratings == {"m1": {"impact": 4}}
    assert clean.rows() == [("m1", "impact", 4.0)]
    with pytest.raises(ValidationError):
        RatingBallot({"m1": {"impact": None}}).validate(RATING, MEASURES)


def test_rating_refuses_unknown_criterion_measure_and_shape():
    with pytest.raises(ValidationError):
        RatingBallot({"m1": {"urgency": 3}}).validate(RATING, MEASURES)
    with pytest.raises(ValidationError):
        RatingBallot({"m9": {"impact": 3}}).validate(RATING, MEASURES)
    with pytest.raises(ValidationError):
        RatingBallot({"m1": 3}).validate(RATING, MEASURES)


def test_ranking_order_and_duplicates():
    rules = VotingRules(method=Method.RANKING)
    clean = RankingBallot(("m3", "m1")).validate(rules, MEASURES)
    assert clean.order == ("m3", "m1")
    assert clean.rows() == [("m3", "", 1.0), ("m1", "", 2.0)]
    assert RankingBallot.from_rows(list(reversed(clean.rows()))) == clean
    with pytest.raises(ValidationError):
        RankingBallot(("m1", "m3", "m1")).validate(rules, MEASURES)
    with pytest.raises(ValidationError):
        RankingBallot(()).validate(rules, MEASURES)
    with pytest.raises(ValidationError):
        RankingBallot(("m1", "m7")).validate(rules, MEASURES)


# --- translated messages ----------------------------------------------------------------------

GERMAN = {
    "“{field}” needs at least {min} characters.": "„{field}“ braucht mindestens {min} Zeichen.",
    "“{field}” contains control characters.": "„{field}“ enthält Steuerzeichen.",
    "Title": "Titel",
    "Description": "Beschreibung",
    "Line {line}: {problem}": "Zeile {line}: {problem}",
}


class FakeGettext:
    def __init__(self):
        self.asked: list[str] = []

    def __call__(self, msgid: str) -> str:
        self.asked.append(msgid)
        return GERMAN.get(msgid, msgid)


def test_message_translates_msgid_and_field_label():
    with pytest.raises(ValidationError) as info:
        measure(title="ab").validated()
    assert info.value.message(i18n.gettext_for("de")) == "„Titel“ braucht mindestens 3 Zeichen."
    gettext = FakeGettext()
    assert info.value.message(gettext) == "“Titel” needs at least 3 characters.", "the field's label translated"
    assert set(gettext.asked) == {"Title"}, "a plural sentence comes from the catalog's ngettext"
    assert info.value.message() == "“Title” needs at least 3 characters."
    assert str(info.value) == "“Title” needs at least 3 characters."


def test_a_refusal_with_a_number_takes_the_plural_form_of_its_language():
    """Issue 22.1 for refusals (errors.NP_): the number picks the form, in Russian one of three."""
    from workshop.errors import NP_

    pair = NP_("“{field}” needs at least {min} character.", "“{field}” needs at least {min} characters.")
    russian = i18n.gettext_for("ru")
    one, five = (ValidationError(pair, field="Title", min=n).message(russian) for n in (21, 5))
    assert one.endswith("21 символа.") and five.endswith("5 символов."), (one, five)  # "не менее": genitive
    assert ValidationError(pair, field="Title", min=1).message() == "“Title” needs at least 1 character."


def test_message_without_params_is_translated_as_is():
    err = DomainError("Title")
    assert err.message(FakeGettext()) == "Titel"


def test_import_error_lines_are_translated():
    err = ImportErrors([(7, "“{field}” contains control characters.", {"field": "Description"}), (None, "Title", {})])
    assert err.lines(FakeGettext()) == ["Zeile 7: „Beschreibung“ enthält Steuerzeichen.", "Titel"]
    assert err.lines() == ["Line 7: “Description” contains control characters.", "Title"]
    assert err.params == {"count": 2}


# --- properties -------------------------------------------------------------------------------


@st.composite
def dots_within_rules(draw):
    n_measures = draw(st.integers(1, 8))
    ids = [f"m{i}" for i in range(n_measures)]
    goals = {m: draw(st.sampled_from(["g1", "g2", "g3"])) for m in ids}
    cap = draw(st.integers(1, 10))
    per_measure = {m: draw(st.integers(0, cap)) for m in draw(st.lists(st.sampled_from(ids), unique=True))}
    total = sum(per_measure.values())
    rules = VotingRules(dots_per_person=max(cap, total, 1), max_per_measure=cap)
    return rules.validated(), goals, per_measure


@settings(max_examples=100, deadline=None)
@given(dots_within_rules())
def test_property_dots_within_rules_keep_their_total(case):
    rules, goals, dots = case
    total = sum(dots.values())
    if total == 0:
        with pytest.raises(ValidationError):
            DotBallot(dots).validate(rules, goals)
        return
    clean = DotBallot(dots).validate(rules, goals)
    assert sum(clean.dots.values()) == total
    assert clean.dots == {m: n for m, n in dots.items() if n}
    assert sum(v for _m, _c, v in clean.rows()) == total


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.sampled_from(["m1", "m2", "m3", "m4", "x"]), st.integers(-2, 6)), st.integers(1, 12))
def test_property_dot_ballots_are_kept_or_refused_never_changed(dots, total):
    rules = VotingRules(dots_per_person=max(total, 3), max_per_measure=3)
    try:
        clean = DotBallot(dots).validate(rules, MEASURES)
    except ValidationError:
        return
    assert all(0 < n <= 3 for n in clean.dots.values())
    assert sum(clean.dots.values()) == sum(dots.values()) <= rules.dots_per_person


def _normalised(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


@settings(max_examples=150, deadline=None)
@given(st.text(), st.booleans(), st.integers(0, 5), st.integers(5, 50))
def test_property_text_is_returned_stripped_or_refused(text, multiline, min_len, max_len):
    try:
        clean = clean_text(text, field_label="F", min_len=min_len, max_len=max_len, multiline=multiline)
    except ValidationError:
        return
    assert clean == _normalised(text)
    assert min_len <= len(clean) <= max_len
    allowed = {"\n", "\t"} if multiline else set()
    assert not any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in clean)


JUNK = st.one_of(
    st.integers(),
    st.none(),
    st.floats(allow_nan=True),
    st.booleans(),
    st.binary(max_size=10),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.text(),
)


@settings(max_examples=150, deadline=None)
@given(JUNK, st.booleans())
def test_property_any_value_is_text_or_a_validation_error(value, multiline):
    try:
        clean = clean_text(value, field_label="F", max_len=200, multiline=multiline)
    except ValidationError:
        return
    assert isinstance(clean, str)
    assert clean == ("" if value is None else _normalised(value))


@settings(max_examples=100, deadline=None)
@given(st.builds(MeasureInput, title=JUNK, description=JUNK, responsible=JUNK, cost=JUNK))
def test_property_measure_input_validates_or_refuses(data):
    try:
        clean = data.validated()
    except ValidationError:
        return
    assert 3 <= len(clean.title) <= 120
    assert clean.title == data.title.strip()


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(JUNK.filter(lambda v: v.__hash__ is not None), JUNK, max_size=4),
    st.lists(JUNK.filter(lambda v: v.__hash__ is not None), max_size=4),
)
def test_property_junk_ballots_are_validation_errors(mapping, items):
    for ballot, rules in (
        (DotBallot(mapping), DOTS),
        (RatingBallot(mapping), RATING),
        (RatingBallot({"m1": mapping}), RATING),
        (ApprovalBallot(frozenset(items)), VotingRules(method=Method.APPROVAL)),
        (RankingBallot(tuple(items)), VotingRules(method=Method.RANKING)),
    ):
        try:
            ballot.validate(rules, MEASURES)
        except ValidationError:
            pass


@pytest.mark.parametrize(
    "title",
    [
        "\u200b\u200b\u200b\u200b",
        "\u202e\u202e\u202eab",
        "\u2060\u2060\u2060",
        "\u3164\u3164\u3164",
        "a\u0301\u0301\u0301\u0301",
        "\u0301\u0301\u0301",
        "ab\u00a0\u200b",
    ],
)
def test_a_title_of_invisible_characters_is_too_short(title):
    """Issue 18.9: invisible characters passed the 3-character minimum."""
    with pytest.raises(ValidationError, match="at least 3"):
        MeasureInput(title=title).validated()


@pytest.mark.parametrize("title", ["Café", "مقهى", "भाषा", "Kita", "a\u0301bc"])
def test_short_real_titles_in_any_script_pass(title):
    assert MeasureInput(title=title).validated().title == title
