"""A detector box that holds several lines is cut into its lines.

A signature written across the text (over a seal, at the foot of a certified copy) links the
lines it crosses, and the detector's probability map then makes one tall box of them: the reader,
which reads one line, returns garble for all of them ("NNN" for two lines and a flourish). Within
such a box the printed lines still show as bands of dense ink, and the gaps between them carry
only the signature's thin strokes: each band is cut out as a line of its own.

Only boxes at least ``TALL`` times as high as the page's usual line are looked at, and a box is
cut only into two or more bands, each ``MIN_BAND`` to ``MAX_BAND`` of a line high; a band another
box already holds (a line the tall box ran over) is not read twice. Anything else is left as found.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from ...domain import Quad, to_quad
from .recognize import bounds

TALL = 2.2
"""How many usual line heights a box must span to be looked at."""
MIN_BAND = 0.5
"""Least height, in usual line heights, of a band cut out as a line."""
MAX_BAND = 1.8
"""Most height, in usual line heights, of a band: a taller one is large type, and a box holding
it is left whole (a title's tone marks are a band of their own, not a line)."""
GAP_INK = 0.25
"""A row is a gap between lines when its ink is under this share of the densest row's."""


def _line_height(quads: Sequence[Quad]) -> float | None:
    """The page's usual line height: the median height of boxes at least twice as wide."""
    heights = [y1 - y0 for x0, y0, x1, y1 in map(bounds, quads) if x1 - x0 >= 2 * (y1 - y0)]
    return float(np.median(heights)) if len(heights) >= 3 else None


def _bands(profile: np.ndarray, line: float) -> list[tuple[int, int]]:
    """Runs of rows dense with ink; a run shorter than ``MIN_BAND`` lines (tone marks over a line,
    a stroke of the signature) joins the nearest run, if it is close, or is dropped."""
    dense = profile >= GAP_INK * profile.max()
    runs, start = [], None
    for row, on in enumerate(dense):
        if on and start is None:
            start = row
        elif not on and start is not None:
            runs.append((start, row))
            start = None
    if start is not None:
        runs.append((start, len(dense)))
    merged: list[tuple[int, int]] = []
    for top, bottom in runs:
        if merged and top - merged[-1][1] < 0.3 * line and (
                bottom - top < MIN_BAND * line or merged[-1][1] - merged[-1][0] < MIN_BAND * line):
            merged[-1] = (merged[-1][0], bottom)
        else:
            merged.append((top, bottom))
    return [(top, bottom) for top, bottom in merged if bottom - top >= MIN_BAND * line]


def split_stacked(grey: np.ndarray, quads: list[Quad]) -> list[Quad]:
    """``quads`` with every box that spans several printed lines replaced by one box a line,
    top to bottom in its place; the list itself when no box is cut."""
    line = _line_height(quads)
    if line is None:
        return quads
    out: list[Quad] = []
    cut = False
    for quad in quads:
        x0, y0, x1, y1 = bounds(quad)
        if y1 - y0 < TALL * line or x1 - x0 < 3 * line:
            out.append(quad)
            continue
        top, left = max(0, int(y0)), max(0, int(x0))
        crop = grey[top:int(np.ceil(y1)) + 1, left:int(np.ceil(x1)) + 1]
        _, ink = cv2.threshold(crop, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
        window = max(1, int(line / 6))
        profile = np.convolve(ink.mean(axis=1), np.ones(window) / window, mode="same")
        bands = _bands(profile, line) if profile.max() > 0 else []
        if len(bands) < 2 or any(bottom - top > MAX_BAND * line for top, bottom in bands):
            out.append(quad)  # one line, or large type (a title): no lines of print to cut
            continue
        cut = True
        pad = 0.15 * line
        others = [bounds(other) for other in quads if other is not quad]
        for band_top, band_bottom in bands:
            columns = np.nonzero(ink[band_top:band_bottom].any(axis=0))[0]
            box = (left + float(columns[0]), max(0.0, top + band_top - pad),
                   left + float(columns[-1]) + 1, top + band_bottom + pad)
            if not any(_covers(other, box) for other in others):
                out.append(to_quad(box))
    return out if cut else quads


def _covers(other: tuple[float, float, float, float], band: tuple[float, float, float, float]
            ) -> bool:
    """Whether another box already holds most of a band (a line the tall box ran over, which
    the detector found on its own too)."""
    across = min(other[2], band[2]) - max(other[0], band[0])
    down = min(other[3], band[3]) - max(other[1], band[1])
    return across >= 0.5 * (band[2] - band[0]) and down >= 0.5 * (band[3] - band[1])
