"""The server's garbage-collector tuning (ui/runtime.py), in a fresh interpreter: it is process-wide."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from ui import runtime

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import gc, json
from ui import runtime
before = gc.get_freeze_count()
first, second = runtime.tune_gc(), runtime.tune_gc()
import plotly.graph_objects
print(json.dumps({"before": before, "frozen": gc.get_freeze_count(), "threshold": gc.get_threshold(),
                  "first": first, "second": second}))
"""


def test_the_heap_as_imported_is_frozen_once_and_young_collections_are_rarer():
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True)
    probe = json.loads(out.stdout)
    assert (probe["first"], probe["second"]) == (True, False)  # a rerun of app.py changes nothing
    assert probe["before"] == 0
    # pandas', plotly's and DuckDB's objects (Streamlit's too in the server): ~60 000 here.
    assert probe["frozen"] > 30_000
    assert probe["threshold"][0] == runtime.GEN0_THRESHOLD > 700
