"""CSV and Excel exports of a ranking: golden files, Excel-friendliness, anonymous raw ballots."""

from __future__ import annotations

import io
import random
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from workshop import auth, exports, i18n, scoring, services, views
from workshop.model import Criterion, MeasureInput, Method, Phase, VotingRules, Workshop
from workshop.store import Database

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
BOM = b"\xef\xbb\xbf"
CRITERIA = (Criterion("impact", "Impact", 2.0), Criterion("feasibility", "Machbarkeit", 1.0))


def ranked_frame() -> pd.DataFrame:
    """A small ranking in the shape of ``views.ranking`` (rows deliberately not in rank order;
    m3 and m4 tie on score, the tie-break puts m3 first)."""
    frame = pd.DataFrame(
        {
            "measure_id": ["m2", "m1", "m3", "m4"],
            "goal_id": ["g1", "g1", "g2", "g2"],
            "title": [
                "Sprachcafé für Ältere",
                "Straßenfest; Phoenix-Viertel",
                '=HYPERLINK("x")',
                "Übergänge begleiten",
            ],
            "score": [3.5, 4.25, 2.0, 2.0],
            "supporters": [4, 6, 3, 2],
            "rank_goal": [2, 1, 1, 2],
            "rank_overall": [2, 1, 3, 4],
            "mean_impact": [3.0, 4.5, 2.0, float("nan")],
            "mean_feasibility": [4.0, 4.0, 2.0, 2.0],
            "seq": [2, 1, 3, 4],
            "goal_title": ["Zusammenleben in Harburg"] * 2 + ["Arbeit und Bildung"] * 2,
            "goal_position": [1, 1, 2, 2],
            "group_name": ["AG 1", "AG 2", "", "AG 1"],
            "description": ["Treffen „jeden Dienstag“", 'Mit "Musik", Essen\nund Tanz', "", "Mentoring"],
            "status": ["new", "open", "in_progress", "new"],
        }
    )
    frame["place_overall"], frame["place_goal"] = scoring.shared_places(frame)
    return frame


def check_golden(name: str, data: bytes) -> None:
    """Compare with the golden file; on a mismatch write ``<name>.new`` beside it for review."""
    golden = GOLDEN / name
    new = golden.with_name(name + ".new")
    if golden.exists() and golden.read_bytes() == data:
        new.unlink(missing_ok=True)
        return
    new.write_bytes(data)
    pytest.fail(f"{name} differs from its golden file; review {new} and rename it to accept it")


# --- CSV --------------------------------------------------------------------------------------


def test_csv_matches_golden_file():
    check_golden("ranking.csv", exports.ranking_csv(ranked_frame(), criteria=CRITERIA, method_key="rating"))


def test_semicolon_csv_matches_golden_file():
    check_golden(
        "ranking_semicolon.csv", exports.ranking_csv(ranked_frame(), sep=";", criteria=CRITERIA, method_key="rating")
    )


@pytest.mark.parametrize("sep", [",", ";"])
def test_csv_starts_with_bom_and_round_trips_umlauts(sep):
    data = exports.ranking_csv(ranked_frame(), sep=sep, criteria=CRITERIA, method_key="rating")
    assert data.startswith(BOM)
    assert not data[len(BOM) :].startswith(BOM)
    frame = pd.read_csv(io.BytesIO(data), sep=sep, decimal="," if sep == ";" else ".", encoding="utf-8-sig")
    assert frame.columns[0] == "Rank overall"  # the BOM is not glued to the first header
    assert list(frame["Title"])[:2] == ["Straßenfest; Phoenix-Viertel", "Sprachcafé für Ältere"]
    assert list(frame["Description"])[:2] == ['Mit "Musik", Essen\nund Tanz', "Treffen „jeden Dienstag“"]


