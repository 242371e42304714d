"""Facilitator console: the phase of the current workshop, live counters, the audit log."""

import streamlit as st

from ui import common
from workshop import services, views
from workshop.errors import DomainError
from workshop.model import PHASE_ORDER

_ = common.gettext()
db = common.get_db()
fac = common.require_facilitator()
ws = common.current_workshop()
if ws is None:
    st.info(_("There is no workshop yet."))
    st.stop()

common.literal(ws.title, tag="h1")
st.caption(_("Join code: {code}").format(code=ws.join_code))

counts = views.counts(db, ws)
c1, c2, c3 = st.columns(3)
c1.metric(_("Devices joined"), counts["devices"])
c2.metric(_("Proposals"), counts["measures"])
c3.metric(_("Ballots"), counts["ballots"])

st.subheader(_("Phase"))
labels = {p: _(services.phase_label(p)) for p in PHASE_ORDER}
target = st.radio(
    _("Phase"),
    PHASE_ORDER,
    index=PHASE_ORDER.index(ws.phase),
    format_func=labels.get,
    horizontal=True,
    label_visibility="collapsed",
    key="phase_choice",
)
if target != ws.phase:
    st.warning(_("Change the phase from “{old}” to “{new}”?").format(old=labels[ws.phase], new=labels[target]))
    if st.button(_("Yes, change the phase"), type="primary", key="confirm_phase"):
        try:
            services.set_phase(db, fac, ws.id, target)
        except DomainError as exc:
            common.show_error(exc)
        else:
            st.rerun()

with st.expander(_("Audit log")):
    st.dataframe(services.audit_log(db, fac, ws.id), hide_index=True, width="stretch")
