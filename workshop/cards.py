"""Printable voting cards and paper ballots: one card or sheet per single-use code, with a QR code
of the join link.

Cards: A4, 2 × 4 cards per page with cut marks. The QR opens the join link with the card code, so a
scan joins and redeems the card at once; the code is also printed in large type for typing.

Paper ballots (issue 23): a sheet is a voting card printed as a ballot, one or more A4 pages per
sheet. It lists the measures on the ballot by goal (``paper.layout``) with the marks the method
needs at each line's end, the instructions in the sheet's language and in a second one, and the
card's QR code: a phone that scans it votes with the card, and the sheet no longer counts.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial

from fpdf import FPDF

from . import hall, i18n, methods, translation, vocabulary
from .errors import N_, NP_, ngettext_of
from .model import RATING_MAX, RATING_MIN, Method, Translation, VotingRules, Workshop, WorkshopKind
from .paper import SheetLine, SheetSection
from .report import Gettext, _shorten, find_font, identity, needs_shaping

COLS, ROWS = 2, 4
PAGE_W, PAGE_H = 210.0, 297.0
MARGIN_X, MARGIN_Y = 15.0, 12.0
CARD_W = (PAGE_W - 2 * MARGIN_X) / COLS
CARD_H = (PAGE_H - 2 * MARGIN_Y) / ROWS


def card_url(join_link: str, card_code: str) -> str:
    return f"{join_link}&card={card_code}"


def spaced(code: str) -> str:
    """A card code as printed: two groups of four ("ABCD EFGH"), easier to read and type."""
    return " ".join((code[:4], code[4:]))


class _PDF(FPDF):
    def normalize_text(self, text: str) -> str:
        if not self.is_ttf_font:  # Helvetica fallback: replace what Windows-1252 cannot show
            text = text.encode("windows-1252", "replace").decode("windows-1252")
        return super().normalize_text(text)


def _new_pdf(texts: Iterable[str]) -> tuple[FPDF, str]:
    """An A4 document without automatic page breaks or margins, and its font family: DejaVu (as the
    report), with Arabic and Persian shaped (joined, right to left) when any of ``texts`` needs it."""
    pdf = _PDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    pdf.set_margin(0)
    font = find_font("DejaVuSans.ttf")
    if not font:
        pdf.core_fonts_encoding = "windows-1252"
        return pdf, "helvetica"
    pdf.add_font("card", "", str(font))
    pdf.add_font("card", "B", str(find_font("DejaVuSans-Bold.ttf") or font))
    if any(needs_shaping(t) for t in texts):
        pdf.set_text_shaping(True)
    return pdf, "card"


def _qr(pdf: FPDF, join_link: str, code: str, x: float, y: float, size: float) -> None:
    """The card's QR code: the join link with the card, which a phone joins and redeems at once."""
    pdf.image(io.BytesIO(hall.qr_png(card_url(join_link, code), scale=6)), x=x, y=y, w=size, h=size)


