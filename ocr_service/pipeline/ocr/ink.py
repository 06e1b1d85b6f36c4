"""The ink of a text line on the page: its pieces, its letters and its baseline.

The second looks at punctuation (``stops``) and dashes (``dashes``) judge small marks the reader
is unsure of by their shape and place against the letters around them. This module cuts the
page beside a line, labels its pieces of ink and finds the baseline they are measured from.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ...domain import Quad
from .recognize import bounds

Blob = tuple[int, int, int, int, int]
"""x, y, width, height, area of one connected piece of ink, in the crop's pixels."""

DOT_MAX = 0.28
"""A full stop (or any small mark) is at most this tall and wide (x the box height)."""


def ink_map(grey: np.ndarray) -> np.ndarray:
    """``grey`` thresholded (Otsu): 255 where there is ink."""
    _, ink = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    return ink


def pieces(ink: np.ndarray) -> list[Blob]:
    """The connected pieces of an ink map (255 = ink), specks of one pixel left out."""
    _, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    kept = stats[1:][stats[1:, 4] >= 2]
    return [tuple(row) for row in kept.tolist()]  # type: ignore[misc]


def blobs(crop: np.ndarray) -> list[Blob]:
    """The pieces of ink in ``crop`` (grey)."""
    return pieces(ink_map(crop))


def box_height(quad: Quad) -> float:
    _, y0, _, y1 = bounds(quad)
    return y1 - y0


def window(grey: np.ndarray, quad: Quad, x_from: float, x_to: float,
           below: float) -> tuple[np.ndarray, int] | None:
    """The page beside the line in ``quad`` from page x ``x_from`` to ``x_to`` (cut at the
    page's edges), from the box's top to ``below`` box heights under it, and its page x; None
    for a box too small to judge or a window off the page."""
    _, y0, _, y1 = bounds(quad)
    height = y1 - y0
    if height < 8:
        return None
    top, bottom = int(max(0, y0)), int(min(grey.shape[0], y1 + below * height))
    left, right = int(max(0, x_from)), int(min(grey.shape[1], x_to))
    crop = grey[top:bottom, left:right]
    return (crop, left) if crop.size else None


def baseline(bottoms: list[int], height: float) -> float:
    """The line's baseline: the bottom most letters share. Descenders and brackets end below
    it, and a "%"'s upper ring above it, so neither a median nor a low quantile of few letters
    finds it."""
    values = np.asarray(bottoms, dtype=np.float64)
    votes = (np.abs(values[:, None] - values[None, :]) <= 0.04 * height + 1).sum(axis=1)
    return float(np.median(values[votes == votes.max()]))


@dataclass(frozen=True)
class LineInk:
    """The ink of a line around one place: its pieces, which of them are letters, the
    baseline, and the page x of the crop's left edge."""

    blobs: list[Blob]
    letters: list[Blob]
    baseline: float
    left: int
    height: float
    ink: np.ndarray
    """The crop's ink map (255 = ink), in the blobs' pixels."""

    def marks_near(self, centre: float, beside: bool = True) -> list[Blob]:
        """Small pieces at most half a box height from page x ``centre``; ``beside``: only
        those beside the letters, not under or over one (the dot of "ạ", a tone mark)."""
        def over_a_letter(blob: Blob) -> bool:
            middle = blob[0] + blob[2] / 2
            return any(b[0] <= middle <= b[0] + b[2] for b in self.letters)

        return [b for b in self.blobs
                if b[2] <= DOT_MAX * self.height and b[3] <= 0.5 * self.height
                and abs(self.left + b[0] + b[2] / 2 - centre) <= 0.5 * self.height
                and not (beside and over_a_letter(b))]


def ink_around(grey: np.ndarray, quad: Quad, centre: float) -> LineInk | None:
    """The ink of the line in ``quad`` three box heights either side of page x ``centre``, down
    to 0.35 box heights below the box; None when too few letters are there to find the
    baseline. A piece touching the crop's bottom belongs to the next line and is left out."""
    height = box_height(quad)
    cut = window(grey, quad, centre - 3 * height, centre + 3 * height, 0.35)
    if cut is None:
        return None
    crop, left = cut
    ink = ink_map(crop)
    found = [b for b in pieces(ink) if b[1] + b[3] < crop.shape[0]]
    letters = [b for b in found if b[3] >= 0.4 * height]
    if len(letters) < 2:
        return None
    return LineInk(found, letters, baseline([b[1] + b[3] for b in letters], height), left,
                   height, ink)
