"""The transfer QR code Polish banking apps read (ZBP "Standard 2D" layout).

The payload is nine fields separated by ``|``, in this order:

1. the recipient's NIP (10 digits; empty when unknown)
2. the country code, ``PL``
3. the recipient's account number (NRB, 26 digits, no spaces)
4. the amount in grosze, six digits zero-padded (``000000`` = no amount suggested)
5. the recipient's name (at most 20 characters)
6. the transfer title (at most 32 characters)
7.–9. reserved (empty)

so a payload reads ``NIP|PL|ACCOUNT|AMOUNT|NAME|TITLE|||``. Free text loses any ``|`` (it would
shift the fields) and is cut to its limit.

``__all__`` is the module's public interface: the ledger's pages and other features (the
charge notices print the same code) use only these functions.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal

import segno

__all__ = ["amount_field", "qr_code", "qr_svg", "transfer_payload"]

SEPARATOR = "|"
COUNTRY = "PL"
NAME_MAX = 20
TITLE_MAX = 32
AMOUNT_DIGITS = 6
MAX_GROSZE = 10**AMOUNT_DIGITS - 1  # 9 999,99 zł: the most six digits can carry
RESERVED_FIELDS = 3

_DIGITS = re.compile(r"[0-9]*")


def _free_text(text: str, limit: int) -> str:
    """One line of text without separators, at most ``limit`` characters."""
    cleaned = " ".join(text.replace(SEPARATOR, " ").split())
    return cleaned[:limit].rstrip()


def _digits(value: str | None) -> str:
    """The number without the spaces and dashes it is often written with."""
    return "".join((value or "").replace("-", " ").split())


def amount_field(amount: Decimal | None) -> str:
    """Grosze as six digits; nothing due, or more than six digits can hold -> ``000000``
    (the payer then types the amount themselves)."""
    if amount is None or amount <= 0:
        return "0" * AMOUNT_DIGITS
    grosze = int((amount * 100).to_integral_value())
    if grosze > MAX_GROSZE:
        return "0" * AMOUNT_DIGITS
    return f"{grosze:0{AMOUNT_DIGITS}d}"


def transfer_payload(*, nip: str | None, account: str, amount: Decimal | None, name: str,
                     title: str) -> str:
    """The QR text for a domestic transfer; raises ValueError on a malformed NIP or account."""
    nip, account = _digits(nip), _digits(account)
    if not _DIGITS.fullmatch(nip) or len(nip) not in (0, 10):
        raise ValueError("NIP must be 10 digits (or empty)")
    if not _DIGITS.fullmatch(account) or len(account) != 26:
        raise ValueError("the account number must be 26 digits")
    fields = [nip, COUNTRY, account, amount_field(amount), _free_text(name, NAME_MAX),
              _free_text(title, TITLE_MAX)] + [""] * RESERVED_FIELDS
    return SEPARATOR.join(fields)


def qr_code(payload: str, *, mask: int | None = None) -> segno.QRCode:
    # UTF-8 keeps Polish letters of the name and title; level M survives a smudged print.
    # A fixed ``mask`` (0-7) skips scoring all eight, most of the cost: bulk documents use it.
    return segno.make_qr(payload, error="m", encoding="utf-8", boost_error=False, mask=mask)


def qr_svg(payload: str, title: str) -> bytes:
    """The code as a standalone SVG document (scalable; no scripts, no inline styles)."""
    buffer = io.BytesIO()
    qr_code(payload).save(buffer, kind="svg", scale=4, border=4, title=title,
                          xmldecl=True, svgns=True, encoding="utf-8")
    return buffer.getvalue()
