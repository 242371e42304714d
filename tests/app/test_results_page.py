"""The results page: renders for the facilitation team with every method, offers the downloads, refuses others.

The page runs behind a minimal router of its own, so these tests do not depend on the menu of app.py.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from ui import common
from workshop import exports, i18n, scoring, services, views
from workshop.config import ROOT

ROUTER = f"""
import streamlit as st
from ui import common

common.get_db()
st.navigation([st.Page({str(ROOT / "app_pages" / "results.py")!r}, url_path="results")]).run()
"""
DOWNLOADS = {"dl_csv", "dl_csv_semicolon", "dl_xlsx", "dl_pdf", "dl_backup"}


def results_page(facilitator=None, lang: str = "de") -> AppTest:
    at = AppTest.from_string(ROUTER, default_timeout=60)
    at.query_params["lang"] = lang
    if facilitator is not None:
        at.session_state["facilitator"] = facilitator
    return at


def _no_exception(at):
    assert not at.exception, [e.value for e in at.exception]


@pytest.fixture(scope="module")
def page(app_db, facilitator) -> AppTest:
    return results_page(facilitator).run()


def test_renders_for_the_facilitator_with_all_downloads(page, workshop):
    _no_exception(page)
    assert not page.warning and not page.error
    assert {b.key for b in page.get("download_button")} == DOWNLOADS
    assert page.selectbox(key="results_workshop:de").value == workshop.id
    own = scoring.METHOD_FOR_BALLOTS[workshop.rules.method]
    assert page.selectbox(key="results_method:de").value == own
    assert len(page.get("plotly_chart")) >= 4, "overall, one per goal, turnout, ratings"
    tables = page.dataframe
    assert len(tables) == 5, "ranking, turnout, stability, close calls, consensus"
    ranking = tables[0].value
    assert len(ranking) == int(page.metric[1].value), "every measure ranked"
    assert list(ranking.iloc[:, 2]) == list(range(1, len(ranking) + 1)), "best first, in the tie-break's order"
    # The rank column shares a rank between equal scores (the demo has ties) and skips after them.
    # By name: where other tests left translated proposals, an "Original" column comes after the title.
    scores, ranks = list(ranking[i18n.gettext_for("de")("Score")]), list(ranking.iloc[:, 0])
    assert ranks == [1 + sum(s > x for s in scores) for x in scores]
    assert len(set(ranks)) < len(ranks), "the demo has a tie: shown as a shared rank"


def test_every_method_with_ballots_can_be_chosen(page, app_db, workshop):
    counts = {k: services.count_ballots(app_db, workshop.id, m.ballot_method) for k, m in scoring.METHODS.items()}
    with_ballots = [k for k, n in counts.items() if n]
    assert len(with_ballots) == 4, "the demo has ballots of every method"
    assert page.selectbox(key="results_method:de").options == [
        page.selectbox(key="results_method:de").format_func(k) for k in with_ballots
    ]
    for key in with_ballots:
        page.selectbox(key="results_method:de").set_value(key).run()
        _no_exception(page)
        assert {b.key for b in page.get("download_button")} == DOWNLOADS


def test_filters_by_goal_and_group(page, app_db, workshop):
    goal = services.list_goals(app_db, workshop.id)[0]
    page.selectbox(key="results_goal:de").set_value(goal.id).run()
    _no_exception(page)
    shown = page.metric[2].value
    total = page.metric[1].value
    assert 0 < int(shown) < int(total)
    group = page.selectbox(key="results_group:de").options[1]
    page.selectbox(key="results_group:de").select(group).run()
    _no_exception(page)
    assert int(page.metric[2].value) <= int(shown)
    page.toggle(key="results_close_only").set_value(False).run()
    _no_exception(page)


def test_reads_each_measure_in_the_pages_language_with_the_original_beside_it(
    app_db, facilitator, workshop, monkeypatch
):
    """A measure translated to the page's language: its title so in the chart and the table, the
    original in a column next to it; the downloads keep the original (exports.ranking_table)."""
    from workshop.model import MeasureInput, Phase

    ranked = views.ranking(app_db, workshop)
    best = ranked[ranked["rank_overall"] == 1].iloc[0]
    phase = services.get_workshop(app_db, workshop.id).phase
    services.set_phase(app_db, facilitator, workshop.id, Phase.REVIEW)
    services.translate_measure(app_db, facilitator, best["measure_id"], "en", MeasureInput("A monthly democracy café"))
    try:
        services.set_phase(app_db, facilitator, workshop.id, phase)
        common.cached_version.clear()
        exported = []
        real_csv = exports.ranking_csv
        monkeypatch.setattr(
            exports, "ranking_csv", lambda ranked, **kw: exported.append(ranked) or real_csv(ranked, **kw)
        )
        at = results_page(facilitator, lang="en").run()
        _no_exception(at)
        table = at.dataframe[0].value
        columns = list(table.columns)
        assert columns.index("Original") == columns.index("Title") + 1
        assert table.iloc[0]["Title"] == "A monthly democracy café" and table.iloc[0]["Original"] == best["title"]
        assert set(table["Original"].iloc[1:]) == {""}, "nothing beside an untranslated title"
        assert at.dataframe[4].value.iloc[0]["title"] == "A monthly democracy café", "consensus, as read"
        # The downloads carry what was written, whatever the page's language (a walk found the
        # German console's CSV, Excel and PDF holding the German versions as the originals).
        assert exported and all(best["title"] in set(frame["title"]) for frame in exported)
        assert all("A monthly democracy café" not in set(frame["title"]) for frame in exported)
        german = results_page(facilitator).run().dataframe[0].value
        assert best["title"] in set(german["Titel"]) and "A monthly democracy café" not in set(german["Titel"])
    finally:
        services.set_phase(app_db, facilitator, workshop.id, Phase.REVIEW)
        services.remove_translation(app_db, facilitator, best["measure_id"], "en")
        services.set_phase(app_db, facilitator, workshop.id, phase)
        common.cached_version.clear()


def test_english(app_db, facilitator):
    at = results_page(facilitator, lang="en").run()
    _no_exception(at)
    assert at.title[0].value == "Results"


def test_a_change_of_language_redraws_the_boxes_and_keeps_the_choices(app_db, facilitator, workshop):
    """Streamlit kept a keyed select box's option texts from its first run: after the sidebar's
    language changed, the method and filter boxes still spoke the old language."""
    at = results_page(facilitator, lang="de").run()
    keys = at.selectbox(key="results_method:de").options
    chosen = [k for k in scoring.METHODS if k != at.selectbox(key="results_method:de").value][0]
    at.selectbox(key="results_method:de").set_value(chosen).run()
    at.query_params["lang"] = "fa"
    at.run()
    _no_exception(at)
    box = at.selectbox(key="results_method:fa")
    assert box.value == chosen, "the choice carries over"
    assert box.options != keys and any(ch in "".join(box.options) for ch in "۰۱۲۳۴۵۶۷۸۹"), box.options
    assert not at.warning, [w.value for w in at.warning]


def test_refuses_without_login(app_db):
    at = results_page().run()
    _no_exception(at)
    assert at.warning, "the page asks for the facilitator login"
    assert not at.get("download_button")
    assert not at.get("plotly_chart")


def test_refuses_a_forged_login(app_db):
    from workshop.auth import Facilitator

    at = results_page(Facilitator("forged-key")).run()
    assert at.warning and not at.get("download_button")


def test_rating_distribution_chart_counts_ratings_per_measure():
    """The page's ratings chart (charts.rating_distribution): 1–5 counts, best-ranked measure on top."""
    import pandas as pd

    from workshop import charts

    ranked = pd.DataFrame({"measure_id": ["a", "b", "c"], "title": ["<b>A</b>", "Bé", "C"], "rank_overall": [2, 1, 3]})
    votes = pd.DataFrame(
        {
            "ballot_id": ["x", "y", "z", "x", "y", "x"],
            "measure_id": ["a", "a", "a", "b", "b", "a"],
            "criterion": ["impact"] * 5 + ["feasibility"],
            "value": [5.0, 5.0, 1.0, 3.0, 4.0, 2.0],
        }
    )
    fig = charts.rating_distribution(votes, ranked, "Ratings", "Number", criterion="impact")
    assert [t.name for t in fig.data] == ["1", "2", "3", "4", "5"]
    assert list(fig.data[0].y) == ["2. &lt;b&gt;A&lt;/b&gt;", "1. Bé"], "best at the top (plotly draws upwards)"
    counts = {t.name: list(t.x) for t in fig.data}
    assert counts == {"1": [1, 0], "2": [0, 0], "3": [0, 1], "4": [0, 1], "5": [2, 0]}
    all_criteria = charts.rating_distribution(votes, ranked, "Ratings", "Number")
    assert list(all_criteria.data[1].x) == [1, 0], "the feasibility 2 counts when no criterion is chosen"
    assert fig.layout.barmode == "stack"


