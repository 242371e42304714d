"""A first-time facilitator runs an Integrationskonferenz in the browser alone (issue 16's journey):
set up without a file (the theme, three guiding questions, three working groups, 5/2 dots; switch
workshops and back); in the hall the projector, three phones in German, Turkish and Arabic and a
kiosk tablet; proposals (one half-typed through a reload), moderation with a merge and its undo,
the vote, the results on the wall as the console chooses, and every download. Its own server:
creating a workshop makes it current for everyone.
"""

from __future__ import annotations

import io
import re
from contextlib import contextmanager
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.e2e.conftest import PASSPHRASE, PHONE, TABLET, Server, choose, set_phase, settled
from workshop import i18n

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
    """Wait for a confirmation (user text in it is escaped with invisible word joiners); on a
    timeout, say which messages the page showed instead."""
    try:
        page.wait_for_function(
            "t => [...document.querySelectorAll('[data-testid=stAlert]')]"
            ".some(a => a.innerText.replaceAll('\u2060', '').includes(t))",
            arg=text,
        )
    except Exception as exc:
        shown = page.locator("[data-testid=stAlert]").all_inner_texts()
        raise AssertionError(f"no {text!r} on the page; it showed {shown}") from exc


def _add_field(page):
    """The "Add one" tab's field (each question's edit form has one with the same label)."""
    return _main(page).get_by_test_id("stTabs").get_by_label("Guiding question", exact=True)


def _picker(page):
    return _main(page).get_by_role("combobox", name="Workshop", exact=True)


def _submit(page, form_label: str, button: str):
    """Press a form's submit button; forms are found by a label inside them."""
    form = _main(page).locator("[data-testid=stForm]").filter(has=page.get_by_label(form_label, exact=True))
    form.get_by_role("button", name=button, exact=True).click()


def test_an_integrationskonferenz_from_set_up_to_downloads(own_server, browser):
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
        expect(_field(page, "Title")).to_be_hidden()  # the form is done: its expander closed
        expect(_picker(page)).to_have_value(re.compile("^\u2068?16\\. Integrationskonferenz"))  # the picker shows it
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
        _field(page, "Maximum dots per recommendation").fill("2")
        page.get_by_role("button", name="Save rules").click()
        _flash(page, "Rules saved.")
        assert _field(page, "Dots per person").input_value() == "5"
        _shot(page, "setup_filled")

        # Another workshop and back: each form shows its own workshop's values.
        if not _field(page, "Title").is_visible():
            page.get_by_text("Create a new workshop").click()
        # Opening the expander may rerun the page: a value typed meanwhile was lost (CI, twice).
        settled(page, 300)
        _field(page, "Title").fill("Planungswerkstatt zum Vergleich")
        expect(_field(page, "Title")).to_have_value("Planungswerkstatt zum Vergleich")
        page.get_by_role("button", name="Create", exact=True).click()
        _flash(page, "it is now the current workshop")
        # The confirmation is at the top: the forms below are redrawn a moment later in the same run.
        expect(_field(page, "One working group per line")).to_have_value("")
        expect(_field(page, "Dots per person")).to_have_value("10")
        choose(page, _picker(page), "16. Integrationskonferenz")
        expect(_field(page, "Theme")).to_have_value("Demokratie – Wohin?")
        page.wait_for_function(
            "() => [...document.querySelectorAll('textarea')].some(t => t.value.startsWith('AG 1 Wahlen'))"
        )
        expect(_field(page, "Dots per person")).to_have_value("5")
        expect(_field(page, "Maximum dots per recommendation")).to_have_value("2")
        _shot(page, "setup_switched_back")

        hall(own_server, browser, page)
    except Exception:
        print("ALERTS:", _main(page).locator("[data-testid=stAlert]").all_inner_texts())
        _shot(page, "setup_failure")
        raise
    finally:
        ctx.close()


# --- in the hall ----------------------------------------------------------------------------------

PROJECTOR = {"width": 1920, "height": 1080}
PROPOSALS = {
    "de": "Demokratie-Café im Bürgerhaus",
    "tr": "Harburg için yabancılar meclisi",
    "ar": "مقهى الديمقراطية الشهري في الحي",
}
DOT = '[role="radiogroup"].pw-dots'  # one per measure, in the ballot's browser component


