"""The approval ballot in the browser (ui/ballot.py, ui/ballot/core.js + approval.js) on a phone.

A tap changes the screen at once and sends nothing to the server; at the limit no further measure
can be supported on screen, and the screen says why; the half-done ballot survives a reload;
submit and change; without a connection, and a resend after a lost answer; keyboard only, every
checkbox named with its measure; right to left; a kiosk tablet for two people. The workshop
(prepared before its own server starts) supports at most 3 of 6 measures under two goals.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import (
    SHOTS,
    TABLET,
    ballot_phone,
    counter,
    focused,
    frames_sent,
    posts_of,
    press_and_lose_the_answer,
    stored_ballots,
    voting_server,
)

BOXES = '[role="checkbox"].pw-support'
GOALS = ["Zusammenleben in Harburg", "العمل والتعليم"]
MEASURES = [
    (0, "Phoenix-Viertel: ein *Treffpunkt* für alle", "Ein Raum im Quartier, offen am Abend."),
    (0, "Interkulturelles Straßenfest", ""),
    (0, "Patenschaften für Neuangekommene", "Begleitung zu Ämtern."),
    (1, "مقهى الديمقراطية الشهري في الحي", "لقاء شهري مفتوح للجميع"),
    (1, "Sprachcafé in der Bücherhalle", ""),
    (1, "Ausbildungsmesse mit Betrieben aus Harburg", ""),
]
LIMIT = 3


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    """A server of its own: a workshop voting by approval (the shared server's demo votes by dots)."""
    server = voting_server(
        tmp_path_factory, "approval", {"method": "approval", "approval_limit": LIMIT}, GOALS, MEASURES
    )
    yield server
    server.stop()


def phone(browser, srv, **kwargs):
    return ballot_phone(browser, srv, srv.code, **kwargs)


def box(page, index: int):
    return page.locator(BOXES).nth(index)


def tick(page, index: int, *, force: bool = False) -> None:
    """Tap the ``index``-th checkbox (``force``: also where it is disabled)."""
    target = box(page, index)
    target.evaluate("el => el.scrollIntoView({block: 'center'})")  # not under the sticky counter
    target.click(force=force)


def ticked(page) -> list[bool]:
    """Which measures are supported, in the order shown."""
    return page.locator(BOXES).evaluate_all("els => els.map(el => el.getAttribute('aria-checked') === 'true')")


def shown(n: int, limit: int = LIMIT) -> str:
    return f"{n} of at most {limit} measures supported"


def test_taps_change_the_screen_at_once_send_nothing_and_stop_at_the_limit(browser, srv):
    with phone(browser, srv, shot="approval-taps") as page:
        sent = frames_sent(page)
        page.reload()  # the listener sees the page's websocket from its start
        page.locator(".pw-counter").filter(has_text=shown(0, LIMIT)).wait_for()
        page.wait_for_timeout(1500)  # the first runs of the page are over
        before = len(sent)
        live = page.locator(".pw-counter")
        assert live.get_attribute("role") == "status" and live.get_attribute("aria-live") == "polite"
        live.evaluate("el => { el.dataset.same = 'yes'; }")  # updated in place, not replaced

        # Every checkbox is named with its own measure, as typed (no Markdown escapes).
        assert page.locator(BOXES).count() == len(MEASURES)
        titles = page.locator(".pw-item .pw-measure").all_inner_texts()
        names = [box(page, i).get_attribute("aria-label") for i in range(len(MEASURES))]
        assert names == [f"I support this: {t}" for t in titles], names
        assert sorted(titles) == sorted(t for _g, t, _d in MEASURES)
        assert box(page, 0).inner_text().strip().endswith("I support this")

        for index in range(2):
            tick(page, index)
        assert counter(page) == shown(2, LIMIT), "the counter follows each tap at once"
        tick(page, 2)
        assert counter(page) == shown(3, LIMIT) and "pw-empty" in live.get_attribute("class")
        assert ticked(page) == [True, True, True, False, False, False]

        # At the limit the others cannot be ticked, and say why (to a screen reader all the time).
        disabled = [box(page, i).get_attribute("aria-disabled") for i in range(len(MEASURES))]
        assert disabled == ["false"] * 3 + ["true"] * 3
        fourth = box(page, 3)
        reason = page.locator(".pw-item").nth(3).locator(".pw-reason")
        assert fourth.get_attribute("aria-describedby") == reason.get_attribute("id")
        assert reason.text_content() == f"You can support at most {LIMIT} measures."
        assert "pw-shown" not in reason.get_attribute("class"), "said to a screen reader, not yet shown"
        tick(page, 3, force=True)
        assert ticked(page)[3] is False and counter(page) == shown(3, LIMIT), "a tap over the limit changes nothing"
        assert "pw-shown" in reason.get_attribute("class") and reason.bounding_box()["height"] > 10, "and says why"
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "ballot-approval-limit.png"))

        tick(page, 0)  # taking back is always possible, and frees a support
        assert counter(page) == shown(2, LIMIT) and fourth.get_attribute("aria-disabled") == "false"
        assert fourth.get_attribute("aria-describedby") is None and "pw-shown" not in reason.get_attribute("class")
        tick(page, 3)
        assert ticked(page) == [False, True, True, True, False, False]
        assert live.evaluate("el => el.dataset.same") == "yes", "the live region was replaced, not updated"

        page.wait_for_timeout(500)
        assert len(sent) == before, f"taps sent {len(sent) - before} websocket messages: {sent[before:]}"

        # Touch targets of at least 44 px: every checkbox and the button.
        for target in page.locator(f"{BOXES}, .pw-submit-button").all():
            size = target.bounding_box()
            assert size["width"] >= 44 and size["height"] >= 44, size


