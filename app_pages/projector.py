"""Projector view (Beamer): join QR and code, phase, timer, and the live chart of the phase.

Read from 15 metres: very large type, high contrast, no Streamlit chrome. Opens for a logged-in
facilitator, or with the read-only projector link from the console (``?view=…``).
"""

import base64
import html
import time
from datetime import datetime

import streamlit as st

from ui import common
from workshop import charts, hall, i18n, report, scoring, services, translation, views, vocabulary
from workshop.errors import N_
from workshop.model import Method, Phase

_ = common.gettext()
ngettext = common.ngettext()
db = common.get_db()
fac = common.facilitator()
workshop_id = services.projector_workshop(db, st.query_params.get("view"))
if workshop_id is None:
    common.require_facilitator()
    current = common.current_workshop()
    if current is None:
        st.info(_("There is no workshop yet."))
        st.stop()
    workshop_id = current.id

st.html(
    """<style>
    header[data-testid="stHeader"], section[data-testid="stSidebar"], [data-testid="stToolbar"],
    [data-testid="stSidebarCollapsedControl"], footer { display: none !important; }
    .stMain .block-container { max-width: 100% !important; padding: 1.2rem 2.5rem !important; }
    .stApp { background: #fff; color: #000; }
    .pj-phase { font-size: 3.2rem; font-weight: 800; margin: 0; line-height: 1.1; }
    .pj-title { font-size: 2rem; font-weight: 600; margin: 0; color: #222; }
    .pj-timer { font-size: 4rem; font-weight: 800; font-variant-numeric: tabular-nums; text-align: right; margin: 0; }
    .pj-code { font-size: 4.5rem; font-weight: 800; letter-spacing: .35rem; text-align: center; margin: 0;
      font-family: "DejaVu Sans Mono", monospace; }
    .pj-url { font-size: 1.5rem; text-align: center; margin: 0; overflow-wrap: anywhere; }
    .pj-big { font-size: 6rem; font-weight: 800; margin: 0; line-height: 1; }
    .pj-label { font-size: 2rem; margin: 0; }
    .pj-note { font-size: 2.4rem; margin: 2rem 0; }
    .pj-qr { display: block; width: 100%; max-width: 44vh; height: auto; margin: 0 auto; image-rendering: pixelated; }
    .pj-join { font-size: 1.9rem; font-weight: 600; text-align: center; margin: .6rem 0 0; line-height: 1.25; }
    .pj-join.pj-long { font-size: 1.45rem; }
    .pj-join-lang { font-size: 1.2rem; text-align: center; margin: 0; color: #333; }
    .pj-theme { font-size: 1.7rem; margin: .2rem 0 0; color: #333; }
    .pj-corner { text-align: center; }
    .pj-qr-small { width: 9rem; height: auto; image-rendering: pixelated; }
    .pj-code-small { font-size: 1.6rem; font-weight: 800; letter-spacing: .2rem; margin: 0;
      font-family: "DejaVu Sans Mono", monospace; }
    /* A projector of 1280×800 or 1366×768: the join instructions must fit without scrolling. */
    @media (max-height: 900px) {
      .stMain .block-container { padding: .6rem 2rem !important; }
      .pj-phase { font-size: 2.4rem; }
      .pj-title { font-size: 1.5rem; }
      .pj-theme { font-size: 1.25rem; }
      .pj-timer { font-size: 3rem; }
      .pj-qr { max-width: 36vh; }
      .pj-code { font-size: 3.2rem; }
      .pj-url { font-size: 1.1rem; }
      .pj-join { font-size: 1.45rem; margin-top: .3rem; }
      .pj-join.pj-long { font-size: 1.15rem; }
      .pj-join-lang { font-size: 1rem; }
      .pj-big { font-size: 4.5rem; }
      .pj-label { font-size: 1.5rem; }
    }
    @media (max-height: 820px) {
      .pj-phase { font-size: 2rem; }
      .pj-title { font-size: 1.3rem; }
      .pj-theme { font-size: 1.1rem; }
      .pj-qr { max-width: 31vh; }
      .pj-code { font-size: 2.7rem; }
      .pj-join { font-size: 1.3rem; }
      .pj-join.pj-long { font-size: 1.05rem; }
    }
    @media (max-width: 1100px) {  /* a narrow column for the way in: the instruction wraps more */
      .pj-url { font-size: 1rem; }
      .pj-join { font-size: 1.2rem; }
      .pj-join.pj-long { font-size: 1rem; }
    }
    </style>"""
)


@st.cache_data(show_spinner=False)
def qr_data_uri(url: str) -> str:
    """The join QR as an inline PNG (made once per link, not on every one-second refresh)."""
    return "data:image/png;base64," + base64.b64encode(hall.qr_png(url, scale=12)).decode()


