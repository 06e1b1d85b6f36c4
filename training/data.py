"""Training lines for the fast recognizer, built exactly as the service builds its inputs.

Three sources, all deterministic by seed:

- ``page_lines``: synthetic pages of the ``dev`` pool (never the ``heldout`` pool that
  ``bench/ocr.py`` reports on), degraded like scans, run through the service's own detector; a
  detected box is kept when it matches one ground-truth line (so it has the detector's margins
  and the real neighbours above and below, dotted blanks included) and the reader would take it
  in one piece.
- ``form_lines``: filled documents of the ``dev`` pool (``sohoa_dev.synth.forms``: ID cards, CT01,
  birth registration; never the seeds ``bench/fields.py`` tunes on, 500000 and up), read by the
  service's detector and matched like pages, each true line first cut before a trailing dot
  leader as the detector cuts it. They carry what prose pages lack: digits typed one per box,
  e-mail addresses, a short value ending at a leader ("Nam ....."), card labels in two languages.
- ``generated_lines``: ``sohoa_dev.synth.lines`` strips (corpus words, names, addresses,
  dates, numbers, labels; every Vietnamese-capable font; scan, photocopy and phone degradations),
  with the ground-truth box grown by the margins the detector was measured to add.

Each sample is the reader's input ink map stored as uint8 (the service computes it as
``1 - grey / 255`` from uint8 pixels, so nothing is lost) and the label as charset indices.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

import cv2
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


ADDED_CHARS = ('"', "?", "!")
"""Classes our reader has beyond TrueOCR's charset, appended after it (TrueOCR's indices are
unchanged). Its charset has curly quotes but no straight ``"``, no ``?`` and no ``!``: every
training line holding one was refused, so the reader learnt to drop the quotes of direct speech
on every prose page, and could never write a question ("?" came out as "2")."""


def training_charset(base: list[str]) -> list[str]:
    """``base`` with ``ADDED_CHARS`` appended where missing, in that order."""
    return [*base, *(char for char in ADDED_CHARS if char not in base)]


def reader_and_encoder() -> tuple[ContextReader, Encoder]:
    """A ``ContextReader`` used only for its input preparation (no model session is opened), and
    the encoder of TrueOCR's charset plus ``ADDED_CHARS``."""
    spec = ContextSpec.from_card(model_path("trueocr-rec-vi-meta", get_settings().models_dir))
    return ContextReader(None, spec), Encoder(training_charset(spec.charset))


def _iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def match_lines(detected: list[Quad], truth: list[tuple[str, Quad]],
                min_iou: float = 0.6, max_edge: float = 0.5) -> list[tuple[Quad, str]]:
    """Detected boxes that overlap exactly one ground-truth line well and span all of it (each
    end within ``max_edge`` line heights of the true one), with that line's text.

    Overlap alone is not enough: the detector often stops a box where a row's dot leader or its
    second field begins, and such a box still overlaps the whole row by more than ``min_iou``; its
    label would then hold words the image lacks, and the model learns to drop the last letters
    of a line (measured: "ĐOÀN XUÂN ĐẠT" read "ĐOÀN XUÂN ĐẤ" by a model trained that way)."""
    truth_boxes = [bounds(quad) for _, quad in truth]
    matched = []
    for quad in detected:
        box = bounds(quad)
        hits = [i for i, t in enumerate(truth_boxes) if _iou(box, t) >= min_iou]
        if len(hits) != 1:
            continue
        t = truth_boxes[hits[0]]
        edge = max_edge * (t[3] - t[1])
        if abs(box[0] - t[0]) <= edge and abs(box[2] - t[2]) <= edge:
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


def _detector() -> tuple[object, DetectorParams]:
    """The service's detector as the committed reader was trained with: the float weights, the
    configured input size, the engine's unclip ratio."""
    settings = get_settings()
    session = open_session(model_path("ppocrv6-det-small", settings.models_dir),
                           SessionOptions.from_settings(settings))
    return session, DetectorParams(limit_side=settings.ocr_det_limit_side, unclip_ratio=1.3)


def detected_lines(detector: tuple[object, DetectorParams], image: np.ndarray,
                   truth: list[tuple[str, Quad]]) -> list[tuple[Quad, str]]:
    """The boxes the detector finds on ``image`` that match one ``truth`` line, with its text."""
    session, params = detector
    boxes = [quad for quad, _ in detect(session, [image], params)[0]]
    return match_lines(boxes, truth)


