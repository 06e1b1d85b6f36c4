"""Rows of digit boxes ("ô số"), read as one line.

Official forms ask for the 12-digit personal number one digit per box (CT01's "Số định danh cá
nhân"). The detector cuts such a row at the box walls, reads the walls as brackets and drops
some digits: on 40 `dev` CT01 forms, 4 owners' numbers came out short ("096069507557" read
"06957557"), 4 of the 5 fields wrong there. A clerk then has to type them.

Such a row is looked for only where the detector left two or more boxes on one row, and first
cheaply: a comb's walls are columns inked over most of the line's height, and there are seven of
them at least (most rows of text have fewer such columns). Only there is the page's ruling
found (long horizontal rules, vertical walls joining them); a row of at least ``MIN_BOXES`` boxes
of even width, about as wide as tall, is one comb. Its walls are painted out of the page the
reader sees, and the detector's boxes in it give way to one box spanning it, so its digits read
as one line ("0 9 6 0 …").
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ...domain import Quad, to_quad
from .layout import rows
from .recognize import bounds

MIN_BOXES = 6
"""A comb has at least this many boxes (a date's "ngày/tháng/năm" boxes are fewer)."""
BOX_ASPECT = (0.5, 1.6)
"""A box's width over its height."""


@dataclass(frozen=True)
class Comb:
    """One row of digit boxes: its outer box on the page and the ruling to paint out."""

    box: tuple[int, int, int, int]
    """x0, y0, x1, y1 in page pixels, walls included."""
    ruling: np.ndarray
    """Ink of the comb's rules and walls (255), the size of ``box``, grown by a pixel."""


def _bands(quads: list[Quad]) -> list[tuple[int, int, float]]:
    """Page rows (y0, y1, text height) where the detector left two or more boxes, half a box
    height added above and below (a comb's walls stand taller than its digits)."""
    bands = []
    for row in rows(quads):
        if len(row) < 2:
            continue
        boxes = [bounds(quads[i]) for i in row]
        height = float(np.median([b[3] - b[1] for b in boxes]))
        bands.append((int(min(b[1] for b in boxes) - 0.5 * height),
                      int(max(b[3] for b in boxes) + 0.5 * height), height))
    return bands


def _walls(ink: np.ndarray, height: float) -> list[tuple[int, int]]:
    """First and last column of each run of columns inked over ``0.7 * height`` rows at least:
    the walls of a comb ``height`` rows tall (a digit's stroke is shorter than its box)."""
    columns = np.flatnonzero((ink > 0).sum(axis=0) >= 0.7 * height)
    groups: list[list[int]] = []
    for column in columns:
        if groups and column - groups[-1][-1] <= 2:
            groups[-1].append(int(column))
        else:
            groups.append([int(column)])
    return [(group[0], group[-1]) for group in groups]


def _is_comb(walls: list[tuple[int, int]], height: int) -> bool:
    """At least ``MIN_BOXES`` boxes of even width (within 15 %), each ``BOX_ASPECT`` wide."""
    if len(walls) < MIN_BOXES + 1:
        return False
    gaps = np.diff([(first + last) / 2 for first, last in walls])
    middle = float(np.median(gaps))
    return (BOX_ASPECT[0] * height <= middle <= BOX_ASPECT[1] * height
            and float(gaps.max() - gaps.min()) <= 0.15 * middle)


def find_combs(grey: np.ndarray, quads: list[Quad], dpi: float) -> list[Comb]:
    """The combs on a grey page whose detector boxes are ``quads`` (``dpi``: the page's
    resolution, for the length of a rule)."""
    combs = []
    for top, bottom, height in _bands(quads):
        top, bottom = max(0, top), min(grey.shape[0], bottom)
        band = grey[top:bottom]
        if band.size == 0:
            continue
        _, ink = cv2.threshold(band, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
        if len(_walls(ink, 1.1 * height)) < MIN_BOXES + 1:
            continue  # not even seven runs of columns inked over most of a text line: cheap
        rules = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, int(0.3 * dpi)), np.uint8))
        walls = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((int(0.08 * dpi), 1), np.uint8))
        count, _, stats, _ = cv2.connectedComponentsWithStats(cv2.bitwise_or(rules, walls),
                                                              connectivity=8)
        for x, y, w, h, _ in stats[1:count]:
            if not (0.1 * dpi <= h <= 0.5 * dpi and w >= MIN_BOXES * 0.5 * h):
                continue
            found = _walls(walls[y : y + h, x : x + w], h)
            if _is_comb(found, h):
                ruling = rules[y : y + h, x : x + w].copy()
                for first, last in found:  # the walls only: a bold digit's strokes stay
                    ruling[:, first : last + 1] = walls[y : y + h, x + first : x + last + 1]
                grown = cv2.dilate(ruling, np.ones((3, 3), np.uint8))
                combs.append(Comb((int(x), int(top + y), int(x + w), int(top + y + h)), grown))
    return combs


def without_walls(grey: np.ndarray, combs: list[Comb]) -> np.ndarray:
    """A copy of ``grey`` with each comb's rules and walls painted the paper's shade."""
    clean = grey.copy()
    for comb in combs:
        x0, y0, x1, y1 = comb.box
        part = clean[y0:y1, x0:x1]
        paper = int(np.percentile(part, 95))
        part[comb.ruling > 0] = paper
    return clean


def merge_quads(quads: list[Quad], combs: list[Comb]) -> list[Quad]:
    """``quads`` with those whose centre lies in a comb dropped, those reaching into one from
    its left cut at its edge (a label glued to its first box), and one quad per comb."""
    kept: list[Quad] = []
    for quad in quads:
        x0, y0, x1, y1 = bounds(quad)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        inside = [c for c in combs if c.box[0] <= cx <= c.box[2] and c.box[1] <= cy <= c.box[3]]
        if inside:
            continue
        reaching = [c for c in combs if x0 < c.box[0] < x1 and c.box[1] <= cy <= c.box[3]]
        if reaching:
            quad = to_quad((x0, y0, min(c.box[0] for c in reaching), y1))
        kept.append(quad)
    return kept + [to_quad(comb.box) for comb in combs]
