"""The dot ballot in the browser (ui/ballot.py, ui/ballot/core.js + dots.js) on a phone.

A tap changes the screen at once and sends nothing to the server; overspending is not possible
on screen; the half-done ballot survives a reload; submit, change, and a resend after a lost
answer or without a connection; keyboard only; right to left; a kiosk tablet for two people.
The demo workshop votes with dots: 10 per person, at most 3 per measure.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.e2e.conftest import (
    SHOTS,
    TABLET,
    counter,
    focused,
    frames_sent,
    posts_of,
    press_and_lose_the_answer,
)
from tests.e2e.conftest import ballot_phone as phone
from tests.e2e.test_participant import _console_facts

GROUPS = '[role="radiogroup"].pw-dots'


@pytest.fixture(scope="module")
def join_code(browser, server) -> str:
    return _console_facts(browser, server)[0]


def group(page, index: int):
    return page.locator(GROUPS).nth(index)


def tap(page, index: int, n: int, *, force: bool = False) -> None:
    """Tap ``n`` dots on the ``index``-th measure (``force``: also where the option is disabled)."""
    option = group(page, index).locator(f'[role="radio"][data-value="{n}"]')
    option.evaluate("el => el.scrollIntoView({block: 'center'})")  # not under the sticky counter
    option.click(force=force)


def chosen(page) -> list[int]:
    """The dots chosen per measure, in the order shown."""
    return page.evaluate(
        """(sel) => {
        const out = [];
        const walk = (root) => {
            for (const g of root.querySelectorAll(sel)) {
                const on = g.querySelector('[role=radio][aria-checked=true]');
                out.push(on ? Number(on.dataset.value) : -1);
            }
            for (const el of root.querySelectorAll('*')) if (el.shadowRoot) walk(el.shadowRoot);
        };
        walk(document);
        return out;
    }""",
        GROUPS,
    )


def test_taps_change_the_screen_at_once_send_nothing_and_cannot_overspend(browser, server, join_code):
    with phone(browser, server, join_code, shot="ballot-taps") as page:
        sent = frames_sent(page)
        page.reload()  # the listener sees the page's websocket from its start
        page.locator(".pw-counter").filter(has_text="10 of 10 dots left").wait_for()
        page.wait_for_timeout(1500)  # the first runs of the page are over
        before = len(sent)
        live = page.locator(".pw-counter")
        assert live.get_attribute("role") == "status" and live.get_attribute("aria-live") == "polite"
        live.evaluate("el => { el.dataset.same = 'yes'; }")  # updated in place, not replaced

        names = [group(page, i).get_attribute("aria-label") for i in range(4)]
        assert all(n.startswith("Dots for ") and len(n) > 10 for n in names), names
        options = group(page, 0).get_by_role("radio")
        assert [options.nth(i).get_attribute("aria-label") for i in range(4)] == ["0 dots", "1 dot", "2 dots", "3 dots"]

        for index in range(3):
            tap(page, index, 3)
        assert counter(page) == "1 of 10 dots left", "the counter follows each tap at once"
        assert chosen(page)[:4] == [3, 3, 3, 0]

        # Two or three dots on the fourth measure would be more than the 10: not selectable.
        fourth = group(page, 3)
        disabled = [fourth.locator(f'[data-value="{n}"]').get_attribute("aria-disabled") for n in range(4)]
        assert disabled == ["false", "false", "true", "true"]
        reason = fourth.locator(".pw-reason")
        assert "pw-shown" not in reason.get_attribute("class"), "said to a screen reader, not yet shown"
        tap(page, 3, 3, force=True)
        assert chosen(page)[3] == 0 and counter(page) == "1 of 10 dots left", "an overspending tap changes nothing"
        assert "pw-shown" in reason.get_attribute("class") and reason.inner_text() == (
            "Not enough dots left for that. Take dots away elsewhere first."
        ), "and says why"
        assert fourth.locator('[data-value="3"]').get_attribute("aria-describedby") == reason.get_attribute("id")
        tap(page, 3, 1)
        assert counter(page) == "0 of 10 dots left" and "pw-empty" in live.get_attribute("class")
        tap(page, 0, 1)
        assert counter(page) == "2 of 10 dots left"
        assert live.evaluate("el => el.dataset.same") == "yes", "the live region was replaced, not updated"

        page.wait_for_timeout(500)
        assert len(sent) == before, f"taps sent {len(sent) - before} websocket messages: {sent[before:]}"

        # Touch targets of at least 44 px: every dot option and the button.
        for box in [o.bounding_box() for o in page.locator(".pw-dot, .pw-submit-button").all()]:
            assert box["width"] >= 44 and box["height"] >= 44, box


def test_reload_keeps_the_draft_then_submit_and_change(browser, server, join_code):
    with phone(browser, server, join_code, shot="ballot-reload") as page:
        posts = posts_of(page)
        tap(page, 0, 2)
        tap(page, 2, 3)
        shown = chosen(page)
        page.reload()
        page.locator(".pw-counter").filter(has_text="5 of 10 dots left").wait_for()
        assert chosen(page) == shown, "the half-done ballot is back after a reload"

        button = page.locator(".pw-submit-button")
        assert button.inner_text() == "Submit my vote" and button.get_attribute("aria-disabled") == "false"
        button.click()
        page.locator(".pw-submit-status.pw-saved").wait_for()
        assert button.get_attribute("aria-disabled") == "true"
        assert len(posts) == 1 and sorted(posts[0]["ballot"]["dots"].values()) == [2, 3]
        assert posts[0]["ballot"]["method"] == "dots" and posts[0]["t"] in page.url

        # A reload shows the stored ballot, saved (the draft is gone: it was the vote).
        page.reload()
        page.locator(".pw-status-top.pw-saved").wait_for()
        assert chosen(page) == shown and button.get_attribute("aria-disabled") == "true"
        top = page.locator(".pw-status-top").bounding_box()
        assert top["y"] < page.locator(".pw-counter").bounding_box()["y"], "'saved' is said at the top"

        tap(page, 1, 1)
        assert button.inner_text() == "Change my vote"
        assert page.locator(".pw-status-top.pw-pending").is_visible(), "a change not yet sent is said at the top"
        tap(page, 1, 0)
        assert button.get_attribute("aria-disabled") == "true", "back to the saved ballot: nothing to send"
        tap(page, 1, 1)
        button.click()
        page.locator(".pw-submit-status.pw-saved").wait_for()
        assert len(posts) == 2 and sorted(posts[1]["ballot"]["dots"].values()) == [1, 2, 3]
        assert posts[1]["submission"] != posts[0]["submission"], "a changed ballot is a new submission"


def test_offline_says_so_keeps_the_ballot_and_a_resend_is_stored_once(browser, server, join_code):
    with phone(browser, server, join_code, shot="ballot-offline") as page:
        posts = posts_of(page)
        tap(page, 1, 2)
        page.context.set_offline(True)
        page.locator(".pw-submit-button").click()
        error = page.locator(".pw-submit-status.pw-error")
        error.wait_for()
        assert "no connection" in error.inner_text()
        assert counter(page) == "8 of 10 dots left" and chosen(page)[1] == 2, "the ballot stays"
        page.context.set_offline(False)

        # The answer lost on its way back: the server stored the ballot, the phone does not know.
        assert press_and_lose_the_answer(page)["replaced"] is False

        # Pressing again sends the same ballot with the same submission id: stored once.
        page.locator(".pw-submit-button").click()
        page.locator(".pw-submit-status.pw-saved").wait_for()
        ids = {p["submission"] for p in posts}
        assert len(posts) >= 3 and len(ids) == 1, posts  # the offline try never left the page
        assert all(p["ballot"] == posts[0]["ballot"] for p in posts)


def test_a_refusal_is_shown_in_the_servers_words(browser, server, join_code):
    with phone(browser, server, join_code, shot="ballot-refusal") as page:
        tap(page, 0, 1)
        page.route(
            "**/api/ballot*",
            lambda route: route.fulfill(
                status=503, content_type="application/json", body=json.dumps({"error": "Der Server ist belegt."})
            ),
        )
        page.locator(".pw-submit-button").click()
        page.locator(".pw-submit-status.pw-error").filter(has_text="Der Server ist belegt.").wait_for()
        assert page.locator(".pw-status-top.pw-error").inner_text() == "Der Server ist belegt."
        assert chosen(page)[0] == 1


def test_keyboard_only_one_tab_stop_per_measure_arrows_inside(browser, server, join_code):
    with phone(browser, server, join_code, shot="ballot-keyboard") as page:
        posts = posts_of(page)
        for _i in range(10):  # from the top of the page: the language, the heading, the ballot
            page.keyboard.press("Tab")
            if focused(page)["group"]:
                break
        first = focused(page)
        assert first["group"].startswith("Dots for ") and first["label"] == "0 dots", first
        assert first["outline"] == "solid 3px rgb(28, 28, 28)", "a visible focus of at least 3:1"
        page.keyboard.press("ArrowRight")
        assert focused(page)["label"] == "1 dot" and focused(page)["checked"] == "true"
        assert counter(page) == "9 of 10 dots left"
        page.keyboard.press("End")
        assert focused(page)["label"] == "3 dots" and counter(page) == "7 of 10 dots left"
        page.keyboard.press("ArrowRight")
        assert focused(page)["label"] == "3 dots", "the last option stays"
        page.keyboard.press("Tab")
        second = focused(page)
        assert second["group"] != first["group"] and second["label"] == "0 dots", "one Tab stop per measure"
        page.keyboard.press("Shift+Tab")
        assert focused(page)["group"] == first["group"] and focused(page)["label"] == "3 dots"
        page.keyboard.press("Home")
        assert counter(page) == "10 of 10 dots left"
        page.keyboard.press("ArrowRight")

        # At 200 % text the counter never covers the focused control.
        page.evaluate("document.documentElement.style.fontSize = '200%'")
        page.wait_for_timeout(300)
        for _i in range(6):
            page.keyboard.press("Tab")
            where = focused(page)
            if where["group"] is None:
                break
            assert not where["covered"] and where["visible"], where
        # On to the button, and Enter submits.
        for _i in range(60):
            if "pw-submit-button" in focused(page)["cls"]:
                break
            page.keyboard.press("Tab")
        assert "pw-submit-button" in focused(page)["cls"]
        page.keyboard.press("Enter")
        page.locator(".pw-submit-status.pw-saved").wait_for()
        assert posts and list(posts[-1]["ballot"]["dots"].values()) == [1]


def test_arabic_is_right_to_left_with_the_controls_too(browser, server, join_code):
    with phone(browser, server, join_code, lang="ar", shot="ballot-ar") as page:
        ballot = page.locator(".pw-ballot")
        assert ballot.get_attribute("dir") == "rtl" and ballot.get_attribute("lang") == "ar"
        zero, one = (group(page, 0).locator(f'[data-value="{n}"]').bounding_box() for n in (0, 1))
        assert zero["x"] > one["x"], "0 is at the right, the options run right to left"
        assert page.locator(".pw-measure").first.get_attribute("dir") == "auto"
        group(page, 0).locator('[data-value="0"]').focus()
        page.keyboard.press("ArrowLeft")
        assert chosen(page)[0] == 1, "the arrow towards the reading direction adds a dot"
        tap(page, 1, 2)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "ballot-dots-ar.png"))
        assert re.search(r"\d", counter(page))


def test_persian_writes_its_numbers_in_persian_digits(browser, server, join_code):
    """Issue 22.4: the counter, the dots' numbers and their names in ۰–۹ (Babel's symbols, the
    digits of the language's numbering system), and nothing in Latin digits."""
    with phone(browser, server, join_code, lang="fa", shot="ballot-fa") as page:
        tap(page, 0, 2)
        text = counter(page)
        assert re.search("[۰-۹]", text) and not re.search("[0-9]", text), text
        numbers = group(page, 0).locator(".pw-dot-number").all_inner_texts()
        assert numbers == ["۰", "۱", "۲", "۳"], numbers
        names = group(page, 0).locator(".pw-dot").evaluate_all("bs => bs.map(b => b.getAttribute('aria-label'))")
        assert all(re.search("[۰-۹]", n) and not re.search("[0-9]", n) for n in names), names
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "ballot-dots-fa.png"))