def test_semicolon_variant_parses_with_decimal_comma():
    data = exports.ranking_csv(ranked_frame(), sep=";", criteria=CRITERIA, method_key="rating")
    assert b"4,25" in data and b"4.25" not in data
    frame = pd.read_csv(io.BytesIO(data), sep=";", decimal=",", encoding="utf-8-sig")
    # The tie (2.0 and 2.0) is one shared rank; the tie-break's order is a column of its own.
    assert list(frame["Rank overall"]) == [1, 2, 3, 3]
    assert list(frame["Rank in goal"]) == [1, 2, 1, 1]
    assert list(frame["Order after tie-break"]) == [1, 2, 3, 4]
    assert list(frame["Score"]) == [4.25, 3.5, 2.0, 2.0]
    assert frame["Score"].dtype == float
    assert list(frame["Raters"]) == [6, 4, 3, 2], "a rating's supporters are everyone who rated"
    assert list(frame["Mean Impact"])[:3] == [4.5, 3.0, 2.0]
    assert pd.isna(frame["Mean Impact"].iloc[3])  # no rating: an empty cell, not 0
    assert list(frame["Mean Machbarkeit"]) == [4.0, 4.0, 2.0, 2.0]
    assert list(frame["Goal"]) == ["Zusammenleben in Harburg"] * 2 + ["Arbeit und Bildung"] * 2


def test_csv_columns_in_order_and_headers_translated():
    german = {
        "Rank overall": "Rang gesamt",
        "Rank in goal": "Rang im Ziel",
        "Order after tie-break": "Reihenfolge nach Stichentscheid",
        "Goal": "Ziel",
        "Title": "Titel",
        "Description": "Beschreibung",
        "Working group": "Arbeitsgruppe",
        "Score": "Punktzahl",
        "Raters": "Bewertende",
        "Responsible": "Zuständig",
        "Target group": "Zielgruppe",
        "Timeframe": "Zeitraum",
        "Rough cost": "Grobe Kosten",
        "Merged into it": "Zusammengeführt",
        "Mean {criterion}": "Mittelwert {criterion}",
        "Impact": "Wirkung",
        "Status": "Status",
        "new": "neu",
        "open": "offen",
        "in progress": "in Arbeit",
    }
    data = exports.ranking_csv(
        ranked_frame(), sep=";", _=lambda s: german.get(s, s), criteria=CRITERIA, method_key="rating"
    )
    frame = pd.read_csv(io.BytesIO(data), sep=";", decimal=",", encoding="utf-8-sig", keep_default_na=False)
    assert list(frame.columns) == [
        "Rang gesamt",
        "Rang im Ziel",
        "Reihenfolge nach Stichentscheid",
        "Ziel",
        "Titel",
        "Beschreibung",
        "Arbeitsgruppe",
        "Punktzahl",
        "Bewertende",
        "Zuständig",
        "Zielgruppe",
        "Zeitraum",
        "Grobe Kosten",
        "Zusammengeführt",
        "Mittelwert Wirkung",
        "Mittelwert Machbarkeit",
        "Status",
    ]
    assert list(frame["Status"]) == ["offen", "neu", "in Arbeit", "neu"]


def test_csv_without_rating_columns_has_no_mean_columns():
    ranked = ranked_frame().drop(columns=["mean_impact", "mean_feasibility"])
    header = exports.ranking_csv(ranked, method_key="rating").decode("utf-8-sig").splitlines()[0]
    assert header == (
        "Rank overall,Rank in goal,Order after tie-break,Goal,Title,Description,Working group,Score,Raters,"
        "Responsible,Target group,Timeframe,Rough cost,Merged into it,Status"
    )


def test_csv_defuses_formulas_typed_by_participants():
    frame = pd.read_csv(io.BytesIO(exports.ranking_csv(ranked_frame(), method_key="rating")), encoding="utf-8-sig")
    assert frame.loc[frame["Order after tie-break"] == 3, "Title"].item() == '\'=HYPERLINK("x")'


def test_csv_refuses_other_separators():
    with pytest.raises(ValueError):
        exports.ranking_csv(ranked_frame(), sep="\t", method_key="rating")


