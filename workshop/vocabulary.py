"""The words of a workshop kind: a Planungswerkstatt has a guiding vision, goals and measures; an
Integrationskonferenz a theme, guiding questions and recommendations.

Every screen and export asks here instead of writing "goal" or "measure" itself. Sentences are
whole msgids per kind (word order and grammar differ between languages), chosen by ``pick``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import i18n
from .errors import N_
from .model import WorkshopKind

# name -> (Planungswerkstatt, Integrationskonferenz); each a msgid.
TERMS: dict[str, tuple[str, str]] = {
    "vision": (N_("Guiding vision"), N_("Theme")),
    "vision_and_goals": (N_("Guiding vision and goals"), N_("Theme and guiding questions")),
    "goal": (N_("Goal"), N_("Guiding question")),
    "goals": (N_("Goals"), N_("Guiding questions")),
    "all_goals": (N_("All goals"), N_("All guiding questions")),
    "measure": (N_("Measure"), N_("Recommendation")),
    "measures": (N_("Measures"), N_("Recommendations")),
    "measure_title": (N_("Title of the measure"), N_("Title of the recommendation")),
    "measure_id": (N_("Measure ID"), N_("Recommendation ID")),
    "measures_ranked": (N_("Measures ranked"), N_("Recommendations ranked")),
    "vision_title": (N_("Title of the vision"), N_("Title of the theme")),
    "save_vision": (N_("Save this vision"), N_("Save this theme")),
    "propose": (N_("Propose a measure"), N_("Propose a recommendation")),
    "move_to_goal": (N_("Move to goal"), N_("Move to guiding question")),
    "merge_into": (
        N_("Merge these duplicates into this measure"),
        N_("Merge these duplicates into this recommendation"),
    ),
    "proposals_per_goal": (N_("Proposals per goal"), N_("Proposals per guiding question")),
    "ranking_per_goal": (N_("Ranking per goal"), N_("Ranking per guiding question")),
    "top_measures": (N_("Top measures"), N_("Top recommendations")),
}


def pick(kind: WorkshopKind | str, vision_msgid: str, conference_msgid: str) -> str:
    """The msgid of a sentence for this kind of workshop."""
    return conference_msgid if WorkshopKind(kind) == WorkshopKind.CONFERENCE else vision_msgid


def term(kind: WorkshopKind | str, name: str) -> str:
    """The msgid of one of the kind's words (see TERMS)."""
    return pick(kind, *TERMS[name])


def words(kind: WorkshopKind | str, gettext: Callable[[str], str]) -> dict[str, str]:
    """Every word of the kind, translated: ``words(ws.kind, _)["goal"]``."""
    return {name: gettext(term(kind, name)) for name in TERMS}


@dataclass(frozen=True)
class Voice:
    """The words one answer speaks: a language and a workshop kind. A page builds it from its
    session (``ui.common.voice``); an HTTP answer from the request's ``lang`` and the workshop."""

    lang: str | None
    kind: WorkshopKind | str | None = None

    def gettext(self, msgid: str) -> str:
        return i18n.gettext_for(self.lang)(msgid)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return i18n.ngettext_for(self.lang)(singular, plural, n)

    def number(self, value: float) -> str:
        """A number in the language's digits and separators (``i18n.format_number``)."""
        return i18n.format_number(value, self.lang)

    def say(self, vision_msgid: str, conference_msgid: str) -> str:
        """A sentence in the kind's words, translated."""
        return self.gettext(pick(self.kind or WorkshopKind.VISION, vision_msgid, conference_msgid))

    @property
    def conference(self) -> bool:
        """For the sentences ``say`` cannot pick: those with a plural."""
        return bool(self.kind) and WorkshopKind(self.kind) == WorkshopKind.CONFERENCE