def page_boxes(seeds: range) -> Iterator[tuple[np.ndarray, list[tuple[Quad, str]], str]]:
    """``(grey page, detected lines with their text, source)`` of degraded ``dev``-pool pages,
    boxes from the service's detector."""

    from sohoa_dev.synth import degrade_page, render_page

    detector = _detector()
    for seed in seeds:
        rng = random.Random(f"train-page:{seed}")
        page = render_page(seed, "dev", rng.choice(("form", "prose")), rng.choice((150, 200, 250, 300)))
        page = degrade_page(page, seed, rng.choice(("light", "scan", "scan", "heavy")))
        grey = cv2.cvtColor(page.image, cv2.COLOR_BGR2GRAY)
        yield grey, detected_lines(detector, page.image, list(page.lines)), f"page:{seed}"


def form_boxes(seeds: range) -> Iterator[tuple[np.ndarray, list[tuple[Quad, str]], str]]:
    """``(grey page, detected lines with their text, source)`` of filled ``dev``-pool documents
    (form types in turn by seed), boxes from the service's detector; upright pages only (turned
    ones are the clean-up's to stand up)."""
    from sohoa_dev.synth.forms import FORM_TYPES, make_form_sample

    detector = _detector()
    for seed in seeds:
        sample = make_form_sample(FORM_TYPES[seed % len(FORM_TYPES)], seed, "dev")
        for number, (image, lines) in enumerate(zip(sample.pages, sample.lines)):
            if sample.turns and sample.turns[number]:
                continue
            grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
            cuts = filter(None, (as_detected(grey, quad, text) for text, quad in lines))
            yield grey, detected_lines(detector, image, [(text, quad) for quad, text in cuts]), \
                f"form:{seed}:{number}"


def page_lines(seeds: range, reader: ContextReader, encoder: Encoder) -> Iterator[Sample]:
    """Samples from degraded ``dev``-pool pages (``page_boxes``)."""
    for grey, lines, source in page_boxes(seeds):
        yield from _samples(reader, encoder, grey, lines, source)


def form_lines(seeds: range, reader: ContextReader, encoder: Encoder) -> Iterator[Sample]:
    """Samples from filled ``dev``-pool documents (``form_boxes``)."""
    for grey, lines, source in form_boxes(seeds):
        yield from _samples(reader, encoder, grey, lines, source)


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


_TRAILING_LEADER = re.compile(r"\s*[.…](?:\s*[.…]){2,}\s*$")
_ANY_LEADER = re.compile(r"[.…](?:\s*[.…]){2,}")


def as_detected(grey: np.ndarray, quad: Quad, text: str) -> tuple[Quad, str] | None:
    """The generated line as the service's detector would hand it over, or None.

    The detector stops a box where a dot leader begins (it is trained to separate text from
    "......"), so the reader sees a line's words with the first dots in its margin, and must not
    read them. A line ending in a leader is cut after its last ink above the dots' height (the
    colon's upper dot counts) and labelled without the dots; a line with a leader inside would
    come as two boxes, so it is left out. A tilted line (a skewed form page) is straightened
    to find the cut, which is then put back on its quad's top and bottom edges.
    Measured: a model trained on whole lines read "ĐẠT ...." (leader in the margin) as "ĐẤ"."""
    if not _ANY_LEADER.search(text):
        return quad, text
    words = _TRAILING_LEADER.sub("", text).strip()
    if _ANY_LEADER.search(words) or not words:
        return None
    corners = np.array(quad, dtype=np.float32)
    width = int(round(float(np.linalg.norm(corners[1] - corners[0]))))
    height = int(round(float(np.linalg.norm(corners[3] - corners[0]))))
    if width < 2 or height < 2:
        return None
    upright = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    strip = cv2.warpPerspective(grey, cv2.getPerspectiveTransform(corners, upright), (width, height),
                                flags=cv2.INTER_LINEAR, borderValue=255)
    _, ink = cv2.threshold(strip, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    above_dots = np.flatnonzero(ink[: int(0.6 * height)].any(axis=0))
    if above_dots.size == 0:
        return None
    share = min(1.0, (int(above_dots[-1]) + 1 + 0.05 * height) / width)
    top_right = corners[0] + share * (corners[1] - corners[0])
    bottom_right = corners[3] + share * (corners[2] - corners[3])
    cut = (corners[0], top_right, bottom_right, corners[3])
    return tuple((float(x), float(y)) for x, y in cut), words  # type: ignore[return-value]


def generated_lines(seeds: range, reader: ContextReader, encoder: Encoder,
                    split: str = "train") -> Iterator[Sample]:
    """Samples from the line generator's strips whose seeds fall in ``split`` ("train", or
    "heldout" for validation), boxes grown like the detector's and cut before dot leaders."""
    from sohoa_dev.synth.lines import line_sample, split_of

    for seed in seeds:
        if split_of(seed) != split:
            continue
        sample = line_sample(seed)
        detected = as_detected(sample.image, sample.box, sample.text)
        if detected is None:
            continue
        quad = grow(detected[0], random.Random(f"grow:{seed}"))
        yield from _samples(reader, encoder, sample.image, [(quad, detected[1])], f"line:{seed}")