# --- raw ballots ------------------------------------------------------------------------------


def votes_frame() -> pd.DataFrame:
    rows = [
        ("ballot-secret-a", "dev-secret-1", "m1", "impact", 5.0),
        ("ballot-secret-a", "dev-secret-1", "m1", "feasibility", 4.0),
        ("ballot-secret-a", "dev-secret-1", "m2", "impact", 3.0),
        ("ballot-secret-b", "dev-secret-2", "m1", "impact", 4.0),
        ("ballot-secret-c", "dev-secret-3", "m3", "feasibility", 2.0),
        ("ballot-secret-c", "dev-secret-3", "m9", "impact", 1.0),  # a measure no longer ranked
    ]
    return pd.DataFrame(rows, columns=["ballot_id", "device_id", "measure_id", "criterion", "value"])


def test_anonymise_votes_keeps_ballots_together_under_random_numbers():
    votes = votes_frame()
    anon = exports.anonymise_votes(votes, random.Random(3))
    assert list(anon.columns) == ["ballot", "measure_id", "criterion", "value"]
    assert list(anon["ballot"]) == sorted(anon["ballot"])
    # Each vote row is unique here, so the rows can be matched up again to check the renaming.
    matched = votes.merge(anon, on=["measure_id", "criterion", "value"], validate="one_to_one")
    assert len(matched) == len(votes)
    mapping = matched.groupby("ballot_id")["ballot"].unique()
    assert all(len(numbers) == 1 for numbers in mapping)  # one number per ballot
    assert sorted(n[0] for n in mapping) == [1, 2, 3]  # different ballots, different numbers
    assert "secret" not in anon.to_csv()


def test_anonymise_votes_numbers_differ_between_exports():
    votes = pd.DataFrame(
        {
            "ballot_id": [f"b{i}" for i in range(30)],
            "measure_id": [f"m{i}" for i in range(30)],
            "criterion": "",
            "value": 1.0,
        }
    )
    numbers = []
    for seed in (1, 2):
        anon = exports.anonymise_votes(votes, random.Random(seed))
        numbers.append(dict(zip(anon["measure_id"], anon["ballot"], strict=True)))
    assert sorted(numbers[0].values()) == list(range(1, 31))
    assert numbers[0] != numbers[1]
    assert numbers[0] != {f"m{i}": i + 1 for i in range(30)}  # not simply the input order


# --- sheet names ------------------------------------------------------------------------------


def test_sheet_title_is_valid_and_unique():
    taken: set[str] = set()
    long = "1 Zusammenleben [in] Harburg: Wer? Was/Wie\\Wo* – ein sehr langer Titel"
    first = exports.sheet_title(long, taken)
    second = exports.sheet_title(long, taken)
    for title in (first, second):
        assert len(title) <= 31
        assert not set(title) & set("[]:*?/\\")
    assert first != second and second.endswith("(2)")
    assert exports.sheet_title("History", taken) != "History"
    assert exports.sheet_title("'quoted'", taken) == "quoted"
    assert exports.sheet_title("???", taken) == "Sheet"


# --- Excel ------------------------------------------------------------------------------------


def workshop() -> Workshop:
    return Workshop(
        id="w1",
        title="Planungswerkstatt Harburg – Zusammenleben",
        date=date(2026, 11, 21),
        place="Bürgerzentrum Feuervogel",
        join_code="ABCDEF",
        rules=VotingRules(method=Method.RATING, criteria=CRITERIA),
    )


@pytest.fixture(scope="module")
def book():
    data = exports.ranking_xlsx(workshop(), ranked_frame(), votes_frame(), rng=random.Random(5))
    return load_workbook(io.BytesIO(data))


def rows(sheet) -> list[list]:
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def test_xlsx_has_summary_goal_ballot_and_method_sheets(book):
    assert book.sheetnames == [
        "Summary",
        "1 Zusammenleben in Harburg",
        "2 Arbeit und Bildung",
        "Ballots (anonymised)",
        "Method",
    ]