def test_reload_keeps_the_draft_then_submit_and_change(browser, srv):
    with phone(browser, srv, shot="approval-reload") as page:
        posts = posts_of(page)
        tick(page, 1)
        tick(page, 4)
        before = ticked(page)
        page.reload()
        page.locator(".pw-counter").filter(has_text=shown(2, LIMIT)).wait_for()
        assert ticked(page) == before, "the half-done ballot is back after a reload"

        button = page.locator(".pw-submit-button")
        assert button.inner_text() == "Submit my vote" and button.get_attribute("aria-disabled") == "false"
        button.click()
        page.locator(".pw-submit-status.pw-saved").wait_for()
        assert button.get_attribute("aria-disabled") == "true"
        ids = [box(page, i).evaluate("el => el.dataset.measure") for i in (1, 4)]
        assert posts[0]["ballot"] == {"method": "approval", "approved": sorted(ids)} and len(posts) == 1
        assert posts[0]["t"] in page.url

        # A reload shows the stored ballot, saved (the draft is gone: it was the vote).
        page.reload()
        page.locator(".pw-status-top.pw-saved").wait_for()
        assert ticked(page) == before and button.get_attribute("aria-disabled") == "true"

        tick(page, 0)
        assert button.inner_text() == "Change my vote"
        assert page.locator(".pw-status-top.pw-pending").is_visible(), "a change not yet sent is said at the top"
        tick(page, 0)
        assert button.get_attribute("aria-disabled") == "true", "back to the saved ballot: nothing to send"
        tick(page, 1)  # take one back
        button.click()
        page.locator(".pw-submit-status.pw-saved").wait_for()
        assert len(posts) == 2 and posts[1]["ballot"]["approved"] == [ids[1]]
        assert posts[1]["submission"] != posts[0]["submission"], "a changed ballot is a new submission"


def test_offline_says_so_keeps_the_ballot_and_a_resend_is_stored_once(browser, srv):
    with phone(browser, srv, shot="approval-offline") as page:
        posts = posts_of(page)
        before = stored_ballots(srv)
        tick(page, 2)
        tick(page, 3)
        supported = ticked(page)
        page.context.set_offline(True)
        page.locator(".pw-submit-button").click()
        error = page.locator(".pw-submit-status.pw-error")
        error.wait_for()
        offline = "Your vote was not sent: no connection to the server. Check the network and press again."
        assert error.inner_text() == offline and page.locator(".pw-status-top.pw-error").inner_text() == offline
        assert ticked(page) == supported and counter(page) == shown(2), "the ballot stays"
        assert page.locator(".pw-submit-button").get_attribute("aria-disabled") == "false", "and can be sent again"
        page.context.set_offline(False)
        assert stored_ballots(srv) == before, "the offline try never reached the server"

        # The answer lost on its way back: the server stored the ballot, the phone does not know.
        assert press_and_lose_the_answer(page)["replaced"] is False
        assert ticked(page) == supported

        # Pressing again sends the same ballot with the same submission id: stored once.
        page.locator(".pw-submit-button").click()
        page.locator(".pw-submit-status.pw-saved").wait_for()
        assert len(posts) >= 2 and all(p == posts[0] for p in posts), posts  # the same submission each time
        ids = sorted(box(page, i).evaluate("el => el.dataset.measure") for i in (2, 3))
        after = stored_ballots(srv)
        assert len(after) == len(before) + 1, "one ballot more in the database, not two"
        new = [b for b in after if b not in before]
        assert new == [(posts[0]["submission"], {"method": "approval", "approved": ids})], "stored as ticked"


