"""Translations: gettext catalogs in workshop/locale, chosen per call, never process-wide.

Catalogs are ``.po`` files (msgids in English). ``make catalogs`` compiles them to ``.mo``;
when a ``.mo`` is missing or older than its ``.po``, the ``.po`` is compiled in memory, so a
fresh checkout runs without a build step.
"""

from __future__ import annotations

import gettext as _gettext
import io
import re
import unicodedata
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
DEFAULT_LANGUAGE = "de"

# Language code -> name in its own script (what a reader of that language looks for).
LANGUAGES: dict[str, str] = {
    "de": "Deutsch",
    "ls": "Leichte Sprache",
    "en": "English",
    "tr": "Türkçe",
    "ar": "العربية",
    "ru": "Русский",
    "uk": "Українська",
    "fa": "فارسی",
}
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur"})
# Leichte Sprache is German in plain form: no locale of its own for Babel or for HTML ``lang``.
BASE_LOCALE = {"ls": "de"}


def locale_of(lang: str) -> str:
    """The locale Babel and the HTML ``lang`` attribute know for one of our language codes."""
    return BASE_LOCALE.get(lang, lang)


@lru_cache(maxsize=1)
def available_languages() -> dict[str, str]:
    """The languages with a shipped catalog (German and English always), in picker order."""
    found = {p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")}
    return {code: name for code, name in LANGUAGES.items() if code in found or code in ("de", "en")}


@lru_cache(maxsize=16)
def language_names(reader: str | None) -> dict[str, str]:
    """Each language's name in the reader's language (Babel: "Arabisch" for a German reader,
    "Arapça" for a Turkish one), for sentences like "Translated from: …"; the picker names each in
    its own (``LANGUAGES``). Leichte Sprache keeps its German name."""
    locale = locale_of(normalize(reader))
    return {
        code: name if code == "ls" else Locale.parse(locale_of(code)).get_display_name(locale) or name
        for code, name in available_languages().items()
    }


def normalize(lang: str | None) -> str:
    """Map any requested language to one we ship, falling back to German."""
    if lang and lang in available_languages():
        return lang
    return DEFAULT_LANGUAGE


def parse_list(value: str | None) -> list[str]:
    """Shipped languages named in a comma-separated list (a URL parameter), in the picker's order."""
    wanted = {part.strip() for part in (value or "").split(",")}
    chosen = [code for code in available_languages() if code in wanted]
    return chosen or list(available_languages())


def rotating(languages: list[str], seconds: float, period: float = 6.0) -> str:
    """The language a rotating display shows at ``seconds`` (each one for ``period`` seconds)."""
    return languages[int(seconds // period) % len(languages)]


def is_rtl(lang: str) -> bool:
    return lang in RTL_LANGUAGES


@lru_cache(maxsize=32)
def translations(lang: str) -> _gettext.NullTranslations:
    """The compiled catalog of one language (cached per process; immutable, so safe to share)."""
    po = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    mo = po.with_suffix(".mo")
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as fh:
            return _gettext.GNUTranslations(fh)
    if not po.exists():
        return _gettext.NullTranslations()
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=locale_of(lang))
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return _gettext.GNUTranslations(buf)


def format_date(value: date | None, lang: str | None, *, style: str = "medium") -> str:
    """A day in the reader's language (Babel: "21.11.2026" in German, "21 Kas 2026" in Turkish)."""
    if value is None:
        return ""
    return in_digits(babel_dates.format_date(value, format=style, locale=locale_of(normalize(lang))), lang)


def date_pattern(lang: str | None) -> str:
    """The language's short numeric date pattern with a four-digit year ("dd.MM.y", "dd/MM/y", "y/M/d")."""
    pattern = babel_dates.get_date_format("short", locale=locale_of(normalize(lang))).pattern
    return re.sub(r"(?<!y)yy(?!y)", "y", pattern)


def format_date_entry(value: date, lang: str | None) -> str:
    """A day as a person types it in this language (the pattern of ``date_pattern``)."""
    return babel_dates.format_date(value, format=date_pattern(lang), locale=locale_of(normalize(lang)))


def parse_date(text: str, lang: str | None) -> date:
    """A typed day: in the language's order of day, month and year (``date_pattern``), or ISO
    (2026-11-21), or with the month's name in the language or in English ("14. März 2026",
    "March 14, 2026"); any script's digits; a two-digit year is this century. ValueError otherwise."""
    digits = "".join(str(unicodedata.digit(ch)) if ch.isdigit() else ch for ch in str(text))
    words = re.findall(r"[^\W\d_]+", digits)
    if words:
        return _date_with_month_name(digits, words, lang)
    groups = re.findall(r"\d+", digits)
    if len(groups) != 3 or re.search(r"[^\d\s./\-‎‏؜]", digits):
        raise ValueError(text)
    if len(groups[0]) == 4:
        year, month, day = groups
    else:
        pattern = date_pattern(lang)
        order = sorted("yMd", key=lambda c: pattern.find(c) if c in pattern else 99)
        parts = dict(zip(order, groups, strict=True))
        year, month, day = parts["y"], parts["M"], parts["d"]
    return _day(year, month, day, text)


def _date_with_month_name(digits: str, words: list[str], lang: str | None) -> date:
    """ "14. März 2026": one word, a month's name; the four-digit (else the second) number is the year."""
    names = month_names(lang)
    groups = re.findall(r"\d+", digits)
    if len(words) != 1 or words[0].casefold() not in names or len(groups) != 2:
        raise ValueError(digits)
    if re.search(r"[^\w\s.,/\-‎‏؜]", digits):
        raise ValueError(digits)
    day, year = reversed(groups) if len(groups[0]) == 4 else groups
    return _day(year, str(names[words[0].casefold()]), day, digits)


@lru_cache(maxsize=16)
def month_names(lang: str | None) -> dict[str, int]:
    """Every name of each month a reader may type (wide and short, in a sentence and alone), in the
    language and in English, case-folded, without the short forms' dots."""
    names: dict[str, int] = {}
    for locale in (locale_of(normalize(lang)), "en"):
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                for number, name in babel_dates.get_month_names(width, context, locale).items():
                    names.setdefault(name.casefold().rstrip("."), number)
    return names


def _day(year: str, month: str, day: str, text: str) -> date:
    if len(year) == 2:
        year = "20" + year
    if len(year) != 4:
        raise ValueError(text)
    return date(int(year), int(month), int(day))


# The digits a language's screens show, by CLDR numbering system: Persian readers read Persian
# digits (۰–۹, CLDR's default for fa); for Arabic CLDR's default is the Latin digits, which the
# catalog's reviewers kept (the Harburg participants read both; "arab" gives ٠–٩). Any other
# language: its CLDR default.
NUMBERING = {"fa": "arabext", "ar": "latn"}
# The Unicode names of each numbering system's digits ("EXTENDED ARABIC-INDIC DIGIT ZERO" ...).
_DIGIT_NAMES = {"arabext": "EXTENDED ARABIC-INDIC DIGIT", "arab": "ARABIC-INDIC DIGIT"}
_DIGIT_WORDS = ("ZERO", "ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX", "SEVEN", "EIGHT", "NINE")


@lru_cache(maxsize=8)
def _digits(system: str) -> dict[int, str]:
    """A str.translate table from ASCII digits to ``system``'s (empty for Latin digits)."""
    name = _DIGIT_NAMES.get(system)
    if name is None:
        return {}
    return {ord(str(i)): unicodedata.lookup(f"{name} {word}") for i, word in enumerate(_DIGIT_WORDS)}


def numbering(lang: str | None) -> str:
    code = normalize(lang)
    return NUMBERING.get(code) or Locale.parse(locale_of(code)).default_numbering_system


def in_digits(text: str, lang: str | None) -> str:
    """``text`` (a date or time Babel wrote with Latin digits) in the language's digits."""
    return text.translate(_digits(numbering(lang)))


@lru_cache(maxsize=4096)  # a ballot writes about a hundred small numbers for each phone
def format_number(value: float, lang: str | None) -> str:
    """A number in the reader's language and digits: "1.234,5" in German, "۱٬۲۳۴٫۵" in Persian
    (Babel's symbols of the language's numbering system, its digits from the Unicode names)."""
    system = numbering(lang)
    text = babel_numbers.format_decimal(value, locale=locale_of(normalize(lang)), numbering_system=system)
    return text.translate(_digits(system))


def format_pattern(value: float, pattern: str, lang: str | None) -> str:
    """A number by a fixed pattern ("#,##0.00") in the reader's language and digits (the report)."""
    system = numbering(lang)
    text = babel_numbers.format_decimal(
        value, format=pattern, locale=locale_of(normalize(lang)), numbering_system=system
    )
    return text.translate(_digits(system))


def format_percent(value: float, lang: str | None) -> str:
    """A share in the reader's language, whole percent: "40 %" in German, "%40" in Turkish, "40%" in
    English (Babel's pattern of each language), in the language's digits."""
    system = numbering(lang)
    text = babel_numbers.format_percent(value, locale=locale_of(normalize(lang)), numbering_system=system)
    return text.translate(_digits(system))


def format_time(value: datetime, lang: str | None) -> str:
    """A time of day in the reader's language ("14:05", "2:05 PM")."""
    return in_digits(babel_dates.format_time(value, format="short", locale=locale_of(normalize(lang))), lang)


def format_moment(value: datetime, lang: str | None) -> str:
    """A day written out with its time of day, without seconds: "21. November 2026, 15:30",
    "November 21, 2026, 3:30 PM" (the language's long date, short time and their joining pattern)."""
    locale = Locale.parse(locale_of(normalize(lang)))
    day = babel_dates.format_date(value, format="long", locale=locale)
    time = babel_dates.format_time(value, format="short", locale=locale)
    return in_digits(str(locale.datetime_formats["long"]).replace("{1}", day).replace("{0}", time), lang)


def format_datetime(value: datetime | None, lang: str | None, *, style: str = "medium") -> str:
    """A moment in the reader's language (day and time)."""
    if value is None:
        return ""
    return in_digits(babel_dates.format_datetime(value, format=style, locale=locale_of(normalize(lang))), lang)


def gettext_for(lang: str | None):
    """The ``_`` function for one language."""
    return translations(normalize(lang)).gettext


def ngettext_for(lang: str | None):
    return translations(normalize(lang)).ngettext


def compile_catalogs() -> list[Path]:
    """Compile every .po to .mo next to it (the Makefile's ``catalogs`` target)."""
    written = []
    for po in sorted(LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=locale_of(po.parent.parent.name))
        mo = po.with_suffix(".mo")
        with mo.open("wb") as fh:
            write_mo(fh, catalog, use_fuzzy=False)
        written.append(mo)
    translations.cache_clear()
    available_languages.cache_clear()
    return written
