"""Line-final full stops the recognizer left out, put back from the page's pixels.

The fast reader drops a line's last full stop about half the time (dev pages: 5 of 10 prose lines
ending in "." read without it; on real book pages it is the largest error class): the dot is
small, at the edge of the box, and the detector's box often cuts into it. Whether a line ends in
a full stop can be seen directly on the page: right of the line's last letter there is one small,
roughly square blob of ink sitting on the baseline, and nothing after it. A dot leader is several
such blobs in a row, a comma reaches below the baseline, the dot of "ạ" lies under its letter:
none of those is taken for a full stop.
"""

from __future__ import annotations

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


def ends_with_full_stop(grey: np.ndarray, quad: Quad) -> bool:
    """Whether the page shows a full stop at the end of the text line in ``quad``."""
    x0, y0, x1, y1 = bounds(quad)
    height = y1 - y0
    if height < 8:
        return False
    top, bottom = int(max(0, y0)), int(min(grey.shape[0], y1 + 0.1 * height))
    left = int(max(0, x1 - 3 * height))
    right = int(min(grey.shape[1], x1 + LOOK_RIGHT * height))
    crop = grey[top:bottom, left:right]
    if crop.size == 0 or right - x1 < 0.4 * height:
        return False
    count, _, stats, _ = cv2.connectedComponentsWithStats(_ink(crop), connectivity=8)
    blobs = [tuple(int(v) for v in stats[i]) for i in range(1, count) if stats[i, 4] >= 2]
    if not blobs:
        return False
    letters = [b for b in blobs if b[3] >= 0.4 * height]
    if not letters:
        return False
    baseline = float(np.median([b[1] + b[3] for b in letters]))
    last = max(blobs, key=lambda b: b[0] + b[2])  # the ink reaching furthest right
    bx, by, bw, bh, _ = last
    others = [b for b in blobs if b is not last]
    if not (DOT_MIN * height <= bw <= DOT_MAX * height and DOT_MIN * height <= bh <= DOT_MAX * height):
        return False
    if not 0.5 <= bw / bh <= 2.0 or abs(by + bh - baseline) > BASELINE_SLACK * height:
        return False
    if left + bx < x1 - REACH * height:
        return False
    before = [b for b in others if b[0] + b[2] <= bx]
    if not before:
        return False
    nearest = max(before, key=lambda b: b[0] + b[2])
    if nearest[3] <= DOT_MAX * height and nearest[2] <= DOT_MAX * height:
        return False  # two dots in a row: a leader (or an ellipsis), not a full stop
    if bx - (nearest[0] + nearest[2]) > GAP * height:
        return False  # a full stop follows its word closely; a lone dot further on is not one
    return left + bx + bw <= right - 0.6 * height or right == grey.shape[1]


def restore_full_stop(grey: np.ndarray, quad: Quad, text: str) -> str:
    """``text`` with a final "." when the page shows one after the line and the text lacks it."""
    if not text or text[-1] in ENDINGS or not text[-1].isalnum():
        return text
    return text + "." if ends_with_full_stop(grey, quad) else text
