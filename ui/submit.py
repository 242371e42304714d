"""The ballot's submit button: a small browser component that posts the ballot to ui/api.py.

For the methods whose ballot is still Streamlit widgets (each tap reruns the ballot, and this
with it, so the button always carries what is on screen); a method with a browser component
(ui/ballot.py: dots, approval) has its own button there. A press is one HTTP request, not a script run: when a
whole hall submits within seconds, that is the difference between waiting and not (BENCHMARKS.md).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import streamlit as st

from ui import api
from workshop import participation

_JS = (Path(__file__).parent / "submit.js").read_text(encoding="utf-8")
# Shaped like Streamlit's primary button and its success/error alerts (the theme's colours of
# .streamlit/config.toml); at least 44 px high, as every touch target on the phone screens.
_CSS = """
.pw-submit { font-family: inherit; }
.pw-submit-button {
  width: 100%; min-height: 44px; padding: 0.4rem 0.75rem; border-radius: 0.5rem;
  border: 1px solid #B3122E; background: #B3122E; color: #fff; font: inherit; font-size: 1rem;
  cursor: pointer;
}
.pw-submit-button:hover:not([aria-disabled="true"]) { background: #8f0e25; border-color: #8f0e25; }
.pw-submit-button:focus-visible { outline: 3px solid #1c1c1c; outline-offset: 2px; }
.pw-submit-button[aria-disabled="true"] { background: #f0f0f0; border-color: #d0d0d0; color: #595959; cursor: default; }
.pw-submit-status { margin-top: 0.75rem; padding: 0.75rem 1rem; border-radius: 0.5rem; line-height: 1.5; }
/* Empty, it stays in the accessibility tree (a live region that is hidden is not announced). */
.pw-submit-status:empty { margin: 0; padding: 0; }
.pw-saved { background: #dff3e4; color: #13582b; }
.pw-error { background: #fde4e4; color: #8a1010; }
.pw-pending { background: #fff4d6; color: #5c4400; }
"""
_component = st.components.v2.component("planungswerkstatt.submit", js=_JS, css=_CSS)


def endpoint(lang: str) -> str:
    """The endpoint's URL as the browser sees it (Streamlit may be served under a base path);
    the answer comes in ``lang``."""
    return api.path_under(str(st.get_option("server.baseUrlPath") or "")) + "?" + urlencode({"lang": lang})


def status_line(ballot, saved, *, token: str, texts: dict) -> None:
    """A line at the top of the ballot that says what the submit button says (saved, saving, not
    saved): the same component, drawn from the same state in the browser."""
    _component(
        key="submit_status",
        data={
            "role": "status",
            "t": token,
            "ballot": participation.ballot_payload(ballot),
            "saved": participation.ballot_payload(saved) if saved is not None else None,
            "texts": texts,
        },
    )


def submit_button(ballot, saved, *, token: str, lang: str, notify: bool, texts: dict) -> None:
    """Draw the button for ``ballot`` (``saved``: the ballot the server has, or None). With
    ``notify`` a save reruns the script (a kiosk tablet's "Next person" button)."""
    _component(
        key="submit_ballot",
        data={
            "url": endpoint(lang),
            "t": token,
            "ballot": participation.ballot_payload(ballot),
            "saved": participation.ballot_payload(saved) if saved is not None else None,
            "notify": notify,
            "texts": texts,
        },
        on_saved_change=lambda: None,
    )