def test_xlsx_every_sheet_has_bold_frozen_header_and_widths(book):
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        assert all(cell.font.bold for cell in sheet[1]), sheet.title
        assert not any(cell.font.bold for cell in sheet[2]), sheet.title
        widths = [sheet.column_dimensions[c.column_letter].width for c in sheet[1]]
        assert all(8 <= w <= 60 for w in widths), (sheet.title, widths)


def test_xlsx_summary_is_the_ranking_best_first(book):
    table = rows(book["Summary"])
    assert table[0][:5] == ["Rank overall", "Rank in goal", "Order after tie-break", "Goal", "Title"]
    assert [r[0] for r in table[1:]] == [1, 2, 3, 3], "equal scores share a rank"
    assert [r[2] for r in table[1:]] == [1, 2, 3, 4]
    assert [r[4] for r in table[1:]][:2] == ["Straßenfest; Phoenix-Viertel", "Sprachcafé für Ältere"]
    assert table[1][7] == 4.25
    assert table[4][9] is None  # no rating on this criterion: empty, not 0


def test_xlsx_goal_sheets_hold_only_their_goal_in_goal_order(book):
    goal = rows(book["2 Arbeit und Bildung"])
    assert [r[1] for r in goal[1:]] == [1, 1], "a tie within the goal: one shared rank"
    assert [r[2] for r in goal[1:]] == [3, 4]
    assert {r[3] for r in goal[1:]} == {"Arbeit und Bildung"}


def test_xlsx_keeps_typed_formulas_as_text(book):
    cell = book["Summary"]["E4"]
    assert cell.value == '=HYPERLINK("x")'
    assert cell.data_type == "s"


def test_xlsx_raw_ballots_are_anonymous(book):
    table = rows(book["Ballots (anonymised)"])
    assert table[0] == ["Ballot", "Measure", "Criterion", "Rating", "Measure ID"]
    cells = [str(v) for r in table for v in r if v is not None]
    assert not any("secret" in c for c in cells)
    assert sorted({r[0] for r in table[1:]}) == [1, 2, 3]
    assert len(table) - 1 == len(votes_frame())
    assert ["Straßenfest; Phoenix-Viertel", "Machbarkeit", 4] in [r[1:4] for r in table[1:]]


def test_xlsx_states_method_and_tie_break(book):
    facts = {r[0]: r[1] for r in rows(book["Method"])[1:]}
    assert facts["Scoring method"] == scoring.METHODS["rating"].label
    assert facts["How the score is computed"] == scoring.METHODS["rating"].explanation
    assert facts["Tie-break rule"] == scoring.METHODS["rating"].tie_break("vision")
    assert "rated by more people" in facts["Tie-break rule"]
    assert facts["Ballots"] == 3
    assert facts["Measures ranked"] == 4
    assert facts["Date"] == "2026-11-21"


def test_xlsx_method_key_overrides_the_workshops_method():
    data = exports.ranking_xlsx(workshop(), ranked_frame(), votes_frame(), method_key="borda")
    method = load_workbook(io.BytesIO(data))["Method"]
    facts = {r[0]: r[1] for r in rows(method)[1:]}
    assert facts["Scoring method"] == scoring.METHODS["borda"].label
    assert rows(load_workbook(io.BytesIO(data))["Ballots (anonymised)"])[0][3] == "Place in ranking"


def test_xlsx_sheet_names_are_translated_and_valid():
    data = exports.ranking_xlsx(
        workshop(), ranked_frame(), votes_frame(), _=lambda s: {"Summary": "Übersicht: alle/Ziele"}.get(s, s)
    )
    names = load_workbook(io.BytesIO(data)).sheetnames
    assert names[0] == "Übersicht alle Ziele"
    assert all(len(n) <= 31 and not set(n) & set("[]:*?/\\") for n in names)