@st.cache_data(max_entries=8, show_spinner=False)
def ranking(workshop_id: str, method_key: str, ballots: int, version: int):
    """Once voting is closed the ballots no longer change: recompute only when their count or the
    workshop's version does (a merge, a hidden measure, on any app process), not on every
    one-second refresh (at a million votes a ranking takes about a second)."""
    return views.ranking(db, services.get_workshop(db, workshop_id), method_key)


def join_link(ws) -> str:
    return hall.join_url(common.join_base(), ws.join_code)


JOIN_LANGUAGES = i18n.parse_list(st.query_params.get("jl"))
JOIN_TEXT = N_("Scan the QR code with your phone, or open the address and type the code.")
JOIN_LONG = 110  # characters: a longer instruction is set smaller, so that it fits under the code


def join_instructions() -> None:
    """The join instruction in one language after another (every 6 s), each in its own script."""
    lang = i18n.rotating(JOIN_LANGUAGES, time.time())
    text = i18n.gettext_for(lang)(JOIN_TEXT)
    attrs = f'lang="{i18n.locale_of(lang)}" dir="{"rtl" if i18n.is_rtl(lang) else "ltr"}"'
    size = "pj-join pj-long" if len(text) > JOIN_LONG else "pj-join"  # Leichte Sprache says it in twice the words
    st.html(
        f'<p class="{size}" {attrs}>{html.escape(text)}</p>'
        f'<p class="pj-join-lang" {attrs}>{html.escape(i18n.LANGUAGES[lang])}</p>'
    )


def countdown(ws) -> str:
    if not ws.phase_ends_at:
        return ""
    left = int((ws.phase_ends_at - datetime.now()).total_seconds())
    left = max(left, 0)
    # Minutes and seconds in the wall's digits (Persian: ۱۴:۳۷).
    return i18n.in_digits(f"{left // 60}:{left % 60:02d}", common.lang())


@st.fragment(run_every=1.0)
def live() -> None:
    """Re-read and redraw every second; charts keep their keys so they update in place."""
    ws = services.get_workshop(db, workshop_id)
    results = ws.phase == Phase.RESULTS and ws.results_revealed
    head_l, head_r = st.columns([4, 1], vertical_alignment="center")
    with head_l:
        st.html(f'<p class="pj-phase">{html.escape(_(services.phase_label(ws.phase)))}</p>')
        common.literal(ws.title, tag="p", cls="pj-title", lang=translation.MAIN_LANGUAGE)
        if ws.vision_title:
            common.literal(ws.vision_title, tag="p", cls="pj-theme", lang=translation.MAIN_LANGUAGE)
    with head_r:
        if results:
            # Once results show, the chart has the wall; the way in stays, small, in the corner.
            url = join_link(ws)
            alt = _("QR code with the join link {url}").format(url=url)
            st.html(
                f'<div class="pj-corner"><img class="pj-qr-small" alt="{html.escape(alt)}" src="{qr_data_uri(url)}">'
                f'<p class="pj-code-small">{ws.join_code}</p></div>'
            )
        else:
            st.html(f'<p class="pj-timer" role="timer">{countdown(ws)}</p>')
    if results:
        results_view(ws)
        return

    left, right = st.columns([1, 2.4], gap="large")
    with left:
        url = join_link(ws)
        alt = _("QR code with the join link {url}").format(url=url)
        st.html(f'<img class="pj-qr" alt="{html.escape(alt)}" src="{qr_data_uri(url)}">')
        st.html(f'<p class="pj-code">{ws.join_code}</p>')
        common.literal(url, tag="p", cls="pj-url")
        join_instructions()
    with right:
        phase_view(ws)


