"""Participant journeys in a real browser: join on a phone, vote, reload; a kiosk tablet for two.

The demo workshop starts in the vote phase with dot voting (10 dots, at most 3 per measure), so
these journeys need no phase change. The server holds its DuckDB file open; what the tests need
to know (the join code, the ballot counter) they read from the facilitator console in a second
browser context, as a facilitator would.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSPHRASE, PHONE, TABLET, settled

SHOTS = Path("/tmp/shots")
DESKTOP = {"width": 1280, "height": 900}
# The dot ballot is one browser component (ui/ballot.py): a radio group per measure, its options
# carry their number of dots in data-value (Playwright's CSS selectors reach into its shadow root).
DOT_CONTROL = '[role="radiogroup"].pw-dots'
PLACED = '.pw-dot[aria-checked="true"]:not([data-value="0"])'


def _shot(page, name: str, at=None) -> None:
    """A screenshot for a human to look at: from the top of the page, or scrolled to ``at``."""
    if at is not None:
        at.scroll_into_view_if_needed()
    else:
        page.evaluate(
            "for (const el of [document.scrollingElement, ...document.querySelectorAll("
            "'[data-testid=stMain], [data-testid=stAppViewContainer]')]) if (el) el.scrollTop = 0"
        )
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def _console(browser, server):
    """A facilitator's console in its own browser context: log in, open the console page."""
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(20_000)
    # Start on "/" and use the app's own menu, as a facilitator would after opening the app.
    page.goto(server.url + "/?lang=en")
    page.get_by_role("link", name="Log in").click()
    page.get_by_label("Passphrase").fill(PASSPHRASE)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Console").click()
    page.locator('[data-testid="stMetric"]').filter(has_text="Ballots").wait_for()
    return context, page


def _console_facts(browser, server) -> tuple[str, int]:
    """(join code, ballots) as the facilitator console shows them right now."""
    context, page = _console(browser, server)
    try:
        # The console shows the join link for the QR code: .../?code=XXXXXX
        page.get_by_text(re.compile(r"[?&]code=[A-Z0-9]{6}")).first.wait_for()
        code = re.search(r"[?&]code=([A-Z0-9]{6})", page.locator('[data-testid="stMain"]').inner_text())[1]
        metric = page.locator('[data-testid="stMetric"]').filter(has_text="Ballots")
        ballots = int(metric.locator('[data-testid="stMetricValue"]').inner_text().strip())
        return code, ballots
    finally:
        context.close()


@pytest.fixture(scope="module")
def join_code(browser, server) -> str:
    return _console_facts(browser, server)[0]


def _wait_for_counter(page, text: str) -> None:
    page.locator(".pw-counter").filter(has_text=text).wait_for()


_DOT_STATE_JS = """
() => {
    const out = [];
    const walk = (root) => {
        for (const item of root.querySelectorAll('.pw-item')) {
            const on = item.querySelector('[role="radio"][aria-checked="true"]');
            out.push([item.querySelector('.pw-measure').textContent, on ? Number(on.dataset.value) : -1]);
        }
        for (const el of root.querySelectorAll('*')) if (el.shadowRoot) walk(el.shadowRoot);
    };
    walk(document);
    return out;
}
"""


def _dot_state(page) -> dict[str, int]:
    """Measure title -> the dots chosen on it (-1: none chosen; a screen without a ballot: {})."""
    return dict(page.evaluate(_DOT_STATE_JS))


def _place(page, index: int, n: int) -> None:
    option = page.locator(DOT_CONTROL).nth(index).locator(f'[role="radio"][data-value="{n}"]')
    option.evaluate("el => el.scrollIntoView({block: 'center'})")  # not under the sticky counter
    option.click()


def _horizontal_overflow(page, width: int) -> int:
    """How many pixels the page is wider than the screen (0: no horizontal scrolling)."""
    return max(0, page.evaluate("document.documentElement.scrollWidth") - width)


