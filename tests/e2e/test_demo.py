"""A fresh start serves the demo workshop with its goals and a rendered chart."""

from __future__ import annotations

import yaml

from tests.e2e.conftest import ROOT


def test_demo_title_and_chart(server, page):
    demo = yaml.safe_load((ROOT / "data" / "demo_workshop.yaml").read_text())
    page.goto(server.url + "/?lang=de")
    page.get_by_text(demo["workshop"]["title"]).wait_for()
    # A plotly chart that has actually drawn its bars.
    page.locator(".js-plotly-plot .bars path").first.wait_for(state="attached")
    bars = page.locator(".js-plotly-plot .bars path").count()
    assert bars >= len(demo["vision"]["goals"])
    page.get_by_text(demo["vision"]["goals"][1]["title"]).first.wait_for()


def test_pages_need_nothing_from_the_internet(server, page):
    """The hall often has no internet: fonts, icons, scripts and QR codes come from the app."""
    outside = []
    page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith((server.url, "data:", "blob:")) else None,
    )
    page.goto(server.url + "/?lang=de")
    page.locator(".js-plotly-plot").first.wait_for(state="attached")
    page.goto(server.url + "/login?lang=en")
    page.get_by_label("Passphrase").wait_for()
    assert outside == []
