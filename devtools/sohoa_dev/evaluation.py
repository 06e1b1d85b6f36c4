"""Character and word error rates of OCR output against ground truth.

Both sides are normalised first, so the figures measure reading, not formatting: Unicode NFC (a
decomposed "ễ" is the same letter as a precomposed one), no dot leaders (a form's blank "......."
is printed furniture whose length no reader agrees on), and any run of whitespace, line breaks
included, as one space (line splitting and reading order of columns are the layout's business).

A rate is edits / length of the normalised reference. Over many pages, add the counts and divide
once (micro-average), so a nearly empty page does not weigh as much as a full one.

Beside CER, ``mark_errors`` counts one kind of error on its own: a letter read with the wrong tone
or vowel mark (ể for ế, d for đ). Clerks check those by hand, and CER counts them among all others.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

from ocr_service.lexicon import strip_marks

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


def _is_letter(char: str) -> bool:
    """A Latin letter a-z, with or without marks: the letters Vietnamese text is written in."""
    base = strip_marks(char).lower()
    return len(base) == 1 and "a" <= base <= "z"


def _has_mark(char: str) -> bool:
    """A letter carrying a tone or vowel mark: its NFD has a combining mark, or it is đ/Đ."""
    if char in "đĐ":
        return True
    return any(unicodedata.combining(c) for c in unicodedata.normalize("NFD", char))


def mark_errors(hyp: str, ref: str) -> ErrorCount:
    """Letters read with the wrong tone or vowel mark, over the reference letters that carry one.

    Clerks proof-read tone marks by hand, since a wrong mark makes another word (Nguyễn/Nguyên,
    đường/dường), and CER hides these errors among all the others; this figure shows them apart.

    Both texts are normalised as for CER (``normalize_for_cer``), then aligned character by
    character with one minimal Levenshtein alignment (rapidfuzz ``editops``). ``edits`` counts the
    substitutions whose reference character is a letter (a-z with or without marks, đ included)
    and whose hypothesis letter has the same base letter once all diacritics are removed (NFD, all
    combining marks dropped, đ→d), ignoring case, but differs from it ignoring case: ể for ế, ổ for
    ố, ã for ầ, d for đ, ạ for a. So the reader saw the letter and got its marks wrong; a mark
    added to a plain letter counts too. Not counted: letters dropped or inserted, a letter read as
    another letter (o for a), case alone (Ễ for ễ), anything that is not a letter.

    ``length`` is the number of reference letters that carry a mark (the letter's NFD has a
    combining mark, or it is đ/Đ), so the rate is mark errors per marked letter. It can exceed 1,
    since marks added to plain letters are errors too. Where several minimal alignments tie, the
    one rapidfuzz picks decides whether a letter was substituted or dropped.
    """
    hyp, ref = normalize_for_cer(hyp), normalize_for_cer(ref)
    errors = 0
    for op in Levenshtein.editops(ref, hyp):
        if op.tag != "replace":
            continue
        want, got = ref[op.src_pos], hyp[op.dest_pos]
        if (_is_letter(want) and want.lower() != got.lower()
                and strip_marks(want).lower() == strip_marks(got).lower()):
            errors += 1
    marked = sum(1 for char in ref if _is_letter(char) and _has_mark(char))
    return ErrorCount(errors, marked)


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
