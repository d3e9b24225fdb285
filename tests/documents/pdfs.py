"""Real PDF files for tests (fpdf2), and files that only look like one."""

from __future__ import annotations

from fpdf import FPDF

from iok_saas.modules.letters.pdf import FONT, add_fonts


def pdf_bytes(text: str = "Uchwała nr 1/2026", pages: int = 1) -> bytes:
    pdf = FPDF()
    add_fonts(pdf)
    pdf.set_font(FONT, size=12)
    for page in range(pages):
        pdf.add_page()
        pdf.cell(0, 10, f"{text} - strona {page + 1}")
    return bytes(pdf.output())


# Starts like a PDF but is no PDF at all: only a real parse can tell.
FAKE_PDF = b"%PDF-1.7\n" + b"to nie jest dokument " * 40
PNG_RENAMED = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
