"""The ranking in the browser (ui/ballot.py, ui/ballot/core.js + ranking.js) on a phone.

A move changes the screen at once and sends nothing to the server; every button is named with its
measure and its place; after a keyboard move the focus stays on the moved measure and a live
region says its new place; the half-done order survives a reload; submit and change; without a
connection, and a resend after a lost answer; right to left; a kiosk tablet for two people. The
workshop (prepared before its own server starts) ranks a shortlist of 4 of its 5 measures, one
title looking like Markdown that must stay text.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import (
    SHOTS,
    TABLET,
    ballot_phone,
    focused,
    frames_sent,
    posts_of,
    press_and_lose_the_answer,
    stored_ballots,
    voting_server,
)

GOALS = ["Zusammenleben in Harburg", "العمل والتعليم"]
MEASURES = [
    (0, "Phoenix-Viertel: ein *Treffpunkt* für alle", "Ein Raum im Quartier, offen am Abend."),
    (0, "Interkulturelles Straßenfest", ""),
    (1, "مقهى الديمقراطية الشهري في الحي", "لقاء شهري مفتوح للجميع"),
    (1, "Sprachcafé in der Bücherhalle", ""),
    (1, "Nicht auf der Liste", ""),
]
LISTED = [t for _g, t, _d in MEASURES[:4]]


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    """A server of its own: a workshop voting by ranking a shortlist."""
    server = voting_server(tmp_path_factory, "ranking", {"method": "ranking"}, GOALS, MEASURES, shortlist=LISTED)
    yield server
    server.stop()


def phone(browser, srv, **kwargs):
    return ballot_phone(browser, srv, srv.code, **kwargs)


def titles(page) -> list[str]:
    """The measures' titles in the order shown."""
    return page.locator(".pw-rank-item .pw-measure").all_inner_texts()


def ids(page) -> list[str]:
    return page.locator(".pw-rank-item").evaluate_all("els => els.map(el => el.dataset.measure)")


def button(page, title: str, direction: str):
    """The "up" or "down" button of the measure ``title``."""
    return page.locator(".pw-rank-item").filter(has_text=title).locator(f".pw-{direction}")


def tap(page, title: str, direction: str, *, force: bool = False) -> None:
    """Tap the button (``force``: also an aria-disabled one, which Playwright would wait on)."""
    target = button(page, title, direction)
    target.evaluate("el => el.scrollIntoView({block: 'center'})")  # not under the sticky instruction
    target.click(force=force)


def announced(page) -> str:
    page.wait_for_function("() => true")  # one frame: the live region is filled after it is emptied
    page.wait_for_timeout(100)
    return page.locator(".pw-announce").inner_text()


def test_moves_reorder_at_once_send_nothing_and_are_named(browser, srv):
    with phone(browser, srv, shot="ranking-moves") as page:
        sent = frames_sent(page)
        page.reload()  # the listener sees the page's websocket from its start
        page.locator(".pw-rank-item").first.wait_for()
        page.wait_for_timeout(1500)  # the first runs of the page are over
        before = len(sent)
        start = titles(page)
        assert sorted(start) == sorted(LISTED), "only the shortlist, each measure once"
        assert page.locator(".pw-place").all_inner_texts() == [f"Place {n}" for n in range(1, 5)]
        assert page.locator(".pw-ballot b, .pw-ballot em, .pw-ballot strong").count() == 0, "text, not Markdown"
        names = page.locator(".pw-move").evaluate_all("els => els.map(b => b.getAttribute('aria-label'))")
        assert names == [f"Move {d}: {t} (place {n})" for n, t in enumerate(start, start=1) for d in ("up", "down")], (
            names
        )
        assert button(page, start[0], "up").get_attribute("aria-disabled") == "true"
        assert button(page, start[-1], "down").get_attribute("aria-disabled") == "true"
        assert button(page, start[1], "up").get_attribute("aria-disabled") == "false"
        live = page.locator(".pw-announce")
        assert live.get_attribute("role") == "status" and live.get_attribute("aria-live") == "polite"

        tap(page, start[0], "down")
        assert titles(page) == [start[1], start[0], start[2], start[3]], "the move shows at once"
        assert announced(page) == f"{start[0]}: now place 2"
        assert button(page, start[0], "up").get_attribute("aria-label") == f"Move up: {start[0]} (place 2)"
        tap(page, start[3], "up")
        assert titles(page) == [start[1], start[0], start[3], start[2]]
        tap(page, start[1], "up", force=True)  # disabled at the top: nothing happens
        assert titles(page) == [start[1], start[0], start[3], start[2]]
        assert page.locator(".pw-place").all_inner_texts() == [f"Place {n}" for n in range(1, 5)]

        page.wait_for_timeout(500)
        assert len(sent) == before, f"moves sent {len(sent) - before} websocket messages: {sent[before:]}"

        # Touch targets of at least 44 px: every move button and the submit button.
        for target in page.locator(".pw-move, .pw-submit-button").all():
            size = target.bounding_box()
            assert size["width"] >= 44 and size["height"] >= 44, size
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "ballot-ranking.png"))


