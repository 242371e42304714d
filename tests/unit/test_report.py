"""The PDF report: it opens, says what the district assembly needs, in order, and prints user text literally."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import date

import pandas as pd
import pytest
from pypdf import PdfReader

from workshop import analysis, i18n, report, scoring, views
from workshop.model import Goal, Phase, VotingRules, Workshop, WorkshopKind

WS = Workshop(
    id="w1",
    title="Planungswerkstatt Harburg – Übergänge 2026",
    date=date(2026, 11, 21),
    place="Bürgerzentrum Feuervogel",
    join_code="ABCDEF",
    vision_title="Zusammenleben in Vielfalt",
    vision_description="Größere Teilhabe für alle; Straßenfeste & Begegnung.",
    rules=VotingRules(),
    phase=Phase.RESULTS,
)
GOALS = [
    Goal("g2", "w1", 2, "Deutsch als Sprache", "Deutsch lernen."),
    Goal("g1", "w1", 1, "Zusammenleben in Harburg", "Begegnung stärken."),
]
TITLES = [
    "Interkulturelles Straßenfest im Phoenix-Viertel",
    "**Sprachcafé** für Ältere _mit_ Kinderbetreuung",
    "Begegnungscafé in der Bücherhalle",
    "Nachbarschaftslotsen",
]


def ranked_frame() -> pd.DataFrame:
    """Four measures in the shape of ``views.ranking``, best first."""
    frame = pd.DataFrame(
        {
            "measure_id": ["m1", "m2", "m3", "m4"],
            "goal_id": ["g1", "g2", "g1", "g2"],
            "title": TITLES,
            "score": [42.0, 30.0, 12.5, 0.0],
            "supporters": [20, 15, 6, 0],
            "rank_goal": [1, 1, 2, 2],
            "rank_overall": [1, 2, 3, 4],
            "seq": [1, 2, 3, 4],
            "goal_title": ["Zusammenleben in Harburg", "Deutsch als Sprache"] * 2,
            "goal_position": [1, 2, 1, 2],
            "group_name": ["AG 1 Nachbarschaft", "AG 2 Sprache", "", "AG 1 Nachbarschaft"],
            "description": ["Ein jährliches Fest.", "Deutsch üben <b>ohne</b> Druck.", "", "Kosten {nb} €"],
            "status": ["new", "in_progress", "done", "rejected"],
        }
    )
    frame["place_overall"], frame["place_goal"] = scoring.shared_places(frame)
    return frame


def turnout_frame() -> pd.DataFrame:
    per_group = pd.DataFrame(
        {
            "group_name": ["AG 1 Nachbarschaft", "AG 2 Sprache"],
            "position": [1, 2],
            "devices": [24, 20],
            "ballots": [22, 18],
        }
    )
    return analysis.turnout(per_group)


def stability_frame() -> pd.DataFrame:
    a = ranked_frame()
    b = a.assign(rank_overall=[2, 1, 3, 4])
    return analysis.stability({"dots": a, "approval": b}, k=2)


def build(_=None, **kwargs) -> bytes:
    return report.report_pdf(
        WS,
        ranked_frame(),
        turnout_frame(),
        stability_frame(),
        GOALS,
        _ or i18n.gettext_for("de"),
        method_key="dots",
        generated=date(2026, 11, 22),
        **kwargs,
    )


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return build()


def test_pdf_opens_with_plausible_pages(pdf):
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    assert 3 <= len(reader.pages) <= 8
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (210, 297)  # A4
    assert reader.metadata.title == WS.title


def test_pdf_states_workshop_facts_method_and_tie_break(pdf):
    _ = i18n.gettext_for("de")
    text = text_of(pdf)
    for expected in (
        WS.title,
        WS.place,
        "21. November 2026",
        WS.vision_title,
        WS.vision_description,
        _(scoring.METHODS["dots"].label),
        _(scoring.METHODS["dots"].explanation),
        _(scoring.METHODS["dots"].tie_break(WS.kind)),
    ):
        assert " ".join(expected.split()) in text, expected


def test_pdf_turnout_overall_and_per_group(pdf):
    text = text_of(pdf)
    assert "AG 2 Sprache" in text and "91 %" in text  # 40 of 44 devices; AG 1: 22 of 24
    assert re.search(r"40\D+44", text), "overall ballots of devices"


def test_pdf_ranks_measures_in_order_per_goal_and_overall(pdf):
    text = text_of(pdf)
    overall = text.index(TITLES[0])
    positions = [text.index(t, overall) for t in TITLES]
    assert positions == sorted(positions), "overall ranking best first"
    goal1 = text.index("Zusammenleben in Harburg", text.index("Nachbarschaftslotsen", overall))
    goal2 = text.index("Deutsch als Sprache", goal1)
    assert goal1 < text.index(TITLES[0], goal1) < text.index(TITLES[2], goal1) < goal2, "goal 1: its ranking"
    assert text.index(TITLES[1], goal2) < text.index(TITLES[3], goal2), "goal 2 follows by position"
    assert "12,5" in text, "German decimal comma"


def test_pdf_prints_user_text_literally_with_umlauts(pdf):
    text = text_of(pdf)
    assert "**Sprachcafé** für Ältere _mit_ Kinderbetreuung" in text
    assert "Deutsch üben <b>ohne</b> Druck." in text
    assert "Kosten {nb} €" in text, "fpdf's page-total alias is not ours: user text keeps it"
    for word in ("Übergänge", "Straßenfest", "Größere", "Bücherhalle", "Begegnungscafé"):
        assert word in text


def test_pdf_appendix_lists_every_measure_with_status(pdf):
    _ = i18n.gettext_for("de")
    text = text_of(pdf)
    appendix = text[text.index(" ".join(_("Appendix: all measures").split())) :]
    for title in TITLES:
        assert title in appendix
    assert "Ein jährliches Fest." in appendix
    assert _("rejected") in appendix and _("in progress") in appendix and "AG 2 Sprache" in appendix


def test_pdf_page_numbers_are_filled_in(pdf):
    text = text_of(pdf)
    assert report.PAGES_ALIAS not in text
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    label = i18n.gettext_for("de")("Page {page} of {pages}")
    assert label.format(page=pages, pages=pages) in text


def test_pdf_with_uncertainty_table(pdf):
    measures = pd.DataFrame(
        {"id": ["m1", "m2"], "goal_id": ["g1", "g2"], "goal_position": [1, 2], "title": TITLES[:2], "seq": [1, 2]}
    )
    votes = pd.DataFrame(
        {"ballot_id": ["b1", "b2", "b3"], "measure_id": ["m1", "m1", "m2"], "criterion": "", "value": [2.0, 3.0, 1.0]}
    )
    boot = analysis.bootstrap_scores("dots", votes, measures, n=50, k=1)
    with_boot = build(uncertainty=boot, top_k=1)
    assert len(with_boot) > len(pdf)
    _ = i18n.gettext_for("de")
    assert " ".join(_("How certain is the order?").split()) in text_of(with_boot)


def test_pdf_in_english():
    text = text_of(build(i18n.gettext_for("en"), lang="en"))
    assert scoring.METHODS["dots"].tie_break("vision") in text
    assert "November 21, 2026" in text


def test_pdf_with_empty_ranking_and_no_extras():
    pdf = report.report_pdf(WS, ranked_frame().iloc[0:0], None, None, GOALS, method_key="rating")
    assert len(PdfReader(io.BytesIO(pdf)).pages) >= 2


def test_pdf_reads_back_with_pdftotext(pdf, tmp_path):
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True, text=True)
    text = " ".join(out.stdout.split())
    assert WS.title in text and "Straßenfest" in text and "**Sprachcafé**" in text
    assert " ".join(i18n.gettext_for("de")(scoring.METHODS["dots"].tie_break("vision")).split()) in text


def test_without_dejavu_the_pdf_falls_back_to_helvetica(monkeypatch):
    monkeypatch.setattr(report, "find_font", lambda name="": None)
    ws = Workshop(**{**WS.__dict__, "place": "Harburg – مركز"})
    pdf = report.report_pdf(ws, ranked_frame(), turnout_frame(), None, GOALS, method_key="dots")
    text = text_of(pdf)
    assert "Straßenfest" in text and "Übergänge" in text, "German survives in Windows-1252"
    assert "Harburg – ????" in text, "other scripts are replaced, not a crash"


def test_find_font_finds_dejavu_when_installed():
    found = report.find_font()
    if found is None:
        pytest.skip("no DejaVuSans.ttf on this machine (scripts/test.sh installs fonts-dejavu-core)")
    assert found.name == "DejaVuSans.ttf" and found.is_file()


def test_an_integrationskonferenz_report_speaks_its_words_and_names_its_theme():
    """Theme, guiding questions and recommendations, not Leitbild, goals and measures."""
    _ = i18n.gettext_for("en")
    conference = replace(WS, kind=WorkshopKind.CONFERENCE, vision_title="Demokratie – Wohin?")
    text = text_of(
        report.report_pdf(
            conference, ranked_frame(), turnout_frame(), stability_frame(), GOALS, _, method_key="dots", lang="en"
        )
    )
    for expected in (
        "Integration conference · Results for the district assembly",
        "Theme Demokratie – Wohin?",
        "Guiding questions",
        "Recommendations ranked",
        "Guiding question 1: Zusammenleben in Harburg",
        "Appendix: all recommendations",
        "Rank in guiding question",
    ):
        assert expected in text, expected
    assert not re.findall(r"\b(?:measures?|goals?|(?:guiding )?vision|Leitbild)\b", text, re.IGNORECASE)


def test_equal_scores_share_a_rank_in_the_report():
    _ = i18n.gettext_for("en")
    tied = ranked_frame().assign(score=[30.0, 30.0, 30.0, 0.0])
    tied["place_overall"], tied["place_goal"] = scoring.shared_places(tied)
    text = text_of(report.report_pdf(WS, tied, None, None, GOALS, _, method_key="dots", lang="en"))
    overall = text[text.index("Rank Measure") : text.index("Goal 1:")]
    assert re.findall(r"(\d)\. ", overall)[:4] == ["1", "1", "1", "4"], overall


@pytest.mark.parametrize("lang", sorted(i18n.available_languages()))
def test_the_report_is_made_in_every_language_with_its_numbers(lang):
    """Leichte Sprache ("ls") is German to Babel: its report failed with an unknown locale. A
    Persian report writes its numbers in Persian digits (issue 22.4), dates and places too."""
    text = text_of(build(i18n.gettext_for(lang), lang=lang))
    share = i18n.format_percent(40 / 44, lang)  # Babel's pattern: "91 %", "91%", "%91"
    if i18n.numbering(lang) == "arabext":
        # Extracted in visual order: a run of digits inside right-to-left text comes out reversed.
        assert "۹۱" in text or "۱۹" in text
        assert "۲۰۲۶" in text or "۶۲۰۲" in text, "the date"
        own = text.replace("Übergänge 2026", "")  # the workshop's title is typed text
        assert not re.search(r"\d", re.sub(r"[^\x00-\x7f]", " ", own).replace("AG 1", "").replace("AG 2", "")), own
    else:
        assert " ".join(share.split()) in text
    assert i18n.format_percent(0.91, "tr") == "%91"


def test_the_appendix_lists_the_measures_under_their_goals_headings(pdf):
    text = text_of(pdf)
    appendix = text.index("Anhang: alle Maßnahmen")
    goal1 = text.index("Ziel 1: Zusammenleben in Harburg", appendix)
    goal2 = text.index("Ziel 2: Deutsch als Sprache", appendix)
    assert goal1 < text.index(TITLES[0], goal1) < text.index(TITLES[2], goal1) < goal2
    assert goal2 < text.index(TITLES[1], goal2) < text.index(TITLES[3], goal2)
    assert "Ziel: Zusammenleben" not in text[appendix:], "the goal is the heading, not repeated per measure"


@pytest.mark.parametrize(
    ("phase", "mark"),
    [
        (Phase.VOTE, "Vorläufig"),
        (Phase.REVIEW, "Vorläufig"),
    ],
)
def test_a_report_before_the_results_says_provisional_on_every_page(phase, mark):
    """Issue 17.4: a report made while the vote is open carried no mark."""
    from dataclasses import replace
    from datetime import datetime

    pdf = report.report_pdf(
        replace(WS, phase=phase),
        ranked_frame(),
        turnout_frame(),
        stability_frame(),
        GOALS,
        i18n.gettext_for("de"),
        method_key="dots",
        generated=date(2026, 11, 22),
        as_of=datetime(2026, 11, 21, 15, 30),
    )
    pages = [" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf)).pages]
    assert len(pages) >= 3
    for text in pages:
        assert mark in text and "15:30" in text, text[:200]
    if phase == Phase.VOTE:
        assert "Abstimmung läuft noch" in pages[0] or "noch offen" in pages[0], pages[0][:200]
    final = " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(build())).pages)
    assert mark not in final, "the published results carry no mark"


def test_with_few_ballots_the_report_says_so_instead_of_a_table():
    boot = analysis.bootstrap_scores(
        "dots",
        pd.DataFrame(
            {
                "ballot_id": ["b1", "b1", "b2"],
                "measure_id": ["m1", "m2", "m1"],
                "criterion": "",
                "value": [2.0, 1.0, 3.0],
            }
        ),
        ranked_frame().rename(columns={"measure_id": "id"}),
        n=50,
    )
    _ = i18n.gettext_for("en")
    text = text_of(build(_, uncertainty=boot, ballots=2, lang="en"))
    assert "With 2 ballots, drawing the ballots again at random cannot show" in text
    assert "Likely range" not in text


def _pdftotext(pdf: bytes, tmp_path) -> str:
    """The text poppler reads from the PDF, bidi marks removed (CI installs poppler-utils)."""
    if shutil.which("pdftotext") is None:
        if os.environ.get("CI"):
            pytest.fail("pdftotext (poppler-utils) is missing: scripts/test.sh installs it")
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True, text=True)
    return " ".join(re.sub("[\u202a-\u202e\u2066-\u2069]", "", out.stdout).split())


@pytest.mark.parametrize("lang", ["de", "ar"])
def test_arabic_and_persian_titles_are_shaped_right_to_left_beside_german(lang, tmp_path):
    """Issue 17.5: without text shaping the letters stood unjoined, left to right (poppler read
    "يرهشلا ةيطارقميدلا ىهقم"); shaped, it reads the titles back in their logical order."""
    arabic, persian = "مقهى الديمقراطية الشهري في الحي", "کافه دموکراسی ماهانه در محله"
    ranked = ranked_frame()
    ranked.loc[0, "title"], ranked.loc[1, "title"] = arabic, persian
    text = _pdftotext(
        report.report_pdf(
            WS, ranked, turnout_frame(), None, GOALS, i18n.gettext_for(lang), method_key="dots", lang=lang
        ),
        tmp_path,
    )
    assert arabic in text and persian in text
    assert "Zusammenleben in Harburg" in text, "German beside it, left to right"
    if lang == "ar":
        assert "الصفحة 3من 3" in text or "الصفحة 3 من 3" in text, "the Arabic footer shaped, with the page total"


# --- languages (issue 20.5) -------------------------------------------------------------------

TR = ("Harburg için yabancılar meclisi", "Göçmenlerin sesini duyuran bir meclis.")
DE = ("Ein Ausländerbeirat für Harburg", "Ein Gremium, das Zugewanderten eine Stimme gibt.")
AR = ("مقهى الديمقراطية الشهري في الحي", "لقاء شهري للحديث عن الحي.")


def multilingual_frame(ar_german: tuple[str, str, str] = ("", "", "")) -> pd.DataFrame:
    """``ranked_frame`` with the columns views.ranking adds (views.LANGUAGE_COLUMNS): m1 written in
    Turkish with its author's German version, m2 in Arabic (German version and how it was made:
    ``ar_german``; none by default), m3 and m4 German."""
    frame = ranked_frame()
    frame[list(views.LANGUAGE_COLUMNS)] = [
        ["tr", *DE, "author", False],
        ["ar", *ar_german, False],
        ["de", "", "", "", False],
        ["", "", "", "", False],
    ]
    frame.loc[0, ["title", "description"]] = list(TR)
    frame.loc[1, ["title", "description"]] = list(AR)
    return frame


def test_measures_are_shown_in_german_with_the_original_under_the_title(tmp_path):
    """Issue 20.5: the German translation, its original (Turkish) in small type under it; an
    original without a German translation (Arabic), marked as not translated yet."""
    _ = i18n.gettext_for("de")
    pdf = report.report_pdf(
        WS, multilingual_frame(), turnout_frame(), None, GOALS, _, method_key="dots", generated=date(2026, 11, 22)
    )
    text = _pdftotext(pdf, tmp_path)
    appendix = text.index("Anhang: alle Maßnahmen")
    assert DE[0] in text[:appendix] and TR[0] not in text[:appendix], "the ranking shows the German title"
    assert AR[0] in text[:appendix], "... or the original where there is none"
    title = text.index(f"1. {DE[0]}", appendix)
    original = text.index(f"Original (Türkisch): {TR[0]} {TR[1]}", appendix)  # named in German
    assert title < text.index(DE[1], appendix) < original, "the German title and text, then the original"
    arabic = text.index(AR[0], appendix)
    mark = text.index(_("Not translated yet. Original: {language}").format(language="Arabisch"), arabic)
    assert text[arabic + len(AR[0]) : mark].strip(" .2") == "", "the mark right under the Arabic title"
    assert AR[1].rstrip(".") in text[mark:], "its description (poppler reads the final full stop first)"
    assert text.count("Original (") == 1, "German originals have nothing under their titles"


def test_a_machine_translation_in_the_report_says_so_and_keeps_the_arabic_original(tmp_path):
    _ = i18n.gettext_for("de")
    frame = multilingual_frame(("Monatliches Demokratie-Café im Viertel", "Ein Treffen.", "engine"))
    text = _pdftotext(report.report_pdf(WS, frame, None, None, GOALS, _, method_key="dots"), tmp_path)
    appendix = text.index("Anhang: alle Maßnahmen")
    title = text.index("2. Monatliches Demokratie-Café im Viertel", appendix)
    german = text.index("Ein Treffen.", title)
    machine = text.index(_("Machine translation from: {language}").format(language="Arabisch"), german)
    assert title < german < machine < text.index(AR[0], machine), "the German title and text, then the original"
    assert "Not translated" not in text and _("Not translated yet. Original: {language}")[:12] not in text


# --- paper ballots (issue 23) -----------------------------------------------------------------


def test_the_report_says_how_many_ballots_came_from_paper_and_phones():
    from workshop.services import Channels

    _ = i18n.gettext_for("en")
    text = text_of(build(_, lang="en", channels=Channels(digital=40, paper=12, invalid=2), ballots=52))
    sentence = "52 ballots: 40 from phones and tablets, 12 on paper; 2 paper ballots invalid"
    assert text.count(sentence) == 2, "with the method's facts, and over the turnout"
    turnout = text[text.index("Turnout") :]
    assert turnout.index(sentence) < turnout.index("40 of 44 joined devices submitted a ballot")
    assert "Paper ballots belong to no working group: the table counts phones and tablets." in turnout
    one = text_of(build(_, lang="en", channels=Channels(digital=1, paper=0, invalid=1)))
    assert "1 ballot: 1 from phones and tablets, 0 on paper; 1 paper ballot invalid" in one


def test_a_report_without_paper_ballots_says_nothing_of_paper():
    text = text_of(build(i18n.gettext_for("en"), lang="en"))
    assert "paper" not in text.lower()


def test_a_report_while_paper_ballots_are_entered_after_the_vote_is_provisional():
    from datetime import datetime

    from workshop.services import Channels

    channels = Channels(digital=40, paper=12, invalid=2)

    def pages(ws: Workshop, channels) -> list[str]:
        pdf = report.report_pdf(
            ws,
            ranked_frame(),
            turnout_frame(),
            None,
            GOALS,
            i18n.gettext_for("en"),
            method_key="dots",
            lang="en",
            as_of=datetime(2026, 11, 21, 17, 5),
            channels=channels,
        )
        return [" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf)).pages]

    for text in pages(WS, channels):
        assert "Provisional: paper ballots are still being entered" in text and "5:05" in text, text[:200]
    assert not any("Provisional" in t for t in pages(replace(WS, paper_closed=True), channels)), "entry ended"
    assert not any("Provisional" in t for t in pages(WS, None)), "a workshop without paper ballots"


@pytest.mark.parametrize(
    ("lang", "frame", "expected"),
    [
        (
            "de",
            "{all_ballots}: {digital} vom Handy oder Tablet, {paper} auf Papier; {invalid}",
            "1.040 vom Handy oder Tablet",
        ),
        ("fa", "{all_ballots}: {digital} از تلفن یا تبلت، {paper} روی کاغذ؛ {invalid}", "از تلفن یا تبلت"),
    ],
)
def test_the_split_by_channel_is_in_the_reports_language_and_digits(lang, frame, expected, tmp_path):
    from workshop.services import Channels

    catalog = i18n.gettext_for(lang)
    words = {report.BALLOTS_BY_CHANNEL: frame, report.PAPER_NOT_IN_TABLE: "PAPER-NOTE"}
    channels = Channels(digital=1040, paper=12, invalid=2)
    text = _pdftotext(build(lambda s: words.get(s) or catalog(s), lang=lang, channels=channels), tmp_path)
    assert expected in text and "PAPER-NOTE" in text
    assert i18n.format_pattern(1040, "#,##0", lang) in text, "the report's digits: 1.040, ۱٬۰۴۰"
