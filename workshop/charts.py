"""Plotly figures built from read-model frames (``go.Figure`` from dicts: ~1 ms each, no plotly.express).

Pure functions, testable without a browser. Titles and axis labels arrive translated; measure
titles are set as plain text (plotly does not render Markdown, and ``<`` is escaped below).
"""

from __future__ import annotations

import html
import math
import textwrap
from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go

PALETTE = ["#0B5394", "#B45F06", "#38761D", "#741B47", "#134F5C", "#7F6000"]

Number = Callable[[float], str]


def _plain(value: float) -> str:
    return f"{value:g}"


def _number_axis(number: Number | None, top: float, step: float | None = None, start: float = 0, most: int = 6) -> dict:
    """Tick values and texts written by ``number`` (the reader's digits and decimal sign: plotly
    writes Latin digits and a decimal point in every language, and has no setting for either).
    Without a ``number`` plotly places and writes the ticks itself. At most ``most`` ticks, level
    (plotly shows every tick it is given, and turned them sideways on a phone when they crowded)."""
    if number is None:
        return {}
    step = step or _nice_step(top - start)
    while (max(top, start) - start) / step + 1 > most:
        step = _next_step(step)
    count = int(math.floor((max(top, start) - start) / step + 1e-9)) + 1
    values = [round(start + i * step, 10) for i in range(count + 1)]
    return {"tickmode": "array", "tickvals": values, "ticktext": [number(v) for v in values], "tickangle": 0}


def _next_step(step: float) -> float:
    """The next step up in the 1-2-5 series: 1 → 2 → 5 → 10, 0.5 → 1."""
    power = 10 ** math.floor(math.log10(step) + 1e-9)
    lead = round(step / power)
    return (2 if lead < 2 else 5 if lead < 5 else 10) * power


def _nice_step(span: float) -> float:
    """A step of 1, 2 or 5 times a power of ten that cuts ``span`` into about five to eight ticks."""
    if span <= 0:
        return 1
    power = 10 ** math.floor(math.log10(span / 6))
    return next(m * power for m in (1, 2, 5, 10) if span / (m * power) <= 8)


def _label(text: str, width: int = 42, lines: int = 4) -> str:
    """User text as a plotly label: escaped (plotly reads a small HTML subset), wrapped with <br>,
    at most ``lines`` lines; a longer text ends in "…" (never silently cut)."""
    wrapped = textwrap.wrap(str(text), width)
    if len(wrapped) > lines:
        wrapped = wrapped[:lines]
        wrapped[-1] = wrapped[-1][: max(1, width - 1)].rstrip() + "…"
    # Only &, < and > are escaped: plotly decodes &amp; &lt; &gt; but shows &quot; as typed.
    return "<br>".join(html.escape(line, quote=False) for line in wrapped) or " "


def _lines(label: str) -> int:
    return label.count("<br>") + 1


def _font(size: int) -> dict:
    return {"size": size, "color": "#111"}


def _axis(size: int, title: str | None = None, **extra) -> dict:
    title_part = {"font": _font(size)} if title is None else {"text": title, "font": _font(size)}
    return {"tickfont": _font(size), "title": title_part, **extra}


def _figure(traces: list, title: str, height: float, large: bool, *, xaxis=None, yaxis=None, **layout) -> go.Figure:
    """A figure with the house layout, built from nested dicts in one constructor call.

    Plotly parses every property name with an underscore (``plot_bgcolor``, ``marker_color``,
    ``update_layout(title_font=...)``) through a slow path that defines a class per call: the
    same chart built with ``update_*`` calls took 10 ms and left ~260 classes for the garbage
    collector (the projector redraws every second); built like this 1.3 ms and 4.
    """
    size = 22 if large else 14
    base = {
        "title": {"text": _label(title, 70 if large else 44, 2), "font": {"size": size + 6}},
        "font": _font(size),
        "height": height,
        "margin": {"l": 10, "r": 60, "t": 60, "b": 40},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "showlegend": False,
        "xaxis": _axis(size, **(xaxis or {})),
        "yaxis": _axis(size, **(yaxis or {})),
    }
    return go.Figure(data=traces, layout=base | layout)


def goal_colours(goal_titles) -> dict[str, str]:
    """One colour per goal, in the goals' order: the same goal has the same colour on the
    projector, the results page and in the report."""
    return {g: PALETTE[i % len(PALETTE)] for i, g in enumerate(dict.fromkeys(goal_titles))}


