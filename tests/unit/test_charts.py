"""The figures of workshop.charts: house layout, escaped user text, and built without plotly's slow
property-path parsing (it defines a class per underscore property; see charts._figure)."""

from __future__ import annotations

import pandas as pd
import plotly.basedatatypes
import pytest

from workshop import charts

RANKED = pd.DataFrame(
    {
        "measure_id": ["a", "b", "c"],
        "goal_id": ["g1", "g2", "g1"],
        "goal_title": ["Ziel 1", "Ziel 2", "Ziel 1"],
        "title": ["Sprachcafé <b>laut</b>", "Nachbarschaftsfest", "Beratung"],
        "score": [5.0, 3.5, 1.0],
        "rank_overall": [1, 2, 3],
        "rank_goal": [1, 1, 2],
        "place_overall": [1, 2, 3],
        "place_goal": [1, 1, 2],
        "mean_impact": [4.0, 2.5, None],
        "mean_feasibility": [3.0, 4.5, 2.0],
    }
)
VOTES = pd.DataFrame(
    {
        "ballot_id": ["x", "x", "y", "y"],
        "measure_id": ["a", "b", "a", "c"],
        "criterion": ["impact", "impact", "feasibility", "impact"],
        "value": [5.0, 3.0, 4.0, 1.0],
    }
)
BUILDS = {
    "ranking": lambda: charts.ranking_bars(RANKED, "Rangfolge <script>", "Punkte", top=2, large=True),
    "counts": lambda: charts.count_bars(["Ziel <1>", "Ziel 2"], [3, 0], "Vorschläge", "Anzahl"),
    "matrix": lambda: charts.matrix(RANKED, "mean_impact", "mean_feasibility", "Matrix", "Wirkung", "Machbarkeit"),
    "ratings": lambda: charts.rating_distribution(VOTES, RANKED, "Verteilung", "Anzahl", criterion="impact"),
}


@pytest.mark.parametrize("name", BUILDS)
def test_house_layout_and_escaped_text(name):
    fig = BUILDS[name]().to_plotly_json()
    layout = fig["layout"]
    assert layout["paper_bgcolor"] == layout["plot_bgcolor"] == "white"
    assert layout["font"] == {"size": 14 if name != "ranking" else 22, "color": "#111"}
    assert "<" not in layout["title"]["text"].replace("<br>", "")
    for trace in fig["data"]:
        for label in list(trace.get("x", [])) + list(trace.get("y", [])) + list(trace.get("hovertext", []) or []):
            if isinstance(label, str):
                assert "<b>" not in label and "<1>" not in label  # user text arrives escaped
    for axis in ("xaxis", "yaxis"):
        assert layout[axis]["tickfont"]["color"] == "#111"


def test_axis_titles_and_the_matrix_quadrants():
    counts = BUILDS["counts"]().to_plotly_json()["layout"]
    assert counts["xaxis"]["title"]["text"] == "Anzahl" and counts["xaxis"]["rangemode"] == "tozero"
    matrix = BUILDS["matrix"]().to_plotly_json()["layout"]
    assert (matrix["xaxis"]["title"]["text"], matrix["yaxis"]["title"]["text"]) == ("Wirkung", "Machbarkeit")
    assert sorted((s.get("x0"), s.get("y0")) for s in matrix["shapes"]) == [(0, 3), (3, 0)]
    ratings = BUILDS["ratings"]().to_plotly_json()
    assert ratings["layout"]["barmode"] == "stack" and ratings["layout"]["showlegend"] is True
    assert [t["name"] for t in ratings["data"]] == ["1", "2", "3", "4", "5"]


def test_the_matrix_axes_show_criterion_labels_as_text():
    """A criterion's label is set by a facilitator or a file; plotly would make <b> and <a href> of it."""
    label = "<b>Wirkung</b> <a href=http://evil.example>mehr</a> & Co"
    layout = charts.matrix(RANKED, "mean_impact", "mean_feasibility", "Matrix", label, label).to_plotly_json()["layout"]
    escaped = "&lt;b&gt;Wirkung&lt;/b&gt; &lt;a href=http://evil.example&gt;mehr&lt;/a&gt; &amp; Co"
    assert layout["xaxis"]["title"]["text"].replace("<br>", " ") == escaped
    assert layout["yaxis"]["title"]["text"].replace("<br>", " ") == escaped