@pytest.mark.parametrize(
    ("key", "header"), [("dots", "Supporters"), ("approval", "Supporters"), ("rating", "Raters"), ("borda", "Voters")]
)
def test_the_supporters_column_is_named_for_what_it_counts(key, header):
    """Issue 17.3: for a rating it counts everyone who rated (also a 1 of 5), for Borda who placed it."""
    table = exports.ranking_table(ranked_frame(), criteria=CRITERIA, method_key=key)
    assert header in table.columns
    assert {"Supporters", "Raters", "Voters"} - {header} <= {"Supporters", "Raters", "Voters"} - set(table.columns)


# --- languages (issue 20.5) -------------------------------------------------------------------

TR = ("Harburg için yabancılar meclisi", "Göçmenlerin sesini duyuran bir meclis.")
DE = ("Ein Ausländerbeirat für Harburg", "Ein Gremium, das Zugewanderten eine Stimme gibt.")
AR = ("مقهى الديمقراطية الشهري في الحي", "لقاء شهري للحديث عن الحي.")
FA = ("کافه دموکراسی ماهانه در محله", "")
FA_MACHINE = ("Monatliches Demokratie-Café im Viertel", '=WEBSERVICE("x")')
OLD_COLUMNS = [
    "Rank overall",
    "Rank in goal",
    "Order after tie-break",
    "Goal",
    "Title",
    "Description",
    "Working group",
    "Score",
    "Raters",
    "Responsible",
    "Target group",
    "Timeframe",
    "Rough cost",
    "Merged into it",
    "Mean Impact",
    "Mean Machbarkeit",
    "Status",
]
LANGUAGE_HEADERS = ["Language of the original", "German translation made", "Title (German)", "Description (German)"]


def multilingual_frame(fa_made: str = "engine", fa_reviewed: bool = False) -> pd.DataFrame:
    """``ranked_frame`` with the columns views.ranking adds (views.LANGUAGE_COLUMNS): m1 written in
    Turkish with its author's German version, m2 in Arabic without one, m3 German (no language
    recorded), m4 in Persian with the engine's German version that nobody reviewed."""
    texts = {  # measure id -> original language, original, German version, how it was made
        "m1": ("tr", TR, DE, "author"),
        "m2": ("ar", AR, ("", ""), ""),
        "m4": ("fa", FA, FA_MACHINE, fa_made),
    }
    frame = ranked_frame()
    for column in views.LANGUAGE_COLUMNS:
        frame[column] = False if column == "german_reviewed" else ""
    for i, mid in enumerate(frame["measure_id"]):
        if mid in texts:
            lang, original, german, made = texts[mid]
            frame.loc[i, ["lang", "title", "description", "german_title", "german_description", "german_made"]] = [
                lang,
                *original,
                *german,
                made,
            ]
            frame.loc[i, "german_reviewed"] = fa_reviewed if mid == "m4" else False
    return frame


def test_csv_carries_each_originals_language_and_its_german_translation():
    data = exports.ranking_csv(multilingual_frame(), sep=";", criteria=CRITERIA, method_key="rating")
    frame = pd.read_csv(io.BytesIO(data), sep=";", decimal=",", encoding="utf-8-sig", keep_default_na=False)
    assert list(frame.columns) == OLD_COLUMNS + LANGUAGE_HEADERS, "the columns a sheet refers to stay where they were"
    rows = frame.set_index("Order after tie-break")
    assert rows.loc[1, ["Title", "Description"]].tolist() == list(TR), "the original stays in its columns"
    assert rows.loc[1, LANGUAGE_HEADERS].tolist() == ["Türkçe (tr)", "by the author", *DE]
    assert rows.loc[2, ["Title", *LANGUAGE_HEADERS]].tolist() == [AR[0], "العربية (ar)", "not translated yet", "", ""]
    assert rows.loc[3, LANGUAGE_HEADERS].tolist() == ["Deutsch (de)", "", "", ""], "German: nothing to translate"
    # The engine's translation that no person reviewed says so; what it wrote is text, not a formula.
    assert rows.loc[4, LANGUAGE_HEADERS].tolist() == [
        "فارسی (fa)",
        "machine translation, not reviewed",
        FA_MACHINE[0],
        "'" + FA_MACHINE[1],
    ]


