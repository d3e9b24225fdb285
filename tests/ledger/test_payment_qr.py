"""The transfer QR code: ZBP "Standard 2D" fields, and a code a scanner reads back."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
import zxingcpp
from PIL import Image

from iok_saas.modules.ledger.payment_qr import qr_code, qr_svg, transfer_payload

ACCOUNT = "61109010140000071219812874"


def _fields(payload: str) -> list[str]:
    return payload.split("|")


def test_payload_fields_in_order():
    payload = transfer_payload(nip="747-166-86-98", account="61 1090 1014 0000 0712 1981 2874",
                               amount=Decimal("1234.56"), name="MZMK Brzeg",
                               title="Opłaty lokal 3/12")
    assert payload == f"7471668698|PL|{ACCOUNT}|123456|MZMK Brzeg|Opłaty lokal 3/12|||"
    fields = _fields(payload)
    assert len(fields) == 9
    nip, country, account, amount, name, title, *reserved = fields
    assert nip == "7471668698"
    assert country == "PL"
    assert account == ACCOUNT
    assert amount == "123456"
    assert name == "MZMK Brzeg"
    assert title == "Opłaty lokal 3/12"
    assert reserved == ["", "", ""]


@pytest.mark.parametrize(("amount", "field"), [
    (Decimal("0.05"), "000005"),
    (Decimal("412.50"), "041250"),
    (Decimal("0"), "000000"),
    (Decimal("-20.00"), "000000"),   # an overpayment: nothing to pay
    (None, "000000"),
    (Decimal("10000.00"), "000000"),  # more than six digits carry: the payer types it
])
def test_amount_is_six_digits_of_grosze(amount, field):
    payload = transfer_payload(nip="", account=ACCOUNT, amount=amount, name="SM", title="T")
    assert _fields(payload)[3] == field


def test_free_text_is_cut_and_loses_separators():
    payload = transfer_payload(nip=None, account=ACCOUNT, amount=None,
                               name="Spółdzielnia | Mieszkaniowa „Kuźniki”",
                               title="Opłaty | lokal 3/12 za listopad i grudzień 2025")
    nip, _, _, _, name, title, *_ = _fields(payload)
    assert len(_fields(payload)) == 9
    assert nip == ""
    assert name == "Spółdzielnia Mieszka" and len(name) <= 20
    assert title == "Opłaty lokal 3/12 za listopad i" and len(title) <= 32


@pytest.mark.parametrize(("nip", "account"), [
    ("123", ACCOUNT), ("12345678901", ACCOUNT), ("abcdefghij", ACCOUNT),
    ("", ACCOUNT[:-1]), ("", ACCOUNT + "0"), ("", "PL" + ACCOUNT[2:]),
])
def test_malformed_numbers_are_refused(nip, account):
    with pytest.raises(ValueError):
        transfer_payload(nip=nip, account=account, amount=None, name="SM", title="T")


def test_rendered_code_decodes_back_to_the_payload():
    payload = transfer_payload(nip="7471668698", account=ACCOUNT, amount=Decimal("99.01"),
                               name="MZMK Brzeg", title="Opłaty lokal 3/12 – Łąkowa")
    png = io.BytesIO()
    qr_code(payload).save(png, kind="png", scale=6, border=4)
    png.seek(0)
    (result,) = zxingcpp.read_barcodes(Image.open(png))
    assert result.format == zxingcpp.BarcodeFormat.QRCode
    assert result.text == payload


def test_svg_is_a_standalone_image():
    svg = qr_svg(transfer_payload(nip="", account=ACCOUNT, amount=None, name="SM", title="T"),
                 "Kod QR do przelewu")
    assert svg.startswith(b"<?xml") and b"<svg" in svg
    assert b"<script" not in svg and b"style=" not in svg
    assert b"Kod QR do przelewu" in svg