def test_kiosk_two_people_in_a_row(browser, server, join_code):
    with phone(browser, server, join_code, viewport=TABLET, kiosk=True, shot="ballot-kiosk") as page:
        posts = posts_of(page)
        first_token = re.search(r"[?&]t=([^&]+)", page.url)[1]
        tap(page, 0, 3)
        tap(page, 1, 1)
        page.locator(".pw-submit-button").click()
        # The save takes the tablet to the neutral screen, with nothing of the ballot on it.
        page.locator(".pw-thanks").wait_for()
        assert page.locator(".pw-ballot").count() == 0
        assert re.search(r"[?&]t=([^&]+)", page.url)[1] != first_token
        page.get_by_role("button", name="Next person").click()
        page.locator(".pw-counter").filter(has_text="10 of 10 dots left").wait_for()
        assert set(chosen(page)) == {0}, "the previous person's dots are gone"
        stored = page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('planungswerkstatt.ballot.'))")
        assert not [k for k in stored if first_token in k], "the previous person's draft is gone from the tablet"
        tap(page, 2, 2)
        page.locator(".pw-submit-button").click()
        page.locator(".pw-thanks").wait_for()
        assert [p["t"] for p in posts][0] == first_token and posts[-1]["t"] != first_token
        assert sorted(posts[-1]["ballot"]["dots"].values()) == [2]


