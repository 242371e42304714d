"""What translations cost the ballot: the data a phone's ballot is drawn from, with and without
translations of every measure into the other seven languages.

    .venv/bin/python -m bench.ballot_languages [--measures 60] [--repeat 200] [--draws 40]

For each reader language it times ``ui.ballot.ballot_data`` (what the page and ``GET /api/ballot``
build for one phone: 60 measures in 4 goals, the dot ballot's words) and measures the JSON the
browser receives. Median of ``--repeat`` calls, in milliseconds. No server, no database: the
measures and translations are built in memory.

Then the browser's side (``--draws``, 0 to skip): Debian's Chromium draws the dot ballot's
component (ui/ballot/core.js and dots.js, as Streamlit hands them over) from that data into an
empty page, and lays it out, ``--draws`` times per language with and without translations in
turns, a garbage collection before each; the median in milliseconds. The page is served from
127.0.0.1 by this process.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import json
import statistics
import tempfile
import threading
import time
from pathlib import Path

from workshop import i18n
from workshop.model import Goal, Made, Measure, Translation, VotingRules
from workshop.vocabulary import Voice


def build(n: int) -> tuple[list[Goal], dict[str, Measure], dict[str, str], dict[str, dict[str, Translation]]]:
    languages = list(i18n.available_languages())
    goals = [Goal(f"g{i}", "w", i + 1, f"Ziel {i + 1}: Zusammenleben im Bezirk") for i in range(4)]
    measures, goal_of, translations = {}, {}, {}
    for i in range(n):
        lang = languages[i % len(languages)] if languages[i % len(languages)] != "ls" else "de"
        mid = f"m{i:03d}"
        measures[mid] = Measure(
            mid, "w", goals[i % 4].id, f"Maßnahme {i}: ein Sprachcafé im Bürgerhaus", "Beschreibung " * 20, lang=lang
        )
        goal_of[mid] = goals[i % 4].id
        translations[mid] = {
            other: Translation(mid, other, f"[{other}] Maßnahme {i}", "Übersetzung " * 20, Made.MEDIATOR)
            for other in languages
            if other != lang
        }
    return goals, measures, goal_of, translations


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--js-flags=--expose-gc",
]
_PAGE = """<!doctype html><html><head><meta charset="utf-8"><style>{css}</style></head><body>
<script type="module">
import draw from "./dots.js";
// Both cases in turns (drift of the machine hits both alike), a garbage collection before each.
window.drawTimes = async (names, times) => {{
  const cases = [];
  for (const name of names) cases.push(await (await fetch(name)).json());
  const out = cases.map(() => []);
  for (let i = 0; i < times; i++) {{
    cases.forEach((data, k) => {{
      const host = document.createElement("div");
      document.body.replaceChildren(host);
      if (window.gc) window.gc();
      const copy = {{ ...data, t: data.t + i }};  // a ballot of its own: drawn from scratch each time
      const started = performance.now();
      draw({{ data: copy, parentElement: host, setTriggerValue: () => {{}} }});
      void document.body.offsetHeight;  // and laid out
      out[k].push(performance.now() - started);
    }});
  }}
  return out;
}};
window.ready = true;
</script></body></html>"""


@contextlib.contextmanager
def _served(folder: Path):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def browser_draws(cases: dict[str, dict], draws: int) -> dict[str, float]:
    """Median milliseconds to draw and lay out each case's ballot data in Chromium."""
    from playwright.sync_api import sync_playwright

    from ui import ballot

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "dots.js").write_text(ballot._js("dots"), encoding="utf-8")
        (folder / "index.html").write_text(_PAGE.format(css=ballot._CSS), encoding="utf-8")
        for name, data in cases.items():
            (folder / f"{name}.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        with _served(folder) as url, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.goto(url + "/index.html")
            page.wait_for_function("window.ready === true")
            page.evaluate("names => drawTimes(names, 5)", ["de-without.json", "de-with.json"])  # warm: JIT, fonts
            out = {}
            for lang in {name.rsplit("-", 1)[0] for name in cases}:
                names = [f"{lang}-without", f"{lang}-with"]
                times = page.evaluate("([names, n]) => drawTimes(names, n)", [[f"{n}.json" for n in names], draws])
                out.update({name: statistics.median(t) for name, t in zip(names, times, strict=True)})
            browser.close()
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--measures", type=int, default=60)
    p.add_argument("--repeat", type=int, default=200)
    p.add_argument("--draws", type=int, default=40)
    args = p.parse_args()
    from ui import ballot  # registers the components: import after argparse (help stays fast)

    goals, measures, goal_of, translations = build(args.measures)
    rules = VotingRules()
    print(f"{args.measures} measures, 4 goals, translations into the 7 other languages each")
    print(f"{'reader':>6}  {'without ms':>10}  {'with ms':>8}  {'JSON without':>12}  {'JSON with':>10}")
    cases: dict[str, dict] = {}
    for lang in i18n.available_languages():

        def one(found, lang=lang):
            return ballot.ballot_data(
                voice=Voice(lang),
                device_id="bench-device",
                token="t" * 32,
                rules=rules,
                goals=goals,
                measures=measures,
                goal_of=goal_of,
                saved=None,
                notify=False,
                translations=found,
            )

        row = []
        for found in (None, translations):
            one(found)  # warm: catalogs, caches
            times = []
            for _i in range(args.repeat):
                started = time.perf_counter()
                data = one(found)
                times.append((time.perf_counter() - started) * 1000)
            row.append((statistics.median(times), len(json.dumps(data, ensure_ascii=False).encode())))
        (plain_ms, plain_bytes), (with_ms, with_bytes) = row
        print(f"{lang:>6}  {plain_ms:>10.2f}  {with_ms:>8.2f}  {plain_bytes:>12}  {with_bytes:>10}")
        cases[f"{lang}-without"], cases[f"{lang}-with"] = one(None), one(translations)
    if args.draws > 0:
        drawn = browser_draws(cases, args.draws)
        print(f"\nChromium, dot ballot drawn and laid out (median of {args.draws}, ms)")
        print(f"{'reader':>6}  {'without':>8}  {'with':>8}")
        for lang in i18n.available_languages():
            print(f"{lang:>6}  {drawn[f'{lang}-without']:>8.2f}  {drawn[f'{lang}-with']:>8.2f}")


if __name__ == "__main__":
    main()
