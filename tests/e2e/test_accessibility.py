"""Accessibility and languages in a real browser: axe-core on the participant pages and the projector.

axe-core (npm, pinned in tests/e2e/package.json, installed by scripts/test.sh) is injected into
the page by Playwright. The join, propose, vote and privacy pages and the projector are checked in
German, Arabic and Leichte Sprache on a tablet: no violation of impact "serious" or "critical" may
appear, and the failure message lists any that do. The same walk takes the screenshots kept in
docs/screenshots/languages/ (set PW_DOCS_SHOTS=1 to rewrite them; otherwise they go to /tmp).

This module runs its own server: it changes the phase, which the other browser tests must not see.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSPHRASE, ROOT, TABLET, Server, set_phase, settled

AXE = ROOT / "tests" / "e2e" / "node_modules" / "axe-core" / "axe.min.js"
LANGS = ["de", "ar", "ls"]
DOCS_SHOTS = ROOT / "docs" / "screenshots" / "languages"
SHOTS = DOCS_SHOTS if os.environ.get("PW_DOCS_SHOTS") else Path("/tmp/shots/languages")
SERIOUS = ("serious", "critical")


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("a11y")
    server = Server(tmp / "a11y.duckdb", tmp / "server.log")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def console(browser, srv):
    """The facilitator's console (English), logged in once for the module."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(srv.url + "/login?lang=en")
    page.get_by_label("Passphrase").fill(PASSPHRASE)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Console").click()
    page.get_by_text("Join link for the QR code").wait_for()
    yield page
    context.close()


def _code(console) -> str:
    console.get_by_text(re.compile(r"[?&]code=[A-Z0-9]{6}")).first.wait_for()
    text = console.locator('[data-testid="stMain"]').inner_text()
    return re.search(r"[?&]code=([A-Z0-9]{6})", text)[1]


