"""The notice of charges as a PDF: the cooperative's letterhead, the unit, the charges by
component, the flat's account number and the transfer QR code.

Rendered in bulk (a period's notices for every consenting flat), so it uses the letters'
compact fonts and draws the QR code as filled runs of modules: no image to embed, no SVG to
parse. The wording is Polish, as the cooperative's printed notices are.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject, TextStringObject

from iok_saas.modules.letters.fonts import add_compact_fonts
from iok_saas.modules.letters.letterhead import Letterhead
from iok_saas.modules.letters.pdf import FONT, draw_letterhead, heading_color, text_block
from iok_saas.timeutil import as_utc, local
from iok_saas.web import polish_money

MONTHS_GENITIVE = ("stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca", "lipca",
                   "sierpnia", "września", "października", "listopada", "grudnia")
TITLE = "Zawiadomienie o wysokości opłat"
CREATOR = "IOK SaaS"

MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 18.0, 14.0, 14.0
CONTENT_W = 210.0 - 2 * MARGIN_X
LINE = 5.2
AMOUNT_W, BASIS_W = 32.0, 50.0
QR_MODULE = 0.55  # mm per module: a 41-module code is ~25 mm with its quiet zone
TEXT = (33, 37, 41)
MUTED = (96, 102, 110)
RULE = (206, 212, 218)


@dataclass(frozen=True)
class NoticeLine:
    title: str
    basis: str | None
    amount: Decimal


@dataclass(frozen=True)
class NoticeDocument:
    number: str                  # the notice's external id, printed for reference
    period: datetime.date        # first day of the month the charges apply from
    due_day: int
    unit_label: str
    holders: Sequence[str]       # names of the title holders (the addressees)
    lines: Sequence[NoticeLine]
    account: str                 # the flat's account number as printed
    transfer_title: str
    qr: tuple[tuple[bool, ...], ...] | None
    note: str | None = None

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))


def period_words(period: datetime.date) -> str:
    """"1 stycznia 2027 r." — the day the new charges apply from."""
    return f"{period.day} {MONTHS_GENITIVE[period.month - 1]} {period.year} r."


def notices_pdfs(letterhead: Letterhead, notices: Sequence[NoticeDocument], *,
                 issued_at: datetime.datetime) -> list[bytes]:
    """One PDF per notice, in order.

    The notices are laid out in one fpdf2 document and split page by page with pypdf:
    fpdf2 parses and subsets the fonts once per document, which costs several times the
    layout of a page, so a batch of fifty pays it once (measured: ~17 ms a notice instead
    of ~57 ms). A notice that runs over a page keeps all its pages."""
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    add_compact_fonts(pdf)
    pdf.set_margins(MARGIN_X, MARGIN_TOP, MARGIN_X)
    pdf.set_auto_page_break(True, margin=MARGIN_BOTTOM)
    pdf.set_creation_date(as_utc(issued_at))
    ink = heading_color(letterhead)
    first_pages = []
    for notice in notices:
        pdf.add_page()
        first_pages.append(pdf.page_no() - 1)
        _notice(pdf, notice, letterhead, ink, issued_at)
    reader = PdfReader(io.BytesIO(bytes(pdf.output())))
    ends = [*first_pages[1:], len(reader.pages)]
    return [_one_document(reader, range(first, end), notice, letterhead)
            for first, end, notice in zip(first_pages, ends, notices, strict=True)]


def notice_pdf(letterhead: Letterhead, notice: NoticeDocument, *,
               issued_at: datetime.datetime) -> bytes:
    return notices_pdfs(letterhead, [notice], issued_at=issued_at)[0]


def _one_document(reader: PdfReader, pages: range, notice: NoticeDocument,
                  letterhead: Letterhead) -> bytes:
    writer = PdfWriter()
    for index in pages:
        writer.add_page(reader.pages[index])
    writer.add_metadata({"/Title": f"{TITLE} – {notice.unit_label}",
                         "/Author": letterhead.legal_name, "/Creator": CREATOR})
    writer.root_object[NameObject("/Lang")] = TextStringObject("pl-PL")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _notice(pdf: FPDF, notice: NoticeDocument, letterhead: Letterhead, ink,
            issued_at: datetime.datetime) -> None:
    draw_letterhead(pdf, letterhead)
    _heading(pdf, notice, ink, issued_at)
    _charges(pdf, notice, ink)
    _payment(pdf, notice, letterhead, ink)
    if notice.note:
        pdf.ln(3)
        _text(pdf, 9.5, "", TEXT)
        text_block(pdf, CONTENT_W, LINE, notice.note)
    pdf.ln(4)
    _text(pdf, 8, "", MUTED)
    text_block(pdf, CONTENT_W, 4, "Zawiadomienie doręczone elektronicznie za zgodą adresata. "
                   f"Nr {notice.number}, wystawiono "
                   f"{local(issued_at).strftime('%d.%m.%Y')}.")


def _text(pdf: FPDF, size: float, style: str, color) -> None:
    pdf.set_font(FONT, style, size)
    pdf.set_text_color(*color)


def _heading(pdf: FPDF, notice: NoticeDocument, ink, issued_at) -> None:
    _text(pdf, 15, "B", ink)
    text_block(pdf, CONTENT_W, 7, TITLE)
    _text(pdf, 10.5, "", TEXT)
    text_block(pdf, CONTENT_W, LINE, f"obowiązujących od {period_words(notice.period)}")
    pdf.ln(2)
    for label, value in (("Lokal", notice.unit_label),
                         ("Adresat", ", ".join(notice.holders) or "—")):
        _text(pdf, 9.5, "B", TEXT)
        pdf.cell(28, LINE, label)
        _text(pdf, 9.5, "", TEXT)
        text_block(pdf, CONTENT_W - 28, LINE, value)
    pdf.ln(3)


def _charges(pdf: FPDF, notice: NoticeDocument, ink) -> None:
    title_w = CONTENT_W - BASIS_W - AMOUNT_W
    _text(pdf, 9, "B", ink)
    pdf.set_draw_color(*RULE)
    pdf.cell(title_w, 6.5, "Składnik opłaty", border="B")
    pdf.cell(BASIS_W, 6.5, "Podstawa naliczenia", border="B")
    pdf.cell(AMOUNT_W, 6.5, "Kwota miesięcznie", border="B", align="R",
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _text(pdf, 9.5, "", TEXT)
    for line in notice.lines:
        pdf.cell(title_w, 6, line.title, border="B")
        pdf.cell(BASIS_W, 6, line.basis or "", border="B")
        pdf.cell(AMOUNT_W, 6, polish_money(line.amount), border="B", align="R",
                 new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _text(pdf, 10, "B", TEXT)
    pdf.cell(title_w + BASIS_W, 7, "Razem do zapłaty miesięcznie")
    pdf.cell(AMOUNT_W, 7, polish_money(notice.total), align="R",
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)


def _payment(pdf: FPDF, notice: NoticeDocument, letterhead: Letterhead, ink) -> None:
    top = pdf.get_y()
    code_w = (len(notice.qr) + 8) * QR_MODULE if notice.qr else 0.0
    text_w = CONTENT_W - code_w - (4 if code_w else 0)
    _text(pdf, 11, "B", ink)
    text_block(pdf, text_w, 6, "Płatność")
    _text(pdf, 9.5, "", TEXT)
    for label, value in (
            ("Termin", f"do {notice.due_day}. dnia każdego miesiąca"),
            ("Odbiorca", letterhead.legal_name),
            ("Rachunek lokalu", notice.account or "— (prosimy o kontakt z biurem)"),
            ("Tytuł przelewu", notice.transfer_title)):
        _text(pdf, 9.5, "B", TEXT)
        pdf.cell(34, LINE, label)
        _text(pdf, 9.5, "", TEXT)
        text_block(pdf, text_w - 34, LINE, value)
    if notice.qr:
        _text(pdf, 8, "", MUTED)
        text_block(pdf, text_w, 4, "Kod QR obok wypełnia przelew w aplikacji banku "
                       "(rachunek, kwota i tytuł).")
        _qr(pdf, notice.qr, MARGIN_X + CONTENT_W - code_w, top)
        pdf.set_y(max(pdf.get_y(), top + code_w))


def _qr(pdf: FPDF, matrix: tuple[tuple[bool, ...], ...], x: float, y: float) -> None:
    """Runs of dark modules as rectangles of one filled path, a run repeated on the rows
    below drawn once as a taller one: ~250 rectangles for a code rather than ~900.

    The rectangles are written as one path (``re`` operators, one ``f``) through fpdf2's
    content stream, as ``FPDF.rect`` writes each one: a ``rect`` call per run (with its
    page check and style parsing) cost ~4 ms of a notice's 17 ms (measured)."""
    quiet, k, page_h = 4 * QR_MODULE, pdf.k, pdf.h
    pdf.set_fill_color(0, 0, 0)
    path = []
    open_runs: dict[tuple[int, int], int] = {}  # (start, end) -> first row
    for row_index, row in enumerate((*matrix, ())):
        runs = set(_runs(row))
        for run in [run for run in open_runs if run not in runs]:
            first = open_runs.pop(run)
            left, top = x + quiet + run[0] * QR_MODULE, y + quiet + first * QR_MODULE
            width, height = (run[1] - run[0]) * QR_MODULE, (row_index - first) * QR_MODULE
            path.append(f"{left * k:.2f} {(page_h - top) * k:.2f} {width * k:.2f} "
                        f"{-height * k:.2f} re")
        for run in runs:
            open_runs.setdefault(run, row_index)
    if path:
        pdf._out("\n".join(path) + "\nf")  # noqa: SLF001 - see the docstring


def _runs(row: tuple[bool, ...]):
    start = None
    for column, dark in enumerate((*row, False)):
        if dark and start is None:
            start = column
        elif not dark and start is not None:
            yield start, column
            start = None