@contextmanager
def _device(browser, name: str, viewport=PHONE):
    context = browser.new_context(viewport=viewport, has_touch=True, is_mobile=viewport == PHONE)
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        yield page
    except BaseException:
        _shot(page, f"hall_{name}_failure")
        raise
    finally:
        context.close()


def _join(page, url: str, code: str, lang: str, *, kiosk: bool = False) -> None:
    _ = i18n.gettext_for(lang)
    page.goto(f"{url}/?code={code}&lang={lang}" + ("&kiosk=1" if kiosk else ""))
    page.get_by_text("AG 2 Vereine").click()
    page.get_by_role("button", name=_("Start"), exact=True).click()
    page.wait_for_url(re.compile(r"[?&]t="))


def _vote(page, lang: str, dots: dict[int, int]) -> None:
    """Place dots on the ballot (control index -> dots) and submit."""
    _ = i18n.gettext_for(lang)
    page.get_by_role("button", name=_("Submit my vote")).wait_for()
    for index, n in dots.items():
        option = page.locator(DOT).nth(index).locator(f'[role="radio"][data-value="{n}"]')
        option.evaluate("el => el.scrollIntoView({block: 'center'})")  # not under the sticky counter
        option.click()
    page.get_by_role("button", name=_("Submit my vote")).click()