@pytest.mark.parametrize("name", BUILDS)
def test_no_property_paths_parsed_the_slow_way(name, monkeypatch):
    calls = []
    original = plotly.basedatatypes.chomp_empty_strings
    monkeypatch.setattr(
        plotly.basedatatypes, "chomp_empty_strings", lambda *a, **k: calls.append(a) or original(*a, **k)
    )
    BUILDS[name]()
    # The slow path runs for the few underscore names inside the layout dict (paper_bgcolor, ...);
    # built with update_* calls and magic underscores it ran ~260 times per chart.
    assert len(calls) <= 10


# --- what the wall and the phones showed wrong (issue 16, item 11 and 12) ---------------------


def test_count_axes_step_in_whole_numbers():
    """Proposals and ballots are counts: no tick at 0.2, 0.4 … (plotly's default for 0–1)."""
    for values in ([1, 0], [3, 2, 1], [0, 0], [47, 12, 130]):
        axis = charts.count_bars([f"Ziel {i}" for i in range(len(values))], values, "T", "N").to_plotly_json()
        xaxis = axis["layout"]["xaxis"]
        assert xaxis["tickformat"] == "d" and isinstance(xaxis["dtick"], int) and xaxis["dtick"] >= 1
        assert max(max(values), 1) / xaxis["dtick"] <= 8, "at most about 8 ticks"
    ranking = charts.ranking_bars(RANKED.assign(score=[5.0, 3.0, 1.0]), "T", "Punkte").to_plotly_json()
    assert ranking["layout"]["xaxis"]["tickformat"] == "d", "dots are whole numbers too"
    means = charts.ranking_bars(RANKED, "T", "Mittel").to_plotly_json()
    assert "tickformat" not in means["layout"]["xaxis"], "means (3.5) keep their decimals"


def test_long_guiding_questions_wrap_beside_their_bar_and_are_not_cut():
    question = "Wie erreichen wir Menschen ohne deutsches Wahlrecht, damit sie in Harburg mitreden können?"
    fig = charts.count_bars([question, "Kurz"], [4, 2], "Vorschläge", "Anzahl", large=True).to_plotly_json()
    (bars,) = fig["data"]
    assert bars["orientation"] == "h" and fig["layout"]["yaxis"]["automargin"] is True
    label = bars["y"][-1]  # the first question is drawn at the top
    assert "ohne deutsches Wahlrecht" in label.replace("<br>", " ") and "<br>" in label
    assert label.replace("<br>", " ").startswith("Wie erreichen wir") and "…" not in label


def test_ranking_labels_show_shared_places_and_the_left_margin_grows():
    tied = RANKED.assign(score=[3.0, 3.0, 1.0], place_overall=[1, 1, 3], place_goal=[1, 1, 2])
    fig = charts.ranking_bars(tied, "T", "Punkte").to_plotly_json()
    labels = [y.split(".")[0] for y in fig["data"][0]["y"]][::-1]
    assert labels == ["1", "1", "3"], "equal scores: one place, then the next place skips"
    assert fig["layout"]["yaxis"]["automargin"] is True, "labels like '2.' are not cut on the left"
    goal = charts.ranking_bars(tied[tied["goal_id"] == "g1"], "Ziel 1", "Punkte", within_goal=True).to_plotly_json()
    assert [y.split(".")[0] for y in goal["data"][0]["y"]][::-1] == ["1", "2"], "places within the goal"


def test_goal_colours_are_the_same_on_every_chart_and_the_legend_names_them():
    colours = charts.goal_colours(["Ziel 1", "Ziel 2", "Ziel 3"])
    only_g2 = RANKED[RANKED["goal_id"] == "g2"]
    alone = charts.ranking_bars(only_g2, "T", "P", colours=colours).to_plotly_json()
    assert alone["data"][0]["marker"]["color"] == [colours["Ziel 2"]], "a goal keeps its colour on a chart of its own"
    fig = charts.ranking_bars(RANKED, "T", "P", colours=colours, legend=True).to_plotly_json()
    legend = {t["name"]: t["marker"]["color"] for t in fig["data"][1:]}
    assert legend == {"Ziel 1": colours["Ziel 1"], "Ziel 2": colours["Ziel 2"]}
    assert fig["layout"]["showlegend"] is True and fig["data"][0]["showlegend"] is False