STREAMLIT_ENGLISH = ("Skip to main content", "Open", "Clear value", "Clear all", "Link to heading", "Selected values")


def test_streamlits_own_texts_speak_the_pages_language(browser, server, join_code):
    """Issue 22.6: the skip link and the accessible names Streamlit gives its buttons are in the
    page.s language (Arabic here, then German)."""
    with phone(browser, server, join_code, lang="ar", shot="chrome-ar") as page:
        skip = page.locator('a[href="#stMain"]')
        page.wait_for_function(
            "() => document.querySelector('a[href=\"#stMain\"]').textContent !== 'Skip to main content'"
        )
        assert skip.text_content() == "الانتقال إلى المحتوى الرئيسي"
        assert page.locator(".stMain").first.get_attribute("dir") == "rtl"
        names = page.evaluate(
            "() => [...document.querySelectorAll('[aria-label]')].map(e => e.getAttribute('aria-label'))"
        )
        assert not set(names) & set(STREAMLIT_ENGLISH), names
        opened = page.locator('[data-pw-en="Open"]')
        assert opened.count() == 1, "the compact language picker is a select box"
        assert opened.first.get_attribute("aria-label") == "فتح القائمة"
        # The same page in German.
        page.goto(page.url.replace("lang=ar", "lang=de"))
        page.wait_for_function(
            "() => document.querySelector('a[href=\"#stMain\"]')?.textContent === 'Zum Hauptinhalt springen'"
        )
        page.wait_for_selector('[data-pw-en="Open"][aria-label="Liste öffnen"]')
