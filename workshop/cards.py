"""Printable voting cards: one card per single-use code, with a QR code of the join link.

A4, 2 × 4 cards per page with cut marks. The QR opens the join link with the card code, so a
scan joins and redeems the card at once; the code is also printed in large type for typing.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence

from fpdf import FPDF

from . import hall
from .errors import N_
from .report import find_font, needs_shaping

COLS, ROWS = 2, 4
PAGE_W, PAGE_H = 210.0, 297.0
MARGIN_X, MARGIN_Y = 15.0, 12.0
CARD_W = (PAGE_W - 2 * MARGIN_X) / COLS
CARD_H = (PAGE_H - 2 * MARGIN_Y) / ROWS


def card_url(join_link: str, card_code: str) -> str:
    return f"{join_link}&card={card_code}"


def cards_pdf(
    title: str, join_link: str, cards: Sequence[tuple[int, str]], _: Callable[[str], str] = lambda s: s
) -> bytes:
    """The cards as a PDF (bytes). ``cards`` are (number, code) pairs from ``generate_cards``."""
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    pdf.set_margin(0)
    font = find_font("DejaVuSans.ttf")
    bold = find_font("DejaVuSans-Bold.ttf") or font
    if font:
        pdf.add_font("card", "", str(font))
        pdf.add_font("card", "B", str(bold))
        if needs_shaping(title + _(N_("Voting card"))):  # Arabic or Persian joined, right to left (as the report)
            pdf.set_text_shaping(True)
        family = "card"
    else:
        family = "helvetica"
    per_page = COLS * ROWS
    for i, (number, code) in enumerate(cards):
        if i % per_page == 0:
            pdf.add_page()
            _cut_marks(pdf)
        slot = i % per_page
        x = MARGIN_X + (slot % COLS) * CARD_W
        y = MARGIN_Y + (slot // COLS) * CARD_H
        qr = io.BytesIO(hall.qr_png(card_url(join_link, code), scale=6))
        qr_size = CARD_H - 30
        pdf.image(qr, x=x + 4, y=y + 6, w=qr_size, h=qr_size)
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
        pdf.cell(CARD_W - 8, 9, " ".join((code[:4], code[4:])), align="C")
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