def ranking_bars(
    ranked: pd.DataFrame,
    title: str,
    score_label: str,
    *,
    top: int = 10,
    large: bool = False,
    within_goal: bool = False,
    colours: dict[str, str] | None = None,
    legend: bool = False,
    label_width: int | None = None,
    number: Number | None = None,
) -> go.Figure:
    """Horizontal bars, best at the top, each labelled with its place (shared by equal scores:
    "2." three times, then "5."); colour by goal (``colours``: title -> colour, for the same
    colours on every chart of a workshop), with a legend of the goals if asked for. ``number``
    writes places, scores and ticks in the reader's language (``i18n.format_number``)."""
    write = number or _plain
    order, place = ("rank_goal", "place_goal") if within_goal else ("rank_overall", "place_overall")
    data = ranked.nsmallest(top, order)
    goal_col = data["goal_title"] if "goal_title" in data else data["goal_id"]
    colour = colours or goal_colours(ranked["goal_title"] if "goal_title" in ranked else ranked["goal_id"])
    places = data[place] if place in data else data[order]
    rows = list(zip(places, data["title"], data["score"], goal_col, strict=True))[::-1]
    width = label_width or (34 if large else 42)
    # Where the title shown is a translation: the original in small type under it (``original``).
    originals = list(data["original"] if "original" in data else [""] * len(data))[::-1]
    under = '<br><span style="font-size:{px}px">{text}</span>'
    px = 16 if large else 11
    labels = [
        _label(f"{write(p)}. {t}", width) + (under.format(px=px, text=_label(o, width, 2)) if o else "")
        for (p, t, _s, _g), o in zip(rows, originals, strict=True)
    ]
    bars = go.Bar(
        x=[s for _p, _t, s, _g in rows],
        y=labels,
        orientation="h",
        marker={"color": [colour.get(g, PALETTE[0]) for *_rest, g in rows]},
        text=[write(s) for _p, _t, s, _g in rows],
        textposition="outside",
        cliponaxis=False,  # the value next to the longest bar stays whole
        hovertext=[html.escape(str(g), quote=False) for *_rest, g in rows],
        showlegend=False,
    )
    traces = [bars]
    layout = {}
    if legend:
        # One empty trace per goal shown: the legend says which colour is which goal.
        present = set(goal_col)
        shown = [g for g in colour if g in present] + [g for g in dict.fromkeys(goal_col) if g not in colour]
        traces += [
            go.Bar(x=[None], y=[None], orientation="h", name=_label(g, 60), marker={"color": colour.get(g, PALETTE[0])})
            for g in shown
        ]
        size = 22 if large else 14
        # Above the bars, under the title: below them it would run into the axis labels.
        layout = {
            "showlegend": True,
            "legend": {
                "orientation": "h",
                "x": 0,
                "xanchor": "left",
                "y": 1.0,
                "yanchor": "bottom",
                "font": _font(size - 2),
            },
            "margin": {"l": 10, "r": 60, "t": 70 + (size + 14) * len(shown), "b": 40},
        }
    # Each bar as high as its label needs (a wrapped title takes a line per row of text).
    per_line, least = (26, 52) if large else (19, 40)  # ten two-line bars fit a 1080p wall
    rows_height = sum(max(least, per_line * _lines(y) + 14) for y in bars.y)
    if any(originals):
        # Plotly gives every row the same height: the tallest label (a title and its original) sets it.
        rows_height = len(bars.y) * max(least, per_line * max(_lines(y) for y in bars.y) + 14)
    height = max(560 if large else 300, 80 + rows_height)
    height += (36 if large else 24) * len(set(goal_col)) if legend else 0
    xaxis = {"title": score_label, "showgrid": True, "gridcolor": "#ddd", "rangemode": "tozero"}
    top_score = float(data["score"].max()) if len(data) else 1.0
    if integer_scores(data["score"]):
        xaxis |= {"tickformat": "d", "dtick": _integer_step(top_score)}
        xaxis |= _number_axis(number, top_score, _integer_step(top_score))
    else:
        xaxis |= _number_axis(number, top_score)
    return _figure(traces, title, height, large, xaxis=xaxis, yaxis={"automargin": True}, **layout)


def integer_scores(values) -> bool:
    """Counts (dots, supporters, Borda points) step in whole numbers; means do not."""
    return all(float(v).is_integer() for v in values)


def _integer_step(top: float) -> int:
    """A whole-number tick step with at most about 8 ticks (1, 2, 5, 10, 20, 50 …)."""
    step = 1
    while top / step > 8:
        step = step * 5 // 2 if str(step).startswith("2") else step * 2
    return step


