"""The shipped DejaVu faces cut down to what Polish documents print, for bulk rendering.

fpdf2 parses a whole TrueType file for every document and subsets it again on output; for
DejaVu (~6 000 glyphs) that is ~0.2 s a document, which rules out rendering thousands of
notices. Cut once per process to Latin (ASCII, Latin-1, Latin Extended-A: every Polish
letter) and common typography, the same work takes a fraction of that. A character outside
the set prints as nothing (fpdf2 warns), so only documents of known text use this.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont
from fpdf import FPDF

from .pdf import FONT, FONT_DIR, FONT_FILES

# ASCII, the Polish letters, the Latin letters common in names and addresses, typography.
COMPACT_CHARACTERS = "".join(chr(code) for code in range(0x20, 0x7F)) + (
    "ĄĆĘŁŃÓŚŹŻąćęłńóśźż" "ÄÖÜßäöüÉéÁáÍíÚúČčŠšŽžŘřĚěÝýŇň"
    "\u00a0§°²³µ·×÷±«»©®‐–—‘’‚“”„…•€№™−")


@lru_cache(maxsize=1)
def compact_font_files() -> dict[str, Path]:
    """style -> path of the cut face; made once per process in a private directory."""
    directory = Path(tempfile.mkdtemp(prefix="iok-fonts-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    options = subset.Options()
    options.name_IDs = ["*"]          # keep the family name PDF readers show
    options.notdef_outline = True
    options.layout_features = []      # no kerning tables: fpdf2 does not use them
    options.drop_tables += ["FFTM"]   # a timestamp fontTools warns about on every subset
    files = {}
    for style, filename in FONT_FILES.items():
        font = TTFont(FONT_DIR / filename)
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=COMPACT_CHARACTERS)
        subsetter.subset(font)
        files[style] = directory / filename
        font.save(files[style])
    return files


def add_compact_fonts(pdf: FPDF) -> None:
    """Registers the cut faces as ``FONT`` (regular and bold), like ``pdf.add_fonts``."""
    for style, path in compact_font_files().items():
        pdf.add_font(FONT, style=style, fname=str(path))
