"""Reading printed credentials letters back in tests."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader


def pdf_text(data: bytes) -> list[str]:
    """The text of each page of a PDF."""
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def letter_credentials(page_text: str) -> tuple[str, str]:
    """(login, initial password) as printed in a credentials letter page."""
    login = re.search(r"Identyfikator \(login\):?\s*(\S+)", page_text).group(1)
    password = re.search(r"Hasło początkowe:?\s*(\S+)", page_text).group(1)
    return login, password
