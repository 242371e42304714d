"""The printable report for the Bezirksversammlung: an A4 PDF drawn with fpdf2 (bytes out).

Charts are bars drawn with fpdf2's own rectangles and text, so the report needs no browser and
no image renderer, prints crisply and stays searchable. Everything participants typed is printed
literally (never as Markdown). Texts go through the caller's gettext ``_``; German by default.
Measures are shown in German, the report's readers' language, whatever the report's language: a
translation with its original under it, or an original not yet translated, marked.
"""

from __future__ import annotations

import logging
import math
import sys
import unicodedata
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from babel.dates import format_date
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from . import analysis, i18n, methods, scoring, translation, views, vocabulary
from .charts import PALETTE
from .errors import N_, NP_
from .model import MEASURE_STATUS_LABELS, PHASE_LABELS, Goal, Phase, Workshop, WorkshopKind
from .translation import Reading

if TYPE_CHECKING:
    from .services.paper import Channels

log = logging.getLogger(__name__)
Gettext = Callable[[str], str]
Ngettext = Callable[[str, str, int], str]


def identity(text: str) -> str:
    return text


ORIGINAL = N_("Original ({language}):")  # under a translated title, before the original's

# The ballots by channel (issue 23), on the results page and in the report: one sentence, each
# number with its own plural.
BALLOTS_BY_CHANNEL = N_("{all_ballots}: {digital} from phones and tablets, {paper} on paper; {invalid}")
BALLOTS_N = NP_("{n} ballot", "{n} ballots")
INVALID_N = NP_("{n} paper ballot invalid", "{n} paper ballots invalid")
PAPER_NOT_IN_TABLE = N_("Paper ballots belong to no working group: the table counts phones and tablets.")


def ballots_by_channel(channels: Channels, _: Gettext, ngettext: Ngettext, number: Callable[[int], str]) -> str:
    """The ballots by channel as a sentence: "52 ballots: 40 from phones and tablets, 12 on paper;
    2 paper ballots invalid"."""
    return _(BALLOTS_BY_CHANNEL).format(
        all_ballots=ngettext(*BALLOTS_N, channels.valid).format(n=number(channels.valid)),
        digital=number(channels.digital),
        paper=number(channels.paper),
        invalid=ngettext(*INVALID_N, channels.invalid).format(n=number(channels.invalid)),
    )


# --- fonts ---------------------------------------------------------------------------------------
# DejaVu Sans covers Latin, Greek, Cyrillic and more (Debian: fonts-dejavu-core). Other places
# it is commonly found follow; a DejaVu that some Python package ships inside the environment is
# searched last. Without any, the PDF falls back to Helvetica (Windows-1252: German works, other
# scripts print as "?") and logs a warning, so a download never fails for a missing font.
FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/share/fonts/TTF"),
    Path("/usr/local/share/fonts"),
    Path("/Library/Fonts"),
    Path.home() / "Library/Fonts",
)
# CJK glyphs, which DejaVu lacks; loaded only when the text needs them (parsing it costs ~0.3 s).
FALLBACK_FONTS = (Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),)
CJK_START = 0x2E80


def find_font(name: str = "DejaVuSans.ttf") -> Path | None:
    """The first readable copy of a TTF font in the usual places, then inside the environment."""
    for folder in FONT_DIRS:
        if (folder / name).is_file():
            return folder / name
    for root in dict.fromkeys([Path(sys.prefix), Path(sys.base_prefix)]):
        lib = root / "lib"
        if lib.is_dir():
            for hit in lib.glob(f"python3*/site-packages/**/{name}"):
                return hit
    return None


