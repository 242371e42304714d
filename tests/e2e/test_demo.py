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


def test_right_to_left_details_of_the_privacy_page(server, page):
    """Issue 22.4: in Arabic the language buttons run right to left with their rounded ends
    mirrored (the first is the rightmost), and "back" points right; looked at in the screenshot."""
    from tests.e2e.conftest import SHOTS

    page.goto(server.url + "/privacy?lang=ar")
    buttons = page.locator("button").filter(has_text="Deutsch").first.locator("xpath=..").locator("button")
    buttons.first.wait_for()
    radius = "b => [getComputedStyle(b).borderTopLeftRadius, getComputedStyle(b).borderTopRightRadius]"
    first, last = buttons.first, buttons.last
    assert first.bounding_box()["x"] > buttons.nth(1).bounding_box()["x"], "the first button is the rightmost"
    assert first.evaluate(radius) == ["0px", "8px"] and last.evaluate(radius) == ["8px", "0px"]
    back = page.get_by_role("link").filter(has_text="العودة")
    assert "arrow_forward" in back.inner_text(), "back points right, the way the page reads"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "privacy-ar.png"), full_page=True)