def test_keyboard_moves_keep_the_focus_on_the_moved_measure(browser, srv):
    with phone(browser, srv, shot="ranking-keyboard") as page:
        start = titles(page)
        button(page, start[1], "down").focus()
        page.keyboard.press("Enter")
        assert titles(page)[2] == start[1]
        where = focused(page)
        assert where["label"] == f"Move down: {start[1]} (place 3)", where
        assert where["outline"] == "solid 3px rgb(28, 28, 28)", "a visible focus of at least 3:1"
        assert announced(page) == f"{start[1]}: now place 3"
        page.keyboard.press("Space")  # to the end of the list: the focus goes to its "up" button
        assert titles(page)[3] == start[1]
        where = focused(page)
        assert where["label"] == f"Move up: {start[1]} (place 4)" and where["disabled"] == "false", where
        assert announced(page) == f"{start[1]}: now place 4"
        assert button(page, start[1], "down").get_attribute("aria-disabled") == "true"
        button(page, start[1], "down").focus()  # aria-disabled, still focusable
        assert focused(page)["disabled"] == "true"
        page.keyboard.press("Enter")
        assert titles(page)[3] == start[1], "the last one cannot go further down"
        for _i in range(3):
            page.keyboard.press("Shift+Tab")  # back to its "up" button, then up three places
            if focused(page)["label"] and focused(page)["label"].startswith("Move up: " + start[1]):
                break
        for n in (3, 2, 1):
            page.keyboard.press("Enter")
            assert focused(page)["label"] == (
                f"Move up: {start[1]} (place {n})" if n > 1 else f"Move down: {start[1]} (place 1)"
            ), focused(page)
        assert titles(page)[0] == start[1] and announced(page) == f"{start[1]}: now place 1"


def test_reload_keeps_the_draft_then_submit_and_change(browser, srv):
    with phone(browser, srv, shot="ranking-reload") as page:
        posts = posts_of(page)
        start = titles(page)
        tap(page, start[2], "up")
        tap(page, start[2], "up")
        moved = titles(page)
        assert moved[0] == start[2]
        order = ids(page)
        page.reload()
        page.locator(".pw-rank-item").first.wait_for()
        assert titles(page) == moved, "the half-done ranking is back after a reload"

        submit = page.locator(".pw-submit-button")
        assert submit.inner_text() == "Submit my vote" and submit.get_attribute("aria-disabled") == "false"
        submit.click()
        page.locator(".pw-submit-status.pw-saved").wait_for()
        assert posts[0]["ballot"] == {"method": "ranking", "order": order}
        assert len(posts) == 1 and posts[0]["t"] in page.url and submit.get_attribute("aria-disabled") == "true"

        page.reload()  # the stored ranking, saved
        page.locator(".pw-status-top.pw-saved").wait_for()
        assert titles(page) == moved and submit.get_attribute("aria-disabled") == "true"

        tap(page, moved[3], "up")
        assert submit.inner_text() == "Change my vote"
        assert page.locator(".pw-status-top.pw-pending").is_visible(), "a change not yet sent is said at the top"
        tap(page, moved[3], "down")
        assert submit.get_attribute("aria-disabled") == "true", "back to the saved ranking: nothing to send"
        tap(page, moved[1], "up")
        changed = ids(page)
        submit.click()
        page.locator(".pw-submit-status.pw-saved").wait_for()
        assert len(posts) == 2 and posts[1]["ballot"]["order"] == changed
        assert posts[1]["submission"] != posts[0]["submission"], "a changed ballot is a new submission"


