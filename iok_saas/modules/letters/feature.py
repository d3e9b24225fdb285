"""PDF letters and documents on the tenant's letterhead (fpdf2, DejaVu fonts)."""

from iok_saas.features import Feature

FEATURE = Feature(name="letters")