def test_the_language_columns_speak_the_exports_language():
    german = i18n.gettext_for("de")
    table = exports.ranking_table(multilingual_frame(), german, CRITERIA, method_key="rating")
    first = table.loc[table[german("Order after tie-break")] == 1].iloc[0]
    assert first[german("Language of the original")] == "Türkçe (tr)"
    assert first[german("German translation made")] == german("by the author") == "von der vorschlagenden Person"
    assert german("Language of the original") == "Sprache des Originals"


@pytest.mark.parametrize(
    ("made", "reviewed", "expected"),
    [
        ("engine", False, "machine translation, not reviewed"),
        ("engine", True, "machine translation, reviewed"),
        ("mediator", False, "by a language mediator"),
        ("mediator", True, "by a language mediator, reviewed"),
        ("facilitator", True, "by the facilitation team"),
    ],
)
def test_how_the_german_translation_was_made(made, reviewed, expected):
    table = exports.ranking_table(multilingual_frame(made, reviewed), criteria=CRITERIA, method_key="rating")
    persian = table.loc[table["Order after tie-break"] == 4].iloc[0]
    assert persian["German translation made"] == expected
    assert persian["Title (German)"] == FA_MACHINE[0]


def test_xlsx_sheets_carry_the_language_columns():
    data = exports.ranking_xlsx(workshop(), multilingual_frame(), votes_frame(), rng=random.Random(5))
    book = load_workbook(io.BytesIO(data))
    summary = rows(book["Summary"])
    assert summary[0] == OLD_COLUMNS + LANGUAGE_HEADERS
    assert summary[1][-4:] == ["Türkçe (tr)", "by the author", *DE]
    assert summary[2][4] == AR[0] and summary[2][-4:-2] == ["العربية (ar)", "not translated yet"]
    assert summary[4][-3] == "machine translation, not reviewed"
    formula = book["Summary"].cell(row=5, column=len(summary[0]))
    assert (formula.value, formula.data_type) == (FA_MACHINE[1], "s"), "typed text stays text"
    goal = rows(book["1 Zusammenleben in Harburg"])
    assert [r[-4:] for r in goal[1:]] == [summary[1][-4:], summary[2][-4:]]


def test_a_ranking_from_the_database_carries_languages_and_translations(tmp_path):
    """views.ranking joins each measure's German translation: an author's version counts, a
    proposal in Arabic without one is marked."""
    db = Database(tmp_path / "w.duckdb")
    try:
        fac = auth.system_session(db)
        ws = services.create_workshop(db, fac, title="Planungswerkstatt Sprachen", place="Harburg")
        goal = services.add_goal(db, fac, ws.id, "Zusammenleben in Harburg").id
        services.set_phase(db, fac, ws.id, Phase.COLLECT)
        author, _token = services.join(db, ws.join_code)
        services.propose_measure(db, author, goal, MeasureInput(*TR), lang="tr", versions={"de": MeasureInput(*DE)})
        services.propose_measure(db, author, goal, MeasureInput(*AR), lang="ar")
        services.propose_measure(db, author, goal, MeasureInput("Sprachcafé im Bürgerhaus"))
        ranked = views.ranking(db, services.get_workshop(db, ws.id))
    finally:
        db.close()
    table = exports.ranking_table(ranked, method_key="dots").set_index("Title")
    assert table.loc[TR[0], LANGUAGE_HEADERS].tolist() == ["Türkçe (tr)", "by the author", *DE]
    assert table.loc[AR[0], LANGUAGE_HEADERS].tolist() == ["العربية (ar)", "not translated yet", "", ""]
    assert table.loc["Sprachcafé im Bürgerhaus", LANGUAGE_HEADERS].tolist() == ["Deutsch (de)", "", "", ""]


