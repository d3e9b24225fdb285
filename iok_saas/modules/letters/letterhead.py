"""The letterhead printed on letters: a tenant's published business data, nothing personal."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

DEFAULT_PRIMARY_COLOR = "#1d4e89"
HEX_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
_SCHEME = re.compile(r"^https?://", re.IGNORECASE)


@dataclass(frozen=True)
class Letterhead:
    legal_name: str
    address_lines: tuple[str, ...]
    contact_lines: tuple[str, ...]
    primary_color: str  # "#rrggbb"
    portal_url: str

    def __post_init__(self) -> None:
        if not HEX_COLOR.fullmatch(self.primary_color):
            raise ValueError(f"primary_color must be '#rrggbb', not {self.primary_color!r}")


def letterhead_from_tenant(tenant: Any, *, portal_url: str | None = None) -> Letterhead:
    """The letterhead of a ``TenantSnapshot``; the portal address defaults to its canonical host."""
    return Letterhead(
        legal_name=tenant.legal_name or tenant.short_name,
        address_lines=address_lines(_mapping(tenant.info("address"))),
        contact_lines=contact_lines(_mapping(tenant.info("contact"))),
        primary_color=primary_color(_mapping(tenant.info("branding"))),
        portal_url=portal_url or f"https://{tenant.canonical_host}",
    )


def address_lines(address: Mapping) -> tuple[str, ...]:
    """``ul. Towarowa 6`` / ``49-300 Brzeg``; a missing part is left out."""
    town = " ".join(_text(address.get(key)) for key in ("postal_code", "city")).strip()
    return tuple(line for line in (_text(address.get("street")), town) if line)


def contact_lines(contact: Mapping) -> tuple[str, ...]:
    """Phones (numbers sharing a label on one line), then e-mail, then the website."""
    lines = phone_lines(contact.get("phones") or ())
    if email := _text(contact.get("email")):
        lines.append(f"e-mail: {email}")
    if website := _text(contact.get("website")):
        lines.append(printable_url(website))
    return tuple(lines)


def phone_lines(phones: Sequence[Mapping]) -> list[str]:
    numbers_by_label: dict[str, list[str]] = {}
    for phone in phones:
        number = _text(phone.get("number"))
        if number:
            numbers_by_label.setdefault(_text(phone.get("label")) or "Telefon", []).append(number)
    return [f"{label}: {', '.join(numbers)}" for label, numbers in numbers_by_label.items()]


def primary_color(branding: Mapping) -> str:
    color = _text(branding.get("primary_color"))
    return color.lower() if HEX_COLOR.fullmatch(color) else DEFAULT_PRIMARY_COLOR


def printable_url(url: str) -> str:
    """``https://www.example.pl/`` -> ``www.example.pl``: shorter on paper, same meaning."""
    return _SCHEME.sub("", url.strip()).rstrip("/")


def _mapping(value: Any) -> Mapping:
    return value if isinstance(value, Mapping) else {}


def _text(value: Any) -> str:
    return str(value).strip() if value is not None else ""
