"""What a reader sees of a measure in their language (workshop/translation.py)."""

from __future__ import annotations

from workshop import i18n, translation
from workshop.model import Made, Measure, Translation

M = Measure("m1", "w1", "g1", "Harburg için yabancılar meclisi", "Bir meclis.", lang="tr")
DE = Translation("m1", "de", "Ein Ausländerbeirat für Harburg", "Ein Gremium.", Made.MEDIATOR)
AR_MACHINE = Translation("m1", "ar", "مجلس الأجانب", "", Made.ENGINE)
NAMES = i18n.available_languages()


def test_the_author_reads_the_original_and_others_their_translation():
    assert translation.reading(M, {"de": DE}, "tr") == translation.Reading(M.title, M.description, "tr", "tr")
    german = translation.reading(M, {"de": DE}, "de")
    assert (german.title, german.lang, german.made, german.missing) == (DE.title, "de", Made.MEDIATOR, False)
    assert translation.note(german, i18n.gettext_for("de"), NAMES) == "Übersetzt aus: Türkçe"


def test_leichte_sprache_reads_german_where_there_is_nothing_in_leichte_sprache():
    assert translation.reading(M, {"de": DE}, "ls").title == DE.title
    german_original = Measure("m2", "w1", "g1", "Sprachcafé im Bürgerhaus")  # no language recorded: German
    assert translation.reading(german_original, {}, "ls") == translation.Reading(
        "Sprachcafé im Bürgerhaus", "", "de", "de"
    )


def test_a_missing_translation_shows_the_original_marked_as_such():
    read = translation.reading(M, {"de": DE}, "ru")
    assert (read.title, read.lang, read.missing) == (M.title, "tr", True)
    assert translation.note(read, i18n.gettext_for("en"), NAMES) == "Not translated yet. Original: Türkçe"


def test_a_machine_translation_only_where_allowed_and_says_so_until_reviewed():
    assert translation.reading(M, {"ar": AR_MACHINE}, "ar").missing, "not shown unless the facilitator allows it"
    read = translation.reading(M, {"ar": AR_MACHINE}, "ar", machine=True)
    assert (read.title, read.machine) == (AR_MACHINE.title, True)
    assert translation.note(read, i18n.gettext_for("en"), NAMES) == "Machine translation from: Türkçe"
    reviewed = Translation("m1", "ar", "مجلس الأجانب", "", Made.ENGINE, reviewed=True)
    read = translation.reading(M, {"ar": reviewed}, "ar")
    assert not read.missing and not read.machine
    assert translation.note(read, i18n.gettext_for("en"), NAMES) == "Translated from: Türkçe"


def _ranking_rows():
    import pandas as pd

    return pd.DataFrame(
        {
            "measure_id": ["m1", "m2"],
            "title": [M.title, "Sprachcafé im Bürgerhaus"],
            "description": [M.description, ""],
            "lang": ["tr", ""],
            "german_title": [DE.title, ""],
            "german_description": [DE.description, ""],
            "german_made": ["engine", ""],
            "german_reviewed": [False, False],
        }
    )


def test_a_ranking_for_a_reader_shows_their_language_with_the_original_beside_it():
    from workshop import views

    rows = _ranking_rows()
    arabic = Translation("m1", "ar", "مجلس للأجانب في هاربورغ", "", Made.MEDIATOR)
    read = views.for_reader(rows, {"m1": {"ar": arabic, "de": DE}}, "ar")
    assert list(read["title"]) == [arabic.title, "Sprachcafé im Bürgerhaus"]
    assert list(read["original"]) == [M.title, ""], "the original beside a translation, nothing beside an original"
    assert read["reading"][0].translated and read["reading"][1].missing, "a German original is not Arabic"
    assert list(rows["title"]) == [M.title, "Sprachcafé im Bürgerhaus"], "the ranking itself is unchanged"
    # A machine translation only where the facilitator allows it, on the wall as on the phones.
    assert views.for_reader(rows, {"m1": {"ar": AR_MACHINE}}, "ar")["title"][0] == M.title
    assert views.for_reader(rows, {"m1": {"ar": AR_MACHINE}}, "ar", machine=True)["title"][0] == AR_MACHINE.title
    # The wall reads German: the original in small type under a German translation.
    wall = views.for_reader(rows, {"m1": {"de": DE}}, "de")
    assert (list(wall["title"]), list(wall["original"])) == ([DE.title, "Sprachcafé im Bürgerhaus"], [M.title, ""])


def test_the_note_names_the_original_language_in_the_readers_language():
    """A walk found "Übersetzt aus: العربية" on a German phone: a reader who cannot read Arabic
    script cannot tell which language it is. Babel names it in the reader's language."""
    assert i18n.language_names("de")["ar"] == "Arabisch" and i18n.language_names("tr")["ar"] == "Arapça"
    assert i18n.language_names("ls")["tr"] == "Türkisch", "Leichte Sprache reads German names"
    assert i18n.language_names("ar")["ls"] == "Leichte Sprache"
    german = translation.reading(M, {"de": DE}, "de")
    assert translation.note(german, i18n.gettext_for("de"), i18n.language_names("de")) == "Übersetzt aus: Türkisch"
