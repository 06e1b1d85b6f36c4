"""Recognised lines regrouped as printed rows, and printed labels found in them.

OCR returns text lines as the detector cut them: one form row ("2. Ngày, tháng, năm sinh: 05/06/1998
3. Giới tính: Nam") may come back whole or as several pieces. The extractor works on rows: pieces
whose vertical extents overlap are one row, read left to right and joined with two spaces (a gap
the detector saw). Every character of a row remembers its piece, so a value cut out of a row gets a
box, a page and a confidence from the pieces it came from.

Labels are matched in ``fold``-ed text (no diacritics, lower case, one character per
character), with a fuzzy alignment for long labels (OCR slips such as "chũ đệm") and whole-word
equality for short ones ("Sex", "Số"), where fuzziness would find them inside other words.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

from rapidfuzz import fuzz

from ..domain import PageText, Quad
from .text import fold

SEPARATOR = "  "
SHORT_LABEL = 6
"""Labels of at most this many characters must match exactly, as whole words."""


def label_score(length: int) -> float:
    """Least rapidfuzz alignment score (0-100) for a label of ``length`` characters to count.

    The score allows a fixed number of OCR slips (insertions plus deletions: 1 up to 10
    characters, 2 up to 15, 4 up to 30, 6 beyond), not a percentage: a percentage lets a long
    label such as "họ, chữ đệm và tên người mẹ" match "họ, chữ đệm và tên: NGUYỄN", the child's
    name row, and a short one such as "làm tại" match "Lâm, tỉnh". Matching ignores diacritics,
    so the commonest OCR slip, a wrong tone mark, costs nothing.
    """
    slips = 1 if length <= 10 else 2 if length <= 15 else 4 if length <= 30 else 6
    return 100.0 * (1 - slips / (2 * length))


@dataclass(frozen=True)
class Piece:
    text: str
    confidence: float
    page: int
    box: tuple[float, float, float, float]
    """x0, y0, x1, y1 (axis-aligned hull of the OCR quad)."""

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]


@dataclass(frozen=True, eq=False)
class Row:
    """Pieces on one printed row of one page, left to right."""

    page: int
    pieces: tuple[Piece, ...]

    @cached_property
    def text(self) -> str:
        return SEPARATOR.join(piece.text for piece in self.pieces)

    @cached_property
    def folded(self) -> str:
        return fold(self.text)

    @cached_property
    def owners(self) -> tuple[tuple[int, int] | None, ...]:
        """For each character of ``text``: (piece index, index in that piece), None for gaps."""
        owners: list[tuple[int, int] | None] = []
        for index, piece in enumerate(self.pieces):
            if index:
                owners += [None] * len(SEPARATOR)
            owners += [(index, offset) for offset in range(len(piece.text))]
        return tuple(owners)

    @property
    def top(self) -> float:
        return min(piece.box[1] for piece in self.pieces)

    @property
    def bottom(self) -> float:
        return max(piece.box[3] for piece in self.pieces)

    @property
    def left(self) -> float:
        return self.pieces[0].box[0]

    @property
    def right(self) -> float:
        return max(piece.box[2] for piece in self.pieces)

    @property
    def height(self) -> float:
        return sorted(piece.height for piece in self.pieces)[len(self.pieces) // 2]

    def char_x(self, index: int) -> tuple[float, float]:
        """Estimated horizontal extent of character ``index`` (pieces are spread evenly)."""
        owner = self.owners[index]
        if owner is None:
            return self.char_x(index - 1) if index else self.char_x(index + 1)
        piece = self.pieces[owner[0]]
        width = (piece.box[2] - piece.box[0]) / max(1, len(piece.text))
        x0 = piece.box[0] + width * owner[1]
        return x0, x0 + width

    def span(self, start: int, end: int) -> Span:
        return Span(self, start, end)


@dataclass(frozen=True)
class Span:
    """Characters ``start:end`` of a row: a label or a value, with where it was printed."""

    row: Row
    start: int
    end: int

    @property
    def text(self) -> str:
        return self.row.text[self.start:self.end]

    def pieces(self) -> list[Piece]:
        indexes = sorted({o[0] for o in self.row.owners[self.start:self.end] if o is not None})
        return [self.row.pieces[i] for i in indexes]

    @property
    def box(self) -> tuple[float, float, float, float] | None:
        pieces = self.pieces()
        if not pieces:
            return None
        content = [i for i in range(self.start, self.end) if self.row.owners[i] is not None]
        x0, x1 = self.row.char_x(content[0])[0], self.row.char_x(content[-1])[1]
        return (x0, min(p.box[1] for p in pieces), x1, max(p.box[3] for p in pieces))

    @property
    def confidence(self) -> float:
        """Character-weighted mean confidence of the pieces the span covers."""
        weights = [(self.row.pieces[o[0]].confidence) for o in self.row.owners[self.start:self.end]
                   if o is not None]
        return sum(weights) / len(weights) if weights else 0.0


def _piece(line_text: str, confidence: float, page: int, quad: Quad) -> Piece:
    xs, ys = [p[0] for p in quad], [p[1] for p in quad]
    return Piece(line_text, float(confidence), page, (min(xs), min(ys), max(xs), max(ys)))


def page_rows(page: PageText) -> list[Row]:
    """Group a page's lines into rows: a piece joins a row when it overlaps the row's vertical
    extent by more than half of the smaller height; rows are returned top to bottom."""
    pieces = sorted((_piece(ln.text, ln.confidence, page.page, ln.box) for ln in page.lines),
                    key=lambda p: (p.box[1] + p.box[3]) / 2)
    groups: list[list[Piece]] = []
    for piece in pieces:
        for group in reversed(groups[-3:]):
            top, bottom = min(p.box[1] for p in group), max(p.box[3] for p in group)
            overlap = min(bottom, piece.box[3]) - max(top, piece.box[1])
            smaller = min(piece.height, min(p.height for p in group))
            if overlap > 0.5 * smaller:
                group.append(piece)
                break
        else:
            groups.append([piece])
    rows = [Row(page.page, tuple(sorted(g, key=lambda p: p.box[0]))) for g in groups]
    return sorted(rows, key=lambda row: row.top)


def document_rows(pages: Iterable[PageText]) -> list[Row]:
    return [row for page in pages for row in page_rows(page)]


@dataclass(frozen=True)
class Match:
    """A label found in a row."""

    keys: frozenset[str]
    """The fields the label belongs to (several when forms repeat a label in sections, such as
    "Năm sinh" of the mother and of the father), or ``stop``."""
    label: str
    start: int
    end: int
    score: float


def _word_bounded(text: str, start: int, end: int) -> bool:
    before = start == 0 or not text[start - 1].isalnum()
    after = end >= len(text) or not text[end].isalnum()
    return before and after


def find_label(folded_row: str, label: str) -> tuple[int, int, float] | None:
    """Where ``label`` (already folded) is printed in ``folded_row``, with a 0-100 score."""
    if len(label) <= SHORT_LABEL:
        start = folded_row.find(label)
        while start >= 0:
            if _word_bounded(folded_row, start, start + len(label)):
                return start, start + len(label), 100.0
            start = folded_row.find(label, start + 1)
        return None
    if len(folded_row) < len(label) * 0.8:
        return None
    found = fuzz.partial_ratio_alignment(label, folded_row, score_cutoff=label_score(len(label)))
    if found is None:
        return None
    start, end = found.dest_start, found.dest_end
    # The alignment may start or end inside a word: a label starts and ends at word edges.
    while start > 0 and folded_row[start - 1].isalpha() and folded_row[start].isalpha():
        start -= 1
    while end > start + 1 and not folded_row[end - 1].isalpha() and label[-1].isalpha():
        end -= 1  # not the value's first digit or a colon ("danhcanhan:0" → "danhcanhan")
    return start, end, found.score


def label_index(labels: dict[str, Sequence[str]]) -> dict[str, frozenset[str]]:
    """Folded label -> the fields printed with it."""
    index: dict[str, set[str]] = {}
    for key, spellings in labels.items():
        for label in spellings:
            index.setdefault(fold(label), set()).add(key)
    return {label: frozenset(keys) for label, keys in index.items()}


def find_labels(row: Row, labels: dict[str, Sequence[str]]) -> list[Match]:
    """Every label of ``labels`` printed in the row, overlaps resolved, left to right.

    Where two labels overlap the longer one wins ("Họ, chữ đệm và tên chủ hộ" over "Họ, chữ đệm
    và tên"); adjacent labels of one field, such as "Họ và tên / Full name", become one match.
    """
    found: list[Match] = []
    for label, keys in label_index(labels).items():
        hit = find_label(row.folded, label)
        if hit is not None:
            found.append(Match(keys, label, *hit))
    found.sort(key=lambda m: (-(m.end - m.start) * m.score, m.start))
    kept: list[Match] = []
    for match in found:
        if all(match.end <= k.start or match.start >= k.end for k in kept):
            kept.append(match)
    kept.sort(key=lambda m: m.start)
    merged: list[Match] = []
    for match in kept:
        previous = merged[-1] if merged else None
        between = row.folded[previous.end:match.start] if previous else ""
        if previous and previous.keys & match.keys and not any(c.isalnum() for c in between):
            merged[-1] = Match(previous.keys & match.keys, previous.label, previous.start,
                               match.end, min(previous.score, match.score))
        else:
            merged.append(match)
    return merged
