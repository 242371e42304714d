"""Typed dates (workshop.i18n.parse_date): each language's order of day, month and year, any digits."""

from __future__ import annotations

from datetime import date

import pytest

from workshop import i18n

DAY = date(2027, 5, 21)


@pytest.mark.parametrize("lang", ["de", "en", "tr", "ar", "fa", "ru", "uk", "ls"])
def test_what_the_form_shows_reads_back(lang):
    shown = i18n.format_date_entry(DAY, lang)
    assert "2027" in shown, "a four-digit year"
    assert i18n.parse_date(shown, lang) == DAY


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("21.05.2027", "de"),
        ("21.5.27", "de"),
        (" 21. 5. 2027 ", "de"),
        ("5/21/2027", "en"),
        ("2027-05-21", "en"),
        ("2027-05-21", "de"),
        ("2027/5/21", "fa"),
        ("۲۰۲۷/۵/۲۱", "fa"),  # Persian digits
        ("٢١/٥/٢٠٢٧", "ar"),  # Arabic-Indic digits
        # With the month's name, in the language or in English (the walk typed "14. März 2026").
        ("21. Mai 2027", "de"),
        ("21. Mai 2027", "ls"),
        ("21 mai 27", "de"),
        ("21 May 2027", "de"),
        ("May 21, 2027", "en"),
        ("21 Mayıs 2027", "tr"),
        ("21 мая 2027", "ru"),
        ("21 травня 2027", "uk"),
        ("٢١ مايو ٢٠٢٧", "ar"),
        ("۲۱ مه ۲۰۲۷", "fa"),
    ],
)
def test_typed_dates_in_every_order_and_script(text, lang):
    assert i18n.parse_date(text, lang) == DAY


@pytest.mark.parametrize(
    "text",
    [
        "",
        "morgen",
        "21.05",
        "31.02.2027",
        "21.13.2027",
        "1.2.3.4",
        "21.05.20277",
        "=1+1",
        "21. Maiglöckchen 2027",
        "21. Mai",
        "Mai Juni 2027",
        "21. Mai 2027 10",
        "31. Februar 2027",
    ],
)
def test_anything_else_is_refused(text):
    with pytest.raises(ValueError):
        i18n.parse_date(text, "de")


def test_numbers_and_dates_in_each_languages_digits():
    """Issue 22.4: Persian in ۰–۹ with its own separators (Babel), Arabic in the digits its
    reviewers chose (i18n.NUMBERING: Latin), German and Turkish with their separators."""
    import datetime as dt

    assert i18n.format_number(1234.5, "fa") == "۱٬۲۳۴٫۵"
    assert i18n.format_number(1234.5, "de") == i18n.format_number(1234.5, "ls") == "1.234,5"
    assert i18n.format_number(1234.5, "ar") == "1,234.5"
    assert i18n.format_number(7, "fa") == "۷" and i18n.format_number(3.0, "de") == "3"
    assert i18n.format_percent(0.4, "fa") == "۴۰%"
    assert i18n.format_date(dt.date(2027, 5, 21), "fa", style="long") == "۲۱ مهٔ ۲۰۲۷"
