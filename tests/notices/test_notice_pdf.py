"""The notice PDF: one document per notice from a batch, its text, and a QR code that a
banking app reads back as the ZBP transfer payload."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal

import zxingcpp
from PIL import Image, ImageDraw
from pypdf import PdfReader

from iok_saas.modules.ledger.payment_qr import transfer_payload
from iok_saas.modules.letters.letterhead import Letterhead
from iok_saas.modules.notices.payment import printed_account, transfer_matrix
from iok_saas.modules.notices.pdf import NoticeDocument, NoticeLine, notices_pdfs

ACCOUNT = "61109010140000071219812874"
LETTERHEAD = Letterhead("Spółdzielnia Mieszkaniowa „Przykładowa”", ("ul. Łąkowa 1",
                        "00-001 Miasto"), ("tel. 77 000 00 00",), "#1d4e89",
                        "https://przykladowa.example")
ISSUED = datetime(2026, 12, 20, 9, 0, tzinfo=UTC)
SCALE = 4  # pixels per PDF point when the code is drawn back


def document(number: int, lines: int = 3) -> NoticeDocument:
    title = f"Opłaty 01/2027 lokal 5/{number}"
    charges = [NoticeLine(f"Składnik {i}", "62,00 m² × 2,50 zł", Decimal("155.00"))
               for i in range(lines)]
    return NoticeDocument(
        number=f"N-{number}", period=date(2027, 1, 1), due_day=15,
        unit_label=f"ul. Żeglarska 5/{number}, Miasto", holders=("Zofia Próbna",),
        lines=charges, account=printed_account(ACCOUNT), transfer_title=title,
        qr=transfer_matrix(nip="7471668698", account=ACCOUNT,
                           amount=Decimal("155.00") * lines, name="SM Przykładowa",
                           title=title))


def drawn_code(pdf: bytes) -> Image.Image:
    """The page's filled rectangles painted on white: the QR code as printed."""
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    stream = page.get_contents().get_data().decode("latin-1")
    width, height = (int(float(v)) * SCALE for v in page.mediabox.upper_right)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    rectangle = r"([\d.]+) ([\d.]+) ([\d.]+) (-?[\d.]+) re\s+"
    filled_paths = re.finditer(rf"(?:{rectangle})+f\b", stream)  # one rectangle or many
    for x, y, w, h in (found for path in filled_paths
                       for found in re.findall(rectangle, path.group())):
        x0, y0 = float(x), float(y)
        x1, y1 = x0 + float(w), y0 + float(h)
        draw.rectangle([min(x0, x1) * SCALE, height - max(y0, y1) * SCALE,
                        max(x0, x1) * SCALE - 1, height - min(y0, y1) * SCALE - 1], fill=0)
    return image


def test_a_batch_gives_one_pdf_per_notice_and_a_long_notice_keeps_its_pages():
    pdfs = notices_pdfs(LETTERHEAD, [document(1), document(2, lines=40), document(3)],
                        issued_at=ISSUED)
    pages = [len(PdfReader(io.BytesIO(pdf)).pages) for pdf in pdfs]
    assert pages == [1, 2, 1]
    first = PdfReader(io.BytesIO(pdfs[0]))
    text = first.pages[0].extract_text()
    assert "ul. Żeglarska 5/1, Miasto" in text and "5/2" not in text
    assert "obowiązujących od 1 stycznia 2027 r." in text
    assert "465,00\u00a0zł" in text and "61 1090 1014 0000 0712 1981 2874" in text
    assert "Zofia Próbna" in text and "do 15. dnia każdego miesiąca" in text
    assert first.metadata.title == "Zawiadomienie o wysokości opłat – ul. Żeglarska 5/1, Miasto"
    assert first.trailer["/Root"]["/Lang"] == "pl-PL"


def test_the_printed_code_reads_back_as_the_transfer_payload():
    (pdf,) = notices_pdfs(LETTERHEAD, [document(7)], issued_at=ISSUED)
    results = zxingcpp.read_barcodes(drawn_code(pdf))
    assert [r.text for r in results] == [transfer_payload(
        nip="7471668698", account=ACCOUNT, amount=Decimal("465.00"), name="SM Przykładowa",
        title="Opłaty 01/2027 lokal 5/7")]


def test_no_code_for_a_malformed_account_number():
    assert transfer_matrix(nip="", account="12 345", amount=Decimal("1"), name="SM",
                           title="T") is None
    assert printed_account("12 345") == "12 345"