def phase_view(ws) -> None:
    counts = views.counts(db, ws)
    if ws.phase in (Phase.SETUP, Phase.COLLECT, Phase.REVIEW):
        per_goal = views.proposals_per_goal(db, ws.id)
        label = _("Proposals")
        st.html(
            f'<p class="pj-big">{common.number(counts["measures"])}</p><p class="pj-label">{html.escape(label)}</p>'
        )
        colours = charts.goal_colours(per_goal["goal"])
        st.plotly_chart(
            charts.count_bars(
                list(per_goal["goal"]),
                list(per_goal["proposals"]),
                _(vocabulary.term(ws.kind, "proposals_per_goal")),
                _("Proposals"),
                large=True,
                colours=[colours[g] for g in per_goal["goal"]],
                number=common.number,
            ),
            width="stretch",
            key="pj_chart",
            config={"displayModeBar": False, "staticPlot": True},
        )
    elif ws.phase == Phase.VOTE:
        turnout = views.turnout_per_group(db, ws)
        if counts["paper"] or ws.wall_paper:
            # Ballots of both channels: the devices would not add up to them.
            label = ngettext(
                "ballot: {digital} from phones and tablets, {paper} on paper",
                "ballots: {digital} from phones and tablets, {paper} on paper",
                counts["ballots"],
            ).format(digital=common.number(counts["digital"]), paper=common.number(counts["paper"]))
        else:
            label = ngettext(
                "ballot from {devices} devices", "ballots from {devices} devices", counts["ballots"]
            ).format(devices=common.number(counts["devices"]))
        st.html(f'<p class="pj-big">{common.number(counts["ballots"])}</p><p class="pj-label">{html.escape(label)}</p>')
        if ws.wall_paper:  # the console's choice: how far the paper ballots' entry is
            stats = services.paper_stats(db, ws.id)
            line = ngettext(
                "Paper ballots entered: {entered} of {printed} handed out",
                "Paper ballots entered: {entered} of {printed} handed out",
                stats.printed,
            ).format(entered=common.number(stats.entered), printed=common.number(stats.printed))
            st.html(f'<p class="pj-label">{html.escape(line)}</p>')
        labels = [g or _("no working group") for g in turnout["group_name"]]
        st.plotly_chart(
            charts.count_bars(
                labels,
                list(turnout["ballots"]),
                _("Ballots per working group"),
                _("Ballots"),
                large=True,
                number=common.number,
            ),
            width="stretch",
            key="pj_chart",
            config={"displayModeBar": False, "staticPlot": True},
        )
    else:
        note = _("Voting is closed. The results follow shortly.")
        st.html(f'<p class="pj-note">{html.escape(note)}</p>')


def results_view(ws) -> None:
    """The one chart the console chose (services.set_wall_view), across the whole wall: the
    overall ranking, one goal's ranking, or the rating matrix. Colours per goal as everywhere,
    with their legend."""
    counts = views.counts(db, ws)
    # The wall speaks the workshop's main language: German titles, the original in small type under;
    # a translation saved at the desk shows at the next refresh (the ranking itself is cached).
    ranked = views.for_reader(
        ranking(ws.id, scoring.METHOD_FOR_BALLOTS[ws.rules.method], counts["ballots"], common.cached_version(ws.id)),
        common.cached_translations(ws.id),
        translation.MAIN_LANGUAGE,
        machine=ws.show_machine,
    )
    if common.paper_pending(ws):  # paper ballots still come in after the vote
        note = _("Paper ballots are still being entered, so the results may still change.")
        st.html(f'<p class="pj-label">{html.escape(note)}</p>')
    if counts["paper"] or counts["invalid"]:  # the ballots of both channels, and the invalid sheets
        channels = services.Channels(counts["digital"], counts["paper"], counts["invalid"])
        line = report.ballots_by_channel(channels, _, ngettext, common.number)
        st.html(f'<p class="pj-label">{html.escape(line)}</p>')
    goals = services.list_goals(db, ws.id)
    colours = charts.goal_colours([g.title for g in goals])
    config = {"displayModeBar": False, "staticPlot": True}
    goal = next((g for g in goals if g.id == ws.wall_view), None)
    if goal is not None:
        part = ranked[ranked["goal_id"] == goal.id]
        st.plotly_chart(
            charts.ranking_bars(
                part,
                f"{common.number(goal.position)}. {goal.title}",
                _("Score"),
                top=8,
                large=True,
                within_goal=True,
                colours=colours,
                number=common.number,
            ),
            width="stretch",
            key=f"pj_goal_{goal.id}",
            config=config,
        )
        return
    if ws.wall_view == services.WALL_MATRIX:
        rating_ballots = services.count_ballots(db, ws.id, Method.RATING)
        rated = ranking(ws.id, "rating", rating_ballots, common.cached_version(ws.id)) if rating_ballots else None
        crit = [c.key for c in ws.rules.criteria]
        if rated is not None and len(crit) >= 2 and all(f"mean_{k}" in rated for k in crit[:2]):
            c0, c1 = ws.rules.criteria[:2]
            st.plotly_chart(
                charts.matrix(
                    rated,
                    f"mean_{c0.key}",
                    f"mean_{c1.key}",
                    _("{a} × {b}").format(a=_(c0.label), b=_(c1.label)),
                    _(c0.label),
                    _(c1.label),
                    large=True,
                    number=common.number,
                ),
                width="stretch",
                key="pj_matrix",
                config=config,
            )
            return
    st.plotly_chart(
        charts.ranking_bars(
            ranked, _("Ranking"), _("Score"), top=10, large=True, colours=colours, legend=True, number=common.number
        ),
        width="stretch",
        key="pj_rank",
        config=config,
    )


live()
if not st.query_params.get("view"):
    # Opened from the menu, in the facilitator's own tab: the wall hides the menu, and a reload
    # logs out; the way back, small, under the wall.
    st.page_link("app_pages/console.py", label=_("Back to the console"), icon=":material/arrow_back:")
