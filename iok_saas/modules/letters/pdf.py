"""The credentials letter: one A4 page per resident, printed by staff and handed over in person.

It carries a one-time initial password, so it is rendered on demand and never stored: the
bytes go straight to the response, and nothing here writes a file or logs an entry.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from iok_saas.timeutil import as_utc, local

from . import texts
from .letterhead import Letterhead

__all__ = ["CredentialsEntry", "Letterhead", "LetterLayoutError", "credentials_letters_pdf"]

RGB = tuple[int, int, int]

FONT_DIR = Path(__file__).resolve().parents[2] / "static" / "fonts"
FONT = "DejaVuSans"
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}

# Layout, in millimetres (A4 portrait) and points for font sizes.
PAGE_W, PAGE_H = 210.0, 297.0
MARGIN_X = 18.0
MARGIN_TOP = 14.0
MARGIN_BOTTOM = 12.0
CONTENT_W = PAGE_W - 2 * MARGIN_X

HEADER_GAP = 6.0
HEADER_COLUMN_W = (CONTENT_W - HEADER_GAP) / 2
HEADER_NAME_SIZE, HEADER_NAME_LINE = 13.0, 6.0
HEADER_NAME_GAP = 0.8
HEADER_SMALL_SIZE, HEADER_SMALL_LINE = 8.5, 4.2
RULE_WIDTH = 0.9
RULE_GAP = 2.5

TITLE_SIZE, TITLE_LINE = 15.0, 7.0
META_SIZE, META_LINE = 8.5, 4.5
LABEL_SIZE = 8.5
CAPTION_SIZE, CAPTION_LINE = 7.5, 3.5
RECIPIENT_LABEL_W = 22.0
RECIPIENT_NAME_SIZE = 12.0
RECIPIENT_NAME_LEADING = 1.5  # extra line height for the larger name
LIST_INDENT = 6.0
MAX_UNITS_SHOWN = 4

BOX_PADDING = 3.0
BOX_LABEL_W = 46.0
BOX_VALUE_W = CONTENT_W - 2 * BOX_PADDING - BOX_LABEL_W
BOX_RADIUS = 2.0
PORTAL_SIZE, PORTAL_ROW = 11.0, 7.0
LOGIN_SIZE, LOGIN_ROW = 14.0, 8.0
PASSWORD_SIZE, PASSWORD_ROW = 17.0, 9.5
MIN_VALUE_SIZE = 8.0
SPELLED_GAP = 2.0
CHAR_CELL_W, CHAR_CELL_H, CHAR_CELL_GAP = 9.0, 10.0, 1.2
CHAR_SIZE = 15.0
KIND_SIZE, KIND_LINE = 5.5, 3.2
BOX_H = (
    2 * BOX_PADDING + PORTAL_ROW + LOGIN_ROW + PASSWORD_ROW + SPELLED_GAP + CHAR_CELL_H + KIND_LINE
)

SLIP_H = 43.0
SLIP_TOP = PAGE_H - MARGIN_BOTTOM - SLIP_H
SLIP_CLEARANCE = 4.0
SLIP_PADDING = 4.0
SLIP_HEADING_SIZE, SLIP_HEADING_LINE = 10.5, 6.0
SLIP_TEXT_SIZE, SLIP_TEXT_LINE = 9.5, 4.6
SIGNATURE_ROW = 9.0
SHORT_FIELD_W = 50.0
DASH, DASH_GAP = 1.6, 1.2

TEXT: RGB = (33, 37, 41)
MUTED: RGB = (96, 102, 110)
RULE_GREY: RGB = (150, 150, 150)
WHITE: RGB = (255, 255, 255)
MAX_INK_LUMINANCE = 0.18  # text in the brand colour keeps >= 4.5:1 contrast on white (WCAG AA)
TINT_STRENGTH = 0.08  # box background: this much of the brand colour on white


class LetterLayoutError(ValueError):
    """An entry's content does not fit on its one page (too many password rules, say)."""


@dataclass(frozen=True)
class CredentialsEntry:
    full_name: str
    login: str
    initial_password: str = field(repr=False)  # never in a repr, a log line or a traceback
    valid_until: datetime.date
    units: tuple[str, ...]  # e.g. "ul. Lipowa 3/12, Brzeg"
    document_number: str  # staff verify it when the resident recovers access with the letter


@dataclass(frozen=True)
class _Palette:
    primary: RGB  # rules and frames
    ink: RGB  # headings: the brand colour, darkened when too light to read
    tint: RGB  # box background


