"""The baseline for bench/load.py: a one-form Streamlit app that stores a vote in memory.

Run by the benchmark with the same Streamlit settings as the app (cwd = repo root, so the app's
.streamlit/config.toml applies). Its p95 submit latency under the same load is the yardstick:
"our p95 / its p95" compares across machines.
"""

import threading

import streamlit as st


@st.cache_resource
def store() -> dict:
    return {"lock": threading.Lock(), "votes": {}}


st.title("Minimal form")
with st.form("vote"):
    device = st.text_input("Device", key="device")
    choice = st.radio("Choice", ["A", "B", "C", "D"], key="choice")
    sent = st.form_submit_button("Submit")
if sent:
    s = store()
    with s["lock"]:
        s["votes"][device] = choice
        count = len(s["votes"])
    st.success(f"Saved ({count} votes)")