class _PDF(FPDF):
    def __init__(
        self,
        footer_left: str,
        page_label: str,
        cjk: bool = False,
        shaping: bool = False,
        number: Callable[[int], str] = str,
    ) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.number = number  # page numbers in the report's digits
        self.shaping = shaping
        self.footer_left = footer_left
        self.page_label = page_label  # "Page {page} of {pages}"
        self.mark = ""  # "Provisional …" at the top of every page of a count not yet final
        self.total_pages: int | None = None  # known in advance: the footer needs no alias
        self.family = self._load_fonts(cjk)

    def _load_fonts(self, cjk: bool) -> str:
        regular = find_font("DejaVuSans.ttf")
        if regular is None:
            log.warning("DejaVuSans.ttf not found (install fonts-dejavu-core); the PDF uses Helvetica")
            self.core_fonts_encoding = "windows-1252"
            return "Helvetica"
        bold = find_font("DejaVuSans-Bold.ttf") or regular
        self.add_font("DejaVu", "", str(regular))
        self.add_font("DejaVu", "B", str(bold))
        fallbacks = []
        for i, path in enumerate(FALLBACK_FONTS if cjk else ()):
            if path.is_file():
                self.add_font(f"fallback{i}", "", str(path))
                fallbacks.append(f"fallback{i}")
        if fallbacks:
            self.set_fallback_fonts(fallbacks, exact_match=False)
        if self.shaping:
            # HarfBuzz shapes every line: Arabic and Persian letters joined and right to left (each
            # paragraph's direction from its text), beside German in the same document. Only where
            # such text occurs: it makes a report about twice as slow to write (0.6 → 1.4 s).
            self.set_text_shaping(True)
        return "DejaVu"

    def normalize_text(self, text: str) -> str:
        if not self.is_ttf_font:  # Helvetica fallback: replace what Windows-1252 cannot show
            text = text.encode("windows-1252", "replace").decode("windows-1252")
        return super().normalize_text(text)

    def header(self) -> None:
        if not self.mark:
            return
        self.set_y(6)
        self.set_font(self.family, "B", 8.5)
        self.set_text_color(170, 30, 30)
        # Up to two lines above the top margin (18 mm), whole: it is the point of the page.
        self.multi_cell(0, 4, self.mark, align="C", new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0)
        self.set_y(self.t_margin)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(self.family, "", 8)
        self.set_text_color(110)
        self.cell(self.epw * 0.7, 5, _shorten(self, self.footer_left, self.epw * 0.7))
        if self.total_pages is not None:  # known from a first run (report_pdf): shaped like the rest
            self.cell(
                0,
                5,
                self.page_label.format(page=self.number(self.page_no()), pages=self.number(self.total_pages)),
                align="R",
            )
        else:
            # The total is filled in on output, in place of an alias that a shaped line no longer
            # holds as text (fpdf2 #1090): this cell is written unshaped.
            shaping, self.text_shaping = self.text_shaping, None
            self.cell(0, 5, self.page_label.format(page=self.number(self.page_no()), pages=PAGES_ALIAS), align="R")
            self.text_shaping = shaping
        self.set_text_color(0)


PAGES_ALIAS = "{pw_nb_pages}"


def _shorten(pdf: FPDF, text: str, width: float) -> str:
    """The text, cut with an ellipsis to fit ``width`` on one line."""
    text = " ".join(str(text).split())
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _lines(pdf: FPDF, text: str, width: float, max_lines: int) -> list[str]:
    """Word-wrapped lines of ``text`` in ``width``; the last kept line ends in an ellipsis if cut."""
    text = " ".join(str(text).split()) or " "
    lines = pdf.multi_cell(width, 4, text, dry_run=True, output="LINES", align="L")
    if len(lines) > max_lines:
        lines = lines[: max_lines - 1] + [_shorten(pdf, " ".join(lines[max_lines - 1 :]), width - 1)]
    return lines


