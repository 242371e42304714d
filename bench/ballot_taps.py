"""Dot taps in a real Chromium page: what a tap costs the server, and how soon the ballot shows it.

    .venv/bin/python -m bench.ballot_taps [--taps 50] [--load 300]

A phone-sized Chromium joins the demo (dot voting) and taps ``--taps`` times, each a real input
event (Playwright's click) on a dot option of the ballot component (ui/ballot.py). Measured in the
page with ``performance.now()``: from the input event's timestamp to the moment the whole ballot
is consistent (the option checked, the counter, every option's limits, the button's state) and to
the next frame after it. Counted: the websocket messages the page sends to Streamlit during the
taps (a script run starts only with one) and the server's CPU seconds meanwhile. ``--load N``:
N protocol-level devices (bench/load.py) join and vote against the same server during the taps.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import threading
import time
from pathlib import Path

from bench.load import PASSPHRASE, Device, Participant, _bounded, ms, pct, prepare_db
from bench.server import Sampler, Server

CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}

# In the page: a listener on the component's shadow root sees each click after the ballot's own
# handler (bubbling), checks that the ballot is consistent, and notes the next frame.
_PROBE = """
(root) => {
  window.__taps = [];
  root.addEventListener("click", (event) => {
    const option = event.target.closest('[role="radio"]');
    if (!option) return;
    const t = performance.now();
    const group = option.closest('[role="radiogroup"]');
    const checked = group.querySelector('[aria-checked="true"]') === option;
    let used = 0;
    for (const on of root.querySelectorAll('.pw-dot[aria-checked="true"]')) used += Number(on.dataset.value);
    const left = Number(root.querySelector(".pw-counter").textContent.match(/\\d+/)[0]);
    const total = Number(root.querySelector(".pw-counter").textContent.match(/\\d+/g)[1]);
    const button = root.querySelector(".pw-submit-button");
    const ready = button.getAttribute("aria-disabled") === "false"; // nothing saved: any ballot can go
    const consistent = checked && left === total - used && ready;
    const entry = { input: event.timeStamp, consistent_at: t, consistent, checked, left, used, ready };
    window.__taps.push(entry);
    requestAnimationFrame(() => { entry.frame = performance.now(); });
  });
}
"""


def _root_handle(page):
    return page.evaluate_handle(
        """() => {
        const find = (root) => {
            if (root.querySelector && root.querySelector('.pw-ballot')) return root;
            for (const el of root.querySelectorAll('*')) {
                if (el.shadowRoot) { const r = find(el.shadowRoot); if (r) return r; }
            }
            return null;
        };
        return find(document);
    }"""
    )


def load_in_background(port: int, prep, n: int, stop: threading.Event, results: dict) -> threading.Thread:
    """N protocol devices join, then vote and change their vote until ``stop``."""

    async def run() -> None:
        part = Participant(port, prep, 60.0)
        rng = random.Random(7)
        devices = [Device(i, random.Random(rng.random())) for i in range(n)]
        await _bounded([part.enter(d) for d in devices], 50)
        live = [d for d in devices if not d.error]
        results["joined"] = len(live)

        async def vote(d: Device) -> None:
            rnd = 0
            while not stop.is_set():
                rnd += 1
                await part.submit(d, rnd, await part.fill(d, (0, 0)))
                await asyncio.sleep(d.rng.uniform(1.0, 4.0))

        results["ready"] = True
        await asyncio.gather(*(vote(d) for d in live), return_exceptions=True)
        results["submits"] = sum(1 for d in live for s in d.submits if s.confirm is not None)
        await _bounded([d.client.close() for d in live if d.client], 200)

    thread = threading.Thread(target=lambda: asyncio.run(run()), daemon=True)
    thread.start()
    return thread


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--taps", type=int, default=50)
    p.add_argument("--load", type=int, default=0, help="protocol devices voting meanwhile")
    args = p.parse_args(argv)
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="pw-taps-"))
    prep = prepare_db(tmp, "dots")
    server = Server("app.py", env={"PW_DB_PATH": prep.db_path, "PW_PASSPHRASE": PASSPHRASE}, log=tmp / "server.log")
    server.start()
    stop, load = threading.Event(), {}
    try:
        if args.load:
            thread = load_in_background(server.port, prep, args.load, stop, load)
            deadline = time.monotonic() + 300
            while not load.get("ready") and time.monotonic() < deadline:
                time.sleep(0.5)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
            page = browser.new_page(viewport=PHONE, has_touch=True, is_mobile=True)
            page.set_default_timeout(60_000)
            sent: list[float] = []
            page.on("websocket", lambda ws: ws.on("framesent", lambda _f: sent.append(time.perf_counter())))
            page.goto(f"http://127.0.0.1:{server.port}/?code={prep.code}&lang=en")
            page.locator('[data-testid="stRadio"] [role="radiogroup"] label').first.click()
            page.locator('[data-testid="stFormSubmitButton"] button').click()
            page.locator(".pw-counter").wait_for()
            page.wait_for_timeout(2000)  # the page's own first runs are over
            page.evaluate(_PROBE, _root_handle(page))
            groups = page.locator('[role="radiogroup"].pw-dots')
            n_groups = groups.count()
            sampler = Sampler(server.pid).start()
            t0 = time.perf_counter()
            for i in range(args.taps):
                # 0 -> 1 -> 2 on each measure in turn, then back to 0: always within the limits.
                g, step = (i // 3) % n_groups, i % 3
                value = (1, 2, 0)[step]
                option = groups.nth(g).locator(f'[data-value="{value}"]')
                option.evaluate("el => el.scrollIntoView({block: 'center'})")
                option.click()
            page.wait_for_timeout(300)
            usage = sampler.stop()
            taps = page.evaluate("window.__taps")
            frames = [t for t in sent if t >= t0]
            browser.close()
    finally:
        stop.set()
        if args.load:
            thread.join(60)
        server.stop()
    consistent = [(t["consistent_at"] - t["input"]) / 1000 for t in taps]
    framed = [(t["frame"] - t["input"]) / 1000 for t in taps if "frame" in t]
    print(f"taps: {len(taps)} (all consistent: {all(t['consistent'] for t in taps)})")
    print(f"tap -> ballot consistent: p50 {ms(pct(consistent, 50))}, p95 {ms(pct(consistent, 95))}")
    print(f"tap -> next frame:        p50 {ms(pct(framed, 50))}, p95 {ms(pct(framed, 95))}, max {ms(max(framed))}")
    runs = len(frames) / len(taps)
    print(f"websocket messages to the server during the taps: {len(frames)} (script runs per tap: {runs:g})")
    print(f"server CPU during the taps: {usage.cpu_seconds:.2f} s over {usage.wall_seconds:.1f} s")
    if args.load:
        print(f"load: {load.get('joined')} protocol devices, {load.get('submits')} ballots confirmed meanwhile")
    return 0 if taps and all(t["consistent"] for t in taps) and len(taps) == args.taps else 1


if __name__ == "__main__":
    raise SystemExit(main())