def test_keyboard_only_one_tab_stop_per_checkbox_named_with_its_measure(browser, srv):
    with phone(browser, srv, shot="approval-keyboard") as page:
        posts = posts_of(page)
        for _i in range(12):  # from the top of the page: the language, the heading, the ballot
            page.keyboard.press("Tab")
            if focused(page)["role"] == "checkbox":
                break
        titles = page.locator(".pw-item .pw-measure").all_inner_texts()
        first = focused(page)
        assert first["label"] == f"I support this: {titles[0]}" and first["checked"] == "false", first
        assert first["outline"] == "solid 3px rgb(28, 28, 28)", "a visible focus of at least 3:1"
        page.keyboard.press("Space")
        assert focused(page)["checked"] == "true" and counter(page) == shown(1, LIMIT)
        for index in (1, 2):
            page.keyboard.press("Tab")
            assert focused(page)["label"] == f"I support this: {titles[index]}", "one Tab stop per checkbox"
            page.keyboard.press("Space")
        assert counter(page) == shown(3, LIMIT)
        page.keyboard.press("Tab")
        at_limit = focused(page)
        assert at_limit["label"] == f"I support this: {titles[3]}" and at_limit["disabled"] == "true", (
            "a checkbox that cannot be ticked keeps its Tab stop"
        )
        page.keyboard.press("Space")
        assert focused(page)["checked"] == "false" and counter(page) == shown(3, LIMIT)
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Space")  # the third one taken back
        assert focused(page)["checked"] == "false" and counter(page) == shown(2, LIMIT)

        # At 200 % text the counter never covers the focused checkbox.
        page.evaluate("document.documentElement.style.fontSize = '200%'")
        page.wait_for_timeout(300)
        for _i in range(4):
            page.keyboard.press("Tab")
            where = focused(page)
            if where["role"] != "checkbox":
                break
            assert not where["covered"] and where["visible"], where
        for _i in range(30):  # on to the button, and Enter submits
            if "pw-submit-button" in focused(page)["cls"]:
                break
            page.keyboard.press("Tab")
        assert "pw-submit-button" in focused(page)["cls"]
        page.keyboard.press("Enter")
        page.locator(".pw-submit-status.pw-saved").wait_for()
        assert posts and len(posts[-1]["ballot"]["approved"]) == 2


def test_arabic_is_right_to_left_with_the_checkboxes_too(browser, srv):
    with phone(browser, srv, lang="ar", shot="approval-ar") as page:
        ballot = page.locator(".pw-ballot")
        assert ballot.get_attribute("dir") == "rtl" and ballot.get_attribute("lang") == "ar"
        first = box(page, 0)
        mark, words = first.locator(".pw-check").bounding_box(), first.locator(".pw-support-text").bounding_box()
        assert mark["x"] > words["x"], "the box is at the right, its words to its left"
        assert page.locator(".pw-measure").first.get_attribute("dir") == "auto"
        assert page.locator(".pw-goal-title").first.get_attribute("dir") == "auto"
        tick(page, 0)
        arabic = page.locator(".pw-item").filter(has_text=MEASURES[3][1])
        arabic.locator(BOXES).evaluate("el => el.scrollIntoView({block: 'center'})")
        arabic.locator(BOXES).click()
        assert page.locator(".pw-measure").first.inner_text() in first.get_attribute("aria-label")
        assert re.search(r"\d", counter(page))
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "ballot-approval-ar.png"))


def test_kiosk_two_people_in_a_row(browser, srv):
    with phone(browser, srv, viewport=TABLET, kiosk=True, shot="approval-kiosk") as page:
        posts = posts_of(page)
        first_token = re.search(r"[?&]t=([^&]+)", page.url)[1]
        tick(page, 0)
        tick(page, 5)
        page.locator(".pw-submit-button").click()
        # The save takes the tablet to the neutral screen, with nothing of the ballot on it.
        page.locator(".pw-thanks").wait_for()
        assert page.locator(".pw-ballot").count() == 0
        page.get_by_role("button", name="Next person").click()
        page.locator(".pw-counter").filter(has_text=shown(0, LIMIT)).wait_for()
        assert not any(ticked(page)), "the previous person's supports are gone"
        stored = page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('planungswerkstatt.ballot.'))")
        assert not [k for k in stored if first_token in k], "the previous person's draft is gone from the tablet"
        tick(page, 2)
        page.locator(".pw-submit-button").click()
        page.locator(".pw-thanks").wait_for()
        assert posts[0]["t"] == first_token and posts[-1]["t"] != first_token
        assert len(posts[0]["ballot"]["approved"]) == 2 and len(posts[-1]["ballot"]["approved"]) == 1
