"""The phase watch of a participant screen: a browser component that follows the facilitator.

It asks ``/api/watch`` (ui/api.py) every few seconds whether the phase, the reveal or the rules
changed, and only then asks Streamlit to rerun the page. Waiting and voting phones so cost the
server one cached HTTP answer per interval instead of a script run (a ``run_every`` fragment did).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlencode

import streamlit as st

from ui import api
from workshop import participation
from workshop.model import Workshop

_JS = (Path(__file__).parent / "watch.js").read_text(encoding="utf-8")
_CSS = ":host { display: none; }"
_component = st.components.v2.component("planungswerkstatt.watch", js=_JS, css=_CSS)


def follow(workshop: Workshop, devices: int, version: int, texts: Mapping[str, str] | None = None) -> None:
    """Rerun this page when what it shows of ``workshop`` changes (``version``: the workshop's
    version the page drew, ``participation.screen_version``); with ``texts``
    (``participation.texts_read``: the page shows measures), also when their translations to the
    reader's language do. A component that follows such a change by itself (the ballot) takes it
    without a rerun."""
    base = str(st.get_option("server.baseUrlPath") or "")
    _component(
        key="phase_watch",
        data={
            "url": api.path_under(base, api.WATCH_PATH) + "?" + urlencode({"code": workshop.join_code}),
            "version": participation.screen_version(workshop, version),
            "tv": dict(texts) if texts is not None else None,
            "every": participation.watch_seconds(workshop.phase, workshop.results_revealed, devices),
        },
        on_changed_change=lambda: None,
    )
