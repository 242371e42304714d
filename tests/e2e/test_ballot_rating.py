"""The rating ballot in the browser (ui/ballot.py, ui/ballot/core.js + rating.js) on a phone.

A tap changes the screen at once and sends nothing to the server; a rating can be cleared ("no
opinion"); the half-done ballot survives a reload; submit and change; without a connection, and a
resend after a lost answer; keyboard only, every radio group named with its measure, its criterion
and what 1 and 5 mean; right to left; a kiosk tablet for two people. The workshop (prepared before
its own server starts) rates 4 measures under two goals on two criteria, one of them with a label
from the file that looks like Markdown and must stay text.
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

GROUPS = '[role="radiogroup"].pw-scale'
GOALS = ["Zusammenleben in Harburg", "العمل والتعليم"]
MEASURES = [
    (0, "Phoenix-Viertel: ein *Treffpunkt* für alle", "Ein Raum im Quartier, offen am Abend."),
    (0, "Interkulturelles Straßenfest", ""),
    (1, "مقهى الديمقراطية الشهري في الحي", "لقاء شهري مفتوح للجميع"),
    (1, "Sprachcafé in der Bücherhalle", ""),
]
CRITERIA = [("impact", "Impact"), ("doable", "**Umsetzbar** <b>jetzt</b>")]


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    """A server of its own: a workshop voting by rating (the shared server's demo votes by dots)."""
    server = voting_server(
        tmp_path_factory,
        "rating",
        {"method": "rating", "criteria": [{"key": k, "label": lab, "weight": 1} for k, lab in CRITERIA]},
        GOALS,
        MEASURES,
    )
    yield server
    server.stop()


def phone(browser, srv, **kwargs):
    return ballot_phone(browser, srv, srv.code, **kwargs)


def group(page, index: int):
    """The ``index``-th radio group: measure ``index // 2``, criterion ``index % 2``."""
    return page.locator(GROUPS).nth(index)


def rate(page, index: int, n: int | None) -> None:
    """Tap ``n`` in the ``index``-th group (None: "no opinion")."""
    option = group(page, index).locator(f'[role="radio"][data-value="{"" if n is None else n}"]')
    option.evaluate("el => el.scrollIntoView({block: 'center'})")  # not under the sticky counter
    option.click()


def chosen(page) -> list[int | None]:
    """The rating chosen per group, in the order shown (None: no opinion)."""
    return page.locator(GROUPS).evaluate_all(
        """els => els.map(g => {
            const on = g.querySelector('[role=radio][aria-checked=true]');
            return on && on.dataset.value ? Number(on.dataset.value) : null;
        })"""
    )


def rated(n: int) -> str:
    return f"{n} of {len(MEASURES)} measures rated"


def names(title: str) -> list[str]:
    return [f"{label} for {title}, from 1 (low) to 5 (high)" for _k, label in CRITERIA]


def test_taps_rate_and_clear_at_once_and_send_nothing(browser, srv):
    with phone(browser, srv, shot="rating-taps") as page:
        sent = frames_sent(page)
        page.reload()  # the listener sees the page's websocket from its start
        page.locator(".pw-counter").filter(has_text=rated(0)).wait_for()
        page.wait_for_timeout(1500)  # the first runs of the page are over
        before = len(sent)
        live = page.locator(".pw-counter")
        assert live.get_attribute("role") == "status" and live.get_attribute("aria-live") == "polite"
        live.evaluate("el => { el.dataset.same = 'yes'; }")  # updated in place, not replaced

        # Every group is named with its measure, its criterion (as set, not Markdown) and the scale.
        titles = page.locator(".pw-item .pw-measure").all_inner_texts()
        assert sorted(titles) == sorted(t for _g, t, _d in MEASURES)
        groups = [group(page, i).get_attribute("aria-label") for i in range(2 * len(MEASURES))]
        assert groups == [name for t in titles for name in names(t)], groups
        labels = page.locator(".pw-item").first.locator(".pw-criterion-label").all_inner_texts()
        assert labels == [label for _k, label in CRITERIA], "a criterion's label is shown as typed"
        assert page.locator(".pw-ballot b, .pw-ballot strong").count() == 0, "nothing interpreted as HTML"
        options = group(page, 0).get_by_role("radio")
        assert [options.nth(i).get_attribute("aria-label") or options.nth(i).inner_text() for i in range(6)] == [
            "No opinion",
            "1 (low)",
            "2",
            "3",
            "4",
            "5 (high)",
        ]
        assert chosen(page) == [None] * 8

        rate(page, 0, 4)
        assert counter(page) == rated(1), "the counter follows each tap at once"
        rate(page, 1, 2)  # the other criterion of the same measure
        assert counter(page) == rated(1)
        rate(page, 4, 5)
        assert counter(page) == rated(2)
        assert chosen(page) == [4, 2, None, None, 5, None, None, None]
        rate(page, 0, 1)  # another value replaces the first
        rate(page, 1, None)  # "no opinion" clears
        assert chosen(page)[:2] == [1, None] and counter(page) == rated(2)
        rate(page, 0, None)
        assert chosen(page)[:2] == [None, None] and counter(page) == rated(1), "a measure without ratings"
        assert live.evaluate("el => el.dataset.same") == "yes", "the live region was replaced, not updated"

        page.wait_for_timeout(500)
        assert len(sent) == before, f"taps sent {len(sent) - before} websocket messages: {sent[before:]}"

        # Touch targets of at least 44 px: every option and the button.
        for target in page.locator(".pw-rate, .pw-submit-button").all():
            size = target.bounding_box()
            assert size["width"] >= 44 and size["height"] >= 44, size
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "ballot-rating.png"))


