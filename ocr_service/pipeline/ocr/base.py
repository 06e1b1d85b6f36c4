"""The OCR engine contract shared by every engine.

An engine turns upright, cleaned page images into recognised lines in reading order. The contract,
in the manner of OCRmyPDF's plugin hooks:

- ``recognize(pages)`` takes any number of pages (of any sizes) and returns one ``PageText`` per
  page, in the same order, with ``PageText.page`` equal to ``PageImage.number``.
- Line text is Unicode NFC, stripped, never empty; lines are in reading order; ``box`` is the
  line's quadrilateral in the coordinates of the page image given; ``confidence`` is in [0, 1].
- Dot leaders ("......", "____") of printed forms are not text: engines drop them and what a
  cut leader leaves (".", ".." alone or after a word); a sentence's full stop stays.
- Engines may batch across pages and lines internally; results must not depend on how pages are
  grouped into calls (a worker batching documents together gets the same text).
- Engines are expensive to build (models are loaded once) and safe to call repeatedly.
- ``name`` and ``models`` say which engine and which weights read the text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from ...domain import PageImage, PageText

_LEADER = re.compile(r"(?:…\s*){2,}|(?:[.…·_]\s*){3,}|_{2,}")
_FOOTNOTE_CALL = re.compile(r"\((\d{1,2})(?=\s*(?:[.…·_]\s*){2,}|\s*$)")
"""A footnote call whose ")" was lost into the leader after it ("Kính gửi(1......")."""
_REMNANT = re.compile(r"(?<!\S)[.…·_]{1,2}(?!\S)|(?<=\w)\.\.(?!\S)|(?<=:)[.…·_]{1,2}(?!\S)")
"""What is left of a leader cut by the detector: a lone "." or ".." between spaces, ".." glued
to a word's end (a sentence's one full stop is kept, and so is "v.v…"), or one or two dots
glued to a label's colon ("Địa chỉ liên hệ:.. bản"; nothing follows a colon with a dot)."""
_SPACES = re.compile(r"\s+")


@runtime_checkable
class OcrEngine(Protocol):
    name: str
    """Which engine read the text (``ppocr``, ``tesseract``)."""
    models: Mapping[str, str]
    """What exactly read it: each model file's sha256 (or the program's version) by name. The
    record's manifest names them, and a worker's OCR cache is keyed by them, so a change of
    weights reads pages anew."""

    def recognize(self, pages: list[PageImage]) -> list[PageText]:
        """Recognised text of each page, in the order given."""
        ...


def clean_text(text: str) -> str:
    """NFC text with dot leaders and their remnants removed and whitespace collapsed (the
    engines' output rule); a footnote call cut by a leader gets its ")" back."""
    text = unicodedata.normalize("NFC", text)
    text = _FOOTNOTE_CALL.sub(r"(\1)", text)
    text = _LEADER.sub(" ", text)
    text = _REMNANT.sub(" ", text)
    return _SPACES.sub(" ", text).strip()