def _small_touch_targets(page) -> list[str]:
    """Visible buttons in the main area smaller than 44 x 44 px (WCAG 2.5.5).

    A select box's inner "open" arrow is part of the select, whose whole field is the target:
    the field itself is measured instead.
    """
    small = []
    targets = page.locator(
        '[data-testid="stMain"] button:not([data-testid="stSelectbox"] button), '
        '[data-testid="stMain"] [data-testid="stSelectbox"] [data-baseweb="select"] > div'
    )
    for target in targets.all():
        if not target.is_visible():
            continue
        box = target.bounding_box()
        if box and (box["width"] < 44 or box["height"] < 44):
            name = target.inner_text().strip() or target.get_attribute("aria-label") or "?"
            small.append(f"{name!r} {box['width']:.0f}x{box['height']:.0f}")
    return small


def _phone(browser, viewport=PHONE):
    """A touch device's browser (a phone; a kiosk tablet with ``TABLET``) and its page."""
    context = browser.new_context(viewport=viewport, has_touch=True, is_mobile=viewport == PHONE)
    page = context.new_page()
    page.set_default_timeout(20_000)
    return context, page


def _join_with_group(page) -> None:
    first_group = page.locator('[data-testid="stRadio"] [role="radiogroup"] label').first
    first_group.click()
    expect(first_group.locator("input")).to_be_checked()
    page.get_by_role("button", name="Start").click()
    page.get_by_role("button", name="Submit my vote").wait_for()
    assert re.search(r"[?&]t=", page.url), page.url


@contextmanager
def _fresh_ballot(browser, server, join_code, failure_shot: str):
    """A phone that has just joined (English, the first working group), at its empty ballot; a
    screenshot named ``failure_shot`` if the test fails."""
    context, page = _phone(browser)
    try:
        page.goto(f"{server.url}/?code={join_code}&lang=en")
        _join_with_group(page)
        _wait_for_counter(page, "10 of 10 dots left")
        yield page
    except BaseException:
        _shot(page, failure_shot)
        raise
    finally:
        context.close()


def test_phone_join_vote_reload(browser, server, join_code):
    context, page = _phone(browser)
    try:
        # The start page (German by default) has a form for the workshop code.
        page.goto(server.url + "/")
        form = page.locator('[data-testid="stForm"]').filter(has=page.locator("input"))
        form.locator("input").fill(join_code.lower())
        form.locator('[data-testid="stFormSubmitButton"] button').click()
        page.wait_for_url(re.compile(rf"[?&]code={join_code}"))

        # Pick the language, then the working group.
        page.get_by_role("radio", name="English", exact=True).click()
        page.get_by_text("Your working group").wait_for()
        page.wait_for_url(re.compile(r"[?&]lang=en"))
        _shot(page, "phone-1-join")
        assert _horizontal_overflow(page, PHONE["width"]) == 0
        _join_with_group(page)

        # The ballot: dots with a live counter.
        _wait_for_counter(page, "10 of 10 dots left")
        _place(page, 0, 2)
        _wait_for_counter(page, "8 of 10 dots left")
        _place(page, 1, 3)
        _wait_for_counter(page, "5 of 10 dots left")
        settled(page)
        before = _dot_state(page)
        assert sorted(before.values()).count(-1) == 0, before
        assert sorted(v for v in before.values() if v) == [2, 3], before
        _shot(page, "phone-2-ballot")
        assert _horizontal_overflow(page, PHONE["width"]) == 0

        page.get_by_role("button", name="Submit my vote").click()
        page.get_by_text("Your vote is saved").first.wait_for()
        expect(page.get_by_role("button", name="Submit my vote")).to_be_disabled()
        _shot(page, "phone-3-saved", at=page.get_by_text("Your vote is saved").first)

        # A reload (a new browser session with the token in the URL) finds the ballot intact.
        url = page.url
        page.reload()
        page.get_by_text("Your vote is saved").first.wait_for()
        _wait_for_counter(page, "5 of 10 dots left")
        settled(page)
        assert page.url == url
        expect(page.locator(DOT_CONTROL)).to_have_count(len(before))
        assert _dot_state(page) == before
        expect(page.get_by_role("button", name="Submit my vote")).to_be_disabled()
        _shot(page, "phone-4-reloaded")
        _shot(page, "phone-5-reloaded-saved", at=page.get_by_text("Your vote is saved").first)
        # "Saved" is the first thing the reloaded phone says, above the dot counter.
        top = page.get_by_text("Your vote is saved").first.bounding_box()
        assert top["y"] < page.locator(".pw-counter").bounding_box()["y"], "'saved' is said at the top"
        # A change after the save: the top says it is not saved yet, and a press saves it.
        _place(page, 2, 1)
        _wait_for_counter(page, "4 of 10 dots left")
        page.get_by_text("Your changes are not saved yet").wait_for()
        page.get_by_role("button", name="Change my vote").click()
        page.get_by_text("Your vote is saved").first.wait_for()
        expect(page.get_by_text("Your changes are not saved yet")).to_have_count(0)
    except BaseException:
        _shot(page, "phone-failure")
        raise
    finally:
        context.close()