def test_reload_keeps_the_draft_then_submit_and_change(browser, srv):
    with phone(browser, srv, shot="rating-reload") as page:
        posts = posts_of(page)
        rate(page, 0, 3)
        rate(page, 7, 5)
        before = chosen(page)
        page.reload()
        page.locator(".pw-counter").filter(has_text=rated(2)).wait_for()
        assert chosen(page) == before, "the half-done ballot is back after a reload"

        button = page.locator(".pw-submit-button")
        assert button.inner_text() == "Submit my vote" and button.get_attribute("aria-disabled") == "false"
        button.click()
        page.locator(".pw-submit-status.pw-saved").wait_for()
        assert button.get_attribute("aria-disabled") == "true"
        first, last = (group(page, i).evaluate("el => el.dataset.measure") for i in (0, 7))
        assert posts[0]["ballot"] == {"method": "rating", "ratings": {first: {"impact": 3}, last: {"doable": 5}}}
        assert len(posts) == 1 and posts[0]["t"] in page.url

        # A reload shows the stored ballot, saved (the draft is gone: it was the vote).
        page.reload()
        page.locator(".pw-status-top.pw-saved").wait_for()
        assert chosen(page) == before and button.get_attribute("aria-disabled") == "true"

        rate(page, 0, 4)
        assert button.inner_text() == "Change my vote"
        assert page.locator(".pw-status-top.pw-pending").is_visible(), "a change not yet sent is said at the top"
        rate(page, 0, 3)
        assert button.get_attribute("aria-disabled") == "true", "back to the saved ballot: nothing to send"
        rate(page, 7, None)  # no opinion after all
        rate(page, 1, 1)
        button.click()
        page.locator(".pw-submit-status.pw-saved").wait_for()
        assert len(posts) == 2 and posts[1]["ballot"]["ratings"] == {first: {"doable": 1, "impact": 3}}
        assert posts[1]["submission"] != posts[0]["submission"], "a changed ballot is a new submission"


