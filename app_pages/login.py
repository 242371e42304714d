"""Facilitator login: the passphrase is checked on the server (slow hash, slowed after failures)."""

import streamlit as st

from ui import common
from workshop import auth
from workshop.errors import DomainError

_ = common.gettext()
db = common.get_db()

st.title(_("Facilitation"))
st.write(_("The console, the projector view and the downloads need the facilitator passphrase."))
with st.form("login"):
    passphrase = st.text_input(_("Passphrase"), type="password", key="passphrase")
    if st.form_submit_button(_("Log in"), type="primary"):
        try:
            st.session_state["facilitator"] = auth.login(
                db,
                passphrase,
                client=common.client_address() or "local",
                hours=common.get_settings().session_hours,
            )
        except DomainError as exc:
            common.show_error(exc)
        else:
            # app.py opens the console on the next run: this run's menu has no facilitator pages yet.
            st.session_state["after_login"] = True
            st.rerun()
st.caption(_("No passphrase set? On first start the app prints one in the server log; or set PW_PASSPHRASE."))
