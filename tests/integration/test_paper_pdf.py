"""The printed paper ballot (issue 23): every sheet's QR code decodes (with a real QR reader) to a
link that enters that sheet; the text holds the number, the instructions and every measure on the
ballot, in German and in a second language; a long ballot runs onto pages that repeat the number."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import replace

import pytest

from workshop import auth, cards, i18n, methods, paper, services
from workshop.model import (
    Goal,
    Made,
    Measure,
    MeasureInput,
    Method,
    Phase,
    Translation,
    VotingRules,
    Workshop,
    WorkshopKind,
)

needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils")
needs_zbar = pytest.mark.skipif(not shutil.which("zbarimg") or not shutil.which("pdftoppm"), reason="needs zbar-tools")

LINK = "http://192.168.1.20:8501/?code={code}"
GERMAN = (
    "Interkulturelles Straßenfest im Phoenix-Viertel",
    "Sprachcafés mit Kinderbetreuung",
    "Begegnungscafé in der Bücherhalle",
    "Deutschkurse am Abend und am Wochenende",
)
TR = MeasureInput("Harburg için yabancılar meclisi")
TR_DE = MeasureInput("Ein Ausländerbeirat für Harburg")
AR = MeasureInput("مقهى الديمقراطية الشهري في الحي")  # no German version: printed as written
AR_OF_FIRST = "مهرجان الشارع بين الثقافات في حي فينيكس"


@pytest.fixture(scope="module")
def db(make_store):
    return make_store("paper_pdf")


@pytest.fixture(scope="module")
def fac(db):
    return auth.system_session(db, minutes=30)


def _workshop(db, fac, method: str, kind: WorkshopKind = WorkshopKind.VISION) -> Workshop:
    """A workshop voting by ``method`` on six measures of two goals: four German, one Turkish with
    its author's German version, one Arabic without; the first has a reviewed Arabic translation."""
    rules = VotingRules(method=Method(method), dots_per_person=6, max_per_measure=3, goal_budget=4, approval_limit=2)
    ws = services.create_workshop(db, fac, title="Planungswerkstatt Harburg 2026", kind=kind, rules=rules)
    goals = [services.add_goal(db, fac, ws.id, g).id for g in ("Zusammenleben in Harburg", "Deutsch als Sprache")]
    services.set_phase(db, fac, ws.id, Phase.COLLECT)
    author, _token = services.join(db, ws.join_code)
    ids = [
        services.propose_measure(db, author, goals[i % 2], MeasureInput(title), lang="de").id
        for i, title in enumerate(GERMAN)
    ]
    services.propose_measure(db, author, goals[1], TR, lang="tr", versions={"de": TR_DE})
    services.propose_measure(db, author, goals[0], AR, lang="ar")
    services.set_phase(db, fac, ws.id, Phase.REVIEW)
    services.translate_measure(db, fac, ids[0], "ar", MeasureInput(AR_OF_FIRST))
    if Method(method) == Method.RANKING:
        services.set_shortlist(db, fac, ws.id, [m.id for m in services.list_measures(db, ws.id)])
    services.set_phase(db, fac, ws.id, Phase.VOTE)
    return services.get_workshop(db, ws.id)


def _sections(db, ws: Workshop) -> list[paper.SheetSection]:
    voting = services.voting_measures(db, ws)
    return paper.layout(services.list_goals(db, ws.id), services.list_measures(db, ws.id), voting)


def _pdf(db, fac, ws: Workshop, count: int, **options) -> tuple[bytes, list[tuple[int, str]]]:
    sheets = services.print_sheets(db, fac, ws.id, count)
    translations = services.list_translations(db, ws.id)
    link = LINK.format(code=ws.join_code)
    return cards.sheets_pdf(ws, _sections(db, ws), link, sheets, translations=translations, **options), sheets


def _ballot(method: str, measure_id: str) -> methods.Ballot:
    return {
        "dots": lambda: methods.DotBallot({measure_id: 2}),
        "approval": lambda: methods.ApprovalBallot(frozenset({measure_id})),
        "rating": lambda: methods.RatingBallot({measure_id: {"impact": 4, "feasibility": 2}}),
        "ranking": lambda: methods.RankingBallot((measure_id,)),
    }[method]()


