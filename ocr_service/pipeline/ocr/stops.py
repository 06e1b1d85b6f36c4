"""Full stops, commas and quotes the recognizer left out or misread, settled from the ink.

The fast reader drops a line's last full stop about half the time (dev pages: 5 of 10 prose lines
ending in "." read without it; on real book pages it is the largest error class): the dot is
small, at the edge of the box, and the detector's box often cuts into it. Whether a line ends in
a full stop can be seen directly on the page: right of the line's last letter there is one small,
roughly square blob of ink sitting on the baseline, and nothing after it. A dot leader is several
such blobs in a row, a comma reaches below the baseline, the dot of "ạ" lies under its letter:
none of those is taken for a full stop.

The reverse slip happens too: a blank printed as one short leader ("Kinh …") sits inside the
detector's box, and the reader writes its dots as one full stop ("Kinh."). When the page shows
a leader at the line's end (its last two blobs both dots), that full stop is taken away.

Inside a line the reader writes a full stop as a comma when a lowercase word follows ("quá cũ.
thiếu" read "quá cũ, thiếu": 13 of its 113 word errors on unseen prose, where tesseract made
none): it has learnt that a full stop starts a capital. The page tells them apart plainly: a
comma's tail reaches below the baseline, a full stop sits on it. ``settle_punctuation`` looks at
each "," and "." the reader put before a space or between digits and writes what the ink shows.
It does the same for straight quotes: the reader never writes "'" (unseen prose: all 17 read
'"'), and the page shows one tick or two.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...domain import Quad
from .ink import DOT_MAX, Blob, LineInk, blobs, box_height, ink_around, window
from .recognize import CharHit, LineReading, bounds, make_reading, replace_chars

LOOK_RIGHT = 1.2
"""How far right of the box (x its height) the page must be free of ink after the dot."""
DOT_MIN = 0.05
BASELINE_SLACK = 0.12
"""Its bottom lies this close (x the box height) to the baseline of the line's letters."""
REACH = 0.35
"""It starts no further left of the box's right edge than this (x the box height)."""
GAP = 0.3
"""And at most this far (x the box height) right of the letter before it."""
ENDINGS = ".,;:!?…)]\"'%"
"""A reading ending in one of these has its final mark already."""


@dataclass(frozen=True)
class _LineEnd:
    """The ink at the right end of a text line: its last blob and the one before it."""

    last: Blob
    before: Blob | None
    baseline: float
    on_letters: bool
    """Whether the baseline was measured on letters (False: on a leader filling the crop)."""
    height: float
    left: int
    """Page x of the crop's left edge."""
    right: int
    """Page x of the crop's right edge."""
    at_page_edge: bool

    def is_dot(self, blob: Blob) -> bool:
        """Small, roughly square and sitting on the baseline: a full stop or a leader's dot."""
        _, by, bw, bh, _ = blob
        low, high = DOT_MIN * self.height, DOT_MAX * self.height
        return (low <= bw <= high and low <= bh <= high and 0.5 <= bw / bh <= 2.0
                and abs(by + bh - self.baseline) <= BASELINE_SLACK * self.height)


def _line_end(grey: np.ndarray, quad: Quad) -> _LineEnd | None:
    """The last blobs of the line in ``quad``, looking ``LOOK_RIGHT`` heights past its box (a
    detector's box often stops short of the final dot); None when there is nothing to judge."""
    x1, height = bounds(quad)[2], box_height(quad)
    cut = window(grey, quad, x1 - 3 * height, x1 + LOOK_RIGHT * height, 0.1)
    if cut is None or cut[1] + cut[0].shape[1] - x1 < 0.4 * height:
        return None
    crop, left = cut
    right = left + crop.shape[1]
    found = blobs(crop)
    if not found:
        return None
    letters = [b for b in found if b[3] >= 0.4 * height]
    # a long leader may fill the whole crop: its dots then give the baseline
    baseline = float(np.median([b[1] + b[3] for b in letters or found]))
    last = max(found, key=lambda b: b[0] + b[2])  # the ink reaching furthest right
    before = [b for b in found if b is not last and b[0] + b[2] <= last[0]]
    nearest = max(before, key=lambda b: b[0] + b[2]) if before else None
    if left + last[0] < x1 - REACH * height:
        return None  # the line's ink ends well inside its box: nothing of its end is left over
    return _LineEnd(last, nearest, baseline, bool(letters), height, left, right,
                    right == grey.shape[1])


def ends_with_full_stop(grey: np.ndarray, quad: Quad) -> bool:
    """Whether the page shows a full stop at the end of the text line in ``quad``."""
    end = _line_end(grey, quad)
    if end is None or not end.on_letters or end.before is None or not end.is_dot(end.last):
        return False
    bx, _, bw, _, _ = end.last
    nearest = end.before
    if nearest[3] <= DOT_MAX * end.height and nearest[2] <= DOT_MAX * end.height:
        return False  # two dots in a row: a leader (or an ellipsis), not a full stop
    if bx - (nearest[0] + nearest[2]) > GAP * end.height:
        return False  # a full stop follows its word closely; a lone dot further on is not one
    return end.left + bx + bw <= end.right - 0.6 * end.height or end.at_page_edge


