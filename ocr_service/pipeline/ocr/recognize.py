"""What every CTC line reader shares: crops, splitting, width batching, greedy decoding.

A reader turns text boxes on a page into ``LineReading``s: the text, a confidence, and where
each character sits on the page (so a low-confidence word can be cut out and read again).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from typing import Protocol

import cv2
import numpy as np

from ...domain import Quad
from .detect import as_bgr


@dataclass(frozen=True)
class CharHit:
    """One decoded character with its probability and horizontal extent in page pixels."""

    char: str
    prob: float
    x0: float
    x1: float


@dataclass(frozen=True)
class LineReading:
    text: str
    confidence: float
    chars: tuple[CharHit, ...] = ()


@dataclass
class Piece:
    """A line, or a part of a long line, prepared as one model input."""

    line: int
    """Index of the line (quad) it comes from."""
    pixels: np.ndarray
    """The model input for it, before batching (width = last axis)."""
    page_x: float
    """Page x of the input's first column."""
    scale: float
    """Input pixels per page pixel."""


class LineReader(Protocol):
    def read(self, image: np.ndarray, quads: list[Quad]) -> list[LineReading]:
        """One reading per quad, in the same order."""
        ...

    def read_many(self, jobs: list[tuple[np.ndarray, list[Quad]]]) -> list[list[LineReading]]:
        """``read`` of each ``(image, quads)`` job, model calls shared across jobs where allowed."""
        ...


@dataclass(frozen=True)
class ModelCall:
    """One model call as a reader plans it, built only when it runs (a page set's inputs held
    at once would not fit in memory)."""

    shape: Hashable
    """Calls with equal ``shape`` have inputs of equal shape beyond the batch axis."""
    rows: int
    feeds: Callable[[], dict[str, np.ndarray]]


def run_calls(
    session, calls: list[ModelCall], outputs: list[str] | None, batch_axes: tuple[int, ...],
    merge_rows: int = 0,
) -> list[list[np.ndarray]]:
    """The outputs of each call, in order (``batch_axes``: each output's batch axis).

    ``merge_rows`` 0 runs each call alone, as planned. Above 0, calls of equal ``shape`` (from
    any page of the set) are stacked along the batch axis into model calls of at most that many
    rows, which is what fills a GPU. Stacking never pads: every row's input is exactly what it
    would be alone, and rows are independent in these models, so each row's output is the same
    bits as alone (checked on CPU by tests/unit/test_ocr_batching.py). Widening a row to a common
    width would not be: the recognizers read the padding (AsterNet's greedy path changes).
    """
    if merge_rows <= 0:
        return [list(session.run(outputs, call.feeds())) for call in calls]
    results: list[list[np.ndarray]] = [[] for _ in calls]
    groups: dict[Hashable, list[int]] = {}
    for index, call in enumerate(calls):
        groups.setdefault(call.shape, []).append(index)
    for members in groups.values():
        start = 0
        while start < len(members):
            end, rows = start + 1, calls[members[start]].rows
            while end < len(members) and rows + calls[members[end]].rows <= merge_rows:
                rows += calls[members[end]].rows
                end += 1
            _run_stacked(session, [members[i] for i in range(start, end)], calls, outputs,
                         batch_axes, results)
            start = end
    return results


def _run_stacked(session, members: list[int], calls: list[ModelCall], outputs: list[str] | None,
                 batch_axes: tuple[int, ...], results: list[list[np.ndarray]]) -> None:
    """Run ``members`` as one stacked call and hand each its own rows of every output."""
    if len(members) == 1:
        results[members[0]] = list(session.run(outputs, calls[members[0]].feeds()))
        return
    parts = [calls[i].feeds() for i in members]
    stacked = {name: np.concatenate([feeds[name] for feeds in parts]) for name in parts[0]}
    merged = session.run(outputs, stacked)
    edges = np.cumsum([0] + [calls[i].rows for i in members])
    for n, i in enumerate(members):
        results[i] = [np.take(out, range(edges[n], edges[n + 1]), axis=axis)
                      for out, axis in zip(merged, batch_axes)]


def bounds(quad: Quad) -> tuple[float, float, float, float]:
    """Axis-aligned ``x0, y0, x1, y1`` of a quadrilateral."""
    xs = [p[0] for p in quad]
    ys = [p[1] for p in quad]
    return min(xs), min(ys), max(xs), max(ys)


def rectify(image: np.ndarray, quad: Quad, margin: float = 0.0) -> np.ndarray:
    """Axis-aligned BGR crop of a (possibly rotated) text box, ``margin`` x height added around."""
    pts = np.array(quad, dtype=np.float32)
    width = max(np.linalg.norm(pts[0] - pts[1]), np.linalg.norm(pts[3] - pts[2]))
    height = max(np.linalg.norm(pts[0] - pts[3]), np.linalg.norm(pts[1] - pts[2]))
    pad = margin * height
    out_w, out_h = int(round(width + 2 * pad)), int(round(height + 2 * pad))
    target = np.array(
        [[pad, pad], [pad + width, pad], [pad + width, pad + height], [pad, pad + height]],
        dtype=np.float32,
    )
    matrix = cv2.getPerspectiveTransform(pts, target)
    crop = cv2.warpPerspective(
        as_bgr(image), matrix, (max(out_w, 1), max(out_h, 1)),
        flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE,
    )
    if crop.shape[0] > 1.5 * crop.shape[1]:
        crop = cv2.rotate(crop, cv2.ROTATE_90_COUNTERCLOCKWISE)
    return crop


