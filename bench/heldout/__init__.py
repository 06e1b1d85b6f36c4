"""A second held-out generator: pages and filled forms made by code, fonts and layouts that no
model was trained on and no rule was tuned on.

Our own held-out pool (``sohoa_dev.synth``, ``heldout``) keeps the wording away from tuning, but
not the generator: its renderer, fonts, layouts and degradations are the ones training saw. This
package shares none of them: fpdf2 + PDFium instead of Pillow, GNU FreeFont and Open Sans (fonts
``sohoa_dev.synth`` is forbidden to use, see ``render.HELD_OUT_FONT_PREFIXES``), its own form
layouts (several blanks on a row, four styles of blank, footnote calls), its own names, places and
prose, its own degradations. Everything is deterministic by seed.

Rule: measure on it, never tune on it. Look at its figures, not its pages, when changing the
pipeline; a fix is tested on ``sohoa_dev.synth`` pages.
"""

from bench.heldout.pages import (
    DOCUMENT_TYPES, FIELD_FORMS, KINDS, Document, Page, make_document, make_page, make_pages)

__all__ = ["DOCUMENT_TYPES", "FIELD_FORMS", "KINDS", "Document", "Page", "make_document",
           "make_page", "make_pages"]