def ends_with_leader(grey: np.ndarray, quad: Quad) -> bool:
    """Whether the line in ``quad`` ends in a dot leader or an ellipsis: its last two blobs are
    both dots on the baseline."""
    end = _line_end(grey, quad)
    return end is not None and end.before is not None and end.is_dot(end.last) \
        and end.is_dot(end.before)


def settle_full_stop(grey: np.ndarray, quad: Quad, text: str) -> str:
    """``text`` with the final full stop the page shows: put back when the reader left it out,
    taken away when the reader made it out of a short leader ("Kinh …" read "Kinh.", "Nơi
    xây dựng: ……" read "Nơi xây dựng:.")."""
    if len(text) > 1 and text[-1] == "." and text[-2] != "." and ends_with_leader(grey, quad):
        return text[:-1]
    return restore_full_stop(grey, quad, text)


def restore_full_stop(grey: np.ndarray, quad: Quad, text: str) -> str:
    """``text`` with a final "." when the page shows one after the line and the text lacks it."""
    if not text or text[-1] in ENDINGS or not text[-1].isalnum():
        return text
    return text + "." if ends_with_full_stop(grey, quad) else text


COMMA_DROP, STOP_DROP = 0.09, 0.03
"""A comma's tail reaches at least ``COMMA_DROP`` (x the box height) below the baseline and is
taller than wide; a full stop ends within ``STOP_DROP`` of it. Between the two (a small italic
comma at 200 dpi) the reader's mark stands. On 40 unseen prose pages the reader's commas lay
0.07-0.17 below, its full stops -0.02-0.02. At 150 dpi a pixel is 0.035 of the box and the
baseline a vote of few pieces (words run together), so a pixel's slack there lets commas
through: tried, it made three commas full stops on 70 heavily degraded pages."""
STOP_ASPECT, STOP_WIDE, STOP_TALL = 1.7, 0.6, 0.2
"""A full stop is at most ``STOP_ASPECT`` times as tall as wide (a square dot blurred at 200 dpi
comes out 3 x 5 pixels), at least ``STOP_WIDE`` times (at 150 dpi it comes out 4 or 5 x 3) and
at most ``STOP_TALL`` box heights tall. On 80 unseen prose pages (1,953 single marks) full stops
measured aspect 0.8-1.67 and height 0.09-0.24, commas 1.2-2.75 and 0.18-0.36; the only commas
ending within ``STOP_DROP`` of the baseline (a tail cut short at 200 dpi) stood 0.22-0.24 tall.
On 20 heavily degraded unseen prose pages at 150 and 200 dpi (750 marks) full stops measured
aspect 0.6-1.5, commas 1.17 and more. Below 0.8 only a mark ``WIDE_ROWS`` rows tall or more is
told: on a 14-pixel line blurred sideways, a comma and a full stop both come out 3 x 2 (a sweep
of 312 installed faces, Noto Serif Display's short comma)."""
WIDE_ROWS = 3
_PUNCT_LOW, _PUNCT_REACH = 0.45, 0.1
"""A comma or full stop lies wholly in the lower part of the line: its top is at most
``_PUNCT_LOW`` (x the box height) above the baseline, and it reaches down to ``_PUNCT_REACH``
above it at least (a hyphen beside it, "hỗ trợ. --no", floats higher: 0.19)."""


def mark_at(grey: np.ndarray, quad: Quad, centre: float) -> str | None:
    """"," or "." for the one small mark low in the line in ``quad`` near page x ``centre``
    (``LineInk.marks_near``), None when the page shows no single clear one there."""
    around = ink_around(grey, quad, centre)
    if around is None:
        return None
    height, baseline = around.height, around.baseline
    near = [b for b in around.marks_near(centre) if b[1] >= baseline - _PUNCT_LOW * height
            and b[1] + b[3] >= baseline - _PUNCT_REACH * height]
    if len(near) != 1:
        return None
    _, by, bw, bh, _ = near[0]
    drop = by + bh - baseline
    if drop >= COMMA_DROP * height and bh >= 1.1 * bw:
        return ","
    widest = STOP_WIDE if bh >= WIDE_ROWS else 0.8
    if abs(drop) <= STOP_DROP * height and widest <= bh / bw <= STOP_ASPECT \
            and bh <= STOP_TALL * height:
        return "."
    return None


QUOTE_HIGH = 0.3
"""A quote's ticks end at least this far (x the box height) above the baseline."""


def _ticks(ink: LineInk, centre: float, beside: bool = True) -> list[Blob]:
    """``marks_near`` that end ``QUOTE_HIGH`` above the baseline (a quote's ticks, a tone
    mark), left to right."""
    return sorted((b for b in ink.marks_near(centre, beside)
                   if b[1] + b[3] <= ink.baseline - QUOTE_HIGH * ink.height),
                  key=lambda b: b[0])


