"""A first-time facilitator sets up an Integrationskonferenz in the browser alone (no file):
create it, enter the theme, add three guiding questions, three working groups and 5/2 dots,
switch workshops and back. Its own server: creating a workshop makes it current for everyone.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSPHRASE, Server

SHOTS = Path("/tmp/shots")
LAPTOP = {"width": 1280, "height": 900}
QUESTIONS = (
    "Wie erreichen wir Menschen, die nicht wählen gehen?",
    "Was brauchen Vereine und Initiativen im Bezirk?",
    "Wie lernen Kinder und Jugendliche Demokratie?",
)


@pytest.fixture(scope="module")
def own_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("setup_journey")
    srv = Server(tmp / "setup.duckdb", tmp / "server.log")
    yield srv
    srv.stop()


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _main(page):
    return page.locator("[data-testid=stMain]")


def _field(page, label: str):
    """A field by its label, once the run is over (a redrawn form's old fields go then)."""
    field = _main(page).get_by_label(label, exact=True)
    expect(field).to_have_count(1)
    return field


def _flash(page, text: str) -> None:
    """Wait for a confirmation (user text in it is escaped with invisible word joiners)."""
    page.wait_for_function(
        "t => [...document.querySelectorAll('[data-testid=stAlert]')]"
        ".some(a => a.innerText.replaceAll('\u2060', '').includes(t))",
        arg=text,
    )


def _add_field(page):
    """The "Add one" tab's field (each question's edit form has one with the same label)."""
    return _main(page).get_by_test_id("stTabs").get_by_label("Guiding question", exact=True)


def _picker(page):
    return _main(page).get_by_role("combobox", name="Workshop", exact=True)


def _submit(page, form_label: str, button: str):
    """Press a form's submit button; forms are found by a label inside them."""
    form = _main(page).locator("[data-testid=stForm]").filter(has=page.get_by_label(form_label, exact=True))
    form.get_by_role("button", name=button, exact=True).click()


def test_set_up_an_integrationskonferenz_in_the_browser(own_server, browser):
    ctx = browser.new_context(viewport=LAPTOP)
    page = ctx.new_page()
    page.set_default_timeout(20_000)
    try:
        page.goto(own_server.url + "/login?lang=en")
        page.get_by_label("Passphrase").fill(PASSPHRASE)
        page.get_by_role("button", name="Log in").click()
        page.get_by_text("Join link for the QR code").wait_for()  # login opens the console
        page.get_by_role("link", name="Set up").click()

        page.get_by_text("Create a new workshop").click()
        _field(page, "Title").fill("16. Integrationskonferenz")
        _field(page, "Venue").fill("Rieckhof, Harburg")
        _main(page).get_by_text("Integration conference", exact=False).first.click()
        _field(page, "Theme or guiding vision (optional, can be set later)").fill("Demokratie – Wohin?")
        page.get_by_role("button", name="Create", exact=True).click()
        _flash(page, "it is now the current workshop")
        expect(_picker(page)).to_have_value(re.compile(r"^16\. Integrationskonferenz"))  # the picker shows it
        assert page.get_by_role("heading", name="Theme and guiding questions").is_visible()
        _shot(page, "setup_created")

        for n, question in enumerate(QUESTIONS, start=1):
            _add_field(page).fill(question)
            page.get_by_role("button", name="Add", exact=True).click()
            _main(page).get_by_text(f"{n}. {question}").wait_for()
            _flash(page, "Added:")
            # The "Add one" tab stays open for the next question.
            assert _add_field(page).is_visible()
            assert _add_field(page).input_value() == ""

        _field(page, "One working group per line").fill("AG 1 Wahlen\nAG 2 Vereine\nAG 3 Schule")
        page.get_by_role("button", name="Save working groups").click()
        _flash(page, "Working groups saved.")
        _field(page, "Dots per person").fill("5")
        _field(page, "Maximum dots per measure").fill("2")
        page.get_by_role("button", name="Save rules").click()
        _flash(page, "Rules saved.")
        assert _field(page, "Dots per person").input_value() == "5"
        _shot(page, "setup_filled")

        # Another workshop and back: each form shows its own workshop's values.
        if not _field(page, "Title").is_visible():
            page.get_by_text("Create a new workshop").click()
        _field(page, "Title").fill("Planungswerkstatt zum Vergleich")
        page.get_by_role("button", name="Create", exact=True).click()
        _flash(page, "it is now the current workshop")
        assert _field(page, "One working group per line").input_value() == ""
        assert _field(page, "Dots per person").input_value() == "10"
        _picker(page).click()
        page.get_by_role("option", name="16. Integrationskonferenz", exact=False).click()
        expect(_field(page, "Theme")).to_have_value("Demokratie – Wohin?")
        page.wait_for_function(
            "() => [...document.querySelectorAll('textarea')].some(t => t.value.startsWith('AG 1 Wahlen'))"
        )
        assert _field(page, "Dots per person").input_value() == "5"
        assert _field(page, "Maximum dots per measure").input_value() == "2"
        _shot(page, "setup_switched_back")
    except Exception:
        print("ALERTS:", _main(page).locator("[data-testid=stAlert]").all_inner_texts())
        _shot(page, "setup_failure")
        raise
    finally:
        ctx.close()
