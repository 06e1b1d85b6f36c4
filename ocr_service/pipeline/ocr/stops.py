"""Line-final full stops the recognizer left out, put back from the page's pixels.

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
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ...domain import Quad
from .recognize import bounds

LOOK_RIGHT = 1.2
"""How far right of the box (x its height) the page must be free of ink after the dot."""
DOT_MAX = 0.28
"""A full stop is at most this tall and wide (x the box height)."""
DOT_MIN = 0.05
BASELINE_SLACK = 0.12
"""Its bottom lies this close (x the box height) to the baseline of the line's letters."""
REACH = 0.35
"""It starts no further left of the box's right edge than this (x the box height)."""
GAP = 0.3
"""And at most this far (x the box height) right of the letter before it."""
ENDINGS = ".,;:!?…)]\"'%"
"""A reading ending in one of these has its final mark already."""


def _ink(grey: np.ndarray) -> np.ndarray:
    _, ink = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    return ink


Blob = tuple[int, int, int, int, int]
"""x, y, width, height, area of one connected piece of ink, in the crop's pixels."""


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
    x0, y0, x1, y1 = bounds(quad)
    height = y1 - y0
    if height < 8:
        return None
    top, bottom = int(max(0, y0)), int(min(grey.shape[0], y1 + 0.1 * height))
    left = int(max(0, x1 - 3 * height))
    right = int(min(grey.shape[1], x1 + LOOK_RIGHT * height))
    crop = grey[top:bottom, left:right]
    if crop.size == 0 or right - x1 < 0.4 * height:
        return None
    count, _, stats, _ = cv2.connectedComponentsWithStats(_ink(crop), connectivity=8)
    blobs: list[Blob] = [tuple(int(v) for v in stats[i]) for i in range(1, count)  # type: ignore[misc]
                         if stats[i, 4] >= 2]
    if not blobs:
        return None
    letters = [b for b in blobs if b[3] >= 0.4 * height]
    # a long leader may fill the whole crop: its dots then give the baseline
    baseline = float(np.median([b[1] + b[3] for b in letters or blobs]))
    last = max(blobs, key=lambda b: b[0] + b[2])  # the ink reaching furthest right
    before = [b for b in blobs if b is not last and b[0] + b[2] <= last[0]]
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
