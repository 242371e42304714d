"""Moderation during collect and review: edit, hide, move, merge duplicates, set the status."""

import streamlit as st

from ui import common
from workshop import services, vocabulary
from workshop.model import MEASURE_STATUS_LABELS, Action, MeasureInput, MeasureStatus, Role, allowed

_ = common.gettext()
db = common.get_db()
fac = common.require_facilitator()
ws = common.workshop_picker(fac)
words = vocabulary.words(ws.kind, _)


if not allowed(ws.phase, Role.FACILITATOR, Action.MODERATE):
    st.info(_("Moderation is possible while proposals are collected and reviewed."))

goals = services.list_goals(db, ws.id)
goal_title = {g.id: g.title for g in goals}
measures = services.list_measures(db, ws.id, include_hidden=True)
c1, c2 = st.columns([3, 1])
goal_filter = c1.selectbox(
    words["goal"],
    [None] + [g.id for g in goals],
    key=f"mod_goal_{ws.id}",
    format_func=lambda g: words["all_goals"] if g is None else common.isolate(goal_title[g]),
)
show_hidden = c2.toggle(_("Show hidden"), value=True, key="mod_hidden")
shown = [m for m in measures if (goal_filter is None or m.goal_id == goal_filter) and (show_hidden or not m.hidden)]
st.caption(_("{n} measures").format(n=len(shown)))
titles = {m.id: m.title for m in measures}

for m in shown:
    with st.container(border=True):
        head, badge = st.columns([5, 1])
        with head:
            common.literal(goal_title.get(m.goal_id, ""), tag="p", cls="pw-literal pw-muted")
            common.literal(m.title, tag="p", cls="pw-measure")
            if m.description:
                common.literal(m.description, tag="p", cls="pw-muted")
        badge.caption(_("hidden") if m.hidden else _(MEASURE_STATUS_LABELS[m.status]))
        for src in services.merged_sources(db, m.id):
            common.literal(
                "⤷ " + src.title + (f" — {src.description}" if src.description else ""), tag="p", cls="pw-muted"
            )
        with st.expander(_("Edit, move, merge")):
            with st.form(f"edit_{m.id}"):
                t = st.text_input(_("Title"), m.title, key=f"mt_{m.id}")
                d = st.text_area(_("Description"), m.description, key=f"md_{m.id}")
                if st.form_submit_button(_("Save text")):
                    common.act(
                        fac,
                        services.moderate_edit,
                        m.id,
                        MeasureInput(t, d, m.responsible, m.target_group, m.timeframe, m.cost),
                    )
            b1, b2 = st.columns(2)
            if b1.button(_("Show again") if m.hidden else _("Hide"), key=f"hide_{m.id}", width="stretch"):
                common.act(fac, services.set_hidden, m.id, not m.hidden)
            status = b2.selectbox(
                _("Status"),
                list(MeasureStatus),
                index=list(MeasureStatus).index(m.status),
                format_func=lambda s: _(MEASURE_STATUS_LABELS[s]),
                key=f"st_{m.id}",
            )
            if status != m.status:
                common.act(fac, services.set_status, m.id, status)
            target_goal = st.selectbox(
                words["move_to_goal"],
                [g.id for g in goals],
                index=[g.id for g in goals].index(m.goal_id),
                format_func=lambda g: common.isolate(goal_title[g]),
                key=f"mv_{m.id}",
            )
            if target_goal != m.goal_id:
                common.act(fac, services.move_measure, m.id, target_goal)
            dupes = st.multiselect(
                words["merge_into"],
                [x for x in titles if x != m.id],
                format_func=lambda m: common.isolate(titles[m]),
                key=f"mg_{m.id}",
            )
            if dupes and st.button(_("Merge"), key=f"mgo_{m.id}", type="primary"):
                common.act(fac, services.merge_measures, m.id, dupes)
