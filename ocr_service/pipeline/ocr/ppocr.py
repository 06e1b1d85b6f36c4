"""The default engine: PP-OCRv6 text detection + Vietnamese CTC line readers, on onnxruntime.

``SOHOA_OCR_RECOGNIZER`` chooses how lines are read:

- ``fast`` (default): the fast reader alone;
- ``fused``: the fast reader on every line, the accurate reader on the words the fast one is
  unsure of (see ``fusion``): it paid with the published fast weights, not with ours;
- ``accurate``: AsterNet on every line (several times slower on a CPU).

The fast reader is TrueOCR's recognizer with our weights (``sohoa-rec-vi``, fine-tuned by
``training/train_recognizer.py``, the default) or its published ones
(``SOHOA_OCR_FAST_MODEL=trueocr-rec-vi``); ``SOHOA_OCR_SECOND_READER`` adds the other as a
second opinion per word (``fusion.second_opinion``). The detector is PP-OCRv6 small, quantized
to int8 on a CPU (``SOHOA_OCR_DET_MODEL``, ``detector_model``).

``SOHOA_OCR_BATCH_PAGES`` above 1 reads the pages of one call together, for GPUs: the detector
takes up to that many pages of equal input size per call, and the readers' calls of equal input
shape from all pages are stacked into calls of up to ``SOHOA_OCR_BATCH_ROWS`` rows. Each page is
still planned on its own (same crops, same width batches, no extra padding), so the text is the
same as page by page, whatever the grouping. On a CPU it gains little (+3 % pages/s on 2 cores,
``bench/gpu.py``), so the default stays 1, page by page.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import numpy as np

from ...config import Settings, get_settings
from ...domain import OcrLine, PageImage, PageText, Quad
from ...weights import model_path, read_manifest
from .aster import AsterReader, load_vocabulary
from .base import clean_text
from .casing import settle_case
from .combs import find_combs, merge_quads, without_walls
from .context import ContextReader, ContextSpec, grey_of
from .dashes import settle_dashes
from .dropout import without_red_ink
from .detect import DetectorParams, detect, input_size
from .fusion import apply_rereads, second_opinion, uncertain_words
from .layout import reading_order
from .recognize import LineReading
from .runtime import SessionOptions, choose_providers, open_session
from .stacked import split_stacked
from .stops import settle_full_stop, settle_punctuation
from .tones import ToneJudge


def detector_model(choice: str, device: str, available: list[str] | None = None) -> str:
    """The detector's manifest name for ``SOHOA_OCR_DET_MODEL``: ``auto`` is the int8 model
    where the provider ``device`` resolves to (among ``available``, onnxruntime's by default)
    is the CPU, and the float one on a GPU."""
    if choice != "auto":
        return choice
    if available is None:
        import onnxruntime as ort

        available = ort.get_available_providers()
    on_cpu = choose_providers(device, available)[0] == "CPUExecutionProvider"
    return "ppocrv6-det-small-int8" if on_cpu else "ppocrv6-det-small"


class PpocrEngine:
    """PP-OCRv6 detector + Vietnamese line readers, with our own pre/post-processing."""

    name = "ppocr"

    def __init__(self, settings: Settings | None = None, models_dir: Path | None = None) -> None:
        settings = settings or get_settings()
        folder = models_dir or settings.models_dir

        self.models: dict[str, str] = {}
        """sha256 of every weight file this engine loaded, by manifest name (for e-record manifests)."""
        self.stage_seconds: dict[str, float] = {}
        """Seconds spent per stage since the last reset ("detect", "read", "reread", "text"),
        summed over page threads: ``bench/ocr.py`` prints them per page to show where time goes."""
        self._stage_lock = threading.Lock()

        options = SessionOptions.from_settings(settings)

        def session(name: str):
            self.models[name] = read_manifest()[name].sha256
            return open_session(model_path(name, folder), options)

        self._mode = settings.ocr_recognizer
        self._page_workers = settings.ocr_page_workers
        self._batch_pages = max(1, settings.ocr_batch_pages)
        merge_rows = settings.ocr_batch_rows if self._batch_pages > 1 else 0
        self._reread_below = settings.ocr_reread_below
        self._det = session(detector_model(settings.ocr_det_model, settings.ocr_device))
        self._det_params = DetectorParams(limit_side=settings.ocr_det_limit_side, unclip_ratio=1.3)
        self._accurate = self._fast = self._second = None
        if self._mode in ("accurate", "fused"):
            self._accurate = AsterReader(
                session("asternet-vi"),
                load_vocabulary(model_path("asternet-vi-vocab", folder)),
                batch_size=settings.ocr_rec_batch_size,
                max_columns=settings.ocr_rec_batch_columns,
                merge_rows=merge_rows,
            )
        if self._mode in ("fast", "fused"):
            def reader(weights: str) -> ContextReader:
                return ContextReader(session(weights),
                                     ContextSpec.from_card(model_path(f"{weights}-meta", folder)),
                                     merge_rows=merge_rows)

            self._fast = reader(settings.ocr_fast_model)
            second = settings.ocr_second_reader
            self._second = reader(second) if second and second != settings.ocr_fast_model else None
        self._tones = None
        if self._fast is not None and settings.ocr_tone_model:
            self._tones = ToneJudge.of_session(session(settings.ocr_tone_model),
                                               settings.ocr_tone_check_below,
                                               settings.ocr_tone_sure)

    @contextmanager
    def _stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            with self._stage_lock:
                self.stage_seconds[name] = (self.stage_seconds.get(name, 0.0)
                                            + time.perf_counter() - start)

    def _detect(self, pages: list[PageImage]) -> list[list[Quad]]:
        """Each page's text boxes in reading order; pages of equal detector input size share
        calls of up to ``batch_pages`` pages."""
        groups: dict[tuple[int, int], list[int]] = {}
        for index, page in enumerate(pages):
            size = input_size(*page.image.shape[:2], self._det_params.limit_side)
            groups.setdefault(size, []).append(index)
        found: list[list[tuple[Quad, float]]] = [[] for _ in pages]
        for members in groups.values():
            for start in range(0, len(members), self._batch_pages):
                chunk = members[start : start + self._batch_pages]
                for index, boxes in zip(chunk, detect(self._det, [pages[i].image for i in chunk],
                                                      self._det_params)):
                    found[index] = boxes
        return [[boxes[i][0] for i in reading_order([quad for quad, _ in boxes])]
                for boxes in found]

    def _read(self, jobs: list[tuple[np.ndarray, list[Quad]]],
              greys: list[np.ndarray]) -> list[list[LineReading]]:
        """Readings of each ``(image, quads)`` job (``greys``: each image in grey): the fast
        reader and its tone judge, then the accurate reader on the words the fast one is unsure
        of (``fusion``), each reader's calls shared across jobs."""
        if self._fast is None:
            with self._stage("read"):
                return self._accurate.read_many(jobs)
        grey_jobs = [(grey, quads) for grey, (_, quads) in zip(greys, jobs)]
        with self._stage("read"):
            readings = self._fast.read_many(grey_jobs)
            if self._second is not None:
                others = self._second.read_many(grey_jobs)
                readings = [[second_opinion(mine, theirs) for mine, theirs in zip(page, other)]
                            for page, other in zip(readings, others)]
        if self._tones is not None:
            with self._stage("tones"):
                readings = [self._tones.settle(grey, quads, read)
                            for (grey, quads), read in zip(grey_jobs, readings)]
        if self._accurate is None:
            return readings
        plans = [uncertain_words(quads, read, self._reread_below)
                 for (_, quads), read in zip(jobs, readings)]
        unsure = [i for i, (targets, _) in enumerate(plans) if targets]
        with self._stage("reread"):
            rereads = self._accurate.read_many([(jobs[i][0], plans[i][1]) for i in unsure])
        for i, reread in zip(unsure, rereads):
            readings[i] = apply_rereads(readings[i], plans[i][0], reread)
        return readings

    def _pages(self, pages: list[PageImage]) -> list[PageText]:
        """Detect and read ``pages`` together (one page: exactly the page-by-page path)."""
        with self._stage("detect"):
            pages = [replace(page, image=without_red_ink(page.image)) for page in pages]
            quads = self._detect(pages)
            greys = [grey_of(page.image) for page in pages]
            for n, page in enumerate(pages):
                split = split_stacked(greys[n], quads[n])
                if split is not quads[n]:
                    quads[n] = [split[i] for i in reading_order(split)]
                quads[n], greys[n] = self._comb_rows(page, greys[n], quads[n])
        readings = self._read([(page.image, q) for page, q in zip(pages, quads)], greys)
        with self._stage("text"):
            return [self._page_text(page, grey, q, r)
                    for page, grey, q, r in zip(pages, greys, quads, readings)]

    @staticmethod
    def _comb_rows(page: PageImage, grey: np.ndarray,
                   quads: list[Quad]) -> tuple[list[Quad], np.ndarray]:
        """``quads`` and ``grey`` with each row of digit boxes (``combs``) one box, its walls
        painted out."""
        combs = find_combs(grey, quads, max(page.dpi, 72.0))
        if not combs:
            return quads, grey
        merged = merge_quads(quads, combs)
        return [merged[i] for i in reading_order(merged)], without_walls(grey, combs)

    @staticmethod
    def _page_text(page: PageImage, grey: np.ndarray, quads: list[Quad],
                   readings: list[LineReading]) -> PageText:
        lines = []
        for quad, reading in zip(quads, readings):
            reading = settle_dashes(grey, quad, settle_punctuation(grey, quad, reading))
            text = settle_full_stop(grey, quad, settle_case(clean_text(reading.text)))
            if text:
                lines.append(OcrLine(text, reading.confidence, quad))
        return PageText(page=page.number, width=page.width, height=page.height, lines=tuple(lines))

    def _page(self, page: PageImage) -> PageText:
        return self._pages([page])[0]

    def recognize(self, pages: list[PageImage]) -> list[PageText]:
        if self._batch_pages > 1:
            return self._pages(pages)
        if self._page_workers < 2 or len(pages) < 2:
            return [self._page(page) for page in pages]
        with ThreadPoolExecutor(max_workers=min(self._page_workers, len(pages))) as pool:
            return list(pool.map(self._page, pages))