def test_submit_without_a_connection_says_so_and_pressing_again_saves(browser, server, join_code):
    """The submit button posts the ballot (ui/ballot/core.js): a lost request is reported in the
    page's language, the dots stay, and the next press (same ballot) is saved once."""
    with _fresh_ballot(browser, server, join_code, "phone-offline-failure") as page:
        _place(page, 1, 2)
        _wait_for_counter(page, "8 of 10 dots left")
        posts: list[str] = []
        page.route("**/api/ballot*", lambda route: (posts.append(route.request.post_data), route.abort()))
        page.get_by_role("button", name="Submit my vote").click()
        page.get_by_text("Your vote was not sent: no connection to the server").first.wait_for()
        expect(page.get_by_role("button", name="Submit my vote")).to_be_enabled()
        _shot(page, "phone-6-offline", at=page.get_by_text("Your vote was not sent").first)

        page.unroute("**/api/ballot*")
        page.on("request", lambda r: posts.append(r.post_data) if "/api/ballot" in r.url else None)
        page.get_by_role("button", name="Submit my vote").click()
        page.get_by_text("Your vote is saved").first.wait_for()
        expect(page.get_by_text("Your vote was not sent")).to_have_count(0)
        expect(page.get_by_role("button", name="Submit my vote")).to_be_disabled()
        first, second = (json.loads(p) for p in posts)
        assert first == second, "a second press of the same ballot resends the same submission"
        assert list(first["ballot"]["dots"].values()) == [2]

        page.reload()
        page.get_by_text("Your vote is saved").first.wait_for()
        _wait_for_counter(page, "8 of 10 dots left")


_SUBMIT_BUTTON_JS = """
(() => {
    const find = (root) => {
        const hit = root.querySelector('[data-testid="pw-submit"]');
        if (hit) return hit;
        for (const el of root.querySelectorAll('*')) {
            if (el.shadowRoot) { const inner = find(el.shadowRoot); if (inner) return inner; }
        }
        return null;
    };
    return find(document);
})()
"""


