"""What a reader sees of a measure in their language: the original, a translation, or the original
marked as not translated yet (issue 20.5). Every screen and export asks here.

A measure is written in one language (``Measure.lang``; "" for measures from before languages were
recorded: the workshop's main language, German). A reader of another language sees the
translation to theirs if a person made or reviewed it, or, where the facilitator allows it, one
the offline engine made; else the original, marked. Leichte Sprache readers read German where
there is nothing in Leichte Sprache.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .errors import N_
from .model import Made, Measure, Translation

MAIN_LANGUAGE = "de"  # what a measure without a recorded language is written in
FALLBACK = {"ls": "de"}  # a reader of Leichte Sprache reads German where there is no Leichte Sprache

TRANSLATED_FROM = N_("Translated from: {language}")
MACHINE_FROM = N_("Machine translation from: {language}")
NOT_TRANSLATED = N_("Not translated yet. Original: {language}")
SHOW_ORIGINAL = N_("Show the original")
MADE_LABELS = {
    Made.AUTHOR: N_("by the author"),
    Made.MEDIATOR: N_("by a language mediator"),
    Made.ENGINE: N_("machine translation"),
    Made.FACILITATOR: N_("by the facilitation team"),
}
REVIEWED = N_("reviewed")
STALE = N_("outdated: the original was changed afterwards")


def made_label(t: Translation, gettext) -> str:
    """How a translation was made, for the moderation view and the exports ("by the author", ...)."""
    label = gettext(MADE_LABELS[t.made])
    if t.stale:
        return f"{label}, {gettext(STALE)}"
    return f"{label}, {gettext(REVIEWED)}" if t.reviewed and t.made != Made.FACILITATOR else label


@dataclass(frozen=True)
class Reading:
    """A measure's title and description as one reader sees them."""

    title: str
    description: str
    lang: str  # the language of ``title`` and ``description``
    original_lang: str
    made: Made | None = None  # how the shown text was made; None: it is the original
    missing: bool = False  # the original, because nothing is in the reader's language
    machine: bool = False  # made by the engine and not reviewed by a person

    @property
    def translated(self) -> bool:
        return self.made is not None


def original_language(measure: Measure) -> str:
    return measure.lang or MAIN_LANGUAGE


def usable(translation: Translation, machine: bool) -> bool:
    """Whether readers may see it: made or reviewed by a person, or by the engine where allowed;
    never while it is stale (its original was edited after it)."""
    return not translation.stale and (machine or not translation.by_machine)


def reading(
    measure: Measure, translations: Mapping[str, Translation] | None, lang: str, *, machine: bool = False
) -> Reading:
    """``measure`` for a reader of ``lang``; ``machine``: engine-made translations may be shown."""
    original = original_language(measure)
    plain = Reading(measure.title, measure.description, original, original)
    for want in (lang, FALLBACK.get(lang)):
        if want is None:
            continue
        if want == original:
            return plain
        found = (translations or {}).get(want)
        if found is not None and usable(found, machine):
            return Reading(found.title, found.description, want, original, made=found.made, machine=found.by_machine)
    return Reading(measure.title, measure.description, original, original, missing=True)


def note(read: Reading, gettext, language_names: Mapping[str, str]) -> str:
    """The line under a text that is not the original, or not in the reader's language ("" for an
    original in the reader's language)."""
    name = language_names.get(read.original_lang, read.original_lang)
    if read.missing:
        return gettext(NOT_TRANSLATED).format(language=name)
    if read.machine:
        return gettext(MACHINE_FROM).format(language=name)
    if read.translated:
        return gettext(TRANSLATED_FROM).format(language=name)
    return ""