def cut_points(ink: np.ndarray, max_width: int) -> list[int]:
    """Column indices that cut a line whose per-column ink is ``ink`` into pieces <= max_width.

    Each cut is placed in the middle of the widest run of the least-inked columns within the last
    third of the window, i.e. between words where possible, never through a glyph if a blank
    column exists there.
    """
    cuts, start = [], 0
    while len(ink) - start > max_width:
        lo = start + max_width * 2 // 3
        window = ink[lo : start + max_width]
        blank = np.append(window == window.min(), False)
        best, best_len, run_start = len(window) - 1, 0, None
        for i, is_blank in enumerate(blank):
            if is_blank and run_start is None:
                run_start = i
            elif not is_blank and run_start is not None:
                if i - run_start >= best_len:
                    best, best_len = (run_start + i) // 2, i - run_start
                run_start = None
        start = lo + max(best, 1)
        cuts.append(start)
    return cuts


def column_ink(grey: np.ndarray) -> np.ndarray:
    """Dark pixels per column of a grey line image (text is darker than the paper)."""
    threshold = min(200, int(np.median(grey)) - 40)
    return (grey < threshold).sum(axis=0)


def width_batches(
    widths: list[int], max_batch: int, max_ratio: float = 1.25, max_columns: int | None = None
) -> list[list[int]]:
    """Indices grouped into batches of similar width, narrowest first.

    Padding is not free: the model reads the padding too (time grows with width), and a short
    line padded to many times its width can be misread. A batch closes at ``max_batch`` items,
    when the next item is wider than ``max_ratio`` times the batch's narrowest, or when the batch
    would exceed ``max_columns`` input columns in all (on a CPU, large batches of long lines run
    slower than the same lines one by one, while short words gain from sharing a call).
    """
    batches: list[list[int]] = []
    for i in sorted(range(len(widths)), key=lambda k: widths[k]):
        if (
            batches
            and len(batches[-1]) < max_batch
            and widths[i] <= max_ratio * widths[batches[-1][0]]
            and (max_columns is None or (len(batches[-1]) + 1) * widths[i] <= max_columns)
        ):
            batches[-1].append(i)
        else:
            batches.append([i])
    return batches


def ctc_greedy(best: np.ndarray, prob: np.ndarray) -> list[tuple[int, float, int]]:
    """Collapse a greedy CTC path (class per time step, blank = 0) into (class, prob, step)."""
    keep = (best != 0) & np.append(True, best[1:] != best[:-1])
    steps = np.flatnonzero(keep)
    return [(int(best[t]), float(prob[t]), int(t)) for t in steps]


def place_hits(
    decoded: list[tuple[int, float, int]], char_of: Callable[[int], str],
    page_x: float, stride: float, scale: float,
) -> list[CharHit]:
    """Decoded (class, prob, step) triples as characters placed on the page: step ``t`` covers
    input columns ``stride * t .. stride * (t + 1)`` of an input that starts at page x ``page_x``
    and has ``scale`` input pixels per page pixel."""
    return [
        CharHit(char_of(c), p, page_x + stride * t / scale, page_x + stride * (t + 1) / scale)
        for c, p, t in decoded
    ]


def make_reading(hits: list[CharHit]) -> LineReading:
    """A reading from decoded characters: NFC text, spaces collapsed, mean probability."""
    text = unicodedata.normalize("NFC", "".join(h.char for h in hits))
    text = " ".join(text.split())
    confidence = float(np.mean([h.prob for h in hits])) if hits else 0.0
    return LineReading(text, confidence, tuple(hits))


def replace_chars(reading: LineReading, changes: dict[int, str]) -> LineReading:
    """``reading`` with the characters at ``changes``' indices replaced (text rebuilt, NFC): how
    the second looks at the page (tones, punctuation) write what they settled."""
    if not changes:
        return reading
    hits = [replace(hit, char=changes[i]) if i in changes else hit
            for i, hit in enumerate(reading.chars)]
    return make_reading(hits)


def per_line(count: int, piece_lines: list[int], readings: list[LineReading]) -> list[LineReading]:
    """Readings of line pieces (``piece_lines[i]`` is piece i's line) joined back into lines."""
    parts: list[list[LineReading]] = [[] for _ in range(count)]
    for line, reading in zip(piece_lines, readings):
        parts[line].append(reading)
    return [join_readings(p) for p in parts]


def join_readings(parts: list[LineReading]) -> LineReading:
    """One reading from pieces of a line cut at blank columns (the cuts fall between words)."""
    hits: list[CharHit] = []
    for part in parts:
        if hits and part.chars and hits[-1].char != " ":
            hits.append(CharHit(" ", part.chars[0].prob, hits[-1].x1, part.chars[0].x0))
        hits.extend(part.chars)
    return make_reading(hits)
