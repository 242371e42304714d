"""Shared test setup: make the repository root importable (``import workshop``) for every suite."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# The app freezes the heap of the process that runs it (ui/runtime.py): right for the server, wrong
# for pytest, whose AppTests run app.py in this process and whose objects must still be freed.
# tests/unit/test_runtime.py checks the tuning itself in a fresh interpreter.
from ui import runtime  # noqa: E402

runtime._tuned = True
