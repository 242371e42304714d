"""The translated file picker (ui/files.py): what it hands the script, and what it refuses."""

from __future__ import annotations

import base64
import json

from streamlit.testing.v1 import AppTest

SCRIPT = """
import streamlit as st
from ui import files
picked = files.file_picker(
    "Leitbild-Datei", key="fp", accept=["yaml", "csv"], max_bytes=16,
    texts={"choose": "Datei wählen", "none": "Keine Datei gewählt", "hint": "YAML oder CSV",
           "tooBig": "zu groß", "unreadable": "unlesbar"},
)
st.session_state["seen"] = None if picked is None else (picked.name, picked.getvalue())
"""


def run_with(state) -> AppTest:
    at = AppTest.from_string(SCRIPT).run()
    proto = at.get("bidi_component")[0].proto
    data = json.loads(proto.json or proto.mixed.json)
    assert data["texts"]["choose"] == "Datei wählen", "the button's text comes from the page, not Streamlit"
    if state is not None:
        at.session_state["fp"] = {"file": state}
        at.run()
    assert not at.exception
    return at


def test_nothing_chosen_yet():
    assert run_with(None).session_state["seen"] is None


def test_a_chosen_file_arrives_as_bytes():
    at = run_with({"name": "leitbild.yaml", "data": base64.b64encode("ziel: Ü".encode()).decode()})
    assert at.session_state["seen"] == ("leitbild.yaml", "ziel: Ü".encode())


def test_too_large_or_damaged_files_are_refused():
    for state in (
        {"name": "big.yaml", "data": base64.b64encode(b"x" * 17).decode()},  # past max_bytes
        {"name": "bad.yaml", "data": "not base64!"},
        {"name": 5, "data": ""},
        "just a string",
    ):
        assert run_with(state).session_state["seen"] is None, state
