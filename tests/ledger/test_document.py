"""The generic document PDF: Polish text intact, long tables carry their header onto every page."""

from __future__ import annotations

import datetime
import io

import pytest
from pypdf import PdfReader

from iok_saas.modules.letters import Letterhead, PdfSection, PdfTable, document_pdf

ISSUED_AT = datetime.datetime(2025, 11, 21, 13, 5, tzinfo=datetime.UTC)  # 14:05 in Warsaw
LETTERHEAD = Letterhead(
    legal_name="Spółdzielnia Mieszkaniowa „Źródło” w Brzegu",
    address_lines=("ul. Łąkowa 5", "49-300 Brzeg"),
    contact_lines=("Sekretariat: 77 400 00 00",),
    primary_color="#1d5c8c",
    portal_url="https://iok.example.pl",
)


def _pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_polish_text_sections_and_pairs_render():
    pdf = document_pdf(
        LETTERHEAD,
        "Wyciąg z konta lokalu",
        [
            PdfSection(
                "Dane właściciela",
                paragraphs=("Zażółć gęślą jaźń.",),
                pairs=(("Imię i nazwisko", "Łucja Źdźbło-Ćwierć"), ("Lokal", "ul. Lipowa 3/12")),
            )
        ],
        issued_at=ISSUED_AT,
    )
    assert pdf.startswith(b"%PDF")
    (text,) = _pages(pdf)
    for expected in (
        "Spółdzielnia Mieszkaniowa „Źródło” w Brzegu",
        "ul. Łąkowa 5",
        "Wyciąg z konta lokalu",
        "Dane właściciela",
        "Zażółć gęślą jaźń.",
        "Łucja Źdźbło-Ćwierć",
        "21.11.2025, godz. 14:05",
        "Strona 1 z 1",
    ):
        assert expected in text


def test_long_table_breaks_across_pages_with_header_repeated():
    rows = [(f"Pozycja {n}", "Opłata za wodę – żółta", f"{n},10") for n in range(150)]
    table = PdfTable(("Lp. wiersza", "Tytuł operacji", "Kwota zł"), rows, right_aligned=(2,))
    pages = _pages(
        document_pdf(LETTERHEAD, "Zestawienie", [PdfSection("Operacje", table=table)],
                     issued_at=ISSUED_AT)
    )
    assert len(pages) >= 3
    for text in pages:
        assert "Tytuł operacji" in text
    everything = "\n".join(pages)
    assert all(f"Pozycja {n} " in everything for n in range(150))
    assert f"Strona {len(pages)} z {len(pages)}" in pages[-1]


def test_table_rows_must_match_the_header():
    with pytest.raises(ValueError):
        PdfTable(("A", "B"), [("only one",)])
    with pytest.raises(ValueError):
        PdfTable(("A", "B"), [], right_aligned=(2,))
