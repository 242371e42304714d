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
    assert counts["yaxis"]["title"]["text"] == "Anzahl" and counts["yaxis"]["rangemode"] == "tozero"
    matrix = BUILDS["matrix"]().to_plotly_json()["layout"]
    assert (matrix["xaxis"]["title"]["text"], matrix["yaxis"]["title"]["text"]) == ("Wirkung", "Machbarkeit")
    assert sorted((s.get("x0"), s.get("y0")) for s in matrix["shapes"]) == [(0, 3), (3, 0)]
    ratings = BUILDS["ratings"]().to_plotly_json()
    assert ratings["layout"]["barmode"] == "stack" and ratings["layout"]["showlegend"] is True
    assert [t["name"] for t in ratings["data"]] == ["1", "2", "3", "4", "5"]


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
