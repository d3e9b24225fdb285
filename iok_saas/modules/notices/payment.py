"""The transfer details printed on a notice: the ledger's public QR interface, nothing more.

``iok_saas.modules.ledger.payment_qr`` declares its public functions in ``__all__``; this is
the one place the notices feature uses them, so the two features stay apart otherwise."""

from __future__ import annotations

from decimal import Decimal

from iok_saas.modules.ledger.payment_qr import qr_code, transfer_payload

ACCOUNT_DIGITS = 26
# Every mask gives a valid code; choosing one spares scoring all eight for each notice.
QR_MASK = 2


def account_digits(number: str | None) -> str:
    return "".join(ch for ch in number or "" if ch.isdigit())


def printed_account(number: str | None) -> str:
    """NRB in groups as banks print it: "12 3456 7890 …"; anything else as given."""
    digits = account_digits(number)
    if len(digits) != ACCOUNT_DIGITS:
        return number or ""
    return " ".join([digits[:2], *(digits[i:i + 4] for i in range(2, ACCOUNT_DIGITS, 4))])


def tenant_nip(tenant) -> str:
    return account_digits(str((tenant.info("tax_ids") or {}).get("nip") or ""))


def transfer_matrix(*, nip: str, account: str | None, amount: Decimal, name: str,
                    title: str) -> tuple[tuple[bool, ...], ...] | None:
    """The ZBP transfer code's modules (rows of dark/light), or None when the account
    number is not a 26-digit NRB (no code rather than a wrong one)."""
    try:
        payload = transfer_payload(nip=nip, account=account or "", amount=amount, name=name,
                                   title=title)
    except ValueError:
        return None
    return tuple(tuple(bool(cell) for cell in row) for row in qr_code(payload, mask=QR_MASK).matrix)
