"""Hyphens and slashes the reader wrote once, settled from the ink.

Two narrow marks side by side, "--" and "//", leave the reader's greedy path no step for the
blank between them, and it writes one ("--context" read "-context", "https://" read "https:/":
43 words on 80 unseen prose pages). Where the page shows two hyphens or two slashes, nothing
between them, the mark is written twice.
"""

from __future__ import annotations

import numpy as np

from ...domain import Quad
from .ink import Blob, LineInk, ink_around
from .recognize import LineReading, make_reading

SLASH_LEAN = 0.19
"""Measured at 1 and 2 times shrink in five faces: a slash leans 0.21-0.33 of its height, an
italic "l", "I", "1" at most 0.17."""


def is_hyphen(ink: LineInk, blob: Blob) -> bool:
    """A short flat bar between the baseline and the middle of the small letters."""
    _, by, bw, bh, _ = blob
    h = ink.height
    return (bh <= 0.15 * h and 0.08 * h <= bw <= 0.5 * h and bw >= 1.2 * bh
            and ink.baseline - (by + bh) >= 0.05 * h and ink.baseline - by <= 0.45 * h)


def is_slash(ink: LineInk, blob: Blob) -> bool:
    """A tall stroke standing on the baseline (a "p" or "y" hangs below it), leaning right: its
    top quarter's ink lies right of its bottom quarter's by ``SLASH_LEAN`` of its height at
    least ("l", "I" and "1" stand upright, and lean less in italics), and one narrow stroke
    across nearly every row ("d" and "P" lean too, but a bowl and a stem span their width)."""
    bx, by, bw, bh, _ = blob
    h = ink.height
    if not (0.2 * bh <= bw <= 0.7 * bh and ink.baseline - by >= 0.6 * h
            and by + bh - ink.baseline <= 0.15 * h):
        return False  # not a tall stroke from the baseline up past the small letters
    part = ink.ink[by : by + bh, bx : bx + bw] > 0
    quarter = max(1, bh // 4)
    top, bottom = part[:quarter], part[-quarter:]
    if not top.any() or not bottom.any():
        return False
    columns = np.arange(bw)
    lean = (top * columns).sum() / top.sum() - (bottom * columns).sum() / bottom.sum()
    inked = part.any(axis=1)
    first = part.argmax(axis=1)
    last = bw - 1 - part[:, ::-1].argmax(axis=1)
    narrow = (last - first + 1 <= 0.5 * bw)[inked]  # one stroke, not a bowl and a stem
    return bool(lean >= SLASH_LEAN * bh and narrow.mean() >= 0.9)


def twin(ink: LineInk, centre: float, char: str) -> bool:
    """Whether the page shows two ``char`` ("-" or "/") side by side, nothing between them,
    within half a box height of page x ``centre``."""
    shape = is_hyphen if char == "-" else is_slash
    found = sorted(ink.blobs, key=lambda b: b[0])
    for first, second in zip(found, found[1:]):
        if (shape(ink, first) and shape(ink, second)
                and second[0] - (first[0] + first[2]) <= 0.25 * ink.height
                and ink.left + first[0] - 0.5 * ink.height <= centre
                <= ink.left + second[0] + second[2] + 0.5 * ink.height):
            return True
    return False


def settle_dashes(grey: np.ndarray, quad: Quad, reading: LineReading) -> LineReading:
    """``reading`` with each "-" or "/" the page shows twice (``twin``) written twice."""
    hits = list(reading.chars)
    chars = [hit.char for hit in hits]
    twins = []
    for index, char in enumerate(chars):
        before = chars[index - 1] if index else " "
        after = chars[index + 1] if index + 1 < len(chars) else " "
        if char in "-/" and before != char and after != char and not (
                before.isdigit() and after.isdigit()):  # "12/05/2020": never doubled there
            centre = (hits[index].x0 + hits[index].x1) / 2
            around = ink_around(grey, quad, centre)
            if around is not None and twin(around, centre, char):
                twins.append(index)
    for index in reversed(twins):
        hits.insert(index + 1, hits[index])
    return make_reading(hits) if twins else reading
