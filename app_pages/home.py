"""Start: the current workshop at a glance, and joining it by code."""

import streamlit as st

from ui import common
from workshop import charts, services, translation, views, vocabulary
from workshop.errors import DomainError
from workshop.model import WorkshopKind

_ = common.gettext()
db = common.get_db()
ws = common.current_workshop()

if ws is None:
    st.title("Planungswerkstatt")
    st.info(_("There is no workshop yet. The facilitation team can create one in the console."))
    st.stop()

common.literal(ws.title, tag="h1", cls="pw-title", lang=translation.MAIN_LANGUAGE)
facts = " · ".join(x for x in (common.format_date(ws.date), ws.place) if x)
common.literal(facts, tag="p")
st.caption(_("Current phase: {phase}").format(phase=_(services.phase_label(ws.phase))))

with st.form("join", border=True):
    st.subheader(_("Take part"))
    code = st.text_input(_("Workshop code (6 characters, see the projector)"), max_chars=9, key="join_code")
    if st.form_submit_button(_("Join"), type="primary", width="stretch"):
        try:
            workshop = services.find_by_code(db, code)
        except DomainError as exc:
            common.show_error(exc)
        else:
            common.set_param("code", workshop.join_code)
            st.switch_page(
                "app_pages/participate.py", query_params={**st.query_params.to_dict(), "code": workshop.join_code}
            )

if ws.vision_title:
    st.subheader(_("Theme") if ws.kind == WorkshopKind.CONFERENCE else _("Guiding vision"))
    common.literal(ws.vision_title, tag="h3")
    if ws.vision_description:
        common.literal(ws.vision_description, tag="p")

goals = services.list_goals(db, ws.id)
measures = services.list_measures(db, ws.id)
translations = common.cached_translations(ws.id)
for goal in goals:
    mine = [m for m in measures if m.goal_id == goal.id]
    with st.expander(f"{common.md_escape(goal.title)} ({common.number(len(mine))})", expanded=False):
        if goal.description:
            common.literal(goal.description, tag="p", cls="pw-muted", lang=translation.MAIN_LANGUAGE)
        # Each in the reader's language where participants may read a translation, as on the phones.
        for m in mine:
            read = translation.reading(m, translations.get(m.id), common.lang(), machine=ws.show_machine)
            common.literal(read.title, tag="p", cls="pw-literal pw-home-measure", lang=read.lang)
            common.reading_note(read, m.title)

per_goal = views.proposals_per_goal(db, ws.id)
st.plotly_chart(
    charts.count_bars(
        list(per_goal["goal"]),
        list(per_goal["proposals"]),
        _(vocabulary.term(ws.kind, "proposals_per_goal")),
        _("Proposals"),
        number=common.number,
    ),
    width="stretch",
    config={"displayModeBar": False},
)
if ws.results_revealed:
    ranked = views.ranking(db, ws)
    st.plotly_chart(
        charts.ranking_bars(ranked, _("Ranking"), _("Score"), number=common.number),
        width="stretch",
        config={"displayModeBar": False},
    )