def test_a_press_right_after_a_tap_sends_the_ballot_with_the_tap(browser, server, join_code):
    """A tap and a press in the same moment: the press sends the ballot that includes the tap
    (the ballot is the browser's, nothing waits for the server)."""
    with _fresh_ballot(browser, server, join_code, "phone-tap-press-failure") as page:
        settled(page)
        posts: list[dict] = []
        page.on("request", lambda r: posts.append(json.loads(r.post_data)) if "/api/ballot" in r.url else None)
        tap_and_press = """([taps, button]) => {
            const dots = button.getRootNode().querySelectorAll('[role="radiogroup"].pw-dots');
            for (const [index, n] of taps) dots[index].querySelector(`[data-value="${n}"]`).click();
            button.click();
        }"""
        # The tap and the press in one go: the server cannot have answered the tap in between.
        page.evaluate(tap_and_press, [[[2, 2]], page.evaluate_handle(_SUBMIT_BUTTON_JS)])
        page.get_by_text("Your vote is saved").first.wait_for()
        assert len(posts) == 1, posts
        assert sorted(posts[0]["ballot"]["dots"].values()) == [2], posts[0]
        _wait_for_counter(page, "8 of 10 dots left")
        settled(page)
        # The same on a saved ballot, with two taps: the button read "saved" before them.
        page.evaluate(tap_and_press, [[[0, 1], [4, 3]], page.evaluate_handle(_SUBMIT_BUTTON_JS)])
        _wait_for_counter(page, "4 of 10 dots left")
        page.get_by_text("Your vote is saved").first.wait_for()
        assert len(posts) == 2, posts
        assert sorted(posts[1]["ballot"]["dots"].values()) == [1, 2, 3], posts[1]

        page.reload()
        page.get_by_text("Your vote is saved").first.wait_for()
        _wait_for_counter(page, "4 of 10 dots left")


def test_pressing_again_while_the_server_answers_sends_one_request(browser, server, join_code):
    """An impatient second press (the hall's Wi-Fi is slow) does not send the ballot again."""
    with _fresh_ballot(browser, server, join_code, "phone-double-press-failure") as page:
        _place(page, 3, 1)
        _wait_for_counter(page, "9 of 10 dots left")
        settled(page)
        held = []
        page.route("**/api/ballot*", lambda route: held.append(route))  # answered only when the test lets it through
        button = page.get_by_role("button", name="Submit my vote")
        button.click()
        page.get_by_role("button", name="Saving your vote").wait_for()
        # Still focusable and announced as unavailable while sending; a press does nothing.
        expect(page.get_by_role("button", name="Saving your vote")).to_be_disabled()
        page.get_by_role("button", name="Saving your vote").dispatch_event("click")
        page.get_by_role("button", name="Saving your vote").dispatch_event("click")
        page.wait_for_timeout(300)
        assert len(held) == 1, "a press while sending does not send again"
        held[0].continue_()
        page.get_by_text("Your vote is saved").first.wait_for()
        page.get_by_role("button", name="Submit my vote").dispatch_event("click")
        page.wait_for_timeout(300)
        assert len(held) == 1, "a press of the saved ballot sends nothing"
        # ... and is not waiting to send either (it would read "Saving your vote …").
        expect(page.get_by_role("button", name="Submit my vote")).to_have_attribute("aria-busy", "false")
        page.get_by_text("Your vote is saved").first.wait_for()


def test_phone_touch_targets_are_at_least_44_px(browser, server, join_code):
    context, page = _phone(browser)
    try:
        page.goto(f"{server.url}/?code={join_code}&lang=en")
        page.get_by_role("button", name="Start").wait_for()
        small = [f"join: {s}" for s in _small_touch_targets(page)]
        _join_with_group(page)
        _wait_for_counter(page, "10 of 10 dots left")
        small += [f"ballot: {s}" for s in _small_touch_targets(page)]
        assert not small, small
    finally:
        context.close()