def _hex(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


# --- the document ----------------------------------------------------------------------------


class _Report:
    def __init__(
        self, workshop: Workshop, _: Gettext, lang: str, method_key: str, cjk: bool = False, shaping: bool = False
    ) -> None:
        self.ws = workshop
        self._ = _
        # Babel's and the PDF's locale ("ls", Leichte Sprache, is German to both).
        self.lang_code = i18n.normalize(lang)  # for the names of languages ("Türkisch" in German)
        self.lang = i18n.locale_of(self.lang_code)
        self.ngettext = i18n.ngettext_for(lang)
        self.method = scoring.METHODS[method_key]
        # The kind's words: goal/measure in a Planungswerkstatt, guiding question/recommendation
        # in an Integrationskonferenz (workshop.vocabulary).
        self.w = vocabulary.words(workshop.kind, _)
        self.pick = lambda vision, conference: _(vocabulary.pick(workshop.kind, vision, conference))
        self.pdf = _PDF(workshop.title, _(N_("Page {page} of {pages}")), cjk, shaping, self.number)
        pdf = self.pdf
        pdf.set_margins(20, 18, 20)
        pdf.set_auto_page_break(True, margin=20)
        pdf.alias_nb_pages(PAGES_ALIAS)
        pdf.set_title(workshop.title)
        pdf.set_subject(self.pick(N_("Results of the planning workshop"), N_("Results of the integration conference")))
        pdf.set_creator("Planungswerkstatt")
        pdf.set_lang(self.lang)
        self.f = pdf.family
        self.readings: dict[str, Reading] = {}  # measure id -> what German readers see (views.in_german)
        self.channels: Channels | None = None  # the ballots by channel, where paper ballots are taken

    # text helpers -----------------------------------------------------------------------------

    def number(self, value: float) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "–"
        whole = float(value).is_integer()
        return i18n.format_pattern(value, "#,##0" if whole else "#,##0.00", self.lang_code)

    def score(self, value: float) -> str:
        """A score as the method counts it: mean ratings with two decimals, counts whole (or .5)."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "–"
        pattern = "#,##0.#" if methods.of(self.method.ballot_method).whole_numbers else "#,##0.00"
        return i18n.format_pattern(value, pattern, self.lang_code)

    def percent(self, value: float) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "–"
        return i18n.format_percent(value, self.lang)

    def heading(self, text: str, size: float = 15, space_after: float = 2, keep: float = 30) -> None:
        """A bold heading, moved to the next page unless ``keep`` mm of what follows fit below it."""
        pdf = self.pdf
        if pdf.will_page_break(size * 0.5 + keep):
            pdf.add_page()
        elif pdf.get_y() > pdf.t_margin + 1:
            pdf.ln(2.5)  # air above a heading, except at the top of a page
        pdf.set_font(self.f, "B", size)
        pdf.multi_cell(0, size * 0.45, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(space_after)
        pdf.set_font(self.f, "", 10)

    def para(self, text: str, size: float = 10, style: str = "", colour: int = 0, after: float = 1.5) -> None:
        pdf = self.pdf
        pdf.set_font(self.f, style, size)
        pdf.set_text_color(colour)
        pdf.multi_cell(0, size * 0.5, str(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(0)
        pdf.ln(after)

    def fact(self, label: str, value: str, label_width: float = 50) -> None:
        """A label in bold on the left, its value beside it; both may wrap."""
        pdf = self.pdf
        pdf.set_font(self.f, "B", 10)
        label_lines = len(pdf.multi_cell(label_width - 2, 5, label, dry_run=True, output="LINES", align="L"))
        if pdf.will_page_break(5 * label_lines):
            pdf.add_page()
        y = pdf.get_y()
        pdf.multi_cell(label_width - 2, 5, label, align="L", new_x=XPos.RIGHT, new_y=YPos.TOP)
        pdf.set_xy(pdf.l_margin + label_width, y)
        pdf.set_font(self.f, "", 10)
        pdf.multi_cell(0, 5, value or "–", align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_y(max(pdf.get_y(), y + 5 * label_lines) + 1)

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float], align) -> None:
        pdf = self.pdf
        pdf.set_font(self.f, "", 9)
        pdf.set_draw_color(190)
        pdf.set_fill_color(248)  # the row fill; fpdf2 paints filled rows' text cells in the current colour
        with pdf.table(
            col_widths=widths,
            width=pdf.epw,
            align="LEFT",
            text_align=align,
            line_height=4.6,
            padding=(1.2, 1.5),
            borders_layout="HORIZONTAL_LINES",
            headings_style=FontFace(emphasis="BOLD", size_pt=8, fill_color=(235, 239, 245)),
            cell_fill_mode="ROWS",
            cell_fill_color=(248, 248, 248),
            markdown=False,
        ) as table:
            table.row(list(header))
            for row in rows:
                table.row([str(c) for c in row])
        pdf.set_draw_color(0)
        pdf.ln(3)

    def german_title(self, measure_id: str, title: str) -> str:
        read = self.readings.get(measure_id)
        return read.title if read is not None else title

    def original(self, row, read: Reading) -> None:
        """Under a measure's title: its original in its own script where the title is a
        translation (a machine translation no person reviewed says so), or the mark that it is not
        translated yet; nothing under a German original."""
        names = i18n.language_names(self.lang_code)
        if read.missing or read.machine:
            self.para(translation.note(read, self._, names), size=8, style="B", colour=110, after=0.3)
        if not read.translated:
            return
        label = self._(ORIGINAL).format(language=names.get(read.original_lang, read.original_lang))
        description = getattr(row, "description", "")
        texts = [row.title, description] if isinstance(description, str) and description.strip() else [row.title]
        if needs_shaping(row.title):
            # A right-to-left original on a line of its own: beside an Arabic language name, the
            # label's "):" would be drawn inside the original's run, at its far end.
            texts.insert(0, label)
        else:
            texts[0] = f"{label} {row.title}"
        for i, text in enumerate(texts):
            self.para(text, size=8.5, colour=80, after=1.2 if i == len(texts) - 1 else 0.2)

    # sections ---------------------------------------------------------------------------------

    def title_page(self, goals: Sequence[Goal], ballots: int | None, measures: int, generated: date) -> None:
        _, pdf = self._, self.pdf
        pdf.add_page()
        self.para(
            self.pick(
                N_("Planning workshop · Results for the district assembly"),
                N_("Integration conference · Results for the district assembly"),
            ),
            size=10,
            colour=90,
            after=2,
        )
        self.heading(self.ws.title, size=22, space_after=4)
        when = (
            i18n.in_digits(format_date(self.ws.date, format="long", locale=self.lang), self.lang_code)
            if self.ws.date
            else ""
        )
        self.fact(_(N_("Date")), when)
        self.fact(_(N_("Venue")), self.ws.place)
        self.fact(
            _(N_("Report created")),
            i18n.in_digits(format_date(generated, format="long", locale=self.lang), self.lang_code),
        )
        pdf.ln(4)
        if self.ws.vision_title or self.ws.vision_description:
            self.heading(self.pick(N_("Guiding vision (Leitbild)"), N_("Theme")), size=13)
            if self.ws.vision_title:
                self.para(self.ws.vision_title, style="B", size=11, after=1)
            if self.ws.vision_description:
                self.para(self.ws.vision_description)
            pdf.ln(2)
        if goals:
            self.heading(self.w["goals"], size=13)
            for goal in goals:
                self.para(f"{self.number(goal.position)}. {goal.title}", style="B", after=0.5)
                if goal.description:
                    self.para(goal.description, size=9, colour=60, after=1.5)
            pdf.ln(2)
        self.heading(_(N_("How the ranking was computed")), size=13)
        self.fact(_(N_("Scoring method")), _(self.method.label))
        self.fact(_(N_("How the score is computed")), _(self.method.explain(self.ws.kind)))
        self.fact(_(N_("Tie-break rule")), _(self.method.tie_break(self.ws.kind)))
        if self.channels is not None:
            self.fact(_(N_("Ballots")), ballots_by_channel(self.channels, _, self.ngettext, self.number))
        else:
            self.fact(_(N_("Ballots")), self.number(ballots) if ballots is not None else "–")
        self.fact(self.pick(N_("Measures ranked"), N_("Recommendations ranked")), self.number(measures))

    def turnout(self, turnout: pd.DataFrame | None) -> None:
        """Ballots by channel (where paper ballots are taken), and turnout of the devices that joined."""
        _ = self._
        empty = turnout is None or turnout.empty
        if empty and self.channels is None:
            return
        self.heading(_(N_("Turnout")), size=13, keep=25 + 8 * (0 if empty else len(turnout)))
        if self.channels is not None:
            self.para(ballots_by_channel(self.channels, _, self.ngettext, self.number))
        if empty:
            return
        total = turnout[turnout["is_total"]].iloc[0] if turnout["is_total"].any() else None
        if total is not None:
            self.para(
                self.ngettext(
                    "{ballots} of {devices} joined device submitted a ballot ({share}).",
                    "{ballots} of {devices} joined devices submitted a ballot ({share}).",
                    int(total["devices"]),
                ).format(
                    ballots=self.number(total["ballots"]),
                    devices=self.number(total["devices"]),
                    share=self.percent(total["turnout"]),
                )
            )
        if self.channels is not None:
            self.para(_(PAPER_NOT_IN_TABLE), size=9, colour=80)
        rows = []
        for row in turnout.itertuples(index=False):
            name = _(N_("All working groups")) if row.is_total else (row.group_name or _(N_("Without working group")))
            rows.append((name, self.number(row.devices), self.number(row.ballots), self.percent(row.turnout)))
        header = (_(N_("Working group")), _(N_("Devices joined")), _(N_("Ballots")), _(N_("Turnout")))
        self.table(header, rows, (80, 30, 30, 30), ("LEFT", "RIGHT", "RIGHT", "RIGHT"))

    def bars(self, part: pd.DataFrame, rank_col: str, place_col: str, colours: dict, max_score: float) -> None:
        """One row per measure in the order of ``rank_col``: its place (``place_col``: shared by
        equal scores), title (up to 2 lines), a bar to scale, the score, supporters."""
        _, pdf = self._, self.pdf
        w_rank, w_title, w_sup = 9, 70, 20
        w_bar = pdf.epw - w_rank - w_title - w_sup - 4
        x0 = pdf.l_margin
        bar_x = x0 + w_rank + w_title + 2
        value_room = 16  # keep space after the longest bar for its number

        def header() -> None:
            pdf.set_font(self.f, "B", 8)
            pdf.set_text_color(90)
            pdf.set_x(x0)
            pdf.cell(w_rank, 5, _(N_("Rank")))
            pdf.cell(w_title + 2, 5, self.w["measure"])
            pdf.cell(w_bar, 5, _shorten(pdf, _(self.method.label), w_bar - 2))
            pdf.cell(w_sup, 5, _(self.method.supporters_label), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.set_text_color(0)
            pdf.set_draw_color(150)
            pdf.line(x0, pdf.get_y(), x0 + pdf.epw, pdf.get_y())
            pdf.set_draw_color(0)

        header()
        scale = (w_bar - value_room) / max_score if max_score > 0 else 0
        for row in part.sort_values(rank_col).itertuples(index=False):
            pdf.set_font(self.f, "", 9)
            lines = _lines(pdf, self.german_title(row.measure_id, row.title), w_title - 1, 2)
            height = max(7.0, 4.2 * len(lines) + 2.8)
            if pdf.will_page_break(height):
                pdf.add_page()
                header()
            y = pdf.get_y()
            pdf.set_xy(x0, y + 1.4)
            pdf.set_font(self.f, "B", 9)
            pdf.cell(w_rank, 4.2, f"{self.number(getattr(row, place_col))}.")
            pdf.set_font(self.f, "", 9)
            for i, line in enumerate(lines):
                pdf.set_xy(x0 + w_rank, y + 1.4 + 4.2 * i)
                pdf.cell(w_title, 4.2, line)
            length = max(float(row.score), 0.0) * scale
            pdf.set_fill_color(*_hex(colours.get(row.goal_id, PALETTE[0])))
            if length > 0:
                pdf.rect(bar_x, y + height / 2 - 2.3, length, 4.6, style="F")
            pdf.set_xy(bar_x + length + 1, y + height / 2 - 2.3)
            pdf.cell(value_room - 1, 4.6, self.score(row.score))
            pdf.set_xy(x0 + pdf.epw - w_sup, y + height / 2 - 2.3)
            pdf.cell(w_sup, 4.6, self.number(row.supporters), align="R")
            pdf.set_draw_color(225)
            pdf.line(x0, y + height, x0 + pdf.epw, y + height)
            pdf.set_draw_color(0)
            pdf.set_y(y + height)
        pdf.ln(4)

    def rankings(self, ranked: pd.DataFrame, goals: Sequence[Goal], top: int = 10) -> None:
        _, pdf = self._, self.pdf
        pdf.add_page()
        order = [g.id for g in goals] + [g for g in ranked["goal_id"].unique() if g not in {x.id for x in goals}]
        colours = {g: PALETTE[i % len(PALETTE)] for i, g in enumerate(order)}
        max_score = float(ranked["score"].max()) if len(ranked) else 0.0
        self.heading(_(N_("Ranking overall")))
        shown = min(top, len(ranked))
        ngettext = self.ngettext
        self.para(
            (
                ngettext(
                    "The {n} recommendation with the highest score; the colour shows the guiding question.",
                    "The {n} recommendations with the highest score; the colour shows the guiding question.",
                    shown,
                )
                if self.ws.kind == WorkshopKind.CONFERENCE
                else ngettext(
                    "The {n} measure with the highest score; the colour shows the goal.",
                    "The {n} measures with the highest score; the colour shows the goal.",
                    shown,
                )
            ).format(n=self.number(shown)),
            size=9,
            colour=80,
        )
        self.legend(goals, colours)
        self.bars(ranked.nsmallest(top, "rank_overall"), "rank_overall", "place_overall", colours, max_score)
        for goal in goals:
            part = ranked[ranked["goal_id"] == goal.id]
            self.heading(self.goal_heading(goal), size=13)
            if goal.description:
                self.para(goal.description, size=9, colour=70)
            if part.empty:
                self.para(
                    self.pick(N_("No measures for this goal."), N_("No recommendations for this guiding question.")),
                    size=9,
                    colour=90,
                )
                continue
            self.bars(part, "rank_goal", "place_goal", colours, max_score)

    def legend(self, goals: Sequence[Goal], colours: dict) -> None:
        pdf = self.pdf
        pdf.set_font(self.f, "", 8)
        for goal in goals:
            label = f"{self.number(goal.position)}. {goal.title}"
            width = min(pdf.get_string_width(label) + 8, pdf.epw)
            if pdf.get_x() + width > pdf.l_margin + pdf.epw:
                pdf.ln(5)
            x, y = pdf.get_x(), pdf.get_y()
            pdf.set_fill_color(*_hex(colours[goal.id]))
            pdf.rect(x, y + 1, 3, 3, style="F")
            pdf.set_x(x + 4)
            pdf.cell(width - 4, 5, _shorten(pdf, label, width - 5))
        pdf.ln(8)

    def stability(self, stability: pd.DataFrame) -> None:
        _ = self._
        if stability is None or stability.empty:
            return
        self.heading(_(N_("How stable is the ranking across methods?")), size=13, keep=40 + 9 * len(stability))
        k = int(stability["k"].max())
        self.para(
            self.pick(
                N_(
                    "Where participants also voted with other methods, each pair of rankings is compared. "
                    "Kendall's tau is 1 for the same order, 0 for no relation and −1 for the reverse order. "
                    "The top-{k} overlap is the share of the top {k} measures that both rankings have in common."
                ),
                N_(
                    "Where participants also voted with other methods, each pair of rankings is compared. "
                    "Kendall's tau is 1 for the same order, 0 for no relation and −1 for the reverse order. "
                    "The top-{k} overlap is the share of the top {k} recommendations that both rankings have in "
                    "common."
                ),
            ).format(k=self.number(k)),
            size=9,
            colour=60,
        )
        rows = [
            (
                _(scoring.METHODS[r.method_a].label) if r.method_a in scoring.METHODS else r.method_a,
                _(scoring.METHODS[r.method_b].label) if r.method_b in scoring.METHODS else r.method_b,
                self.number(r.measures),
                self.number(round(r.tau, 2)),
                self.percent(r.top_k_overlap),
            )
            for r in stability.itertuples(index=False)
        ]
        header = (
            _(N_("Method A")),
            _(N_("Method B")),
            self.w["measures"],
            _(N_("Kendall's tau")),
            _(N_("Top-{k} overlap")).format(k=self.number(k)),
        )
        self.table(header, rows, (46, 46, 24, 22, 32), ("LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT"))

    def uncertainty(self, boot: pd.DataFrame, top: int = 10, k: int = 5, ballots: int | None = None) -> None:
        _ = self._
        if boot is None or boot.empty or boot["top_share"].isna().all():
            return
        if ballots is not None and ballots < analysis.MIN_BOOTSTRAP_BALLOTS:
            self.heading(_(N_("How certain is the order?")), size=13)
            self.para(analysis.too_few_ballots(ballots, self.ngettext), size=9, colour=60)
            return
        shown = boot.nsmallest(top, "rank_overall")
        self.heading(_(N_("How certain is the order?")), size=13, keep=40 + 9 * len(shown))
        self.para(
            self.pick(
                N_(
                    "The ballots were drawn again at random many times (bootstrap), as if other people from the "
                    "same room had voted. The likely range holds {share} of the recomputed scores, the rank range "
                    "{share} of the recomputed ranks; the last column says how often the measure came among the "
                    "top {k}."
                ),
                N_(
                    "The ballots were drawn again at random many times (bootstrap), as if other people from the "
                    "same room had voted. The likely range holds {share} of the recomputed scores, the rank range "
                    "{share} of the recomputed ranks; the last column says how often the recommendation came among "
                    "the top {k}."
                ),
            ).format(k=self.number(k), share=self.percent(analysis.INTERVAL)),
            size=9,
            colour=60,
        )
        rows = []
        for r in shown.itertuples(index=False):
            rows.append(
                (
                    f"{self.number(r.place_overall)}.",
                    self.german_title(r.measure_id, r.title),
                    self.score(r.score),
                    f"{self.score(r.low)} – {self.score(r.high)}",
                    f"{self.number(r.rank_best)}–{self.number(r.rank_worst)}"
                    if r.rank_best != r.rank_worst
                    else self.number(r.rank_best),
                    self.percent(r.top_share),
                )
            )
        header = (
            _(N_("Rank")),
            self.w["measure"],
            _(N_("Score")),
            _(N_("Likely range")),
            _(N_("Rank range")),
            _(N_("In the top {k}")).format(k=self.number(k)),
        )
        self.table(header, rows, (12, 52, 18, 34, 26, 28), ("RIGHT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"))

    def goal_heading(self, goal: Goal) -> str:
        return self.pick(N_("Goal {n}: {title}"), N_("Guiding question {n}: {title}")).format(
            n=self.number(goal.position), title=goal.title
        )

    def appendix(self, ranked: pd.DataFrame, goals: Sequence[Goal]) -> None:
        """Every measure with its text and facts, under the heading of its goal, in the goal's order."""
        _, pdf = self._, self.pdf
        pdf.add_page()
        self.heading(self.pick(N_("Appendix: all measures"), N_("Appendix: all recommendations")))
        by_id = {g.id: g for g in goals}
        position = {g.id: g.position for g in goals}
        frame = ranked.assign(_pos=ranked["goal_id"].map(position).fillna(1e9))
        current = None
        for row in frame.sort_values(["_pos", "rank_goal"], kind="mergesort").itertuples(index=False):
            if row.goal_id != current:
                current = row.goal_id
                goal = by_id.get(row.goal_id)
                # The heading stays with its first measure (keep): never alone at a page's foot.
                self.heading(self.goal_heading(goal) if goal else self.w["goal"], size=12, keep=40)
            elif pdf.will_page_break(24):
                pdf.add_page()
            read = self.readings[row.measure_id]
            self.para(f"{self.number(row.place_overall)}. {read.title}", size=10, style="B", after=0.5)
            if not read.translated:
                self.original(row, read)  # "not translated yet" right under an original
            if read.description.strip():
                self.para(read.description, size=9, after=0.8)
            if read.translated:
                self.original(row, read)  # the German text first, then what it was translated from
            details = [
                (_(label), str(getattr(row, field, "") or "").strip())
                for field, label in (
                    ("responsible", N_("Responsible")),
                    ("target_group", N_("Target group")),
                    ("timeframe", N_("Timeframe")),
                    ("cost", N_("Rough cost")),
                    ("merged", N_("Merged into it")),
                )
            ]
            for label, value in details:
                if value:
                    self.para(f"{label}: {value}", size=8.5, after=0.3)
            status = getattr(row, "status", "") or ""
            facts = [
                (_(N_("Working group")), getattr(row, "group_name", "") or "–"),
                (_(N_("Score")), self.score(row.score)),
                (self.pick(N_("Rank in goal"), N_("Rank in guiding question")), self.number(row.place_goal)),
                (_(N_("Status")), _(MEASURE_STATUS_LABELS.get(status, status)) if status else "–"),
            ]
            self.para("  ·  ".join(f"{k}: {v}" for k, v in facts), size=8, colour=80, after=0.5)
            pdf.set_draw_color(225)
            pdf.line(pdf.l_margin, pdf.get_y() + 1, pdf.l_margin + pdf.epw, pdf.get_y() + 1)
            pdf.set_draw_color(0)
            pdf.ln(3)


def provisional_mark(workshop: Workshop, _: Gettext, lang: str, as_of: datetime, *, paper: bool = False) -> str:
    """The line on every page of a report whose count is not final ("" once the results are out):
    during the vote, and in any phase before the results (ballots may exist from a vote that was
    closed and reopened, or measures may still be hidden or merged in review); after the vote while
    paper ballots are still entered (``paper``: the workshop takes them)."""
    when = i18n.format_moment(as_of, lang)
    if workshop.phase == Phase.RESULTS:
        if paper and not workshop.paper_closed:  # services.entry_open
            return _(N_("Provisional: paper ballots are still being entered (as of {when})")).format(when=when)
        return ""
    if workshop.phase == Phase.VOTE:
        return _(N_("Provisional: voting is still open (as of {when})")).format(when=when)
    return _(N_("Provisional: the results are not final yet (phase “{phase}”, as of {when})")).format(
        phase=_(PHASE_LABELS[workshop.phase]), when=when
    )


def needs_shaping(text: str) -> bool:
    """Text in a right-to-left script (Arabic, Persian, Hebrew): its letters must be shaped."""
    return any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text)


