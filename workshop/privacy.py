"""The privacy notice participants read before joining: what is stored, why, how long, who to ask.

The text is the app's own (it describes what the code does, so it lives next to the code and
changes with it); the contact and the retention period come from the workshop's settings.
The page renders the sections in the reader's language; ``notice`` is pure and tested.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from .errors import ngettext_of
from .i18n import format_date, format_number
from .model import Workshop
from .services import retention_ends


@dataclass(frozen=True)
class Section:
    heading: str
    paragraphs: tuple[str, ...]
    literal: str = ""  # user text (the contact), shown as typed, never translated


def notice(
    workshop: Workshop | None,
    gettext: Callable[[str], str],
    *,
    last_active: date | None = None,
    lang: str | None = None,
) -> list[Section]:
    """The notice for one workshop (or, before a code is entered, for the app in general).
    The retention period counts from the workshop's day or its last activity, whichever is later."""
    _, ngettext = gettext, ngettext_of(gettext)
    months = workshop.retention_months if workshop else None
    ends = retention_ends(workshop, last_active) if workshop else None
    if months is None:
        how_long = _("The organisers delete the data of a workshop a few months after it, once the results are done.")
    elif ends is not None:
        how_long = ngettext(
            "The data of this workshop is kept for {months} month after the workshop, until {date}. "
            "Then the organisers delete all of it.",
            "The data of this workshop is kept for {months} months after the workshop, until {date}. "
            "Then the organisers delete all of it.",
            months,
        ).format(months=format_number(months, lang), date=format_date(ends, lang, style="long"))
    else:
        how_long = ngettext(
            "The data of this workshop is kept for {months} month after the workshop. "
            "Then the organisers delete all of it.",
            "The data of this workshop is kept for {months} months after the workshop. "
            "Then the organisers delete all of it.",
            months,
        ).format(months=format_number(months, lang))
    contact = workshop.privacy_contact.strip() if workshop else ""
    return [
        Section(
            _("What is stored"),
            (
                _("Your proposals, exactly as you typed them, and the working group you chose."),
                _(
                    "A proposal you have started but not sent yet, so that a reload does not lose it. It is "
                    "emptied when you send it and deleted with the workshop."
                ),
                _(
                    "Your votes, linked to a random number of this device, not to you. The number lets you change "
                    "your vote, and it makes sure that each device counts once."
                ),
                _("If the workshop uses voting cards: that a card was used on this device, not who had it."),
                _(
                    "Nothing else: no name, no e-mail address, no IP address, no information about your device. "
                    "There are no accounts, no tracking and no advertising."
                ),
            ),
        ),
        Section(
            _("Cookies and links"),
            (
                _(
                    "The app sets no tracking cookies. Your link to the workshop contains the random number of this "
                    "device; whoever has the link can change its vote, so do not pass it on."
                ),
                _("Usage statistics of the software are switched off. The app loads nothing from other websites."),
            ),
        ),
        Section(
            _("Why"),
            (
                _(
                    "To run this workshop: to collect the proposals, to count the votes and to hand the prioritised "
                    "measures to the district's committees."
                ),
                _(
                    "The results are published as totals. Proposals are published as text, without any link to a "
                    "device or a person."
                ),
            ),
        ),
        Section(_("How long"), (how_long,)),
        Section(
            _("Your rights"),
            (
                _(
                    "Because nobody knows who you are, nobody can look up your entries later. While the workshop "
                    "runs, you can change or withdraw your proposals and change your vote on this device."
                ),
                _("Please do not write names or other personal details into proposals."),
            ),
        ),
        Section(
            _("Who to ask"),
            (
                _("The organiser of the workshop is responsible for the data."),
                (
                    _("Ask the facilitation team in the room, or:")
                    if contact
                    else _("Ask the facilitation team in the room.")
                ),
            ),
            literal=contact,
        ),
    ]