@dataclass(frozen=True)
class _Density:
    """Type sizes and spacing of the flowing text; the letterhead, box and slip never change."""

    body_size: float
    body_line: float
    heading_size: float
    heading_line: float
    section_gap: float


# Tried in order: the first under which the page fits wins (long policies get the compact one).
DENSITIES = (
    _Density(body_size=9.5, body_line=4.6, heading_size=10.5, heading_line=6.0, section_gap=3.0),
    _Density(body_size=8.5, body_line=3.9, heading_size=9.5, heading_line=5.0, section_gap=1.8),
    _Density(body_size=8.0, body_line=3.4, heading_size=9.0, heading_line=4.4, section_gap=1.2),
)


@dataclass(frozen=True)
class _Page:
    """Everything one letter shows."""

    letterhead: Letterhead
    palette: _Palette
    entry: CredentialsEntry
    rules: tuple[str, ...]
    issued: str  # date and time of issue, already in Europe/Warsaw


def credentials_letters_pdf(
    letterhead: Letterhead,
    entries: Sequence[CredentialsEntry],
    password_rules: Sequence[str],
    issued_at: datetime.datetime,
) -> bytes:
    """One A4 page per entry, in the given order; ``issued_at`` is shown in Europe/Warsaw.

    Raises ``LetterLayoutError`` when an entry cannot fit on its page even set compactly.
    """
    if not entries:
        raise ValueError("no entries to print")
    palette = _palette(letterhead.primary_color)
    issued = local(issued_at).strftime(texts.DATETIME_FORMAT)
    pdf = _new_document(letterhead, issued_at)
    trials = _new_document(letterhead, issued_at)  # measured, then discarded unwritten
    for entry in entries:
        page = _Page(letterhead, palette, entry, tuple(password_rules), issued)
        writer = _PageWriter(pdf, page.palette, _fitting_density(trials, page))
        writer.body(page)
        writer.receipt_slip(page.entry)
    return bytes(pdf.output())


def _new_document(letterhead: Letterhead, issued_at: datetime.datetime) -> FPDF:
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    add_fonts(pdf)
    pdf.set_margins(MARGIN_X, MARGIN_TOP, MARGIN_X)
    pdf.set_auto_page_break(False)
    pdf.set_title(texts.TITLE)
    pdf.set_subject(f"{texts.TITLE} – {letterhead.legal_name}")
    pdf.set_author(letterhead.legal_name)  # the cooperative, never a resident or an employee
    pdf.set_creator(texts.PDF_CREATOR)
    pdf.set_lang("pl-PL")
    pdf.set_creation_date(as_utc(issued_at))
    return pdf


def add_fonts(pdf: FPDF) -> None:
    """Registers the shipped DejaVu faces (regular and bold) as ``FONT``: Polish text renders."""
    for style, filename in FONT_FILES.items():
        pdf.add_font(FONT, style=style, fname=str(FONT_DIR / filename))


def draw_letterhead(pdf: FPDF, letterhead: Letterhead) -> None:
    """Draws the letterhead at the top of the current page; the cursor ends below its rule.

    Shared by every printed document so they all look like the cooperative's paper.
    """
    _PageWriter(pdf, _palette(letterhead.primary_color), DENSITIES[0]).letterhead(letterhead)


