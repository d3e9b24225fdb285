"""A generic printed document: the cooperative's letterhead, a title and simple sections.

Used for statements and exports (an account statement, a copy of one's personal data):
each section has a heading and, in this order, optional paragraphs, label/value pairs and a
table. Tables may run over several pages; their header row is repeated on every page.
The bytes are built in memory and returned; nothing is written to disk.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from fpdf import FPDF
from fpdf.enums import Align, TableBordersLayout, XPos, YPos
from fpdf.fonts import FontFace

from iok_saas.timeutil import as_utc, local

from . import texts
from .letterhead import Letterhead
from .pdf import FONT, add_fonts, draw_letterhead, heading_color

__all__ = ["PdfSection", "PdfTable", "document_pdf"]

PAGE_W = 210.0
MARGIN_X = 18.0
MARGIN_TOP = 14.0
MARGIN_BOTTOM = 16.0
CONTENT_W = PAGE_W - 2 * MARGIN_X

TITLE_SIZE, TITLE_LINE = 15.0, 7.0
META_SIZE, META_LINE = 8.5, 4.5
HEADING_SIZE, HEADING_LINE = 11.0, 6.5
BODY_SIZE, BODY_LINE = 9.5, 4.8
TABLE_SIZE, TABLE_LINE = 8.5, 4.6
CELL_PADDING = 4.0  # mm around a cell's text (fpdf2's default cell padding and a margin)
PAIR_LABEL_W = 60.0
SECTION_GAP = 4.0
FOOTER_SIZE = 7.5

TEXT = (33, 37, 41)
MUTED = (96, 102, 110)
HEADER_FILL = (233, 236, 239)

ISSUED_LABEL = "Wygenerowano: {issued}"
PAGE_LABEL = "Strona {page} z {pages}"
PAGES_ALIAS = "{nb}"


@dataclass(frozen=True)
class PdfTable:
    headers: Sequence[str]
    rows: Sequence[Sequence[str]]
    right_aligned: Sequence[int] = ()  # column indexes set flush right (amounts)

    def __post_init__(self) -> None:
        width = len(self.headers)
        if not width:
            raise ValueError("a table needs at least one column")
        for row in self.rows:
            if len(row) != width:
                raise ValueError(f"row {row!r} has {len(row)} cells, the header has {width}")
        if any(not 0 <= index < width for index in self.right_aligned):
            raise ValueError("right_aligned names a column the table does not have")


@dataclass(frozen=True)
class PdfSection:
    heading: str
    paragraphs: Sequence[str] = ()
    pairs: Sequence[tuple[str, str]] = ()
    table: PdfTable | None = None


class _Document(FPDF):
    """A4 portrait with a footer: the issue time on the left, the page number on the right."""

    issued: str = ""

    def footer(self) -> None:
        self.set_y(-MARGIN_BOTTOM + 4)
        self.set_font(FONT, "", FOOTER_SIZE)
        self.set_text_color(*MUTED)
        self.cell(CONTENT_W / 2, 4, ISSUED_LABEL.format(issued=self.issued))
        page = PAGE_LABEL.format(page=self.page_no(), pages=PAGES_ALIAS)
        self.cell(CONTENT_W / 2, 4, page, align="R")


def document_pdf(
    letterhead: Letterhead,
    title: str,
    sections: Sequence[PdfSection],
    *,
    issued_at: datetime.datetime,
) -> bytes:
    """The document as PDF bytes; ``issued_at`` (aware) is printed in Europe/Warsaw time."""
    pdf = _Document(orientation="P", unit="mm", format="A4")
    pdf.issued = local(issued_at).strftime(texts.DATETIME_FORMAT)
    add_fonts(pdf)
    pdf.set_margins(MARGIN_X, MARGIN_TOP, MARGIN_X)
    pdf.set_auto_page_break(True, margin=MARGIN_BOTTOM)
    pdf.alias_nb_pages(PAGES_ALIAS)
    pdf.set_title(title)
    pdf.set_subject(f"{title} – {letterhead.legal_name}")
    pdf.set_author(letterhead.legal_name)
    pdf.set_creator(texts.PDF_CREATOR)
    pdf.set_lang("pl-PL")
    pdf.set_creation_date(as_utc(issued_at))
    pdf.add_page()
    draw_letterhead(pdf, letterhead)
    ink = heading_color(letterhead)

    _font(pdf, TITLE_SIZE, "B", ink)
    _block(pdf, TITLE_LINE, title)
    pdf.ln(SECTION_GAP)
    for section in sections:
        _section(pdf, section, ink)
    return bytes(pdf.output())


def _section(pdf: FPDF, section: PdfSection, ink: tuple[int, int, int]) -> None:
    # Keep a heading with at least a few lines of what follows it.
    if pdf.get_y() + HEADING_LINE + 3 * BODY_LINE > pdf.page_break_trigger:
        pdf.add_page()
    _font(pdf, HEADING_SIZE, "B", ink)
    _block(pdf, HEADING_LINE, section.heading)
    for paragraph in section.paragraphs:
        _font(pdf, BODY_SIZE)
        _block(pdf, BODY_LINE, paragraph)
        pdf.ln(1.5)
    for label, value in section.pairs:
        _font(pdf, BODY_SIZE, color=MUTED)
        top, page = pdf.get_y(), pdf.page_no()
        pdf.multi_cell(PAIR_LABEL_W, BODY_LINE, f"{label}:", new_x=XPos.RIGHT, new_y=YPos.TOP)
        if pdf.page_no() != page:  # the label itself broke the page: start the value there
            top = pdf.t_margin
        pdf.set_xy(MARGIN_X + PAIR_LABEL_W, top)
        label_end = top
        _font(pdf, BODY_SIZE)
        pdf.multi_cell(CONTENT_W - PAIR_LABEL_W, BODY_LINE, value or "—",
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_y(max(pdf.get_y(), label_end + BODY_LINE))
    if section.pairs:
        pdf.ln(1.5)
    if section.table is not None:
        _table(pdf, section.table)
    pdf.ln(SECTION_GAP)


def _table(pdf: FPDF, table: PdfTable) -> None:
    right = set(table.right_aligned)
    align = tuple(
        Align.R if index in right else Align.L for index in range(len(table.headers))
    )
    _font(pdf, TABLE_SIZE)
    pdf.set_draw_color(*MUTED)
    pdf.set_line_width(0.2)
    with pdf.table(
        col_widths=_column_widths(pdf, table),
        text_align=align,
        line_height=TABLE_LINE,
        headings_style=FontFace(emphasis="BOLD", fill_color=HEADER_FILL),
        borders_layout=TableBordersLayout.HORIZONTAL_LINES,
        repeat_headings=1,  # the header row again on top of every page the table runs onto
        width=CONTENT_W,
    ) as grid:
        header = grid.row()
        for heading in table.headers:
            header.cell(heading)
        for cells in table.rows:
            row = grid.row()
            for cell in cells:
                row.cell(cell)


def _column_widths(pdf: FPDF, table: PdfTable) -> tuple[float, ...]:
    """Widths that fit the content: narrow columns (dates, amounts) keep their natural
    width, and what remains of the page is shared among the wide ones (titles) in
    proportion to their content, so they wrap rather than squeeze the numbers."""
    natural = []
    for index, heading in enumerate(table.headers):
        pdf.set_font(FONT, "B", TABLE_SIZE)
        widest = pdf.get_string_width(heading)
        pdf.set_font(FONT, "", TABLE_SIZE)
        for row in table.rows:
            widest = max(widest, pdf.get_string_width(row[index]))
        natural.append(widest + CELL_PADDING)
    if sum(natural) <= CONTENT_W:
        return tuple(natural)  # fpdf2 stretches relative widths to the full width
    fixed: dict[int, float] = {}
    while True:  # water-filling: columns below the fair share keep their natural width
        open_columns = [i for i in range(len(natural)) if i not in fixed]
        share = (CONTENT_W - sum(fixed.values())) / len(open_columns)
        narrow = [i for i in open_columns if natural[i] <= share]
        if not narrow:
            break
        fixed.update((i, natural[i]) for i in narrow)
        if len(fixed) == len(natural):
            break
    remaining = CONTENT_W - sum(fixed.values())
    wide = [i for i in range(len(natural)) if i not in fixed]
    wide_total = sum(natural[i] for i in wide)
    return tuple(fixed[i] if i in fixed else remaining * natural[i] / wide_total
                 for i in range(len(natural)))


def _font(pdf: FPDF, size: float, style: str = "", color: tuple[int, int, int] = TEXT) -> None:
    pdf.set_font(FONT, style, size)
    pdf.set_text_color(*color)


def _block(pdf: FPDF, line_h: float, text: str) -> None:
    pdf.multi_cell(CONTENT_W, line_h, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