def test_offline_says_so_keeps_the_ballot_and_a_resend_is_stored_once(browser, srv):
    with phone(browser, srv, shot="ranking-offline") as page:
        posts = posts_of(page)
        before = stored_ballots(srv)
        start = titles(page)
        tap(page, start[3], "up")
        moved, order = titles(page), ids(page)
        assert moved[2] == start[3]
        page.context.set_offline(True)
        page.locator(".pw-submit-button").click()
        error = page.locator(".pw-submit-status.pw-error")
        error.wait_for()
        offline = "Your vote was not sent: no connection to the server. Check the network and press again."
        assert error.inner_text() == offline and page.locator(".pw-status-top.pw-error").inner_text() == offline
        assert titles(page) == moved, "the ranking stays"
        assert page.locator(".pw-submit-button").get_attribute("aria-disabled") == "false", "and can be sent again"
        page.context.set_offline(False)
        assert stored_ballots(srv) == before, "the offline try never reached the server"

        # The answer lost on its way back: the server stored the ballot, the phone does not know.
        assert press_and_lose_the_answer(page)["replaced"] is False
        assert titles(page) == moved

        # Pressing again sends the same ballot with the same submission id: stored once.
        page.locator(".pw-submit-button").click()
        page.locator(".pw-submit-status.pw-saved").wait_for()
        assert len(posts) >= 2 and all(p == posts[0] for p in posts), posts  # the same submission each time
        after = stored_ballots(srv)
        assert len(after) == len(before) + 1, "one ballot more in the database, not two"
        new = [b for b in after if b not in before]
        assert new == [(posts[0]["submission"], {"method": "ranking", "order": order})], "stored as ranked"


def test_arabic_is_right_to_left(browser, srv):
    with phone(browser, srv, lang="ar", shot="ranking-ar") as page:
        ballot = page.locator(".pw-ballot")
        assert ballot.get_attribute("dir") == "rtl" and ballot.get_attribute("lang") == "ar"
        item = page.locator(".pw-rank-item").first
        text, moves = item.locator(".pw-rank-text").bounding_box(), item.locator(".pw-moves").bounding_box()
        assert text["x"] > moves["x"], "the text at the right, the buttons at the left"
        assert page.locator(".pw-measure").first.get_attribute("dir") == "auto"
        start = titles(page)
        tap(page, start[0], "down")
        assert titles(page)[1] == start[0]
        name = button(page, start[0], "up").get_attribute("aria-label")
        assert start[0] in name and "2" in name, name
        ballot.evaluate("el => el.scrollIntoView()")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "ballot-ranking-ar.png"))


def test_kiosk_two_people_in_a_row(browser, srv):
    with phone(browser, srv, viewport=TABLET, kiosk=True, shot="ranking-kiosk") as page:
        posts = posts_of(page)
        before = stored_ballots(srv)
        first_token = re.search(r"[?&]t=([^&]+)", page.url)[1]
        start = titles(page)
        tap(page, start[2], "up")
        tap(page, start[2], "up")
        first_order = ids(page)
        top = first_order[0]
        page.locator(".pw-submit-button").click()
        # The save takes the tablet to the neutral screen, with nothing of the ranking on it.
        page.locator(".pw-thanks").wait_for()
        assert page.locator(".pw-ballot").count() == 0
        assert not [t for t in LISTED if page.get_by_text(t).count()], "no measure is on the screen"
        assert re.search(r"[?&]t=([^&]+)", page.url)[1] != first_token
        page.get_by_role("button", name="Next person").click()
        page.locator(".pw-rank-item").first.wait_for()
        # A new ballot, not the previous person's saved one (a ranking always shows some order).
        assert page.locator(".pw-submit-button").inner_text() == "Submit my vote"
        assert page.locator(".pw-status-top.pw-saved").count() == 0
        stored = page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('planungswerkstatt.ballot.'))")
        assert not [k for k in stored if first_token in k], "the previous person's draft is gone from the tablet"
        top_title = page.locator(f'.pw-rank-item[data-measure="{top}"] .pw-measure').inner_text()
        for _i in range(3):  # the first person's favourite goes to the bottom
            if titles(page)[-1] != top_title:
                tap(page, top_title, "down")
        assert titles(page)[-1] == top_title
        second_order = ids(page)
        assert second_order != first_order
        page.locator(".pw-submit-button").click()
        page.locator(".pw-thanks").wait_for()
        assert posts[0]["t"] == first_token and posts[-1]["t"] != first_token

        after = stored_ballots(srv)
        assert len(after) == len(before) + 2, "two people, two ballots"
        assert sorted(b for b in after if b not in before) == sorted(
            [
                (posts[0]["submission"], {"method": "ranking", "order": first_order}),
                (posts[-1]["submission"], {"method": "ranking", "order": second_order}),
            ]
        )