# --- paper ballots (issue 23) -----------------------------------------------------------------


def channel_votes(paper: int, digital: int) -> pd.DataFrame:
    """One approval vote per ballot, ``paper`` of them entered from paper sheets."""
    n = paper + digital
    return pd.DataFrame(
        {
            "ballot_id": [f"ballot-secret-{i}" for i in range(n)],
            "measure_id": ["m1"] * n,
            "criterion": "",
            "value": 1.0,
            "paper": [i < paper for i in range(n)],
        }
    )


def channel_book(paper: int, digital: int, invalid: int = 0):
    channels = services.Channels(digital=digital, paper=paper, invalid=invalid)
    votes = channel_votes(paper, digital)
    data = exports.ranking_xlsx(
        workshop(), ranked_frame(), votes, method_key="approval", rng=random.Random(2), channels=channels
    )
    return load_workbook(io.BytesIO(data))


def test_anonymise_votes_keeps_the_channel_of_each_ballot():
    votes = channel_votes(paper=2, digital=3)
    anon = exports.anonymise_votes(votes, random.Random(1))
    assert list(anon.columns) == ["ballot", "measure_id", "criterion", "value", "paper"]
    assert sorted(anon["paper"]) == [False, False, False, True, True]
    assert "secret" not in anon.to_csv()


def test_xlsx_says_where_each_ballot_was_cast_and_counts_the_channels():
    book = channel_book(paper=6, digital=7, invalid=2)
    table = rows(book["Ballots (anonymised)"])
    assert table[0] == ["Ballot", "Measure", "Criterion", "Support", "Measure ID", "Cast on"], "last: no column moves"
    assert sorted(r[-1] for r in table[1:]) == ["Paper"] * 6 + ["Phone or tablet"] * 7
    assert not any("secret" in str(v) for r in table for v in r)
    facts = {r[0]: r[1] for r in rows(book["Method"])[1:]}
    assert facts["Ballots"] == 13
    assert (facts["Ballots from phones and tablets"], facts["Ballots on paper"]) == (7, 6)
    assert facts["Invalid paper ballots"] == 2
    assert "Cast on" not in facts


@pytest.mark.parametrize(("paper", "digital"), [(2, 30), (30, 4)])
def test_xlsx_withholds_the_channel_where_a_few_ballots_would_show_how_they_voted(paper, digital):
    book = channel_book(paper=paper, digital=digital)
    table = rows(book["Ballots (anonymised)"])
    assert table[0][-1] == "Cast on" and {r[-1] for r in table[1:]} == {None}
    facts = {r[0]: r[1] for r in rows(book["Method"])[1:]}
    assert "too few ballots" in facts["Cast on"]
    assert (facts["Ballots on paper"], facts["Ballots from phones and tablets"]) == (paper, digital), "the counts stay"


def test_xlsx_with_all_ballots_on_one_channel_shows_it():
    table = rows(channel_book(paper=0, digital=3)["Ballots (anonymised)"])
    assert {r[-1] for r in table[1:]} == {"Phone or tablet"}


def test_the_channel_columns_speak_the_exports_language():
    words = {
        "Ballots on paper": "Stimmzettel auf Papier",
        "Invalid paper ballots": "Ungültige Papierstimmzettel",
        "Cast on": "Abgegeben über",
        "Paper": "Papier",
        "Phone or tablet": "Handy oder Tablet",
    }
    channels = services.Channels(digital=7, paper=6, invalid=1)
    data = exports.ranking_xlsx(
        workshop(),
        ranked_frame(),
        channel_votes(6, 7),
        lambda s: words.get(s, s),
        method_key="approval",
        channels=channels,
    )
    book = load_workbook(io.BytesIO(data))
    facts = {r[0]: r[1] for r in rows(book["Method"])[1:]}
    assert (facts["Stimmzettel auf Papier"], facts["Ungültige Papierstimmzettel"]) == (6, 1)
    table = rows(book["Ballots (anonymised)"])
    assert table[0][-1] == "Abgegeben über" and {r[-1] for r in table[1:]} == {"Papier", "Handy oder Tablet"}


