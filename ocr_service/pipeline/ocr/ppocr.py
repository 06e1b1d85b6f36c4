"""The default engine: PP-OCRv6 text detection + Vietnamese CTC line readers, on onnxruntime.

``SOHOA_OCR_RECOGNIZER`` chooses how lines are read:

- ``fused`` (default): the fast reader on every line, the accurate reader on the words the fast
  one is unsure of (see ``fusion``);
- ``accurate``: AsterNet on every line (lowest error, several times slower on a CPU);
- ``fast``: TrueOCR's recognizer alone.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ...config import Settings, get_settings
from ...domain import OcrLine, PageImage, PageText, Quad
from ...weights import model_path, read_manifest
from .aster import AsterReader, load_vocabulary
from .base import clean_text
from .context import ContextReader, ContextSpec
from .detect import DetectorParams, detect
from .fusion import reread_uncertain
from .layout import reading_order
from .recognize import LineReading
from .runtime import open_session


class PpocrEngine:
    """PP-OCRv6 detector + Vietnamese line readers, with our own pre/post-processing."""

    name = "ppocr"

    def __init__(self, settings: Settings | None = None, models_dir: Path | None = None) -> None:
        settings = settings or get_settings()
        folder = models_dir or settings.models_dir

        self.models: dict[str, str] = {}
        """sha256 of every weight file this engine loaded, by manifest name (for e-record manifests)."""

        def session(name: str):
            self.models[name] = read_manifest()[name].sha256
            return open_session(
                model_path(name, folder), settings.ocr_device, settings.ocr_threads,
                spin=settings.ocr_page_workers < 2,
            )

        self._mode = settings.ocr_recognizer
        self._page_workers = settings.ocr_page_workers
        self._reread_below = settings.ocr_reread_below
        self._det = session("ppocrv6-det-small")
        self._det_params = DetectorParams(limit_side=settings.ocr_det_limit_side, unclip_ratio=1.3)
        self._accurate = self._fast = None
        if self._mode in ("accurate", "fused"):
            self._accurate = AsterReader(
                session("asternet-vi"),
                load_vocabulary(model_path("asternet-vi-vocab", folder)),
                batch_size=settings.ocr_rec_batch_size,
                max_columns=settings.ocr_rec_batch_columns,
            )
        if self._mode in ("fast", "fused"):
            self._fast = ContextReader(
                session("trueocr-rec-vi"),
                ContextSpec.from_card(model_path("trueocr-rec-vi-meta", folder)),
            )

    def _read(self, page: PageImage, quads: list[Quad]) -> list[LineReading]:
        if self._fast is None:
            return self._accurate.read(page.image, quads)
        readings = self._fast.read(page.image, quads)
        if self._accurate is not None:
            readings = reread_uncertain(page.image, quads, readings, self._accurate, self._reread_below)
        return readings

    def _page(self, page: PageImage) -> PageText:
        boxes = detect(self._det, [page.image], self._det_params)[0]
        quads = [boxes[i][0] for i in reading_order([quad for quad, _ in boxes])]
        lines = []
        for quad, reading in zip(quads, self._read(page, quads)):
            text = clean_text(reading.text)
            if text:
                lines.append(OcrLine(text, reading.confidence, quad))
        return PageText(page=page.number, width=page.width, height=page.height, lines=tuple(lines))

    def recognize(self, pages: list[PageImage]) -> list[PageText]:
        if self._page_workers < 2 or len(pages) < 2:
            return [self._page(page) for page in pages]
        with ThreadPoolExecutor(max_workers=min(self._page_workers, len(pages))) as pool:
            return list(pool.map(self._page, pages))