def _text(pdf: bytes, tmp_path, first: int | None = None) -> str:
    """The PDF's text, one page (``first``) or all, as a reader sees it: the direction marks
    pdftotext adds around right-to-left runs taken out, all white space as one blank."""
    path = tmp_path / "sheets.pdf"
    path.write_bytes(pdf)
    pages = ["-f", str(first), "-l", str(first)] if first else []
    out = subprocess.run(["pdftotext", *pages, str(path), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(re.sub("[\u200e\u200f\u202a-\u202e]", "", out).split())


def _pages(pdf: bytes, tmp_path) -> int:
    path = tmp_path / "count.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


@needs_zbar
@pytest.mark.parametrize("method", ["dots", "approval", "rating", "ranking"])
def test_every_sheets_qr_code_decodes_to_a_link_that_enters_that_sheet(db, fac, tmp_path, method):
    ws = _workshop(db, fac, method)
    pdf, sheets = _pdf(db, fac, ws, 3)
    (tmp_path / "sheets.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "110", str(tmp_path / "sheets.pdf"), str(tmp_path / "page")], check=True)
    decoded = []
    for page in sorted(tmp_path.glob("page-*.png")):
        out = subprocess.run(["zbarimg", "-q", "--raw", str(page)], capture_output=True, text=True).stdout
        decoded += out.split()
    link = LINK.format(code=ws.join_code)
    assert sorted(decoded) == sorted(cards.card_url(link, code) for _n, code in sheets)
    first = next(iter(services.voting_measures(db, ws)))
    for scanned in decoded:
        services.enter_sheet(db, fac, ws.id, scanned, _ballot(method, first))
    assert services.paper_stats(db, ws.id).counted == len(sheets)
    assert services.channel_counts(db, ws.id).paper == len(sheets)


# What each method's sheet says besides its instruction (the rules above: 6 dots, 3 a measure,
# 4 a goal; at most 2 supported; the default criteria).
RULES_SAID = {
    "dots": ["You have 6 dots. Fill in one circle per dot.", "At most 3 dots per measure.", "At most 4 dots per goal."],
    "approval": ["Tick every measure you support.", "You can support at most 2 measures."],
    "rating": [
        "Rate each measure from 1 (low) to 5 (high).",
        "Each measure has a row of boxes per criterion: Impact, Feasibility.",
    ],
    "ranking": ["Write a place in the box of each measure you rank: 1 for the most important", "only once"],
}


@needs_poppler
@pytest.mark.parametrize("method", ["dots", "approval", "rating", "ranking"])
def test_a_sheet_shows_its_number_the_instructions_and_every_measure_in_german(db, fac, tmp_path, method):
    ws = _workshop(db, fac, method)
    pdf, sheets = _pdf(db, fac, ws, 2)
    text = _text(pdf, tmp_path)
    for number, code in sheets:
        assert f"Paper ballot {number}" in text
        assert cards.spaced(code) in text
    if method != "ranking":  # the phone's ranking instruction speaks of arrows: the sheet has its own
        assert methods.of(method).say(ws.kind).format(min=1, max=5) in text
    for said in RULES_SAID[method]:
        assert said in text
    shown = [line.measure.title for section in _sections(db, ws) for line in section.lines]
    assert len(shown) == 6
    for title in [*GERMAN, TR_DE.title, AR.title]:  # the Turkish one by its German version
        assert title in text
    assert TR.title not in text and AR_OF_FIRST not in text, "no second language asked for"
    labels = re.findall(r"\b[12]\.[1-3]\b", text)
    assert sorted(set(labels)) == ["1.1", "1.2", "1.3", "2.1", "2.2", "2.3"]
    assert "Do not sign this sheet" in text and LINK.format(code=ws.join_code) in text


@needs_poppler
@pytest.mark.parametrize("second", ["ar", "tr"])
def test_a_second_language_adds_its_titles_and_instructions(db, fac, tmp_path, second):
    ws = _workshop(db, fac, "dots")
    pdf, _sheets = _pdf(db, fac, ws, 1, _=i18n.gettext_for("de"), second=second)
    text = _text(pdf, tmp_path)
    assert "Straßenfest" in text and TR_DE.title in text  # German first
    instruction = i18n.gettext_for(second)(methods.of("dots").say(ws.kind))
    assert instruction != i18n.gettext_for("de")(methods.of("dots").say(ws.kind))
    # pdftotext gives a wrapped right-to-left paragraph line by line, so Arabic by its first words.
    words = instruction.split()
    assert " ".join(words[:3] if i18n.is_rtl(second) else words) in text
    if second == "ar":
        assert AR_OF_FIRST in text, "the reviewed Arabic translation under the German title"
        assert TR.title not in text
    else:
        assert TR.title in text, "the Turkish original under its German version"
        assert AR_OF_FIRST not in text
    assert text.count(AR.title) == 1, "an Arabic original is printed once, not again as its own translation"


def _long_ballot(n: int, kind: WorkshopKind = WorkshopKind.VISION, method: Method = Method.DOTS):
    """A workshop (not stored) with ``n`` measures on the ballot over two goals."""
    ws = Workshop("w1", "Planungswerkstatt Harburg 2026", None, "", "ABC234", kind=kind)
    ws = replace(ws, rules=replace(ws.rules, method=method))
    goals = [Goal("g1", "w1", 1, "Zusammenleben in Harburg"), Goal("g2", "w1", 2, "Deutsch als Sprache")]
    measures = [Measure(f"m{i}", "w1", goals[i % 2].id, f"Vorschlag Nummer {i} für Harburg") for i in range(n)]
    return ws, paper.layout(goals, measures, {m.id: m.goal_id for m in measures})


@needs_poppler
def test_a_sheet_of_forty_measures_runs_onto_a_second_page_that_repeats_its_number(tmp_path):
    ws, sections = _long_ballot(40)
    pdf = cards.sheets_pdf(ws, sections, LINK.format(code="ABC234"), [(16, "ABCD2345"), (17, "EFGH6789")])
    assert _pages(pdf, tmp_path) == 4
    for page, number, of in ((1, 16, 1), (2, 16, 2), (3, 17, 1), (4, 17, 2)):
        text = _text(pdf, tmp_path, page)
        assert f"Paper ballot {number}" in text and f"Page {of} of 2" in text
        assert f"Paper ballot {33 - number}" not in text
    assert "ABCD 2345" in _text(pdf, tmp_path, 1) and "ABCD 2345" not in _text(pdf, tmp_path, 2)
    whole = _text(pdf, tmp_path, None)
    for i in range(40):
        assert f"Vorschlag Nummer {i} für Harburg" in whole
    # A goal continued on the second page is named again above its lines there.
    assert "Goal 2: Deutsch als Sprache" in _text(pdf, tmp_path, 2)


@needs_poppler
def test_a_short_sheet_is_one_page_without_a_page_count(tmp_path):
    ws, sections = _long_ballot(6)
    pdf = cards.sheets_pdf(ws, sections, LINK.format(code="ABC234"), [(1, "ABCD2345")])
    assert _pages(pdf, tmp_path) == 1
    assert "Page 1" not in _text(pdf, tmp_path)


@needs_poppler
def test_an_integrationskonferenz_sheet_speaks_of_guiding_questions_and_recommendations(tmp_path):
    ws, sections = _long_ballot(4, WorkshopKind.CONFERENCE, Method.APPROVAL)
    ws = replace(ws, rules=replace(ws.rules, approval_limit=3))
    text = _text(cards.sheets_pdf(ws, sections, LINK.format(code="ABC234"), [(1, "ABCD2345")]), tmp_path)
    assert "Guiding question 1: Zusammenleben in Harburg" in text
    assert "Tick every recommendation you support." in text
    assert "You can support at most 3 recommendations." in text
    assert "Goal" not in text and "measure" not in text


def test_sheet_titles_are_german_first_and_the_second_language_where_there_is_one():
    goal = Goal("g1", "w1", 1, "Ziel")
    de = Measure("m1", "w1", "g1", "Sprachcafé", lang="de")
    tr = Measure("m2", "w1", "g1", "Harburg meclisi", lang="tr")
    old = Measure("m3", "w1", "g1", "Ohne Sprache")  # from before languages were recorded: German
    sections = paper.layout([goal], [de, tr, old], {"m1": "g1", "m2": "g1", "m3": "g1"})
    translations = {
        "m1": {"tr": Translation("m1", "tr", "Dil kafesi", made=Made.ENGINE)},  # the engine's, not checked
        "m2": {"de": Translation("m2", "de", "Harburger Beirat", made=Made.MEDIATOR)},
    }
    assert cards.sheet_titles(sections, translations) == {
        "m1": ("Sprachcafé", ""),
        "m2": ("Harburger Beirat", ""),
        "m3": ("Ohne Sprache", ""),
    }
    assert cards.sheet_titles(sections, translations, "tr") == {
        "m1": ("Sprachcafé", ""),  # a machine translation only where the workshop shows them
        "m2": ("Harburger Beirat", "Harburg meclisi"),
        "m3": ("Ohne Sprache", ""),
    }
    assert cards.sheet_titles(sections, translations, "tr", machine=True)["m1"] == ("Sprachcafé", "Dil kafesi")
    assert cards.sheet_languages(sections, translations) == {"tr": 1}
    assert cards.sheet_languages(sections, translations, machine=True) == {"tr": 2}