def test_offline_says_so_keeps_the_ballot_and_a_resend_is_stored_once(browser, srv):
    with phone(browser, srv, shot="rating-offline") as page:
        posts = posts_of(page)
        before = stored_ballots(srv)
        rate(page, 0, 4)
        rate(page, 3, 2)  # the second measure's second criterion
        ratings = chosen(page)
        page.context.set_offline(True)
        page.locator(".pw-submit-button").click()
        error = page.locator(".pw-submit-status.pw-error")
        error.wait_for()
        offline = "Your vote was not sent: no connection to the server. Check the network and press again."
        assert error.inner_text() == offline and page.locator(".pw-status-top.pw-error").inner_text() == offline
        assert chosen(page) == ratings and counter(page) == rated(2), "the ballot stays"
        assert page.locator(".pw-submit-button").get_attribute("aria-disabled") == "false", "and can be sent again"
        page.context.set_offline(False)
        assert stored_ballots(srv) == before, "the offline try never reached the server"

        # The answer lost on its way back: the server stored the ballot, the phone does not know.
        assert press_and_lose_the_answer(page)["replaced"] is False
        assert chosen(page) == ratings

        # Pressing again sends the same ballot with the same submission id: stored once.
        page.locator(".pw-submit-button").click()
        page.locator(".pw-submit-status.pw-saved").wait_for()
        assert len(posts) >= 2 and all(p == posts[0] for p in posts), posts  # the same submission each time
        first, second = (group(page, i).evaluate("el => el.dataset.measure") for i in (0, 3))
        after = stored_ballots(srv)
        assert len(after) == len(before) + 1, "one ballot more in the database, not two"
        new = [b for b in after if b not in before]
        assert new == [
            (posts[0]["submission"], {"method": "rating", "ratings": {first: {"impact": 4}, second: {"doable": 2}}})
        ], "stored as rated"


def test_keyboard_only_one_tab_stop_per_group_arrows_inside(browser, srv):
    with phone(browser, srv, shot="rating-keyboard") as page:
        posts = posts_of(page)
        for _i in range(12):  # from the top of the page: the language, the heading, the ballot
            page.keyboard.press("Tab")
            if focused(page)["role"] == "radio":
                break
        titles = page.locator(".pw-item .pw-measure").all_inner_texts()
        first = focused(page)
        assert first["group"] == names(titles[0])[0], first
        assert "pw-rate-none" in first["cls"] and first["checked"] == "true", "no opinion yet: its option is the stop"
        assert first["outline"] == "solid 3px rgb(28, 28, 28)", "a visible focus of at least 3:1"
        page.keyboard.press("ArrowRight")
        assert (focused(page)["label"], focused(page)["checked"]) == ("1 (low)", "true")
        assert counter(page) == rated(1)
        page.keyboard.press("End")
        assert focused(page)["label"] == "5 (high)"
        page.keyboard.press("ArrowLeft")
        assert focused(page)["label"] == "4" and chosen(page)[0] == 4
        page.keyboard.press("Home")
        assert "pw-rate-none" in focused(page)["cls"] and counter(page) == rated(0), "Home is no opinion"
        page.keyboard.press("ArrowDown")
        page.keyboard.press("ArrowDown")
        assert focused(page)["label"] == "2" and chosen(page)[0] == 2

        page.keyboard.press("Tab")  # one Tab stop per group: on to the measure's second criterion
        second = focused(page)
        assert second["group"] == names(titles[0])[1] and "pw-rate-none" in second["cls"], second
        page.keyboard.press("ArrowRight")
        page.keyboard.press("Tab")
        assert focused(page)["group"] == names(titles[1])[0], "then the next measure"
        page.keyboard.press("Shift+Tab")
        assert focused(page)["label"] == "1 (low)", "back to the chosen option of the group"
        assert chosen(page)[:3] == [2, 1, None]

        # At 200 % text the counter never covers the focused option.
        page.evaluate("document.documentElement.style.fontSize = '200%'")
        page.wait_for_timeout(300)
        for _i in range(4):
            page.keyboard.press("Tab")
            where = focused(page)
            if where["role"] != "radio":
                break
            assert not where["covered"] and where["visible"], where
        for _i in range(30):  # on to the button, and Enter submits
            if "pw-submit-button" in focused(page)["cls"]:
                break
            page.keyboard.press("Tab")
        assert "pw-submit-button" in focused(page)["cls"]
        page.keyboard.press("Enter")
        page.locator(".pw-submit-status.pw-saved").wait_for()
        assert posts and list(posts[-1]["ballot"]["ratings"].values()) == [{"doable": 1, "impact": 2}]


