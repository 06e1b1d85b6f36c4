"""Training lines for the fast recognizer, built exactly as the service builds its inputs.

Two sources, both deterministic by seed:

- ``page_lines``: synthetic pages of the ``dev`` pool (never the ``heldout`` pool that
  ``bench/ocr.py`` reports on), degraded like scans, run through the service's own detector; a
  detected box is kept when it matches one ground-truth line (so it has the detector's margins
  and the real neighbours above and below, dotted blanks included) and the reader would take it
  in one piece.
- ``generated_lines``: ``ocr_service.synth.lines`` strips (corpus words, names, addresses,
  dates, numbers, labels; every Vietnamese-capable font; scan, photocopy and phone degradations),
  with the ground-truth box grown by the margins the detector was measured to add.

Each sample is the reader's input ink map stored as uint8 (the service computes it as
``1 - grey / 255`` from uint8 pixels, so nothing is lost) and the label as charset indices.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ocr_service.config import get_settings
from ocr_service.domain import Quad
from ocr_service.pipeline.ocr.context import ContextReader, ContextSpec
from ocr_service.pipeline.ocr.detect import DetectorParams, detect
from ocr_service.pipeline.ocr.recognize import bounds
from ocr_service.pipeline.ocr.runtime import SessionOptions, open_session
from ocr_service.weights import model_path


@dataclass(frozen=True)
class Sample:
    ink: np.ndarray
    """96 x W uint8, 255 = ink (the model input x 255)."""
    label: tuple[int, ...]
    """Class indices (1-based; 0 is the CTC blank)."""
    text: str
    source: str


class Encoder:
    def __init__(self, charset: list[str]) -> None:
        self.charset = charset
        self._index = {char: i + 1 for i, char in enumerate(charset)}

    def encode(self, text: str) -> tuple[int, ...] | None:
        """Class indices of ``text`` (NFC, runs of spaces as one, "…" as the three dots it looks
        like), None if a character is unknown."""
        text = " ".join(unicodedata.normalize("NFC", text).replace("…", "...").split())
        try:
            return tuple(self._index[char] for char in text)
        except KeyError:
            return None

    def decode(self, ids: list[int]) -> str:
        return "".join(self.charset[i - 1] for i in ids)


def reader_and_encoder() -> tuple[ContextReader, Encoder]:
    """A ``ContextReader`` used only for its input preparation (no model session is opened)."""
    spec = ContextSpec.from_card(model_path("trueocr-rec-vi-meta", get_settings().models_dir))
    return ContextReader(None, spec), Encoder(spec.charset)


def _iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def match_lines(detected: list[Quad], truth: list[tuple[str, Quad]],
                min_iou: float = 0.6) -> list[tuple[Quad, str]]:
    """Detected boxes that overlap exactly one ground-truth line well, with that line's text."""
    truth_boxes = [bounds(quad) for _, quad in truth]
    matched = []
    for quad in detected:
        box = bounds(quad)
        hits = [i for i, t in enumerate(truth_boxes) if _iou(box, t) >= min_iou]
        if len(hits) == 1:
            matched.append((quad, truth[hits[0]][0]))
    return matched


def _samples(reader: ContextReader, encoder: Encoder, grey: np.ndarray,
             lines: list[tuple[Quad, str]], source: str) -> Iterator[Sample]:
    for quad, text in lines:
        pieces = reader.pieces(grey, [quad])
        label = encoder.encode(text)
        if len(pieces) != 1 or not label:
            continue
        ink = np.clip(np.rint(pieces[0].pixels * 255.0), 0, 255).astype(np.uint8)
        if ink.shape[1] // 4 < 2 * len(label) + 1:  # CTC needs room for the label and its repeats
            continue
        yield Sample(ink, label, text, source)


def page_lines(seeds: range, reader: ContextReader, encoder: Encoder) -> Iterator[Sample]:
    """Samples from degraded ``dev``-pool pages, boxes from the service's detector."""
    import cv2

    from ocr_service.synth import degrade_page, render_page

    settings = get_settings()
    session = open_session(model_path("ppocrv6-det-small", settings.models_dir),
                           SessionOptions.from_settings(settings))
    params = DetectorParams(limit_side=settings.ocr_det_limit_side, unclip_ratio=1.3)
    for seed in seeds:
        rng = random.Random(f"train-page:{seed}")
        page = render_page(seed, "dev", rng.choice(("form", "prose")), rng.choice((150, 200, 250, 300)))
        page = degrade_page(page, seed, rng.choice(("light", "scan", "scan", "heavy")))
        boxes = [quad for quad, _ in detect(session, [page.image], params)[0]]
        grey = cv2.cvtColor(page.image, cv2.COLOR_BGR2GRAY)
        yield from _samples(reader, encoder, grey, match_lines(boxes, list(page.lines)),
                            f"page:{seed}")


def grow(quad: Quad, rng: random.Random) -> Quad:
    """The ground-truth box moved by margins like the detector's, drawn between the 10th and
    90th percentiles measured on dev pages (detected minus true edge, in line heights: left
    0.00..0.09 out, right -0.07..0.03, top -0.03..0.11, bottom -0.07..0.03), so the model
    learns the boxes it will get rather than one exact margin."""
    x0, y0, x1, y1 = bounds(quad)
    h = y1 - y0
    box = (x0 - rng.uniform(0.0, 0.09) * h, y0 - rng.uniform(-0.03, 0.11) * h,
           x1 + rng.uniform(-0.07, 0.03) * h, y1 + rng.uniform(-0.07, 0.03) * h)
    return ((box[0], box[1]), (box[2], box[1]), (box[2], box[3]), (box[0], box[3]))


def generated_lines(seeds: range, reader: ContextReader, encoder: Encoder,
                    split: str = "train") -> Iterator[Sample]:
    """Samples from the line generator's strips whose seeds fall in ``split`` ("train", or
    "heldout" for validation), boxes grown like the detector's."""
    from ocr_service.synth.lines import line_sample, split_of

    for seed in seeds:
        if split_of(seed) != split:
            continue
        sample = line_sample(seed)
        quad = grow(sample.box, random.Random(f"grow:{seed}"))
        yield from _samples(reader, encoder, sample.image, [(quad, sample.text)], f"line:{seed}")
