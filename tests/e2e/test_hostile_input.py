"""Hostile text in a real browser: Markdown, links, HTML and a right-to-left override stay plain text.

The facilitator's texts (workshop title, vision, goals, groups) are prepared in the database
before the server starts; a participant types a hostile proposal in the browser. Every page that
shows them (join, propose, vote, moderation, projector, results) must show the characters as
typed, with no link, image, bold element or script effect. Afterwards a copy of the database file
holds no IP address and no browser name: the app stores neither.
"""

from __future__ import annotations

import re
import shutil

import pytest

from tests.e2e.conftest import PASSPHRASE, Server, set_phase, settled
from workshop import auth, services
from workshop.model import Phase, VotingRules
from workshop.store import Database

RLO = "\u202e"
HOSTILE = f"**bold** [x](https://example.org) <img src=x onerror=window.__pwned=1> {RLO}gpj.exe"
PROPOSAL = f"Antrag {HOSTILE}"[:120]


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    path = tmp / "hostile.duckdb"
    db = Database(path)
    auth.ensure_passphrase(db, PASSPHRASE)
    fac = auth.login(db, PASSPHRASE, client="prepare")
    ws = services.create_workshop(
        db,
        fac,
        title=f"Werkstatt {HOSTILE}"[:120],
        vision_title=f"Leitbild {HOSTILE}",
        rules=VotingRules(dots_per_person=3, max_per_measure=3),
    )
    services.add_goal(db, fac, ws.id, f"Ziel {HOSTILE}", f"Beschreibung {HOSTILE}")
    services.set_groups(db, fac, ws.id, [f"AG {HOSTILE}"[:80]])
    services.set_current_workshop(db, fac, ws.id)
    services.set_phase(db, fac, ws.id, Phase.COLLECT)
    db.close()
    server = Server(path, tmp / "server.log")
    server.code = ws.join_code
    yield server
    server.stop()


def _nothing_interpreted(page, where: str) -> None:
    """No element that Markdown or HTML in user text would have made, and no script effect."""
    settled(page, 500)
    main = page.locator('[data-testid="stMain"], [data-testid="stSidebar"]')
    links = main.locator('a[href*="example.org"]')
    assert links.count() == 0, f"{where}: a link was made: " + links.first.evaluate("a => a.parentElement.outerHTML")
    assert page.locator('img[src="x"]').count() == 0, f"{where}: an image was made"
    assert main.locator("strong", has_text="bold").count() == 0, f"{where}: Markdown bold"
    assert page.evaluate("window.__pwned") is None, f"{where}: a script ran"
    assert page.locator("svg a").count() == 0, f"{where}: a link inside a chart"


def _shows_literally(page, text: str, where: str) -> None:
    # Widget labels carry invisible word joiners (U+2060) that keep Markdown from linking URLs.
    body = page.evaluate("document.body.innerText").replace("\u2060", "")
    assert text in body, f"{where}: {text!r} not shown as typed"


def _login(page, url):
    page.goto(url + "/login?lang=en")
    page.get_by_label("Passphrase").fill(PASSPHRASE)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Console").click()
    page.get_by_text("Join link for the QR code").wait_for()


def test_hostile_text_is_shown_as_typed_everywhere(browser, srv, tmp_path):
    participant_ctx = browser.new_context(viewport={"width": 768, "height": 1024}, user_agent="HostileTestAgent/1.0")
    phone = participant_ctx.new_page()
    phone.set_default_timeout(30_000)
    phone.goto(f"{srv.url}/?code={srv.code}&lang=en")
    phone.get_by_role("button", name="Start", exact=True).wait_for()
    _nothing_interpreted(phone, "join")
    _shows_literally(phone, f"AG {HOSTILE}"[:80], "join: group name")
    phone.locator('[data-testid="stRadio"] [role="radiogroup"] label').first.click()
    phone.get_by_role("button", name="Start", exact=True).click()
    phone.wait_for_url(re.compile(r"[?&]t="))

    phone.get_by_label("Title of the measure").fill(PROPOSAL)
    phone.get_by_label("Description").fill(HOSTILE)
    phone.get_by_role("button", name="Submit proposal").click()
    phone.get_by_text("Your proposal was saved", exact=False).first.wait_for()
    _nothing_interpreted(phone, "propose")
    _shows_literally(phone, PROPOSAL, "propose: own proposal")
    _shows_literally(phone, f"Werkstatt {HOSTILE}"[:120], "propose: workshop title")

    fac_ctx = browser.new_context(viewport={"width": 1280, "height": 1000})
    fac = fac_ctx.new_page()
    fac.set_default_timeout(30_000)
    _login(fac, srv.url)
    fac.get_by_role("link", name="Moderation").click()
    fac.get_by_text("Antrag", exact=False).first.wait_for()
    _nothing_interpreted(fac, "moderation")
    _shows_literally(fac, PROPOSAL, "moderation")

    fac.get_by_role("link", name="Console").click()
    fac.get_by_text("Join link for the QR code").wait_for()
    set_phase(fac, "Vote")
    phone.get_by_role("button", name="Submit my vote").wait_for(timeout=30_000)
    _nothing_interpreted(phone, "vote")
    _shows_literally(phone, PROPOSAL, "vote")
    phone.locator('[data-testid="stMain"] [data-testid="stButtonGroup"]').first.get_by_role("radio", name="1").click()
    settled(phone, 500)
    phone.get_by_role("button", name="Submit my vote").click()
    phone.get_by_text("Your vote is saved", exact=False).first.wait_for()

    set_phase(fac, "Results")
    fac.get_by_text("Show the results to everyone", exact=False).click()
    key_link = fac.get_by_role("link", name="Open the projector view").get_attribute("href")
    projector = fac_ctx.new_page()
    projector.set_default_timeout(30_000)
    projector.goto(srv.url + key_link)
    projector.locator(".js-plotly-plot").first.wait_for()
    _nothing_interpreted(projector, "projector")
    chart_text = projector.locator(".js-plotly-plot").first.inner_text()
    assert "**bold**" in chart_text and "<img" in chart_text, chart_text

    fac.get_by_role("link", name="Results").click()
    fac.locator(".js-plotly-plot").first.wait_for()
    _nothing_interpreted(fac, "results")
    assert "**bold**" in fac.locator(".js-plotly-plot").first.inner_text(), "results chart: title as typed"
    participant_ctx.close()
    fac_ctx.close()

    # What the database keeps of these visits: no IP address, no browser name.
    copy = tmp_path / "copy.duckdb"
    shutil.copy(srv.db_path, copy)
    wal = srv.db_path.with_name(srv.db_path.name + ".wal")
    data = copy.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    for trace in (b"127.0.0.1", b"HostileTestAgent", b"HeadlessChrome", b"Mozilla/"):
        assert trace not in data, f"the database holds {trace!r}"