def test_arabic_is_right_to_left_with_the_scales_too(browser, srv):
    with phone(browser, srv, lang="ar", shot="rating-ar") as page:
        ballot = page.locator(".pw-ballot")
        assert ballot.get_attribute("dir") == "rtl" and ballot.get_attribute("lang") == "ar"
        scale = group(page, 0)
        none, one, five = (scale.locator(f'[data-value="{v}"]').bounding_box() for v in ("", "1", "5"))
        assert none["x"] > one["x"] > five["x"], "the scale runs from the right"
        assert page.locator(".pw-measure").first.get_attribute("dir") == "auto"
        assert page.locator(".pw-criterion-label").first.get_attribute("dir") == "auto"
        # The arrows follow the reading direction: the left arrow goes up the scale.
        scale.locator('[data-value=""]').focus()
        page.keyboard.press("ArrowLeft")
        page.keyboard.press("ArrowLeft")
        assert chosen(page)[0] == 2
        page.keyboard.press("ArrowRight")
        assert chosen(page)[0] == 1
        arabic = page.locator(".pw-item").filter(has_text=MEASURES[2][1])
        arabic.locator('[data-value="5"]').first.evaluate("el => el.scrollIntoView({block: 'center'})")
        arabic.locator('[data-value="5"]').first.click()
        assert MEASURES[2][1] in arabic.locator(GROUPS).first.get_attribute("aria-label")
        assert re.search(r"\d", counter(page))
        page.locator(".pw-ballot").evaluate("el => el.scrollIntoView()")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "ballot-rating-ar.png"))


def test_kiosk_two_people_in_a_row(browser, srv):
    with phone(browser, srv, viewport=TABLET, kiosk=True, shot="rating-kiosk") as page:
        posts = posts_of(page)
        before = stored_ballots(srv)
        first_token = re.search(r"[?&]t=([^&]+)", page.url)[1]
        rate(page, 0, 5)
        rate(page, 2, 3)  # the second measure's first criterion
        one, two = (group(page, i).evaluate("el => el.dataset.measure") for i in (0, 2))
        page.locator(".pw-submit-button").click()
        # The save takes the tablet to the neutral screen, with nothing of the ballot on it.
        page.locator(".pw-thanks").wait_for()
        assert page.locator(".pw-ballot").count() == 0
        assert not [t for _g, t, _d in MEASURES if page.get_by_text(t).count()], "no measure is on the screen"
        assert re.search(r"[?&]t=([^&]+)", page.url)[1] != first_token
        page.get_by_role("button", name="Next person").click()
        page.locator(".pw-counter").filter(has_text=rated(0)).wait_for()
        assert chosen(page) == [None] * 8, "the previous person's ratings are gone"
        assert page.locator(".pw-submit-button").inner_text() == "Submit my vote"
        stored = page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('planungswerkstatt.ballot.'))")
        assert not [k for k in stored if first_token in k], "the previous person's draft is gone from the tablet"
        rate(page, 5, 1)  # the third measure's second criterion
        three = group(page, 5).evaluate("el => el.dataset.measure")
        page.locator(".pw-submit-button").click()
        page.locator(".pw-thanks").wait_for()
        assert posts[0]["t"] == first_token and posts[-1]["t"] != first_token

        after = stored_ballots(srv)
        assert len(after) == len(before) + 2, "two people, two ballots"
        assert sorted(b for b in after if b not in before) == sorted(
            [
                (posts[0]["submission"], {"method": "rating", "ratings": {one: {"impact": 5}, two: {"impact": 3}}}),
                (posts[-1]["submission"], {"method": "rating", "ratings": {three: {"doable": 1}}}),
            ]
        )