@pytest.mark.parametrize("sep", [",", ";"])
def test_csv_of_a_vote_with_paper_ballots_ends_with_the_ballots_by_channel(sep):
    german = {"Ballots from phones and tablets": "Stimmen von Handys und Tablets", "Ballots on paper": "Stimmzettel"}
    plain = exports.ranking_csv(ranked_frame(), sep=sep, criteria=CRITERIA, method_key="rating")
    data = exports.ranking_csv(
        ranked_frame(),
        sep=sep,
        _=lambda s: german.get(s, s),
        criteria=CRITERIA,
        method_key="rating",
        channels=services.Channels(digital=41, paper=12, invalid=3),
    )
    frame = pd.read_csv(io.BytesIO(data), sep=sep, encoding="utf-8-sig", keep_default_na=False)
    before = pd.read_csv(io.BytesIO(plain), sep=sep, encoding="utf-8-sig", keep_default_na=False)
    assert list(frame.columns[: len(before.columns)]) == list(before.columns), "no column a sheet refers to moves"
    assert list(frame.columns[len(before.columns) :]) == [
        "Stimmen von Handys und Tablets",
        "Stimmzettel",
        "Invalid paper ballots",
    ]
    assert set(frame["Stimmen von Handys und Tablets"]) == {41} and set(frame["Stimmzettel"]) == {12}
    assert set(frame["Invalid paper ballots"]) == {3} and len(frame) == len(before)


def test_the_workbook_from_the_database_counts_paper_ballots_apart(tmp_path):
    """views.votes_frame(channel=True) marks the ballots entered from paper sheets; the services'
    channel counts and views.counts agree with it, and the sheets' devices are no devices that joined."""
    from workshop import demo
    from workshop.model import DotBallot

    db = Database(tmp_path / "paper.duckdb")
    try:
        ws = demo.build(db)
        fac = auth.system_session(db, minutes=30)
        joined = views.counts(db, ws)["devices"]
        measure = services.list_measures(db, ws.id)[0].id
        numbers = [n for n, _code in services.print_sheets(db, fac, ws.id, 7)]
        for n in numbers[:6]:
            services.enter_sheet(db, fac, ws.id, str(n), DotBallot({measure: 1}))
        services.enter_sheet(db, fac, ws.id, str(numbers[6]), None, invalid="identified")
        votes = views.votes_frame(db, ws.id, Method.DOTS, channel=True)
        channels = services.channel_counts(db, ws.id)
        counts = views.counts(db, ws)
        turnout = views.turnout_per_group(db, ws)
        ranked = views.ranking(db, ws)
    finally:
        db.close()
    assert votes[votes["paper"]]["ballot_id"].nunique() == channels.paper == 6
    assert votes[~votes["paper"]]["ballot_id"].nunique() == channels.digital
    assert counts["devices"] == joined, "a paper ballot's device did not join"
    assert (counts["digital"], counts["paper"], counts["invalid"]) == (channels.digital, 6, 1)
    assert counts["ballots"] == channels.valid
    assert turnout["devices"].sum() == joined and turnout["ballots"].sum() == channels.digital
    assert "" not in set(turnout["group_name"]), "no row of group-less devices made of paper ballots"
    book = load_workbook(io.BytesIO(exports.ranking_xlsx(ws, ranked, votes, channels=channels)))
    facts = {r[0]: r[1] for r in rows(book["Method"])[1:]}
    assert (facts["Ballots"], facts["Ballots on paper"], facts["Invalid paper ballots"]) == (channels.valid, 6, 1)
    cast = [r[-1] for r in rows(book["Ballots (anonymised)"])[1:]]
    assert cast.count("Paper") == len(votes[votes["paper"]])
