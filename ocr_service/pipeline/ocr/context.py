"""The fast reader: TrueOCR's Vietnamese CTC recognizer, which reads a line in its context.

Its input is an "ink map" (1 = ink, 0 = paper) 96 pixels high holding the line's box and the
page just above and below it: the box is grown by ``pad_x`` x its height left and right and so
that the line fills the middle third vertically. It returns the greedy CTC path with each step's
probability. Widths above ``max_width`` would be squeezed by the model's contract, so wider lines
are cut first at the blankest columns of the page between words.
"""

from __future__ import annotations

import json
import math
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ...domain import Quad
from .recognize import (
    LineReading, ModelCall, Piece, bounds, column_ink, ctc_greedy, cut_points, make_reading,
    per_line, place_hits, run_calls, width_batches,
)

HEIGHT = 32
WINDOW = 3
WIDTH_MULTIPLE = 8
CONTEXT_HALO = 8
"""Zero columns past the widest line, so the model's context branch sees the same edge in a batch."""


@dataclass(frozen=True)
class ContextSpec:
    charset: list[str]
    max_width: int = 768
    pad_x: float = 0.3
    pad_y: float = 0.2

    @classmethod
    def from_card(cls, path: Path) -> ContextSpec:
        card = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            charset=[unicodedata.normalize("NFC", c) for c in card["charset"]],
            max_width=int(card.get("max_width", 768)),
            pad_x=float(card.get("pad_x", 0.3)),
        )



def grey_of(image: np.ndarray) -> np.ndarray:
    """``image`` in grey (as it is when it already is)."""
    return image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


class ContextReader:
    """Reads text boxes with the TrueOCR recognizer, similar widths batched together;
    ``merge_rows`` > 0 lets equal-shape calls of several jobs run as one
    (``recognize.run_calls``)."""

    def __init__(self, session, spec: ContextSpec, batch_size: int = 64, merge_rows: int = 0):
        self._session = session
        self._merge_rows = merge_rows
        self._spec = spec
        self._batch_size = batch_size

    def _ink_map(self, grey: np.ndarray, x0: float, y0: float, x1: float, y1: float,
                 cut_left: bool = False, cut_right: bool = False) -> tuple[np.ndarray, float, float]:
        """Ink map of the box grown by the model's paddings; returns it, its page x and scale.

        A side where a long line was cut into pieces (``cut_left``, ``cut_right``) is padded
        with paper, not with the page: there the padding would hold the first letter of the next
        word, and the reader read its sliver as a mark ("trung học cơ: sở")."""
        h = max(1.0, y1 - y0)
        pad_y = (WINDOW * (1 + 2 * self._spec.pad_y) - 1) / 2
        ix0, iy0 = math.floor(x0 - self._spec.pad_x * h), math.floor(y0 - pad_y * h)
        ix1, iy1 = math.ceil(x1 + self._spec.pad_x * h), math.ceil(y1 + pad_y * h)
        crop = np.full((iy1 - iy0, ix1 - ix0), 255, np.uint8)
        sx0, sy0 = max(0, ix0), max(0, iy0)
        sx1, sy1 = min(grey.shape[1], ix1), min(grey.shape[0], iy1)
        if cut_left:
            sx0 = max(sx0, math.floor(x0))
        if cut_right:
            sx1 = min(sx1, math.ceil(x1))
        if sx1 > sx0 and sy1 > sy0:
            crop[sy0 - iy0 : sy1 - iy0, sx0 - ix0 : sx1 - ix0] = grey[sy0:sy1, sx0:sx1]
        scale = HEIGHT * WINDOW / crop.shape[0]
        width = max(WIDTH_MULTIPLE, round(crop.shape[1] * scale))
        interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        resized = cv2.resize(crop, (width, HEIGHT * WINDOW), interpolation=interpolation)
        return 1.0 - resized.astype(np.float32) / 255.0, float(ix0), scale

    def pieces(self, grey: np.ndarray, quads: list[Quad]) -> list[Piece]:
        """The model inputs of ``quads`` on a grey page: one per line, or several for a line
        wider than the model takes (public: training builds its inputs exactly like this)."""
        pieces = []
        for line, quad in enumerate(quads):
            x0, y0, x1, y1 = bounds(quad)
            h = max(1.0, y1 - y0)
            scale = HEIGHT * WINDOW / (h * (WINDOW * (1 + 2 * self._spec.pad_y)))
            limit = int(self._spec.max_width / scale - 2 * self._spec.pad_x * h)
            band = grey[max(0, int(y0)) : max(int(y0) + 1, int(y1)), max(0, int(x0)) : max(int(x0) + 1, int(x1))]
            edges = [0, *cut_points(column_ink(band), max(limit, 8)), band.shape[1]]
            for a, b in zip(edges, edges[1:]):
                ink, page_x, s = self._ink_map(grey, x0 + a, y0, x0 + b, y1,
                                               cut_left=a > 0, cut_right=b < band.shape[1])
                pieces.append(Piece(line, ink, page_x, s))
        return pieces

    def read(self, image: np.ndarray, quads: list[Quad]) -> list[LineReading]:
        return self.read_many([(image, quads)])[0]

    def read_many(self, jobs: list[tuple[np.ndarray, list[Quad]]]) -> list[list[LineReading]]:
        """Each job's readings; each job is batched by width on its own, as ``read`` would, and
        equal-shape calls of different jobs share a model call when ``merge_rows`` allows."""
        planned: list[tuple[int, list[int]]] = []
        calls: list[ModelCall] = []
        all_pieces = [self.pieces(grey_of(image), quads) for image, quads in jobs]
        for job, pieces in enumerate(all_pieces):
            for chunk in width_batches([p.pixels.shape[1] for p in pieces], self._batch_size, 1.3):
                inks = [pieces[i].pixels for i in chunk]
                width = math.ceil(max(ink.shape[1] for ink in inks) / WIDTH_MULTIPLE)
                width *= WIDTH_MULTIPLE
                planned.append((job, chunk))
                calls.append(ModelCall(width, len(chunk),
                                       lambda inks=inks, width=width: self._feeds(inks, width)))
        outputs = run_calls(self._session, calls, ["ids", "conf", "lengths"], (0, 0, 0),
                            self._merge_rows)
        readings = [[LineReading("", 0.0)] * len(pieces) for pieces in all_pieces]
        for (job, chunk), (ids, conf, lengths) in zip(planned, outputs):
            for n, i in enumerate(chunk):
                piece, steps = all_pieces[job][i], int(lengths[n])
                decoded = ctc_greedy(ids[n, :steps], conf[n, :steps])
                stride = piece.pixels.shape[1] / max(1, steps)
                hits = place_hits(decoded, self._char, piece.page_x, stride, piece.scale)
                readings[job][i] = make_reading(hits)
        return [per_line(len(quads), [p.line for p in pieces], done)
                for (_, quads), pieces, done in zip(jobs, all_pieces, readings)]

    @staticmethod
    def _feeds(inks: list[np.ndarray], width: int) -> dict[str, np.ndarray]:
        """One model input: the ink maps left-aligned on zeros, ``CONTEXT_HALO`` columns past
        ``width``, with each map's own width."""
        batch = np.zeros((len(inks), 1, HEIGHT * WINDOW, width + CONTEXT_HALO), np.float32)
        widths = np.zeros(len(inks), np.int64)
        for n, ink in enumerate(inks):
            batch[n, 0, :, : ink.shape[1]] = ink
            widths[n] = ink.shape[1]
        return {"x": batch, "widths": widths}

    def _char(self, index: int) -> str:
        return self._spec.charset[index - 1]  # class 0 is the blank, not in the charset
