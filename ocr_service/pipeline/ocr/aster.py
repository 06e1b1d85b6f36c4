"""The accurate reader: AsterNet, a Vietnamese CTC line recognizer (input 3 x 32 x W, RGB, v/255).

Lines are rectified from their quadrilateral with no extra margin (the detector's box already has
some; tighter crops measured more accurate), scaled to 32 pixels high, and cut at blank columns
when wider than ``max_width`` (the model fails beyond about 32 times its height). The network
downsamples width by 4, so time step ``t`` covers input columns ``4t .. 4t + 4``.
"""

from __future__ import annotations

from pathlib import Path
import json
import unicodedata

import cv2
import numpy as np

from ...domain import Quad
from .recognize import (
    LineReading, ModelCall, Piece, bounds, column_ink, ctc_greedy, cut_points, make_reading,
    per_line, place_hits, rectify, run_calls, width_batches,
)

HEIGHT = 32
STRIDE = 4


def load_vocabulary(path: Path) -> list[str]:
    """Characters by class index; index 0 is the CTC blank."""
    chars = json.loads(path.read_text(encoding="utf-8"))["chars"]
    return [unicodedata.normalize("NFC", c) for c in chars]



class AsterReader:
    """Reads text boxes with AsterNet: similar-width pieces share a model call, up to
    ``batch_size`` of them and ``max_columns`` input columns in all; ``merge_rows`` > 0 lets
    equal-shape calls of several jobs run as one (see ``recognize.run_calls``)."""

    def __init__(
        self, session, vocabulary: list[str], batch_size: int = 16, max_width: int = 800,
        max_columns: int | None = 2048, merge_rows: int = 0,
    ):
        self._session = session
        self._input = session.get_inputs()[0].name
        self._vocabulary = vocabulary
        self._batch_size = batch_size
        self._max_width = max_width
        self._max_columns = max_columns
        self._merge_rows = merge_rows

    def _pieces(self, image: np.ndarray, quads: list[Quad]) -> list[Piece]:
        pieces = []
        for line, quad in enumerate(quads):
            crop = rectify(image, quad)
            scale = HEIGHT / crop.shape[0]
            width = max(HEIGHT // 2, int(round(crop.shape[1] * scale)))
            scaled = cv2.resize(crop, (width, HEIGHT), interpolation=cv2.INTER_AREA)
            edges = [0, *cut_points(column_ink(cv2.cvtColor(scaled, cv2.COLOR_BGR2GRAY)), self._max_width), width]
            x0 = bounds(quad)[0]
            for a, b in zip(edges, edges[1:]):
                pieces.append(Piece(line, scaled[:, a:b], x0 + a / scale, scale))
        return pieces

    @staticmethod
    def _padded_width(images: list[np.ndarray]) -> int:
        return int(np.ceil(max(img.shape[1] for img in images) / STRIDE) * STRIDE)

    def _batch(self, images: list[np.ndarray]) -> np.ndarray:
        width = self._padded_width(images)
        batch = np.full((len(images), HEIGHT, width, 3), 255, dtype=np.uint8)
        for i, img in enumerate(images):
            batch[i, :, : img.shape[1]] = img
        return batch[..., ::-1].transpose(0, 3, 1, 2).astype(np.float32) / 255.0

    def read(self, image: np.ndarray, quads: list[Quad]) -> list[LineReading]:
        return self.read_many([(image, quads)])[0]

    def read_many(self, jobs: list[tuple[np.ndarray, list[Quad]]]) -> list[list[LineReading]]:
        """Each job's readings; each job is batched by width on its own, as ``read`` would, and
        equal-shape calls of different jobs share a model call when ``merge_rows`` allows."""
        planned: list[tuple[int, list[int]]] = []
        calls: list[ModelCall] = []
        all_pieces = [self._pieces(image, quads) for image, quads in jobs]
        for job, pieces in enumerate(all_pieces):
            widths = [p.pixels.shape[1] for p in pieces]
            for chunk in width_batches(widths, self._batch_size, max_columns=self._max_columns):
                images = [pieces[i].pixels for i in chunk]
                planned.append((job, chunk))
                calls.append(ModelCall(self._padded_width(images), len(chunk),
                                       lambda images=images: {self._input: self._batch(images)}))
        outputs = run_calls(self._session, calls, None, (1,), self._merge_rows)
        readings = [[LineReading("", 0.0)] * len(pieces) for pieces in all_pieces]
        for (job, chunk), (log_probs,) in zip(planned, outputs):
            best, prob = log_probs.argmax(axis=2), np.exp(log_probs.max(axis=2))
            for n, i in enumerate(chunk):
                piece = all_pieces[job][i]
                decoded = ctc_greedy(best[:, n], prob[:, n])
                hits = place_hits(decoded, self._vocabulary.__getitem__, piece.page_x, STRIDE,
                                  piece.scale)
                readings[job][i] = make_reading(hits)
        return [per_line(len(quads), [p.line for p in pieces], done)
                for (_, quads), pieces, done in zip(jobs, all_pieces, readings)]
