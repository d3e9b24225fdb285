"""Printed letters for residents: the credentials letter (PDF, rendered on demand, never stored)."""

from .letterhead import Letterhead, letterhead_from_tenant
from .pdf import CredentialsEntry, LetterLayoutError, credentials_letters_pdf

__all__ = [
    "CredentialsEntry",
    "LetterLayoutError",
    "Letterhead",
    "credentials_letters_pdf",
    "letterhead_from_tenant",
]