def count_bars(
    labels: list[str],
    values: list[int],
    title: str,
    value_label: str,
    *,
    large: bool = False,
    colours: list[str] | None = None,
    number: Number | None = None,
) -> go.Figure:
    """Horizontal bars of whole counts (proposals per goal, ballots per working group): a long
    label (a guiding question) wraps beside its bar instead of being cut under it, and the
    axis steps in whole numbers. ``colours``: one per bar (the goals' colours)."""
    rows = list(zip(labels, values, colours or [PALETTE[0]] * len(labels), strict=True))[::-1]
    bars = go.Bar(
        x=[v for _l, v, _c in rows],
        y=[_label(lbl, 30 if large else 36) for lbl, _v, _c in rows],
        orientation="h",
        marker={"color": [c for *_rest, c in rows]},
        text=[(number or _plain)(v) for _l, v, _c in rows],
        textposition="outside",
        cliponaxis=False,  # the value next to the longest bar stays whole
    )
    top = max(values, default=0)
    xaxis = {
        "title": value_label,
        "showgrid": True,
        "gridcolor": "#ddd",
        "rangemode": "tozero",
        "tickformat": "d",
        "dtick": _integer_step(max(top, 1)),
        "range": [0, max(top, 1) * 1.15],
        **_number_axis(number, max(top, 1), _integer_step(max(top, 1))),
    }
    height = max(300 if not large else 420, 80 + (80 if large else 56) * len(labels))
    return _figure([bars], title, height, large, xaxis=xaxis, yaxis={"automargin": True})


def matrix(
    ranked: pd.DataFrame,
    x_col: str,
    y_col: str,
    title: str,
    x_label: str,
    y_label: str,
    *,
    large: bool = False,
    number: Number | None = None,
) -> go.Figure:
    """Impact × feasibility: one dot per rated measure, quadrants at the scale's midpoint. The axis
    titles name rating criteria, whose labels a facilitator or a file sets: escaped like any user text."""
    data = ranked.dropna(subset=[x_col, y_col])
    dots = go.Scatter(
        x=data[x_col],
        y=data[y_col],
        mode="markers+text",
        text=[(number or _plain)(r) for r in data["place_overall" if "place_overall" in data else "rank_overall"]],
        textposition="top center",
        hovertext=[_label(t) for t in data["title"]],
        marker={"size": 16 if large else 11, "color": PALETTE[0]},
    )
    scale = {"range": [0.8, 5.2], "dtick": 1, "showgrid": True, "gridcolor": "#ddd", **_number_axis(number, 5, 1, 1)}
    midpoint = {"type": "line", "line": {"dash": "dot", "color": "#888"}}
    quadrants = [
        {**midpoint, "xref": "x domain", "x0": 0, "x1": 1, "yref": "y", "y0": 3, "y1": 3},
        {**midpoint, "xref": "x", "x0": 3, "x1": 3, "yref": "y domain", "y0": 0, "y1": 1},
    ]
    return _figure(
        [dots],
        title,
        560 if large else 440,
        large,
        xaxis={"title": _label(x_label, 60, 2), **scale},
        yaxis={"title": _label(y_label, 60, 2), **scale},
        shapes=quadrants,
    )


RATING_COLOURS = ("#B2182B", "#EF8A62", "#BDBDBD", "#67A9CF", "#2166AC")  # 1 (low) … 5 (high), colour-blind safe


def rating_distribution(
    votes: pd.DataFrame,
    ranked: pd.DataFrame,
    title: str,
    count_label: str,
    *,
    criterion: str | None = None,
    top: int | None = None,
    scale: tuple[int, int] = (1, 5),
    large: bool = False,
    number: Number | None = None,
) -> go.Figure:
    """Stacked bars of how many ratings 1…5 each measure got (one criterion or all), best at the top."""
    if criterion is not None:
        votes = votes[votes["criterion"] == criterion]
    order = ranked.sort_values("rank_overall")
    if top is not None:
        order = order.head(top)
    order = order[order["measure_id"].isin(votes["measure_id"])]
    values = list(range(scale[0], scale[1] + 1))
    counts = pd.crosstab(votes["measure_id"], votes["value"].round().astype(int))
    counts = counts.reindex(index=order["measure_id"], columns=values, fill_value=0).fillna(0)
    places = order["place_overall"] if "place_overall" in order else order["rank_overall"]
    write = number or _plain
    labels = [_label(f"{write(r)}. {t}") for r, t in zip(places, order["title"], strict=True)][::-1]
    bars = [
        go.Bar(
            x=counts[v].to_numpy()[::-1],
            y=labels,
            name=write(v),
            orientation="h",
            marker={"color": RATING_COLOURS[i % len(RATING_COLOURS)]},
            customdata=[write(c) for c in counts[v].to_numpy()[::-1]],
            hovertemplate="%{y}: %{customdata}<extra>" + write(v) + "</extra>",
        )
        for i, v in enumerate(values)
    ]
    most = float(counts.sum(axis=1).max()) if len(counts) else 1.0
    return _figure(
        bars,
        title,
        max(300, 90 + 40 * len(order) * (1.4 if large else 1)),
        large,
        xaxis={
            "title": count_label,
            "showgrid": True,
            "gridcolor": "#ddd",
            "tickformat": "d",
            **_number_axis(number, most, _integer_step(max(most, 1))),
        },
        yaxis={"automargin": True},
        barmode="stack",
        showlegend=True,
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "traceorder": "normal"},
        margin={"l": 10, "r": 60, "t": 90, "b": 40},
    )
