"""Hyphens, slashes and underscores the reader misread, settled from the ink.

Two narrow marks side by side, "--" and "//", leave the reader's greedy path no step for the
blank between them, and it writes one ("--context" read "-context", "https://" read "https:/":
43 words on 80 unseen prose pages). Where the page shows two hyphens or two slashes, nothing
between them, the mark is written twice.

The reader also writes a lone "_" before a word where the page has no bar: in a wide word space
of a justified line ("phân _biệt", "các_biến"), or for the dot of a word that starts with one
(".git" read "_git"): 15 words on 220 unseen prose pages. An underscore is a flat bar on or under
the baseline; where the page shows none, the "_" is the word space it stands in, or the dot the
page shows.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ...domain import Quad
from .ink import DOT_MAX, Blob, LineInk, ink_around
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


_LOW = 0.25
"""A piece whose top is at most this far (x the box height) above the baseline lies low in the
line: an underscore, a dot, a comma; never a letter (an "a" or "n" stands 0.4 and more)."""


def underscore_seen(ink: LineInk, centre: float) -> str | None:
    """What the page shows for a "_" read at page x ``centre``: "_" for a flat bar on or under
    the baseline, "." for one dot on the baseline and nothing else low there, " " for no low piece
    (letters stand taller than ``_LOW``) and no ink under the baseline: the blank of a word space
    ("các_biến" for "các biến"); None when it is something else."""
    h = ink.height
    low = [b for b in ink.blobs  # any part within half a box height: a rule runs on for long
           if ink.left + b[0] <= centre + 0.5 * h and ink.left + b[0] + b[2] >= centre - 0.5 * h
           and ink.baseline - b[1] <= _LOW * h]
    if not low:
        return " " if not _ink_under(ink, centre) else None
    if any(b[2] >= 0.3 * h and b[3] <= 0.15 * h and b[2] >= 2 * b[3] for b in low):
        return "_"
    if len(low) == 1:
        _, by, bw, bh, _ = low[0]
        if bw <= DOT_MAX * h and 0.5 <= bh / bw <= 2.0 and abs(by + bh - ink.baseline) <= 0.05 * h:
            return "."
    return None


def _ink_under(ink: LineInk, centre: float) -> bool:
    """Whether there is ink under the baseline within 0.15 box heights of page x ``centre``:
    an underscore joined to the letter beside it (an italic "n_f") is no piece of its own."""
    h = ink.height
    x0 = max(0, int(centre - ink.left - 0.15 * h))
    x1 = max(x0, int(centre - ink.left + 0.15 * h) + 1)
    y0 = int(ink.baseline + 0.05 * h) + 1
    return bool(ink.ink[y0 : int(ink.baseline + 0.3 * h) + 1, x0:x1].any())


def _starts_word(char: str) -> bool:
    """Whether ``char`` can start a word after a space: a letter or digit, an opening bracket or
    quote. Every "_" from nothing seen on unseen prose stood before one ("_biệt", "_(Giấy",
    "_'git"); a blank's rule read in pieces ("_ _ _") is left to the leader rules."""
    return char.isalnum() or char in "(['\"“‘"


def settle_dashes(grey: np.ndarray, quad: Quad, reading: LineReading) -> LineReading:
    """``reading`` with each "-" or "/" the page shows twice (``twin``) written twice, and each
    lone "_" before a word (``_starts_word``) written as the page shows it (``underscore_seen``:
    a space, a dot, or kept). A run of underscores (a blank to fill in) is left as read."""
    hits = list(reading.chars)
    chars = [hit.char for hit in hits]
    twins: list[int] = []
    changes: dict[int, str] = {}
    for index, char in enumerate(chars):
        before = chars[index - 1] if index else " "
        after = chars[index + 1] if index + 1 < len(chars) else " "
        if char not in "-/_" or before == char or after == char:
            continue
        if char == "_" and not _starts_word(after):
            continue  # a blank's rule, or what is left of one, is the leaders' business
        if char != "_" and before.isdigit() and after.isdigit():
            continue  # "12/05/2020": never doubled there
        centre = (hits[index].x0 + hits[index].x1) / 2
        around = ink_around(grey, quad, centre)
        if around is None:
            continue
        if char == "_":
            seen = underscore_seen(around, centre)
            if seen is not None and seen != char:
                changes[index] = seen
        elif twin(around, centre, char):
            twins.append(index)
    if not twins and not changes:
        return reading
    out = []
    for index, hit in enumerate(hits):
        out.append(replace(hit, char=changes[index]) if index in changes else hit)
        if index in twins:
            out.append(hit)
    return make_reading(out)
