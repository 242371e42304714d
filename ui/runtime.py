"""Process-wide tuning of the Streamlit server, applied once per process (bench/, BENCHMARKS.md).

Python's cyclic garbage collector walks every tracked object of the process in a full
(generation 2) collection. The app's server holds a large, long-lived heap: Streamlit, pandas,
plotly's figure classes, DuckDB, plus the sessions of every device in the hall. Under a 300-device
burst the default thresholds ran a full collection every 1.3 s, each holding the GIL for about
250 ms: every device in the hall waited for it, about a fifth of the server's time.

``gc.freeze()`` moves what the imports created into the permanent generation, which collections
skip; the larger first threshold makes young collections (and so the full ones they lead to)
rarer. Reference counting still frees almost everything at once; only garbage in reference cycles
waits longer.
"""

from __future__ import annotations

import gc
import threading

GEN0_THRESHOLD = 10_000
_lock = threading.Lock()
_tuned = False


def tune_gc() -> bool:
    """Freeze the heap as imported and raise the collection threshold; True the first time."""
    global _tuned
    with _lock:
        if _tuned:
            return False
        _tuned = True
    import duckdb  # noqa: F401 - imported so that their objects are frozen with the rest
    import pandas  # noqa: F401
    import plotly.graph_objects  # noqa: F401

    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GEN0_THRESHOLD, gen1, gen2)
    return True