def hall(server, browser, console) -> None:
    console.get_by_role("link", name="Console").click()
    code = re.search(r"code=([A-Z0-9]{6})", console.locator("[data-testid=stCode]").first.inner_text())[1]
    set_phase(console, "Collect proposals", from_menu=True)

    # The wall: the QR code, the code and the theme.
    href = console.get_by_role("link", name="Open the projector view").first.get_attribute("href")
    wall_ctx = browser.new_context(viewport=PROJECTOR)
    wall = wall_ctx.new_page()
    wall.set_default_timeout(20_000)
    try:
        wall.goto(server.url + href + "&lang=de")
        wall.locator(".pj-qr").wait_for()
        wall.get_by_text(code, exact=True).first.wait_for()
        expect(wall.locator(".pj-theme")).to_have_text("Demokratie – Wohin?")
        _shot(wall, "hall_wall_collect")

        # Three phones propose, each in its language; the German one is reloaded half-typed.
        for lang, title in PROPOSALS.items():
            _ = i18n.gettext_for(lang)
            with _device(browser, f"phone_{lang}") as phone:
                _join(phone, server.url, code, lang)
                # The questions are radio buttons: each shown whole, the chosen one marked.
                question = phone.get_by_role("radio", name=re.compile(re.escape(QUESTIONS[1]))).first
                phone.get_by_text(QUESTIONS[1], exact=False).first.click()
                expect(question).to_be_checked()
                new_title = phone.get_by_label(_("Title of the recommendation"), exact=True).first
                new_title.fill(title)
                phone.get_by_label(_("Description"), exact=True).first.fill(f"{title} – {lang}")
                phone.get_by_label(_("Description"), exact=True).first.blur()
                if lang == "de":
                    settled(phone)
                    phone.wait_for_timeout(500)
                    phone.reload()
                    expect(new_title).to_have_value(title)
                    expect(question).to_be_checked()
                if lang == "ar":
                    _shot(phone, "hall_phone_ar_propose")
                phone.get_by_role("button", name=_("Submit proposal")).click()
                phone.get_by_text(_("Thank you! Your proposal was saved.")).first.wait_for()  # the message or its toast
                expect(new_title).to_have_value("")
        wall.locator(".pj-big").filter(has_text="3").wait_for()
        _shot(wall, "hall_wall_proposals")

        # Moderation: the Turkish proposal merged into the German one (asked first), then undone.
        set_phase(console, "Review", from_menu=True)
        console.get_by_role("link", name="Moderation").click()
        # The innermost block that holds the measure and its tools: its card.
        card = (
            console.locator("[data-testid=stVerticalBlock]")
            .filter(has=console.locator(".pw-measure", has_text=PROPOSALS["de"]))
            .filter(has=console.get_by_text("Edit, move, merge"))
            .last
        )
        settled(console)
        card.get_by_text("Edit, move, merge").click()
        choose(console, card.get_by_role("combobox", name=re.compile("Merge these duplicates")), PROPOSALS["tr"])
        console.keyboard.press("Escape")
        card.get_by_role("button", name="Merge …").click()
        console.get_by_text("Merge this recommendation into the one above?").wait_for()
        _shot(console, "hall_merge_confirm")
        console.get_by_role("button", name="Yes, merge").click()
        console.get_by_text("⤷ " + PROPOSALS["tr"], exact=False).wait_for()
        console.get_by_role("button", name=re.compile("Undo the last merge")).click()
        _flash(console, "The merge is undone")
        expect(console.get_by_text("⤷ " + PROPOSALS["tr"], exact=False)).to_have_count(0)
        expect(console.locator(".pw-measure", has_text=PROPOSALS["tr"])).to_have_count(1)

        # The vote: three phones and two people at a kiosk tablet.
        set_phase(console, "Vote", from_menu=True)
        wall.locator(".pj-big").filter(has_text="0").wait_for()
        for lang, dots in (("de", {0: 2, 1: 2}), ("tr", {1: 2, 2: 1}), ("ar", {2: 2})):
            _ = i18n.gettext_for(lang)
            with _device(browser, f"vote_{lang}") as phone:
                _join(phone, server.url, code, lang)
                _vote(phone, lang, dots)
                phone.locator(".pw-saved").first.wait_for()  # the submit component says "saved"
                if lang == "ar":
                    _shot(phone, "hall_phone_ar_saved")
        _ = i18n.gettext_for("de")
        with _device(browser, "kiosk", TABLET) as kiosk:
            _join(kiosk, server.url, code, "de", kiosk=True)
            for person, dots in enumerate(({0: 1}, {2: 2, 0: 2}), start=1):
                _vote(kiosk, "de", dots)
                kiosk.get_by_text(_("Thank you! Your vote is saved.")).wait_for()
                expect(kiosk.locator(DOT)).to_have_count(0)
                _shot(kiosk, f"hall_kiosk_thanks_{person}")
                kiosk.get_by_role("button", name=_("Next person")).click()
            expect(kiosk.locator(".pw-counter")).to_contain_text("5")
        wall.locator(".pj-big").filter(has_text="5").wait_for()

        # The results on the wall, as the console chooses; the QR code small in a corner.
        set_phase(console, "Results", from_menu=True)
        console.get_by_text("Show the results to everyone (projector and participants)").click()
        wall.locator(".pj-qr-small").wait_for()
        expect(wall.locator(".pj-qr")).to_have_count(0)
        settled(wall)
        _shot(wall, "hall_wall_results_overall")
        console.get_by_role("radio", name=re.compile(re.escape(QUESTIONS[1]))).click(force=True)
        wall.locator(".pj-corner").wait_for()
        wall.get_by_text(f"2. {QUESTIONS[1]}").first.wait_for()
        settled(wall)
        _shot(wall, "hall_wall_results_question")

        # Every download opens and speaks the conference's words.
        console.get_by_role("link", name="Results").click()
        console.get_by_role("tab", name="Downloads").click()
        files = {}
        for label in (
            "Ranking (CSV, comma)",
            "Ranking (Excel)",
            "Report for the district assembly (PDF)",
            "Backup (JSON)",
        ):
            with console.expect_download() as download:
                console.get_by_role("button", name=label).click()
            files[label] = Path(download.value.path()).read_bytes()
        csv = files["Ranking (CSV, comma)"].decode("utf-8-sig")
        assert csv.splitlines()[0].startswith("Rank overall,Rank in guiding question,Order after tie-break,")
        assert PROPOSALS["ar"] in csv and PROPOSALS["tr"] in csv
        book = load_workbook(io.BytesIO(files["Ranking (Excel)"]))
        assert book["Summary"]["D1"].value == "Guiding question"
        report = " ".join(
            p.extract_text() or "" for p in PdfReader(io.BytesIO(files["Report for the district assembly (PDF)"])).pages
        )
        assert "Integration conference" in report and "Demokratie – Wohin?" in " ".join(report.split())
        assert b'"kind": "conference"' in files["Backup (JSON)"]
        metric = console.locator('[data-testid="stMetric"]').filter(has_text="Ballots").first
        expect(metric.locator('[data-testid="stMetricValue"]')).to_have_text("5")
    except BaseException:
        _shot(wall, "hall_wall_failure")
        _shot(console, "hall_console_failure")
        raise
    finally:
        wall_ctx.close()
