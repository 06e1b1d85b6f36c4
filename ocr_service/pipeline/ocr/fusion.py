"""Fast reading first, accurate re-reading of the words it is unsure of.

The fast reader (TrueOCR) reads every line at a fraction of the accurate reader's (AsterNet)
cost but confuses tone marks more often (ể/ế, ồ/ố, ề/ế). Its errors concentrate in characters whose
CTC probability is low, so every word holding a character below ``below`` is cut out of the page
(between the neighbouring characters' positions that the fast reader reports)
and read again by the accurate reader, whose reading replaces it where it changes only marks and
reads as Vietnamese at least as well (``prefer_reread``). Tuned on dev-pool pages, 2 CPU cores. With the published TrueOCR weights
(`bench/ocr.py --pool dev --seed-base 500 --pages 8`): the fast reader alone 1.76 % CER at 1.9x
tesseract's pages/s; re-reading below 0.85 (the default): 1.12 % at 1.22x; AsterNet alone 0.66 %
at 0.41x. With our fine-tuned fast reader (`SOHOA_OCR_FAST_MODEL=sohoa-rec-vi`) the re-reads
hardly matter (`--seed-base 800 --pages 12`: alone 0.08 %, fused 0.08 %).

``second_opinion`` is a second kind of fusion: two fast readers per line, the surer word kept
(``SOHOA_OCR_SECOND_READER``). Measured on dev pages and dev forms it did not help (our reader
with the published one as second opinion: 0.33 % CER against 0.08 % alone; forms 93.7 % of fields
against 94.8 %), so it is off by default.
"""

from __future__ import annotations

import numpy as np

from ...domain import Quad, to_quad
from ...lexicon import language_score, strip_marks
from .recognize import CharHit, LineReader, LineReading, bounds, make_reading


def words(hits: tuple[CharHit, ...]) -> list[tuple[int, int]]:
    """``(start, end)`` index ranges of the space-separated words of a reading."""
    spans, start = [], None
    for i, hit in enumerate(hits):
        if hit.char == " ":
            if start is not None:
                spans.append((start, i))
            start = None
        elif start is None:
            start = i
    if start is not None:
        spans.append((start, len(hits)))
    return spans


def _word_quad(hits: tuple[CharHit, ...], start: int, end: int, line: Quad) -> Quad:
    """The word's box: from the end of the character before it (the space, whose CTC peak lies in
    the gap) to the start of the one after, or to the line's ends; CTC peaks can sit anywhere in
    a glyph, so the word's own first and last peaks would cut its edges."""
    lx0, y0, lx1, y1 = bounds(line)
    x0 = hits[start - 1].x1 if start > 0 else lx0
    x1 = hits[end].x0 if end < len(hits) else lx1
    return to_quad((x0, y0, x1, y1))


Target = tuple[int, int, int]
"""A word to read again: its line, and its first and past-last character in that line's reading."""


def uncertain_words(
    quads: list[Quad], readings: list[LineReading], below: float
) -> tuple[list[Target], list[Quad]]:
    """The words holding a character below ``below``, and the page boxes to read them from."""
    targets: list[Target] = []
    word_quads: list[Quad] = []
    for line, (quad, reading) in enumerate(zip(quads, readings)):
        for start, end in words(reading.chars):
            if min(h.prob for h in reading.chars[start:end]) < below:
                targets.append((line, start, end))
                word_quads.append(_word_quad(reading.chars, start, end, quad))
    return targets, word_quads


def _word_text(hits: tuple[CharHit, ...]) -> str:
    return "".join(hit.char for hit in hits)


def prefer_reread(fast: str, reread: str) -> bool:
    """Whether the accurate reader's word replaces the fast one: it has the same letters with
    other marks (a word cut out of its line loses the reader's view of its neighbours, and
    AsterNet then misreads the punctuation and dot leaders at its ends, measured on dev pages),
    and it reads as Vietnamese at least as well (ties go to the accurate reader)."""
    return (bool(reread) and strip_marks(reread) == strip_marks(fast)
            and language_score(reread) >= language_score(fast))


def apply_rereads(
    readings: list[LineReading], targets: list[Target], rereads: list[LineReading]
) -> list[LineReading]:
    """``readings`` with each target word replaced by its re-reading where ``prefer_reread``."""
    replaced: dict[int, list[tuple[int, int, LineReading]]] = {}
    for (line, start, end), reread in zip(targets, rereads):
        if prefer_reread(_word_text(readings[line].chars[start:end]), reread.text):
            replaced.setdefault(line, []).append((start, end, reread))
    fused = list(readings)
    for line, changes in replaced.items():
        hits = list(readings[line].chars)
        for start, end, reread in sorted(changes, key=lambda c: c[0], reverse=True):
            hits[start:end] = reread.chars
        fused[line] = make_reading(hits)
    return fused


def reread_uncertain(
    image: np.ndarray,
    quads: list[Quad],
    readings: list[LineReading],
    accurate: LineReader,
    below: float,
) -> list[LineReading]:
    """``readings`` with every word that holds a character below ``below`` read by ``accurate``
    (one page; the engine's page-set path calls the two halves itself to share model calls)."""
    targets, word_quads = uncertain_words(quads, readings, below)
    if not targets:
        return readings
    return apply_rereads(readings, targets, accurate.read(image, word_quads))


def second_opinion(first: LineReading, other: LineReading) -> LineReading:
    """``first`` with each word that ``other`` reads differently replaced by ``other``'s, where
    ``other`` is surer of it (a higher lowest character probability) and it reads as Vietnamese
    at least as well. Words are paired by position, so lines the two readers split into a
    different number of words are left as ``first`` read them.

    Two fast readers with different training fail on different lines: ours was trained on our
    lines and is right far more often, the published one has seen other material; a word ours
    is unsure of and the other reads with confidence is the other's."""
    spans, other_spans = words(first.chars), words(other.chars)
    if len(spans) != len(other_spans):
        return first
    hits = list(first.chars)
    for (s, e), (os, oe) in reversed(list(zip(spans, other_spans))):
        mine, theirs = first.chars[s:e], other.chars[os:oe]
        text, other_text = _word_text(mine), _word_text(theirs)
        if (text != other_text and min(h.prob for h in theirs) > min(h.prob for h in mine)
                and language_score(other_text) >= language_score(text)):
            hits[s:e] = theirs
    return first if hits == list(first.chars) else make_reading(hits)
