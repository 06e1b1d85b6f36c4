"""Reading order for detected text boxes on a page.

Boxes are grouped into rows when their vertical extents overlap by more than half of the smaller
height (two boxes on one baseline: a form label and its value, or two table cells), rows are read
top to bottom and boxes left to right within a row. This is the order a clerk reads a one-column
administrative form or letter; multi-column layouts are a later concern.
"""

from __future__ import annotations

from ...domain import Quad


def _span(quad: Quad) -> tuple[float, float, float]:
    ys = [p[1] for p in quad]
    xs = [p[0] for p in quad]
    return min(ys), max(ys), min(xs)


def reading_order(quads: list[Quad]) -> list[int]:
    """Indices of ``quads`` in reading order."""
    return [i for row in rows(quads) for i in row]


def rows(quads: list[Quad]) -> list[list[int]]:
    """Indices of ``quads`` grouped into rows, top to bottom, each left to right."""
    spans = [_span(q) for q in quads]
    grouped: list[list[int]] = []
    row_extent: list[tuple[float, float]] = []
    for i in sorted(range(len(quads)), key=lambda k: (spans[k][0] + spans[k][1]) / 2):
        top, bottom, _ = spans[i]
        if grouped:
            row_top, row_bottom = row_extent[-1]
            overlap = min(bottom, row_bottom) - max(top, row_top)
            if overlap > 0.5 * min(bottom - top, row_bottom - row_top):
                grouped[-1].append(i)
                row_extent[-1] = (min(top, row_top), max(bottom, row_bottom))
                continue
        grouped.append([i])
        row_extent.append((top, bottom))
    return [sorted(row, key=lambda k: spans[k][2]) for row in grouped]