def test_kiosk_tablet_two_people_in_a_row(browser, server, join_code):
    _code, ballots_before = _console_facts(browser, server)
    context, page = _phone(browser, TABLET)
    try:
        page.goto(f"{server.url}/?code={join_code}&kiosk=1&lang=en")
        _join_with_group(page)
        first_url = page.url

        # Person 1.
        _wait_for_counter(page, "10 of 10 dots left")
        _place(page, 0, 3)
        _place(page, 2, 1)
        _wait_for_counter(page, "6 of 10 dots left")
        page.get_by_role("button", name="Submit my vote").click()

        # The save takes the tablet by itself to a neutral screen: nothing of person 1's ballot.
        page.get_by_text("Thank you! Your vote is saved.").wait_for()
        page.wait_for_url(lambda url: url != first_url)
        expect(page.locator(DOT_CONTROL)).to_have_count(0)
        expect(page.get_by_role("button", name="Submit my vote")).to_have_count(0)
        _shot(page, "tablet-1-person1-thanks")
        page.get_by_role("button", name="Next person").click()

        # Person 2 gets a fresh, empty ballot under a new token.
        _wait_for_counter(page, "10 of 10 dots left")
        expect(page.get_by_text("Your vote is saved")).to_have_count(0)
        expect(page.locator(PLACED)).to_have_count(0)
        expect(page.get_by_role("button", name="Submit my vote")).to_be_enabled()
        settled(page)
        state = _dot_state(page)
        assert state and set(state.values()) == {0}, state
        _shot(page, "tablet-2-person2-fresh")
        _place(page, 1, 2)
        _wait_for_counter(page, "8 of 10 dots left")
        page.get_by_role("button", name="Submit my vote").click()
        page.get_by_text("Thank you! Your vote is saved.").wait_for()
    except BaseException:
        _shot(page, "tablet-failure")
        raise
    finally:
        context.close()

    _code, ballots_after = _console_facts(browser, server)
    assert ballots_after == ballots_before + 2


def test_kiosk_back_button_does_not_reopen_the_previous_ballot(browser, server, join_code):
    context, page = _phone(browser, TABLET)
    try:
        page.goto(f"{server.url}/?code={join_code}&kiosk=1&lang=en")
        _join_with_group(page)
        first_token = re.search(r"[?&]t=([^&]+)", page.url)[1]
        _place(page, 0, 3)
        _wait_for_counter(page, "7 of 10 dots left")
        settled(page)
        voted = {title: n for title, n in _dot_state(page).items() if n == 3}
        page.get_by_role("button", name="Submit my vote").click()
        page.get_by_role("button", name="Next person").click()
        page.wait_for_url(lambda url: first_token not in url)
        _wait_for_counter(page, "10 of 10 dots left")

        # The next person presses Back (and the page reloads): person 1's ballot must stay closed.
        page.go_back()
        page.reload()
        page.locator('.pw-counter, .pw-thanks, [data-testid="stRadio"]').first.wait_for()
        settled(page)
        _shot(page, "tablet-4-kiosk-back")
        reopened = first_token in page.url and page.get_by_text("This link is no longer valid").count() == 0
        assert not reopened, "the previous person's token still opens a ballot"
        assert not voted.items() & _dot_state(page).items(), "the previous person's dots are shown"
    finally:
        context.close()


def test_join_and_vote_through_the_nginx_setup(browser, server, join_code):
    """The reverse proxy we ship for big halls (scripts/nginx_site.py): static files from nginx,
    gzip, the websocket passed through; a phone joins and votes through it."""
    from bench.server import Nginx

    # Not pytest's tmp_path: nginx's unprivileged workers cannot enter /tmp/pytest-of-<user>.
    home = Path(tempfile.mkdtemp(prefix="pw-nginx-"))
    proxy = Nginx(home / "nginx", server.port).start()
    context, page = _phone(browser)
    static = []
    page.on("response", lambda r: static.append(r) if "/static/" in r.url else None)
    try:
        page.goto(f"http://127.0.0.1:{proxy.port}/?code={join_code}&lang=en")
        _join_with_group(page)
        _wait_for_counter(page, "10 of 10 dots left")
        _place(page, 2, 1)
        _wait_for_counter(page, "9 of 10 dots left")
        page.get_by_role("button", name="Submit my vote").click()
        page.get_by_text("Your vote is saved").first.wait_for()
        scripts = [r for r in static if r.url.endswith(".js")]
        assert scripts, "no static scripts loaded"
        assert all(r.status == 200 for r in static), [(r.url, r.status) for r in static if r.status != 200]
        assert all(r.headers.get("content-encoding") == "gzip" for r in scripts)
        assert all("immutable" in r.headers.get("cache-control", "") for r in scripts)
    except BaseException:
        _shot(page, "nginx-failure")
        raise
    finally:
        context.close()
        proxy.stop()
        shutil.rmtree(home, ignore_errors=True)