def _quote(ink: LineInk, centre: float) -> str | None:
    """``quote_at`` on this ink."""
    alone = _ticks(ink, centre, beside=False)
    if len(alone) == 1 and alone[0][2] <= 0.6 * alone[0][3]:
        return "'"
    ticks = _ticks(ink, centre)
    if len(ticks) == 2 and ticks[1][0] - (ticks[0][0] + ticks[0][2]) <= 0.2 * ink.height:
        return '"'
    return None


def _gap_before_quote(ink: LineInk, centre: float) -> float | None:
    """``gap_before_quote`` on this ink."""
    ticks = _ticks(ink, centre)
    if not ticks:
        return None
    first = ticks[0][0]
    before = [b[0] + b[2] for b in ink.blobs if b[0] + b[2] <= first]
    return (first - max(before)) / ink.height if before else None


def quote_at(grey: np.ndarray, quad: Quad, centre: float) -> str | None:
    """"'" or '"' for the straight quote high in the line near page x ``centre``: one narrow
    tick with no other high mark near it, or two ticks side by side beside the letters; None
    when the page shows neither clearly. An italic quote's second tick can lean over the next
    letter: only a tick alone among all high marks, tone marks included, is a single quote."""
    around = ink_around(grey, quad, centre)
    return _quote(around, centre) if around is not None else None



SPACE_GAP = 0.26
"""Paper at least this wide (x the box height) before an opening quote's first tick is a word
space: a space and the quote's side bearing measure 0.29-0.62 in three faces from 100 to 300
dpi, a quote glued to a bracket or a word 0.03-0.22."""


def gap_before_quote(grey: np.ndarray, quad: Quad, centre: float) -> float | None:
    """The paper between the straight quote near page x ``centre`` and the ink before it, in box
    heights; None when no quote or no ink before it is seen there."""
    around = ink_around(grey, quad, centre)
    return _gap_before_quote(around, centre) if around is not None else None


def _ends_word(char: str) -> bool:
    """Whether a comma or full stop may follow ``char`` in prose: a letter or digit, a closing
    bracket or quote, a percent sign (never another dot: that is a leader or an ellipsis)."""
    return char.isalnum() or char in ")]%\"'”’"


def _opens(before: str, after: str) -> bool:
    """Whether a straight quote between ``before`` and ``after`` opens a quoted word glued to
    the one before it: no space or quote before it, the start of a word after it."""
    return before not in ' "' and (after.isalnum() or after in "%([")


def settle_punctuation(grey: np.ndarray, quad: Quad, reading: LineReading) -> LineReading:
    """``reading`` with its straight quotes, and each "," or "." that ends a word
    (``_ends_word``) before a space or the line's end or stands between two digits ("97,6",
    "1.000": a decimal comma and a thousands point are both good Vietnamese, only the page
    tells them apart), written as the page shows them. A leader's dots and an ellipsis are left
    as read. A pair of them the page shows as one mark ("tạm,." for "tạm.") is written as that
    one. The space the reader dropped before an opening quote (unseen prose: 3 of 32,
    'hình"%s"' for 'hình "%s"') is put back where the page shows a word space (``SPACE_GAP``);
    a quote's ink is looked at once for both."""
    hits = reading.chars
    chars = [hit.char for hit in hits]
    changes: dict[int, str] = {}
    spaced: list[int] = []
    dropped: list[int] = []
    for index, char in enumerate(chars):
        centre = (hits[index].x0 + hits[index].x1) / 2
        before = changes.get(index - 1, chars[index - 1]) if index else " "
        after = chars[index + 1] if index + 1 < len(chars) else " "
        if _doubled_mark(chars, index) and _ends_word(before):
            seen = mark_at(grey, quad, (hits[index].x0 + hits[index + 1].x1) / 2)
            if seen is not None:
                changes[index] = seen
                dropped.append(index + 1)
            continue
        if char in "'\"":
            around = ink_around(grey, quad, centre)
            seen = _quote(around, centre) if around is not None else None
            if around is not None and (seen or char) == '"' and _opens(before, after):
                gap = _gap_before_quote(around, centre)
                if gap is not None and gap >= SPACE_GAP:
                    spaced.append(index)
        elif char in ",." and index > 0 and (
                (_ends_word(before) and after == " ") or (before.isdigit() and after.isdigit())):
            seen = mark_at(grey, quad, centre)
        else:
            continue
        if seen is not None and seen != char:
            changes[index] = seen
    settled = replace_chars(reading, changes)
    if not spaced and not dropped:
        return settled
    out = list(settled.chars)
    for index in sorted(spaced + dropped, reverse=True):
        if index in dropped:
            del out[index]
        else:
            out.insert(index, CharHit(" ", out[index].prob, out[index - 1].x1, out[index].x0))
    return make_reading(out)


def _doubled_mark(chars: list[str], index: int) -> bool:
    """Whether ``chars[index]`` and the next are two of "," and "." (not "..", a leader's start)
    ending a word: the reader sometimes writes one mark twice ("tạm,. đây" for "tạm. đây": 3 of
    the full stops on 40 unseen prose pages). ``mark_at`` then sees one mark, or two ("v.v.,")
    and leaves them."""
    pair = "".join(chars[index : index + 2])
    return pair in (",.", ".,", ",,") and (index + 2 == len(chars) or chars[index + 2] == " ")
