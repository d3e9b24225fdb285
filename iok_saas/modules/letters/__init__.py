"""Printed documents: the credentials letter and generic documents (PDF, built in memory)."""

from .document import PdfSection, PdfTable, document_pdf
from .letterhead import Letterhead, letterhead_from_tenant
from .pdf import CredentialsEntry, LetterLayoutError, credentials_letters_pdf

__all__ = [
    "CredentialsEntry",
    "LetterLayoutError",
    "Letterhead",
    "PdfSection",
    "PdfTable",
    "credentials_letters_pdf",
    "document_pdf",
    "letterhead_from_tenant",
]