def _axe(page, name: str) -> list[str]:
    """Run axe-core on the page; return the serious and critical violations, one line each."""
    settled(page, 300)
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' :: ' + (n.failureSummary || '').split('\\n')[1])
        }))"""
    )
    return [
        f"{name}: [{v['impact']}] {v['id']} ({v['help']}) at {'; '.join(v['nodes'])}"
        for v in violations
        if v["impact"] in SERIOUS
    ]


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if SHOTS == DOCS_SHOTS:  # kept in git: a 256-colour palette makes them a third of the size
        from PIL import Image

        Image.open(path).convert("RGB").quantize(256).save(path, optimize=True)


def _tablet(browser):
    context = browser.new_context(viewport=TABLET, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    return context, page


def _document_language(page) -> tuple[str, str]:
    return tuple(page.evaluate("[document.documentElement.lang, document.querySelector('[data-testid=stMain]').dir]"))


def _join(page, srv, code: str, lang: str, name: str, problems: list[str]) -> None:
    """Open the join link, check and photograph the join screen, pick a group and start."""
    from workshop import i18n

    _ = i18n.gettext_for(lang)
    page.goto(f"{srv.url}/join?code={code}&lang={lang}")
    page.get_by_role("button", name=_("Start"), exact=True).wait_for()
    # The page's script sets lang and dir once it has run; the form's button can be drawn a moment before.
    expected = (i18n.locale_of(lang), "rtl" if i18n.is_rtl(lang) else "ltr")
    page.wait_for_function(
        "([lang, dir]) => document.documentElement.lang === lang"
        " && document.querySelector('[data-testid=stMain]').dir === dir",
        arg=list(expected),
    )
    assert _document_language(page) == expected
    if name == "join":  # the same screen in every phase: checked and photographed once
        problems += _axe(page, f"{name} {lang}")
        _shot(page, f"{lang}-{name}")
    page.locator('[data-testid="stRadio"] [role="radiogroup"] label').first.click()
    page.get_by_role("button", name=_("Start"), exact=True).click()
    page.wait_for_url(re.compile(r"[?&]t="))


def test_participant_pages_and_projector_pass_axe_in_german_arabic_and_leichte_sprache(browser, srv, console):
    from workshop import i18n

    assert AXE.exists(), "axe-core is missing: scripts/test.sh installs it with npm"
    code = _code(console)
    problems: list[str] = []

    # The code entry, before anyone has a link.
    for lang in LANGS:
        context, page = _tablet(browser)
        page.goto(f"{srv.url}/join?lang={lang}")
        page.get_by_role("button", name=i18n.gettext_for(lang)("Continue")).wait_for()
        problems += _axe(page, f"code {lang}")
        _shot(page, f"{lang}-code")
        if lang == "de":  # typing the code on /join leads to the join screen, with no "page not found"
            page.get_by_label(re.compile("Zugangscode")).fill(code.lower())
            page.get_by_role("button", name="Weiter").click()
            page.get_by_role("button", name="Start", exact=True).wait_for()
            assert page.get_by_role("dialog").count() == 0
        context.close()

    # Collect: the join screen, the proposal form, the privacy notice.
    set_phase(console, "Collect proposals")
    for lang in LANGS:
        _ = i18n.gettext_for(lang)
        context, page = _tablet(browser)
        _join(page, srv, code, lang, "join", problems)
        page.get_by_role("button", name=_("Submit proposal")).wait_for()
        problems += _axe(page, f"propose {lang}")
        _shot(page, f"{lang}-propose")
        page.get_by_role("link", name=_("Privacy: what is stored")).first.click()
        page.get_by_text(_("What is stored"), exact=True).wait_for()
        problems += _axe(page, f"privacy {lang}")
        _shot(page, f"{lang}-privacy")
        context.close()

    # Vote: the dot ballot.
    set_phase(console, "Vote")
    for lang in LANGS:
        _ = i18n.gettext_for(lang)
        context, page = _tablet(browser)
        _join(page, srv, code, lang, "join-vote", problems)
        page.get_by_role("button", name=_("Submit my vote")).wait_for()
        problems += _axe(page, f"vote {lang}")
        _shot(page, f"{lang}-vote")
        context.close()

    # Results, once the facilitator shows them to everyone.
    set_phase(console, "Results")
    console.get_by_text("Show the results to everyone", exact=False).click()
    for lang in LANGS:
        _ = i18n.gettext_for(lang)
        context, page = _tablet(browser)
        _join(page, srv, code, lang, "join-results", problems)
        page.locator(".js-plotly-plot").first.wait_for()
        problems += _axe(page, f"results {lang}")
        _shot(page, f"{lang}-results")
        context.close()

    # The projector with the results (the chart across the wall, the QR code small in a corner) ...
    key_link = console.get_by_role("link", name="Open the projector view").get_attribute("href")
    key = re.search(r"view=([^&]+)", key_link)[1]
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    projector = context.new_page()
    projector.set_default_timeout(30_000)
    projector.goto(f"{srv.url}/?view={key}&jl={','.join(LANGS)}")
    projector.locator(".pj-qr-small").wait_for()
    projector.locator(".js-plotly-plot").first.wait_for()
    problems += _axe(projector, "projector results")
    _shot(projector, "projector-results")

    # ... and while the vote runs, with the join instruction in the three languages.
    set_phase(console, "Vote")
    projector.locator(".pj-join").wait_for()
    seen = set()
    for _i in range(30):  # the instruction rotates every 6 s through the chosen languages
        seen.add(projector.locator(".pj-join").get_attribute("lang"))
        if seen >= {"de", "ar"}:
            break
        projector.wait_for_timeout(1000)
    assert seen >= {"de", "ar"}, seen
    problems += _axe(projector, "projector")
    _shot(projector, "projector")
    context.close()
    # The workshop is in the vote phase again, as the demo was: the keyboard test below votes.
    assert problems == [], "axe found serious or critical violations:\n" + "\n".join(problems)


# The focused element, inside a component's shadow root too (the ballot, ui/ballot.py).
_FOCUSED_JS = (
    "(() => { let el = document.activeElement; "
    "while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement; "
    "return el; })()"
)


def _tab_to(page, predicate: str, limit: int = 80) -> None:
    """Press Tab until the focused element satisfies a JS predicate over ``el`` (keyboard only)."""
    for _i in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const el = {_FOCUSED_JS}; return !!(el && ({predicate})); }})()"):
            return
    focused = page.evaluate(f"(() => {{ const el = {_FOCUSED_JS}; return el && el.outerHTML.slice(0, 200); }})()")
    raise AssertionError(f"Tab never reached {predicate}; last focus: {focused}")


def test_a_participant_can_join_and_vote_with_the_keyboard_only(browser, srv, console):
    """No mouse, no touch: Tab, Space, arrows and Enter reach every step of joining and voting."""
    code = _code(console)
    context, page = _tablet(browser)
    page.goto(f"{srv.url}/?code={code}&lang=de")
    page.get_by_role("button", name="Start", exact=True).wait_for()
    settled(page, 300)
    _tab_to(page, "el.type === 'radio' && el.closest('[data-testid=stRadio]')")
    page.keyboard.press("Space")
    settled(page, 300)
    _tab_to(page, "el.tagName === 'BUTTON' && el.innerText.trim() === 'Start'")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"[?&]t="))
    page.get_by_role("button", name="Meine Stimme abgeben").wait_for()
    settled(page, 300)
    counter = page.locator(".pw-counter").inner_text()
    # The first measure's dot control takes one Tab stop (its selected "0"); the arrow key moves to
    # "1" and chooses it (a radio group). Then on to the submit button.
    _tab_to(page, "el.getAttribute('role') === 'radio' && el.closest('[role=radiogroup].pw-dots')")
    page.keyboard.press("ArrowRight")
    expect(page.locator(".pw-counter")).not_to_have_text(counter)
    _tab_to(page, "el.tagName === 'BUTTON' && el.innerText.trim() === 'Meine Stimme abgeben'", limit=200)
    page.keyboard.press("Enter")
    page.get_by_text("Ihre Stimme ist gespeichert", exact=False).first.wait_for()
    # The saved button is aria-disabled, not disabled: the keyboard focus stays on it (a disabled
    # button would drop it to the start of the page, and Tab would begin again from the top).
    focused = page.evaluate(f"(() => {{ const el = {_FOCUSED_JS}; return el && el.dataset.testid; }})()")
    assert focused == "pw-submit", focused
    context.close()