def text_block(pdf: FPDF, width: float, line_h: float, text: str, align: str = "L") -> None:
    """Text wrapped to ``width`` from the current x; the cursor ends at the left margin,
    below it.

    A text that fits on one line (most of a letter's and every notice's) is drawn with
    ``cell``: fpdf2's ``multi_cell`` runs its line breaker character by character, which
    was half the time of rendering a charge notice (measured: 17 ms a notice, 9 ms with
    this and the single-path QR code). Same output: the test is multi_cell's own."""
    if "\n" not in text and pdf.get_string_width(text) <= width - 2 * pdf.c_margin:
        pdf.cell(width, line_h, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    else:
        pdf.multi_cell(width, line_h, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def heading_color(letterhead: Letterhead) -> RGB:
    """The brand colour as used for headings (darkened until readable on white)."""
    return _palette(letterhead.primary_color).ink


def _fitting_density(trials: FPDF, page: _Page) -> _Density:
    """The first density under which the page's text ends above the receipt slip."""
    for density in DENSITIES:
        if _PageWriter(trials, page.palette, density).body(page) <= SLIP_TOP - SLIP_CLEARANCE:
            return density
    raise LetterLayoutError(
        f"letter {page.entry.document_number} does not fit on one page; "
        "shorten the password rules or the list of units"
    )


class _PageWriter:
    """Draws one letter page with a given density; every method leaves the cursor below."""

    def __init__(self, pdf: FPDF, palette: _Palette, density: _Density) -> None:
        self.pdf = pdf
        self.palette = palette
        self.density = density

    # --- the page -------------------------------------------------------------------------

    def body(self, page: _Page) -> float:
        """Adds a page and writes all but the slip; returns where the text ends."""
        self.pdf.add_page()
        entry, portal_url = page.entry, page.letterhead.portal_url
        self.letterhead(page.letterhead)
        self.title(entry.document_number, page.issued)
        self.recipient(entry)
        self.credentials_box(portal_url, entry)
        self.validity(entry.valid_until)
        self.section(texts.STEPS_HEADING, _steps(portal_url), numbered=True)
        if page.rules:
            self.section(texts.RULES_HEADING, page.rules)
        self.section(texts.SECURITY_HEADING, texts.SECURITY_NOTES)
        return self.pdf.get_y()

    def letterhead(self, letterhead: Letterhead) -> None:
        """The legal name across the page; the address below on the left, contacts on the right."""
        pdf = self.pdf
        pdf.set_xy(MARGIN_X, MARGIN_TOP)
        self.font(HEADER_NAME_SIZE, "B", self.palette.ink)
        self.block(HEADER_NAME_LINE, letterhead.legal_name)
        columns_top = pdf.get_y() + HEADER_NAME_GAP
        self.font(HEADER_SMALL_SIZE, color=MUTED)
        address_end = self.header_column(MARGIN_X, columns_top, letterhead.address_lines, "L")
        contacts_x = MARGIN_X + HEADER_COLUMN_W + HEADER_GAP
        contacts_end = self.header_column(contacts_x, columns_top, letterhead.contact_lines, "R")
        rule_y = max(address_end, contacts_end) + RULE_GAP
        self.rule(rule_y, self.palette.primary, RULE_WIDTH)
        pdf.set_xy(MARGIN_X, rule_y + 2 * RULE_GAP)

    def title(self, document_number: str, issued: str) -> None:
        self.font(TITLE_SIZE, "B")
        self.block(TITLE_LINE, texts.TITLE)
        self.font(META_SIZE, color=MUTED)
        self.block(META_LINE, texts.DOCUMENT_META.format(number=document_number, issued=issued))
        self.pdf.ln(self.density.section_gap)

    def recipient(self, entry: CredentialsEntry) -> None:
        name_line = self.density.body_line + RECIPIENT_NAME_LEADING
        self.labelled_line(
            texts.RECIPIENT_LABEL, entry.full_name, RECIPIENT_NAME_SIZE, name_line, "B"
        )
        if entry.units:
            label = texts.UNITS_LABEL_ONE if len(entry.units) == 1 else texts.UNITS_LABEL_MANY
            self.labelled_line(
                label, _units_text(entry.units), self.density.body_size, self.density.body_line
            )
        self.pdf.ln(self.density.section_gap / 2)
        self.paragraph(texts.INTRO)
        self.pdf.ln(self.density.section_gap)

    def credentials_box(self, portal_url: str, entry: CredentialsEntry) -> None:
        pdf, top = self.pdf, self.pdf.get_y()
        pdf.set_draw_color(*self.palette.primary)
        pdf.set_fill_color(*self.palette.tint)
        pdf.set_line_width(0.4)
        pdf.rect(
            MARGIN_X,
            top,
            CONTENT_W,
            BOX_H,
            style="DF",
            round_corners=True,
            corner_radius=BOX_RADIUS,
        )
        pdf.set_y(top + BOX_PADDING)
        self.box_row(texts.PORTAL_LABEL, portal_url, PORTAL_SIZE, PORTAL_ROW)
        self.box_row(texts.LOGIN_LABEL, entry.login, LOGIN_SIZE, LOGIN_ROW)
        self.box_row(texts.PASSWORD_LABEL, entry.initial_password, PASSWORD_SIZE, PASSWORD_ROW)
        pdf.ln(SPELLED_GAP)
        self.spelled_password(entry.initial_password)
        pdf.set_xy(MARGIN_X, top + BOX_H + self.density.section_gap)

    def validity(self, valid_until: datetime.date) -> None:
        self.font(self.density.heading_size, "B", self.palette.ink)
        date = valid_until.strftime(texts.DATE_FORMAT)
        self.block(self.density.heading_line, texts.VALIDITY.format(date=date))
        self.paragraph(texts.VALIDITY_NOTE)
        self.pdf.ln(self.density.section_gap)

    def section(self, heading: str, items: Sequence[str], numbered: bool = False) -> None:
        self.font(self.density.heading_size, "B", self.palette.ink)
        self.block(self.density.heading_line, heading)
        for number, item in enumerate(items, start=1):
            self.list_item(f"{number}." if numbered else "•", item)
        self.pdf.ln(self.density.section_gap)

    def receipt_slip(self, entry: CredentialsEntry) -> None:
        """The part below the cut line: the resident signs it and staff keep it (no password)."""
        self.cut_line(SLIP_TOP)
        self.pdf.set_xy(MARGIN_X, SLIP_TOP + SLIP_PADDING)
        self.font(SLIP_HEADING_SIZE, "B")
        self.block(SLIP_HEADING_LINE, texts.RECEIPT_HEADING)
        self.font(META_SIZE, color=MUTED)
        self.block(
            META_LINE,
            texts.RECEIPT_META.format(
                number=entry.document_number, name=entry.full_name, login=entry.login
            ),
        )
        self.pdf.ln(1.5)
        self.font(SLIP_TEXT_SIZE)
        self.block(SLIP_TEXT_LINE, texts.RECEIPT_STATEMENT)
        wide = CONTENT_W - SHORT_FIELD_W - HEADER_GAP
        self.signature_fields(
            ((texts.RECEIPT_DATE, SHORT_FIELD_W), (texts.RECEIPT_SIGNATURE, wide))
        )
        self.signature_fields(
            ((texts.RECEIPT_ID_CHECKED, wide), (texts.RECEIPT_STAFF_SIGNATURE, SHORT_FIELD_W))
        )

    # --- building blocks ------------------------------------------------------------------

    def font(self, size: float, style: str = "", color: RGB = TEXT) -> None:
        self.pdf.set_font(FONT, style, size)
        self.pdf.set_text_color(*color)

    def block(self, line_h: float, text: str, width: float = CONTENT_W, align: str = "L") -> None:
        """Wrapped text from the current x; the cursor ends at the left margin, below it."""
        text_block(self.pdf, width, line_h, text, align)

    def paragraph(self, text: str) -> None:
        self.font(self.density.body_size)
        self.block(self.density.body_line, text)

    def rule(self, y: float, color: RGB, width: float) -> None:
        self.pdf.set_draw_color(*color)
        self.pdf.set_line_width(width)
        self.pdf.line(MARGIN_X, y, PAGE_W - MARGIN_X, y)

    def header_column(self, x: float, top: float, lines: Sequence[str], align: str) -> float:
        self.pdf.set_y(top)
        for line in lines:
            self.pdf.set_x(x)
            self.block(HEADER_SMALL_LINE, line, HEADER_COLUMN_W, align)
        return self.pdf.get_y()

    def list_item(self, marker: str, text: str) -> None:
        self.font(self.density.body_size)
        self.pdf.cell(LIST_INDENT, self.density.body_line, marker)
        self.block(self.density.body_line, text, CONTENT_W - LIST_INDENT)

    def labelled_line(
        self, label: str, value: str, size: float, line_h: float, style: str = ""
    ) -> None:
        self.font(LABEL_SIZE, color=MUTED)
        self.pdf.cell(RECIPIENT_LABEL_W, line_h, f"{label}:")
        self.font(size, style)
        self.block(line_h, value, CONTENT_W - RECIPIENT_LABEL_W)

    def box_row(self, label: str, value: str, size: float, row_h: float) -> None:
        pdf = self.pdf
        pdf.set_x(MARGIN_X + BOX_PADDING)
        self.font(LABEL_SIZE, color=MUTED)
        pdf.cell(BOX_LABEL_W, row_h, f"{label}:")
        self.font(_fitted_size(pdf, value, BOX_VALUE_W, size), "B")
        pdf.cell(BOX_VALUE_W, row_h, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def spelled_password(self, password: str) -> None:
        """Each character in its own cell with its kind below, so that no glyph is misread."""
        pdf = self.pdf
        pdf.set_x(MARGIN_X + BOX_PADDING)
        self.font(LABEL_SIZE, color=MUTED)
        pdf.cell(BOX_LABEL_W, CHAR_CELL_H, f"{texts.SPELLED_LABEL}:")
        step = min(CHAR_CELL_W + CHAR_CELL_GAP, BOX_VALUE_W / max(len(password), 1))
        cell_w = step - min(CHAR_CELL_GAP, step * 0.15)
        x0, y0 = pdf.get_x(), pdf.get_y()
        pdf.set_draw_color(*self.palette.ink)
        pdf.set_fill_color(*WHITE)
        pdf.set_line_width(0.25)
        for index, char in enumerate(password):
            x = x0 + index * step
            pdf.set_xy(x, y0)
            self.font(CHAR_SIZE, "B")
            pdf.cell(cell_w, CHAR_CELL_H, char, border=1, align="C", fill=True)
            pdf.set_xy(x, y0 + CHAR_CELL_H)
            self.font(KIND_SIZE, color=MUTED)
            pdf.cell(cell_w, KIND_LINE, texts.CHARACTER_KINDS[_character_kind(char)], align="C")
        pdf.set_xy(MARGIN_X, y0 + CHAR_CELL_H + KIND_LINE)

    def cut_line(self, y: float) -> None:
        pdf = self.pdf
        pdf.set_draw_color(*RULE_GREY)
        pdf.set_line_width(0.3)
        pdf.set_dash_pattern(dash=DASH, gap=DASH_GAP)
        pdf.line(MARGIN_X, y, PAGE_W - MARGIN_X, y)
        pdf.set_dash_pattern()
        self.font(CAPTION_SIZE, color=MUTED)
        label_w = pdf.get_string_width(texts.CUT_HERE) + 3
        pdf.set_fill_color(*WHITE)
        pdf.set_xy(PAGE_W - MARGIN_X - label_w - 4, y - 2)
        pdf.cell(label_w, 4, texts.CUT_HERE, align="C", fill=True)

    def signature_fields(self, fields: Sequence[tuple[str, float]]) -> None:
        """Blank lines to write on, side by side, each with its caption underneath."""
        pdf = self.pdf
        line_y = pdf.get_y() + SIGNATURE_ROW
        x = MARGIN_X
        pdf.set_draw_color(*TEXT)
        pdf.set_line_width(0.25)
        self.font(CAPTION_SIZE, color=MUTED)
        for caption, width in fields:
            pdf.line(x, line_y, x + width, line_y)
            pdf.set_xy(x, line_y + 0.5)
            pdf.cell(width, CAPTION_LINE, caption)
            x += width + HEADER_GAP
        pdf.set_xy(MARGIN_X, line_y + CAPTION_LINE + 0.5)


# --- pure helpers ---------------------------------------------------------------------------


def _steps(portal_url: str) -> tuple[str, ...]:
    return tuple(step.format(portal_url=portal_url) for step in texts.STEPS)


def _units_text(units: Sequence[str]) -> str:
    shown = "; ".join(units[:MAX_UNITS_SHOWN])
    hidden = len(units) - MAX_UNITS_SHOWN
    if hidden <= 0:
        return shown
    return shown + texts.UNITS_MORE.format(count=hidden, word=_polish_plural(hidden))


def _polish_plural(count: int) -> str:
    one, few, many = texts.UNITS_MORE_FORMS
    if count == 1:
        return one
    if count % 10 in (2, 3, 4) and count % 100 not in (12, 13, 14):
        return few
    return many


def _character_kind(char: str) -> str:
    if char.isdigit():
        return "digit"
    if char.isupper():
        return "upper"
    if char.islower():
        return "lower"
    return "other"


def _fitted_size(pdf: FPDF, text: str, width: float, size: float) -> float:
    """The largest size, down to a floor, at which ``text`` fits on one line of ``width``."""
    while size > MIN_VALUE_SIZE:
        pdf.set_font(FONT, "B", size)
        if pdf.get_string_width(text) <= width:
            break
        size -= 0.5
    return size


def _palette(color: str) -> _Palette:
    primary = _rgb(color)
    return _Palette(primary=primary, ink=_readable(primary), tint=_mix(primary, TINT_STRENGTH))


def _rgb(color: str) -> RGB:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def _readable(color: RGB) -> RGB:
    """The colour, darkened until text in it reads well on white paper."""
    while _luminance(color) > MAX_INK_LUMINANCE:
        color = (int(color[0] * 0.85), int(color[1] * 0.85), int(color[2] * 0.85))
    return color


def _luminance(color: RGB) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(v) for v in color)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def _mix(color: RGB, strength: float) -> RGB:
    """``strength`` of the colour over white."""
    r, g, b = (round(255 - (255 - v) * strength) for v in color)
    return r, g, b