# --- paper ballots (issue 23) -----------------------------------------------------------------


def test_a_workshop_without_paper_ballots_says_nothing_of_paper(page):
    texts = [c.value for c in page.caption] + [i.value for i in page.info]
    assert not any("Papier" in t or "paper" in t for t in texts), texts


def test_the_ballots_by_channel_and_a_note_while_paper_ballots_are_entered(app_db, facilitator):
    """Issue 23: how many ballots came from phones and from paper, and the invalid ones; after the
    vote, while paper ballots are still entered, the results may change."""
    from workshop import demo
    from workshop.model import DotBallot, Phase

    ws = demo.build(app_db)  # the newest workshop: the page opens on it until it is deleted
    try:
        measure = services.list_measures(app_db, ws.id)[0].id
        numbers = [n for n, _code in services.print_sheets(app_db, facilitator, ws.id, 4)]
        for n in numbers[:2]:
            services.enter_sheet(app_db, facilitator, ws.id, str(n), DotBallot({measure: 1}))
        services.enter_sheet(app_db, facilitator, ws.id, str(numbers[2]), None, invalid="empty")
        services.set_phase(app_db, facilitator, ws.id, Phase.RESULTS)
        channels = services.channel_counts(app_db, ws.id)
        common.cached_version.clear()

        at = results_page(facilitator, lang="en").run()
        _no_exception(at)
        assert at.selectbox(key="results_workshop:en").value == ws.id
        sentence = (
            f"{channels.valid} ballots: {channels.digital} from phones and tablets, 2 on paper; 1 paper ballot invalid"
        )
        captions = [c.value for c in at.caption]
        assert sentence in captions, captions
        assert any(c.startswith(sentence) and "the table counts phones and tablets" in c for c in captions), "turnout"
        assert [i.value for i in at.info] == ["Paper ballots are still being entered, so the results may still change."]

        services.set_paper_options(app_db, facilitator, ws.id, closed=True)
        at = results_page(facilitator, lang="en").run()
        _no_exception(at)
        assert not at.info, "entry has ended: the results are final"
        assert sentence in [c.value for c in at.caption]
    finally:
        services.delete_workshop(app_db, facilitator, ws.id)
        common.cached_version.clear()