def cards_pdf(
    title: str, join_link: str, cards: Sequence[tuple[int, str]], _: Callable[[str], str] = lambda s: s
) -> bytes:
    """The cards as a PDF (bytes). ``cards`` are (number, code) pairs from ``generate_cards``."""
    pdf, family = _new_pdf([title + _(N_("Voting card"))])
    per_page = COLS * ROWS
    for i, (number, code) in enumerate(cards):
        if i % per_page == 0:
            pdf.add_page()
            _cut_marks(pdf)
        slot = i % per_page
        x = MARGIN_X + (slot % COLS) * CARD_W
        y = MARGIN_Y + (slot // COLS) * CARD_H
        qr_size = CARD_H - 30
        _qr(pdf, join_link, code, x + 4, y + 6, qr_size)
        tx = x + qr_size + 8
        tw = CARD_W - qr_size - 12
        pdf.set_xy(tx, y + 6)
        pdf.set_font(family, "B", 9)
        pdf.multi_cell(tw, 4.2, title, new_x="LEFT", new_y="NEXT", align="L")
        pdf.set_font(family, "", 9)
        pdf.set_x(tx)
        pdf.multi_cell(tw, 4.2, _(N_("Voting card")) + f" {number}", new_x="LEFT", new_y="NEXT", align="L")
        pdf.set_xy(tx, y + 26)
        pdf.set_font(family, "", 8)
        pdf.multi_cell(
            tw, 3.8, _(N_("Scan the code, or open the link and type the card code:")), new_x="LEFT", new_y="NEXT"
        )
        pdf.set_xy(x + 4, y + CARD_H - 15)
        pdf.set_font(family, "B", 20)
        pdf.cell(CARD_W - 8, 9, spaced(code), align="C")
        pdf.set_xy(x + 4, y + CARD_H - 6.5)
        pdf.set_font(family, "", 7)
        pdf.cell(CARD_W - 8, 4, join_link, align="C")
    return bytes(pdf.output())


def _cut_marks(pdf: FPDF) -> None:
    """Short marks at every card corner, outside the cards, so the sheet can be cut cleanly."""
    pdf.set_draw_color(120, 120, 120)
    pdf.set_line_width(0.2)
    xs = [MARGIN_X + c * CARD_W for c in range(COLS + 1)]
    ys = [MARGIN_Y + r * CARD_H for r in range(ROWS + 1)]
    for x in xs:
        pdf.line(x, 2, x, MARGIN_Y - 2)
        pdf.line(x, PAGE_H - MARGIN_Y + 2, x, PAGE_H - 2)
    for y in ys:
        pdf.line(2, y, MARGIN_X - 2, y)
        pdf.line(PAGE_W - MARGIN_X + 2, y, PAGE_W - 2, y)
    pdf.set_draw_color(210, 210, 210)
    pdf.set_dash_pattern(dash=1, gap=1.5)
    for x in xs[1:-1]:
        pdf.line(x, MARGIN_Y, x, PAGE_H - MARGIN_Y)
    for y in ys[1:-1]:
        pdf.line(MARGIN_X, y, PAGE_W - MARGIN_X, y)
    pdf.set_dash_pattern()


# --- paper ballots ------------------------------------------------------------------------------

PAPER_BALLOT = N_("Paper ballot {number}")
PAGE_OF = N_("Page {page} of {pages}")
GOAL_HEADING = (N_("Goal {n}: {title}"), N_("Guiding question {n}: {title}"))
PHONE_TOO = N_("You can also vote with your phone: scan the code. Each sheet counts once, on paper or on a phone.")
DO_NOT_SIGN = N_("Do not sign this sheet: your name is not needed. Staff enter each sheet once, by its number.")
DOTS_TOTAL = NP_("You have {n} dot. Fill in one circle per dot.", "You have {n} dots. Fill in one circle per dot.")
DOTS_PER_MEASURE = (
    NP_("At most {max} dot per measure.", "At most {max} dots per measure."),
    NP_("At most {max} dot per recommendation.", "At most {max} dots per recommendation."),
)
DOTS_PER_GOAL = (
    NP_("At most {max} dot per goal.", "At most {max} dots per goal."),
    NP_("At most {max} dot per guiding question.", "At most {max} dots per guiding question."),
)
APPROVAL_LIMIT = (
    NP_("You can support at most {max} measure.", "You can support at most {max} measures."),
    NP_("You can support at most {max} recommendation.", "You can support at most {max} recommendations."),
)
RATING_ROWS = (
    N_("Each measure has a row of boxes per criterion: {criteria}."),
    N_("Each recommendation has a row of boxes per criterion: {criteria}."),
)
RANKING_ON_PAPER = (
    N_("Write a place in the box of each measure you rank: 1 for the most important, 2 for the next, and so on."),
    N_(
        "Write a place in the box of each recommendation you rank: 1 for the most important, 2 for the next, and so on."
    ),
)
RANKING_ONCE = N_("Use each number only once. You may leave boxes empty.")


def sheet_titles(
    sections: Sequence[SheetSection],
    translations: Mapping[str, Mapping[str, Translation]] | None = None,
    second: str | None = None,
    *,
    machine: bool = False,
) -> dict[str, tuple[str, str]]:
    """Each ballot measure's title as its sheet line prints it: (in German, in ``second``). German
    is the original or its German translation where one may be shown (``translation.reading``;
    ``machine``: the engine's too, as ``Workshop.show_machine``); the second is the original or a
    translation in that language, "" where there is none or it reads the same."""
    out = {}
    for line in _lines(sections):
        m, found = line.measure, (translations or {}).get(line.measure.id)
        main = translation.reading(m, found, translation.MAIN_LANGUAGE, machine=machine).title
        other = translation.reading(m, found, second, machine=machine) if second else None
        out[m.id] = (main, other.title if other and other.lang == second and other.title != main else "")
    return out


def sheet_languages(
    sections: Sequence[SheetSection],
    translations: Mapping[str, Mapping[str, Translation]] | None = None,
    *,
    machine: bool = False,
) -> dict[str, int]:
    """The languages besides German a sheet's second line could use, with how many of its measures
    have a title in each (original or a translation that may be shown), most first."""
    counts: dict[str, int] = {}
    for line in _lines(sections):
        found = (translations or {}).get(line.measure.id) or {}
        langs = {translation.original_language(line.measure)}
        langs |= {lang for lang, t in found.items() if translation.usable(t, machine)}
        for lang in langs - {translation.MAIN_LANGUAGE}:
            counts[lang] = counts.get(lang, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _lines(sections: Sequence[SheetSection]) -> list[SheetLine]:
    return [line for section in sections for line in section.lines]


@dataclass(frozen=True)
class _Sentence:
    """A sentence before it is said: its msgid (a plural's pair, ``NP_``, with the ``count`` it is
    about) and parameters: whole numbers in each language's digits, tuples of msgids (the
    criteria) translated and listed, other values as they are."""

    msgid: str | tuple[str, str]
    count: int | None = None
    params: tuple[tuple[str, object], ...] = ()


def _s(msgid: str | tuple[str, str], count: int | None = None, **params: object) -> _Sentence:
    return _Sentence(msgid, count, tuple(params.items()))


@dataclass(frozen=True)
class _Tongue:
    """One language of the sheet: its gettext (plurals from the same catalog), digits, direction."""

    gettext: Gettext
    number: Callable[[int], str] = str
    rtl: bool = False
    english: bool = False  # the msgids' own language: every sentence is said, translated or not

    def template(self, s: _Sentence) -> str:
        return self.gettext(str(s.msgid)) if s.count is None else ngettext_of(self.gettext)(*s.msgid, s.count)

    def say(self, s: _Sentence) -> str:
        values = {k: self._value(v) for k, v in s.params}
        return self.template(s).format(**values) if values else self.template(s)

    def _value(self, value: object) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            return self.number(value)
        if isinstance(value, tuple):
            return ("، " if self.rtl else ", ").join(self.gettext(v) for v in value)
        return str(value)

    def knows(self, s: _Sentence) -> bool:
        """Whether the catalog has the sentence (else it would stand in English, the msgid)."""
        return self.english or self.template(s) != _ENGLISH.template(s)

    @property
    def align(self) -> str:
        return "R" if self.rtl else "L"


_ENGLISH = _Tongue(identity, english=True)


# What a method needs on paper: the rules worth printing and the marks at the end of each line.
# Sizes in mm: a mark's pitch and size; rating's criterion label column.
PITCH, MARK, CRITERION_W = 6.6, 5.0, 30.0
DOTS_PER_ROW = 10


def _dots_rules(kind: WorkshopKind, rules: VotingRules) -> list[_Sentence]:
    out = [
        _s(DOTS_TOTAL, rules.dots_per_person, n=rules.dots_per_person),
        _s(vocabulary.pick(kind, *DOTS_PER_MEASURE), rules.max_per_measure, max=rules.max_per_measure),
    ]
    if rules.goal_budget is not None:
        out.append(_s(vocabulary.pick(kind, *DOTS_PER_GOAL), rules.goal_budget, max=rules.goal_budget))
    return out


def _approval_rules(kind: WorkshopKind, rules: VotingRules) -> list[_Sentence]:
    limit = rules.approval_limit
    return [] if limit is None else [_s(vocabulary.pick(kind, *APPROVAL_LIMIT), limit, max=limit)]


def _rating_rules(kind: WorkshopKind, rules: VotingRules) -> list[_Sentence]:
    return [_s(vocabulary.pick(kind, *RATING_ROWS), criteria=tuple(c.label for c in rules.criteria))]


def _ranking_rules(kind: WorkshopKind, rules: VotingRules) -> list[_Sentence]:
    return [_s(RANKING_ONCE)]


def _dots_size(rules: VotingRules) -> tuple[float, float]:
    cap = rules.max_per_measure
    return min(cap, DOTS_PER_ROW) * PITCH - (PITCH - MARK), math.ceil(cap / DOTS_PER_ROW) * PITCH - (PITCH - MARK)


def _rating_size(rules: VotingRules) -> tuple[float, float]:
    boxes = RATING_MAX - RATING_MIN + 1
    return CRITERION_W + boxes * PITCH - (PITCH - MARK), len(rules.criteria) * PITCH - (PITCH - MARK)


@dataclass(frozen=True)
class _OnPaper:
    rules: Callable[[WorkshopKind, VotingRules], list[_Sentence]]
    size: Callable[[VotingRules], tuple[float, float]]  # (width, height) of one line's marks
    instructions: tuple[str, str] | None = None  # the sheet's own, where the phone's would mislead


ON_PAPER: dict[Method, _OnPaper] = {
    Method.DOTS: _OnPaper(_dots_rules, _dots_size),
    Method.APPROVAL: _OnPaper(_approval_rules, lambda rules: (MARK, MARK)),
    Method.RATING: _OnPaper(_rating_rules, _rating_size),
    # The phone's instruction speaks of arrows; on paper a place is written in a box.
    Method.RANKING: _OnPaper(_ranking_rules, lambda rules: (16.0, 8.0), RANKING_ON_PAPER),
}


def _instructions(kind: WorkshopKind, rules: VotingRules) -> list[_Sentence]:
    """The method's instructions (in the kind's words) and its rules, sentence by sentence."""
    paper = ON_PAPER[Method(rules.method)]
    first = vocabulary.pick(kind, *(paper.instructions or methods.of(rules.method).instructions))
    return [_s(first, min=RATING_MIN, max=RATING_MAX), *paper.rules(kind, rules)]


# Geometry of a sheet (mm).
SHEET_X = 15.0
SHEET_W = PAGE_W - 2 * SHEET_X
SHEET_TOP = 11.0
QR_SIZE = 38.0
LABEL_W, GAP, PAD = 13.0, 4.0, 1.3
FOOTER_BOTTOM = PAGE_H - 8.0


@dataclass(frozen=True)
class _Block:
    """A piece of the list: a goal's heading, or one measure's line."""

    section: SheetSection
    line: SheetLine | None
    height: float


class _Sheets:
    """Draws the sheets: the list is laid out once (every sheet has the same pages), then drawn
    with each sheet's number and code."""

    def __init__(
        self,
        workshop: Workshop,
        sections: Sequence[SheetSection],
        join_link: str,
        main: _Tongue,
        second: _Tongue | None,
        titles: Mapping[str, tuple[str, str]],
    ) -> None:
        self.ws, self.sections, self.join_link, self.main, self.titles = workshop, sections, join_link, main, titles
        self.second, self.rules, kind = second, workshop.rules, workshop.kind
        self.marks_w, self.marks_h = ON_PAPER[Method(self.rules.method)].size(self.rules)
        self.text_w = SHEET_W - LABEL_W - self.marks_w - GAP
        self.paper_ballot = main.template(_s(PAPER_BALLOT))  # "{number}" filled in per sheet
        sentences = _instructions(kind, self.rules)
        self.intro = " ".join(main.say(s) for s in sentences)
        self.phone, self.sign = main.say(_s(PHONE_TOO)), main.say(_s(DO_NOT_SIGN))
        heading = vocabulary.pick(kind, *GOAL_HEADING)
        self.headings = {s.goal.id: main.say(_s(heading, n=s.number, title=s.goal.title)) for s in sections}
        texts = {"intro": sentences, "phone": [_s(PHONE_TOO)], "sign": [_s(DO_NOT_SIGN)]}
        self.other = {key: text for key, said in texts.items() if (text := self._theirs(said))}
        if second and second.knows(_s(PAPER_BALLOT)) and second.template(_s(PAPER_BALLOT)) != self.paper_ballot:
            self.other["paper_ballot"] = second.template(_s(PAPER_BALLOT))
        self.criteria = [(main.gettext(c.label), self._theirs([_s(c.label)])) for c in self.rules.criteria]
        every = [workshop.title, *self.headings.values(), *self.other.values(), self.intro, self.phone, self.sign]
        every += [t for pair in titles.values() for t in pair] + [t for pair in self.criteria for t in pair]
        self.pdf, self.family = _new_pdf(every)
        self.ruler, _family = _new_pdf(every)  # measures text before the sheets' pages exist
        self.ruler.add_page()
        self._wrapped: dict[tuple, list[str]] = {}

    def _theirs(self, said: list[_Sentence]) -> str:
        """The second language's words where its catalog has them and they differ from the
        first's, sentence by sentence: a missing one would otherwise stand there in English."""
        second, main = self.second, self.main
        if second is None:
            return ""
        return " ".join(second.say(s) for s in said if second.knows(s) and second.say(s) != main.say(s))

    # -- measuring and laying out --

    def _wrap(self, text: str, width: float, size: float, style: str = "") -> list[str]:
        """The lines of ``text`` in ``width``, broken once: every sheet prints the same texts."""
        key = (text, width, size, style)
        if key not in self._wrapped:
            self.ruler.set_font(self.family, style, size)
            lines = self.ruler.multi_cell(width, 1, text, dry_run=True, output="LINES", align="L") if text else []
            self._wrapped[key] = lines
        return self._wrapped[key]

    def _height(self, text: str, width: float, size: float, line_h: float, style: str = "") -> float:
        return len(self._wrap(text, width, size, style)) * line_h

    def _write(self, x: float, y: float, width: float, size: float, line_h: float, text: str, **how: str) -> float:
        """``text`` wrapped in ``width`` from (x, y), ``how`` ``align`` ("L") and ``style`` (""); its height."""
        style, align = how.get("style", ""), how.get("align", "L")
        self.pdf.set_font(self.family, style, size)
        lines = self._wrap(text, width, size, style)
        for i, line in enumerate(lines):
            self.pdf.set_xy(x, y + i * line_h)
            self.pdf.cell(width, line_h, line, align=align)
        return len(lines) * line_h

    def _title_heights(self, line: SheetLine) -> tuple[float, float]:
        main, other = self.titles.get(line.measure.id, (line.measure.title, ""))
        return self._height(main, self.text_w, 11, 5.0), self._height(other, self.text_w, 10, 4.6)

    def _blocks(self) -> list[_Block]:
        blocks = []
        for section in self.sections:
            blocks.append(_Block(section, None, self._heading_height(section)))
            for line in section.lines:
                text_h = sum(self._title_heights(line)) + (0.8 if self.titles.get(line.measure.id, ("", ""))[1] else 0)
                blocks.append(_Block(section, line, max(text_h, self.marks_h) + 2 * PAD))
        return blocks

    def _heading_height(self, section: SheetSection) -> float:
        return self._height(self.headings[section.goal.id], SHEET_W - 4, 11.5, 5.4, "B") + 2.6

    def _footer_height(self) -> float:
        h = self._height(self.sign, SHEET_W, 8.5, 3.8) + self._height(self.other.get("sign", ""), SHEET_W, 8.5, 3.8)
        return h + 4.0 + 3.5  # the rule above, the join link below

    def pages(self, widest: int) -> list[list[_Block]]:
        """The blocks of each page, the same for every sheet: ``widest`` is the largest number. A
        sheet of more pages says "Page 1 of 2" on its first: laid out again with that line."""
        one = self._paginate(widest, 1)
        return one if len(one) == 1 else self._paginate(widest, 2)

    def _paginate(self, widest: int, pages_seen: int) -> list[list[_Block]]:
        bottom = FOOTER_BOTTOM - self._footer_height() - 2
        pages: list[list[_Block]] = [[]]
        y = self._first_header(widest, draw=None, pages=pages_seen)
        blocks = self._blocks()
        for i, block in enumerate(blocks):
            need = block.height
            if block.line is None and i + 1 < len(blocks):
                need += blocks[i + 1].height  # a heading stays with its first line
            if y + need > bottom and pages[-1]:
                pages.append([])
                y = self._next_header(0, 0, 0, draw=False)
                if block.line is not None:  # the goal's heading again above its lines
                    heading = _Block(block.section, None, self._heading_height(block.section))
                    pages[-1].append(heading)
                    y += heading.height
            pages[-1].append(block)
            y += block.height
        return pages

    # -- drawing --

    def sheet(self, number: int, code: str, pages: list[list[_Block]]) -> None:
        for page, blocks in enumerate(pages, start=1):
            self.pdf.add_page()
            if page == 1:
                y = self._first_header(number, draw=code, pages=len(pages))
            else:
                y = self._next_header(number, page, len(pages), draw=True)
            for block in blocks:
                if block.line is None:
                    self._draw_heading(block, y)
                else:
                    self._draw_line(block, y)
                y += block.height
            self._draw_footer()

    def _ballot_no(self, number: int) -> tuple[str, str]:
        theirs = self.other.get("paper_ballot")
        return (
            self.paper_ballot.format(number=self.main.number(number)),
            theirs.format(number=self.second.number(number)) if theirs and self.second else "",
        )

    def _page_of(self, page: int, pages: int) -> str:
        return self.main.say(_s(PAGE_OF, page=page, pages=pages))

    def _first_header(self, number: int, *, draw: str | None, pages: int = 1) -> float:
        """The first page's head (``draw``: the card code, None to measure): the title, the number in
        large type, the QR code and the code; then the instructions. Returns where the list begins."""
        pdf, col_w = self.pdf, SHEET_W - QR_SIZE - 6
        ours, theirs = self._ballot_no(number)
        left = [
            (self.ws.title, "B", 11, 5.0, self.main.align if not needs_shaping(self.ws.title) else "R", 40),
            (ours, "B", 26, 11.0, self.main.align, 0),
            (theirs, "B", 13, 6.0, self.second.align if self.second else "L", 0),
            (self._page_of(1, pages) if pages > 1 else "", "", 9, 4.5, self.main.align, 110),
            (self.phone, "", 9, 4.0, self.main.align, 60),
            (self.other.get("phone", ""), "", 9, 4.0, self.second.align if self.second else "L", 60),
        ]
        y = SHEET_TOP
        for text, style, size, line_h, align, colour in left:
            if not text:
                continue
            if draw is not None:
                pdf.set_text_color(colour)
                self._write(SHEET_X, y, col_w, size, line_h, text, align=align, style=style)
            y += self._height(text, col_w, size, line_h, style) + (1.5 if size >= 13 else 0.8)
        pdf.set_text_color(0)
        qx = PAGE_W - SHEET_X - QR_SIZE
        if draw is not None:
            _qr(pdf, self.join_link, draw, qx, SHEET_TOP - 1, QR_SIZE)
            size = 16.0
            pdf.set_font(self.family, "B", size)
            while pdf.get_string_width(spaced(draw)) > QR_SIZE + 4 and size > 10:
                size -= 0.5
                pdf.set_font(self.family, "B", size)
            pdf.set_xy(qx - 3, SHEET_TOP - 1 + QR_SIZE)
            pdf.cell(QR_SIZE + 6, 7, spaced(draw), align="C")
        y = max(y, SHEET_TOP + QR_SIZE + 7) + 2
        return self._draw_intro(y, draw is not None)

    def _draw_intro(self, y: float, draw: bool) -> float:
        """The instructions in large type, in a frame; the second language's below."""
        pdf, inner = self.pdf, SHEET_W - 8
        parts = [(self.intro, 12.5, 6.0, self.main.align)]
        if self.other.get("intro") and self.second:
            parts.append((self.other["intro"], 11.5, 5.6, self.second.align))
        h = sum(self._height(text, inner, size, lh) for text, size, lh, _a in parts) + 2.5 * (len(parts) - 1) + 7
        if draw:
            pdf.set_fill_color(244, 244, 244)
            pdf.set_draw_color(150)
            pdf.set_line_width(0.3)
            pdf.rect(SHEET_X, y, SHEET_W, h, style="DF")
            ty = y + 3.5
            for text, size, lh, align in parts:
                ty += self._write(SHEET_X + 4, ty, inner, size, lh, text, align=align) + 2.5
        return y + h + 3

    def _next_header(self, number: int, page: int, pages: int, *, draw: bool) -> float:
        """A following page's head: the number again, the page, the title small."""
        if draw:
            pdf = self.pdf
            pdf.set_font(self.family, "B", 16)
            pdf.set_xy(SHEET_X, SHEET_TOP)
            pdf.cell(SHEET_W * 0.6, 8, self._ballot_no(number)[0])
            pdf.set_font(self.family, "", 10)
            pdf.set_xy(SHEET_X + SHEET_W * 0.6, SHEET_TOP)
            pdf.cell(SHEET_W * 0.4, 8, self._page_of(page, pages), align="R")
            pdf.set_font(self.family, "", 8.5)
            pdf.set_text_color(90)
            pdf.set_xy(SHEET_X, SHEET_TOP + 8)
            pdf.cell(SHEET_W, 4.5, _shorten(pdf, self.ws.title, SHEET_W))
            pdf.set_text_color(0)
            pdf.set_draw_color(150)
            pdf.line(SHEET_X, SHEET_TOP + 14, SHEET_X + SHEET_W, SHEET_TOP + 14)
        return SHEET_TOP + 17

    def _draw_heading(self, block: _Block, y: float) -> None:
        pdf, text = self.pdf, self.headings[block.section.goal.id]
        pdf.set_fill_color(225, 232, 240)
        pdf.rect(SHEET_X, y + 0.8, SHEET_W, block.height - 1.2, style="F")
        align = "R" if needs_shaping(block.section.goal.title) else self.main.align
        self._write(SHEET_X + 2, y + 1.6, SHEET_W - 4, 11.5, 5.4, text, align=align, style="B")

    def _draw_line(self, block: _Block, y: float) -> None:
        pdf, line = self.pdf, block.line
        assert line is not None
        main, other = self.titles.get(line.measure.id, (line.measure.title, ""))
        pdf.set_font(self.family, "B", 10.5)
        pdf.set_xy(SHEET_X, y + PAD)
        pdf.cell(LABEL_W, 5, line.label)
        tx = SHEET_X + LABEL_W
        main_h = self._write(tx, y + PAD, self.text_w, 11, 5.0, main, align="R" if needs_shaping(main) else "L")
        if other:
            pdf.set_text_color(70)
            align = "R" if needs_shaping(other) else _align_of(self.second)
            self._write(tx, y + PAD + main_h + 0.8, self.text_w, 10, 4.6, other, align=align)
            pdf.set_text_color(0)
        self._draw_marks(PAGE_W - SHEET_X - self.marks_w, y + PAD)
        pdf.set_draw_color(200)
        pdf.set_line_width(0.2)
        pdf.line(SHEET_X, y + block.height, SHEET_X + SHEET_W, y + block.height)

    def _draw_marks(self, x: float, y: float) -> None:
        """The boxes of one line, its top left at (x, y): the method's marks."""
        pdf, rules, method = self.pdf, self.rules, Method(self.rules.method)
        pdf.set_draw_color(0)
        pdf.set_line_width(0.35)
        if method == Method.DOTS:
            for i in range(rules.max_per_measure):
                row, col = divmod(i, DOTS_PER_ROW)
                pdf.ellipse(x + col * PITCH, y + row * PITCH, MARK, MARK)
        elif method == Method.APPROVAL:
            pdf.rect(x, y, MARK, MARK)
        elif method == Method.RANKING:
            pdf.rect(x, y, self.marks_w, self.marks_h)
        else:
            for row, (ours, theirs) in enumerate(self.criteria):
                ry = y + row * PITCH
                pdf.set_text_color(40)
                pdf.set_font(self.family, "", 7.5 if not theirs else 6.5)
                pdf.set_xy(x, ry + (0.6 if theirs else 1.3))
                pdf.cell(CRITERION_W - 2, 2.8, _shorten(pdf, ours, CRITERION_W - 2), align="R")
                if theirs:
                    pdf.set_xy(x, ry + 3.0)
                    pdf.cell(CRITERION_W - 2, 2.8, _shorten(pdf, theirs, CRITERION_W - 2), align="R")
                pdf.set_font(self.family, "", 7)
                pdf.set_text_color(150)
                for i, value in enumerate(range(RATING_MIN, RATING_MAX + 1)):
                    bx = x + CRITERION_W + i * PITCH
                    pdf.rect(bx, ry, MARK, MARK)
                    pdf.set_xy(bx, ry)
                    pdf.cell(MARK, MARK, str(value), align="C")
                pdf.set_text_color(0)

    def _draw_footer(self) -> None:
        pdf = self.pdf
        y = FOOTER_BOTTOM - self._footer_height()
        pdf.set_draw_color(150)
        pdf.set_line_width(0.2)
        pdf.line(SHEET_X, y, SHEET_X + SHEET_W, y)
        y += 2
        for text, align in ((self.sign, self.main.align), (self.other.get("sign", ""), _align_of(self.second))):
            y += self._write(SHEET_X, y, SHEET_W, 8.5, 3.8, text, align=align)
        pdf.set_font(self.family, "", 7)
        pdf.set_text_color(110)
        pdf.set_xy(SHEET_X, y + 1)
        pdf.cell(SHEET_W, 3.5, self.join_link, align="C")
        pdf.set_text_color(0)


def _align_of(tongue: _Tongue | None) -> str:
    return tongue.align if tongue else "L"


def sheets_pdf(
    workshop: Workshop,
    sections: Sequence[SheetSection],
    join_link: str,
    sheets: Sequence[tuple[int, str]],
    _: Gettext = identity,
    *,
    translations: Mapping[str, Mapping[str, Translation]] | None = None,
    second: str | None = None,
) -> bytes:
    """The paper ballots as a PDF (bytes): one sheet, of one page or more, per (number, code) pair
    of ``services.print_sheets``. ``sections``: ``paper.layout`` of the measures on the ballot;
    ``_``: the gettext of the sheet's language (German in the hall: ``i18n.gettext_for("de")``),
    measure titles in German (``sheet_titles``); ``second``: a language whose instructions and
    titles stand under the German ones (``translations``: ``services.list_translations``)."""
    second = second if second and second != translation.MAIN_LANGUAGE else None
    main = _Tongue(_)
    other = None
    if second:
        number = partial(i18n.format_number, lang=second)
        other = _Tongue(i18n.gettext_for(second), number, i18n.is_rtl(second), english=second == "en")
    titles = sheet_titles(sections, translations, second, machine=workshop.show_machine)
    writer = _Sheets(workshop, sections, join_link, main, other, titles)
    pages = writer.pages(max((n for n, _c in sheets), default=1))
    for number, code in sheets:
        writer.sheet(number, code, pages)
    return bytes(writer.pdf.output())
