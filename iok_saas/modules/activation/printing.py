"""The printed batch of activation codes: a PDF of cut-out slips and a CSV for a print
house. Rendered on demand from the codes just issued and never stored (the codes are kept
only as hashes)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from iok_saas.modules.letters.pdf import FONT, add_fonts
from iok_saas.timeutil import local

from .services import IssuedCode

SLIPS_PER_PAGE = 3
SLIP_H = 93.0
MARGIN = 15.0
WIDTH = 180.0
# The printed wording (like letters/texts.py: the slip is always Polish).
STEPS = ("Otwórz adres powyżej (strona „Aktywacja konta kodem”).",
         "Wpisz ten kod, numer lokalu i łączną kwotę z ostatniego zawiadomienia o opłatach.",
         "Podaj adres e-mail i ustaw hasło zgodne z wymaganiami podanymi na stronie.",
         "Otwórz odnośnik z wiadomości e-mail, aby potwierdzić adres, i zaloguj się.")
CSV_HEADER = ("kod", "imie_nazwisko", "lokal", "numer_lokalu", "wazny_do")


def _valid_until(code: IssuedCode) -> str:
    return local(code.expires_at).strftime("%d.%m.%Y")


def codes_csv(codes: Sequence[IssuedCode]) -> bytes:
    """Semicolon-separated, UTF-8 with a BOM (what spreadsheets in Poland open directly)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for code in codes:
        writer.writerow([_cell(v) for v in (code.code, code.name, code.unit_label,
                                             code.flat_number, _valid_until(code))])
    return ("\ufeff" + out.getvalue()).encode()


def _cell(value: str) -> str:
    """No spreadsheet formulas from imported names (CSV injection)."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@") else value


def codes_pdf(codes: Sequence[IssuedCode], cooperative: str, portal_url: str) -> bytes:
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    add_fonts(pdf)
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_title("Kody aktywacyjne")
    pdf.set_author(cooperative)
    pdf.set_lang("pl-PL")
    for index, code in enumerate(codes):
        if index % SLIPS_PER_PAGE == 0:
            pdf.add_page()
        _slip(pdf, MARGIN + (index % SLIPS_PER_PAGE) * SLIP_H, code, cooperative, portal_url)
    return bytes(pdf.output())


def _slip(pdf: FPDF, top: float, code: IssuedCode, cooperative: str, portal_url: str) -> None:
    pdf.set_draw_color(150, 150, 150)
    pdf.set_dash_pattern(dash=1.5, gap=1.5)
    pdf.rect(MARGIN, top, WIDTH, SLIP_H - 4)
    pdf.set_dash_pattern()
    pdf.set_xy(MARGIN + 4, top + 4)
    _line(pdf, 9, cooperative)
    _line(pdf, 13, "Kod aktywacyjny do serwisu internetowego", "B")
    _line(pdf, 10, f"Dla: {code.name}")
    _line(pdf, 10, f"Lokal: {code.unit_label}")
    pdf.set_x(MARGIN + 4)
    pdf.set_font(FONT, "B", 20)
    pdf.cell(WIDTH - 8, 11, code.code, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _line(pdf, 9, f"Kod jest jednorazowy i ważny do {_valid_until(code)}. Nie przekazuj go "
                  "nikomu.")
    _line(pdf, 9, f"Aktywacja: {portal_url}")
    for number, step in enumerate(STEPS, start=1):
        _line(pdf, 8.5, f"{number}. {step}")


def _line(pdf: FPDF, size: float, text: str, style: str = "") -> None:
    pdf.set_x(MARGIN + 4)
    pdf.set_font(FONT, style, size)
    pdf.multi_cell(WIDTH - 8, size * 0.48, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