def report_pdf(
    workshop: Workshop,
    ranked: pd.DataFrame,
    turnout: pd.DataFrame | None,
    stability: pd.DataFrame | None,
    goals: Sequence[Goal],
    _: Gettext = identity,
    *,
    method_key: str | None = None,
    lang: str = "de",
    uncertainty: pd.DataFrame | None = None,
    ballots: int | None = None,
    generated: date | None = None,
    top_k: int = 5,
    as_of: datetime | None = None,
    channels: Channels | None = None,
) -> bytes:
    """The A4 report: facts and method, turnout, ranking overall and per goal, stability, appendix.

    ``ranked`` is ``views.ranking`` of ``method_key`` (default: the workshop's own method);
    ``turnout`` is ``analysis.turnout``, ``stability`` ``analysis.stability``, ``uncertainty``
    (optional) ``analysis.bootstrap_scores`` computed with ``k=top_k``. ``lang`` formats dates and
    numbers. ``channels`` (``services.channel_counts``), for a workshop that takes paper ballots:
    the ballots from phones and tablets and from paper, and the invalid paper ballots.
    """
    key = method_key or scoring.METHOD_FOR_BALLOTS[workshop.rules.method]
    goals = sorted(goals, key=lambda g: g.position)
    texts = [workshop.title, workshop.place, workshop.vision_title, workshop.vision_description]
    texts += [g.title + g.description for g in goals]
    readings = {row["measure_id"]: views.in_german(row) for row in ranked.to_dict("records")}
    texts += [str(v) for c in ("title", "description", "group_name", "goal_title") if c in ranked for v in ranked[c]]
    texts += [r.title + r.description + i18n.LANGUAGES.get(r.original_lang, "") for r in readings.values()]
    cjk = any(ord(ch) >= CJK_START for text in texts for ch in str(text))
    shaping = i18n.is_rtl(lang) or any(needs_shaping(str(text)) for text in texts)
    if ballots is None and channels is not None:
        ballots = channels.valid
    if ballots is None and turnout is not None and len(turnout) and turnout["is_total"].any():
        ballots = int(turnout.loc[turnout["is_total"], "ballots"].iloc[0])
    mark = provisional_mark(workshop, _, lang, as_of or datetime.now(), paper=channels is not None)

    def build(total_pages: int | None) -> _Report:
        report = _Report(workshop, _, lang, key, cjk, shaping)
        report.pdf.mark = mark
        report.pdf.total_pages = total_pages
        report.readings = readings
        report.channels = channels
        report.title_page(goals, ballots, len(ranked), generated or date.today())
        report.turnout(turnout)
        report.rankings(ranked, goals)
        report.stability(stability)
        report.uncertainty(uncertainty, k=top_k, ballots=ballots)
        report.appendix(ranked, goals)
        return report

    report = build(None)
    if shaping and i18n.is_rtl(lang):
        # A right-to-left footer must be shaped, and a shaped line cannot hold the page total's
        # alias (see _PDF.footer): the same document again, with the total it turned out to have.
        report = build(report.pdf.page_no())
    return bytes(report.pdf.output())