def test_a_double_quote_in_a_title_is_shown_as_typed():
    """Issue 18.10: `&quot;` appeared literally in chart labels (plotly decodes &amp; &lt; &gt; only)."""
    label = charts._label('Café "Miteinander" & <b>Nachbarn</b>')
    assert '"Miteinander"' in label and "&quot;" not in label and "&#x27;" not in label
    assert "&lt;b&gt;" in label and "&amp;" in label, "markup stays text"


def test_a_translated_title_carries_its_original_in_small_type_escaped():
    """The projector's ranking (views.for_reader): the German title, the original under it."""
    ranked = pd.DataFrame(
        {
            "measure_id": ["a", "b"],
            "title": ["Ein Ausländerbeirat für Harburg", "Sprachcafé"],
            "original": ["Harburg için <yabancılar> meclisi", ""],
            "goal_id": ["g", "g"],
            "goal_title": ["Ziel", "Ziel"],
            "score": [5.0, 3.0],
            "rank_overall": [1, 2],
            "place_overall": [1, 2],
        }
    )
    labels = list(charts.ranking_bars(ranked, "R", "S", large=True).data[0].y)
    assert labels[-1].endswith('<span style="font-size:16px">Harburg için &lt;yabancılar&gt; meclisi</span>')
    assert labels[0] == "2. Sprachcafé", "no second line where the title is the original"


PERSIAN_DIGITS = set("۰۱۲۳۴۵۶۷۸۹")


def _persian(value):
    from workshop import i18n

    return i18n.format_number(value, "fa")


@pytest.mark.parametrize("name", BUILDS)
def test_a_persian_chart_writes_every_number_in_persian_digits(name):
    """Plotly writes Latin digits in every language: with the reader's ``number`` the places, the
    values beside the bars and the axis ticks are written by Babel (issue 22.4)."""
    build = {
        "ranking": lambda: charts.ranking_bars(RANKED, "Rangfolge", "Punkte", large=True, number=_persian),
        "counts": lambda: charts.count_bars(["Ziel 1", "Ziel 2"], [12, 3], "Vorschläge", "Anzahl", number=_persian),
        "matrix": lambda: charts.matrix(
            RANKED, "mean_impact", "mean_feasibility", "M", "Wirkung", "Machbarkeit", number=_persian
        ),
        "ratings": lambda: charts.rating_distribution(VOTES, RANKED, "V", "Anzahl", number=_persian),
    }[name]
    fig = build().to_plotly_json()
    shown = []
    for axis in ("xaxis", "yaxis"):
        shown += fig["layout"][axis].get("ticktext", [])
    assert fig["layout"]["xaxis"]["ticktext"], "the value axis carries its own tick texts"
    for trace in fig["data"]:
        shown += [t for t in trace.get("text", []) or [] if t]
        shown += list(trace.get("customdata", []) or [])
    if name in ("ranking", "ratings"):
        shown += [y.split(".")[0] for y in fig["data"][0]["y"]]  # "۱. Sprachcafé"
    assert shown
    for text in shown:
        assert not any(c.isascii() and c.isdigit() for c in text), text
        assert set(text) & PERSIAN_DIGITS, text


def test_a_german_chart_writes_a_decimal_comma_and_ticks_cover_the_top_value():
    from workshop import i18n

    fig = charts.ranking_bars(RANKED, "R", "Punkte", number=lambda v: i18n.format_number(v, "de")).to_plotly_json()
    assert "3,5" in fig["data"][0]["text"]
    ticks = fig["layout"]["xaxis"]["tickvals"]
    assert ticks[0] == 0 and ticks[-1] >= 5.0 and len(ticks) <= 10
    assert fig["layout"]["xaxis"]["ticktext"][1] == i18n.format_number(ticks[1], "de")


@pytest.mark.parametrize(("span", "step"), [(5.0, 1), (3.7, 0.5), (0.4, 0.05), (120, 20), (0, 1)])
def test_tick_steps_are_one_two_or_five_times_a_power_of_ten(span, step):
    assert charts._nice_step(span) == pytest.approx(step)
