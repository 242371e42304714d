"""Run ``streamlit run`` with a built-in sampling profiler (no py-spy/pyinstrument needed).

    .venv/bin/python -m bench.sampler_profile OUT.txt -- streamlit run app.py [args]

Every 5 ms a thread records the stack of every other thread; on exit (SIGTERM) it writes the
functions by inclusive and by self samples (only frames of this repository and of streamlit,
pandas, duckdb, plotly, protobuf) to OUT.txt. ``bench.load --profile`` uses it.
"""

from __future__ import annotations

import atexit
import collections
import os
import runpy
import signal
import sys
import threading
import time

INTERVAL = 0.005
KEEP = ("/work/", "streamlit/", "pandas/", "duckdb", "plotly/", "google/protobuf", "pyarrow/")


def main() -> None:
    out = sys.argv[1]
    rest = sys.argv[sys.argv.index("--") + 1 :]
    if rest and rest[0] == "-m":
        rest = rest[1:]
    inclusive: collections.Counter[str] = collections.Counter()
    self_: collections.Counter[str] = collections.Counter()
    busy = [0]
    me = threading.get_ident()
    stop = threading.Event()

    def name(frame) -> str:
        co = frame.f_code
        path = co.co_filename
        for k in ("site-packages/", "/work/main/"):
            if k in path:
                path = path.split(k, 1)[1]
        return f"{path}:{co.co_name}"

    def sample() -> None:
        while not stop.wait(INTERVAL):
            for tid, frame in sys._current_frames().items():
                if tid == me:
                    continue
                leaf = name(frame)
                # idle threads: waiting in selectors/locks/queues
                if any(
                    w in leaf for w in ("selectors.py", "threading.py:wait", "queue.py:get", "base_events.py:_run_once")
                ):
                    continue
                busy[0] += 1
                self_[leaf] += 1
                seen = set()
                f = frame
                depth = 0
                while f is not None and depth < 200:
                    n = name(f)
                    if n not in seen:
                        seen.add(n)
                        inclusive[n] += 1
                    f = f.f_back
                    depth += 1

    def dump(*_a) -> None:
        stop.set()
        with open(out, "w") as fh:
            fh.write(f"busy thread samples: {busy[0]} (every {INTERVAL * 1000:.0f} ms)\n\nINCLUSIVE\n")
            for k, v in inclusive.most_common(80):
                if any(x in k for x in ("/", ".py")):
                    fh.write(f"{v:8d} {100 * v / max(1, busy[0]):5.1f}%  {k}\n")
            fh.write("\nSELF\n")
            for k, v in self_.most_common(50):
                fh.write(f"{v:8d} {100 * v / max(1, busy[0]):5.1f}%  {k}\n")

    threading.Thread(target=sample, daemon=True).start()
    atexit.register(dump)
    prev = signal.getsignal(signal.SIGTERM)

    def on_term(signum, frame):
        dump()
        if callable(prev):
            prev(signum, frame)
        else:
            os._exit(0)

    signal.signal(signal.SIGTERM, on_term)
    sys.argv = rest
    t = time.time()
    try:
        runpy.run_module(rest[0], run_name="__main__", alter_sys=True)
    finally:
        if time.time() - t > 0:
            dump()


if __name__ == "__main__":
    main()
