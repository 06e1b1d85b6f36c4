"""Character and word error rates of OCR output against ground truth.

Both sides are normalised first, so the figures measure reading, not formatting: Unicode NFC (a
decomposed "ễ" is the same letter as a precomposed one), no dot leaders (a form's blank "......."
is printed furniture whose length no reader agrees on), and any run of whitespace, line breaks
included, as one space (line splitting and reading order of columns are the layout's business).

A rate is edits / length of the normalised reference. Over many pages, add the counts and divide
once (micro-average), so a nearly empty page does not weigh as much as a full one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

_LEADER = re.compile(r"[.…](?:\s*[.…])+")
_SPACE = re.compile(r"\s+")


def normalize_for_cer(text: str) -> str:
    """NFC, dot-leader runs (two or more "." or "…", spaces between allowed) removed, whitespace
    runs collapsed to one space, ends stripped."""
    text = unicodedata.normalize("NFC", text)
    text = _LEADER.sub(" ", text)
    return _SPACE.sub(" ", text).strip()


@dataclass(frozen=True)
class ErrorCount:
    """Edit operations and reference length; add them across pages, then take ``rate``."""

    edits: int = 0
    length: int = 0

    def __add__(self, other: ErrorCount) -> ErrorCount:
        return ErrorCount(self.edits + other.edits, self.length + other.length)

    @property
    def rate(self) -> float:
        """edits / length; for an empty reference, 0.0 if nothing was read and 1.0 otherwise."""
        if self.length == 0:
            return float(self.edits > 0)
        return self.edits / self.length


def char_errors(hyp: str, ref: str) -> ErrorCount:
    hyp, ref = normalize_for_cer(hyp), normalize_for_cer(ref)
    return ErrorCount(Levenshtein.distance(hyp, ref), len(ref))


def word_errors(hyp: str, ref: str) -> ErrorCount:
    hyp_words, ref_words = normalize_for_cer(hyp).split(), normalize_for_cer(ref).split()
    return ErrorCount(Levenshtein.distance(hyp_words, ref_words), len(ref_words))


def cer(hyp: str, ref: str) -> float:
    """Character error rate of ``hyp`` against ``ref`` (can exceed 1 when ``hyp`` is longer)."""
    return char_errors(hyp, ref).rate


def wer(hyp: str, ref: str) -> float:
    """Word error rate: word-level edit distance / number of reference words."""
    return word_errors(hyp, ref).rate


def total(counts: Iterable[ErrorCount]) -> ErrorCount:
    return sum(counts, ErrorCount())


def micro_cer(pairs: Iterable[tuple[str, str]]) -> float:
    """Character error rate over many (hyp, ref) pages: total edits / total reference chars."""
    return total(char_errors(hyp, ref) for hyp, ref in pairs).rate


def micro_wer(pairs: Iterable[tuple[str, str]]) -> float:
    return total(word_errors(hyp, ref) for hyp, ref in pairs).rate
